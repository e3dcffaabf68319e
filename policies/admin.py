"""Policy data in Django admin, for a support manager: vendors, versions with their rules, calendars
in plain words, the version in force marked, and publishing through policies.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.history import HistoryAdmin

from .describe import calendar_summary
from .models import (
    CalendarWindow,
    ClosedDate,
    Exclusion,
    PolicyChannel,
    PolicyVersion,
    PriorityLevel,
    ResolutionCode,
    ResponseTarget,
    SupportCalendar,
    Vendor,
)
from .selectors import version_in_force
from .services import (
    policy_version_copy,
    policy_version_problems,
    policy_version_publish,
    policy_version_reductions,
)

PUBLISHED_NOT_DELETED = _("{version} is published: customers were told of it, so it stays on record.")


class InForceFilter(admin.SimpleListFilter):
    title = _("in force")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("In force now")),
            ("draft", _("Drafts")),
            ("scheduled", _("Published, not yet effective")),
        ]

    def queryset(self, request, queryset):
        # The model's rules (PolicyVersionQuerySet), as version_in_force applies them.
        now = timezone.now()
        if self.value() == "yes":
            return queryset.in_force(now)
        if self.value() == "draft":
            return queryset.filter(published_at__isnull=True)
        if self.value() == "scheduled":
            return queryset.scheduled(now)
        return queryset


class ReadOnlyWhenPublished:
    """Inlines of a published version are a record: shown, not editable."""

    def _editable(self, obj) -> bool:
        # obj is the parent: a version, or a priority / calendar that belongs to one.
        version = obj if isinstance(obj, PolicyVersion) else getattr(obj, "version", None)
        return version is None or not version.is_published

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class PriorityLevelInline(ReadOnlyWhenPublished, admin.StackedInline):
    model = PriorityLevel
    extra = 0
    fields = ["code", "name", "rank", "definition", "examples"]
    show_change_link = True


class SupportCalendarInline(ReadOnlyWhenPublished, admin.TabularInline):
    model = SupportCalendar
    extra = 0
    fields = ["slug", "name", "timezone", "holiday_country", "business_day_hours"]
    show_change_link = True


class PolicyChannelInline(ReadOnlyWhenPublished, admin.TabularInline):
    model = PolicyChannel
    extra = 0


class ResolutionCodeInline(ReadOnlyWhenPublished, admin.TabularInline):
    model = ResolutionCode
    extra = 0


class ExclusionInline(ReadOnlyWhenPublished, admin.TabularInline):
    model = Exclusion
    extra = 0


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "ticket_prefix",
        "support_email",
        "change_notice_days",
        "distinguishes_kinds",
        "policy_in_force",
    ]
    search_fields = ["name", "slug", "ticket_prefix", "support_email"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description=_("Policy in force"))
    def policy_in_force(self, vendor: Vendor) -> str:
        version = version_in_force(vendor=vendor)
        return str(version.name) if version else "—"


@admin.register(PolicyVersion)
class PolicyVersionAdmin(HistoryAdmin):
    list_display = ["name", "vendor", "key", "effective_from", "published_at", "in_force"]
    list_filter = [InForceFilter, "vendor"]
    list_select_related = ["vendor"]
    search_fields = ["name", "key", "vendor__name"]
    readonly_fields = [
        "published_at",
        "reductions_acknowledged_at",
        "reductions_acknowledged_by",
        "targets_summary",
    ]
    fieldsets = [
        (None, {"fields": ["vendor", "key", "name", "last_updated", "effective_from", "source_url"]}),
        (
            _("Publication"),
            {"fields": ["published_at", "reductions_acknowledged_at", "reductions_acknowledged_by"]},
        ),
        (_("Response targets per priority"), {"fields": ["targets_summary"]}),
        (_("Document"), {"fields": ["source_text"], "classes": ["collapse"]}),
    ]
    inlines = [
        PriorityLevelInline,
        SupportCalendarInline,
        PolicyChannelInline,
        ResolutionCodeInline,
        ExclusionInline,
    ]
    actions = ["publish_versions", "copy_as_draft"]
    change_form_template = "admin/policies/policyversion/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).with_in_force(timezone.now())

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_published:
            fields += ["vendor", "key", "name", "last_updated", "effective_from", "source_url", "source_text"]
        return fields

    @admin.display(description=_("In force"), boolean=True)
    def in_force(self, version: PolicyVersion) -> bool:
        return bool(getattr(version, "is_in_force", False))

    @admin.display(description=_("Targets"))
    def targets_summary(self, version: PolicyVersion) -> str:
        if version.pk is None:
            return "—"
        priorities = version.priorities.order_by("rank").prefetch_related(
            Prefetch("targets", queryset=ResponseTarget.objects.select_related("calendar"))
        )
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            (
                (p.name, "; ".join(str(t) for t in p.targets.all()) or gettext("no contractual target"))
                for p in priorities
            ),
        )
        return format_html("<table>{}</table>", rows) if rows else gettext("No priorities yet.")

    def get_urls(self):
        publish = self.admin_site.admin_view(self.publish_view)
        copy = self.admin_site.admin_view(self.copy_view)
        return [
            path("<int:pk>/publish/", publish, name="policies_policyversion_publish"),
            path("<int:pk>/copy/", copy, name="policies_policyversion_copy"),
            *super().get_urls(),
        ]

    # -- a published version is a record: never deleted

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        for version in queryset.filter(published_at__isnull=False).select_related("vendor"):
            self.message_user(request, PUBLISHED_NOT_DELETED.format(version=version), messages.ERROR)
        queryset.filter(published_at__isnull=True).delete()

    # -- copy as new draft

    @admin.action(description=_("Copy as new draft"), permissions=["add"])
    def copy_as_draft(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]):
        for version in queryset.select_related("vendor"):
            self._copy_one(request, version)

    def copy_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = get_object_or_404(PolicyVersion.objects.select_related("vendor"), pk=pk)
        if request.method != "POST" or not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:policies_policyversion_change", args=[pk]))
        draft = self._copy_one(request, version)
        return HttpResponseRedirect(reverse("admin:policies_policyversion_change", args=[draft.pk]))

    def _copy_one(self, request: HttpRequest, version: PolicyVersion) -> PolicyVersion:
        draft = policy_version_copy(version=version)
        self.message_user(
            request,
            gettext(
                "%(draft)s is a new draft with everything %(version)s holds: change what the new version "
                "changes, then publish it."
            )
            % {"draft": draft, "version": version.name},
            messages.SUCCESS,
        )
        return draft

    @admin.action(description=_("Publish selected versions"), permissions=["change"])
    def publish_versions(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]):
        return self._publish(request, list(queryset.select_related("vendor")), via_action=True)

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = get_object_or_404(PolicyVersion.objects.select_related("vendor"), pk=pk)
        if not self.has_change_permission(request, version):
            return HttpResponseRedirect(reverse("admin:policies_policyversion_changelist"))
        return self._publish(request, [version], via_action=False)

    def _publish(self, request: HttpRequest, versions: list[PolicyVersion], *, via_action: bool):
        """Show the reductions (if any) and publish once confirmed. A confirmation is needed for
        the button always (a GET never publishes) and for the action when something is reduced."""
        drafts = [v for v in versions if not v.is_published]
        for version in versions:
            if version.is_published:
                self.message_user(
                    request,
                    gettext("%(version)s is already published.") % {"version": version},
                    messages.INFO,
                )
        reductions = {v.pk: _reductions(v) for v in drafts}
        problems = {v.pk: _problems(v) for v in drafts}
        if any(problems.values()):
            # Nothing to acknowledge: these are fixed on the version's fields, then published.
            return self._confirmation(request, drafts, reductions, via_action=via_action, problems=problems)
        confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
        needs_ack = any(reductions.values())
        acknowledged = request.POST.get("acknowledge") == "on"
        if drafts and (not confirmed or (needs_ack and not acknowledged)) and (needs_ack or not via_action):
            if confirmed:
                self.message_user(
                    request, _("Tick “I acknowledge these reductions” to publish."), messages.ERROR
                )
            return self._confirmation(request, drafts, reductions, via_action=via_action)
        for version in drafts:
            self._publish_one(
                request, version, acknowledged_by=request.user if reductions[version.pk] else None
            )
        if via_action:
            return None
        return HttpResponseRedirect(reverse("admin:policies_policyversion_change", args=[versions[0].pk]))

    def _publish_one(self, request: HttpRequest, version: PolicyVersion, *, acknowledged_by) -> None:
        try:
            policy_version_publish(version=version, acknowledged_by=acknowledged_by)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, f"{version}: {message}", messages.ERROR)
            return
        self.message_user(
            request, gettext("%(version)s is published.") % {"version": version}, messages.SUCCESS
        )

    def _confirmation(
        self, request, drafts, reductions, *, via_action: bool, problems=None
    ) -> TemplateResponse:
        problems = problems or {}
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish policy versions"),
            "opts": self.model._meta,
            "items": [(v, reductions[v.pk], _labelled(problems.get(v.pk))) for v in drafts],
            "blocked": any(problems.values()),
            "needs_ack": any(reductions.values()),
            "via_action": via_action,
            "action_name": "publish_versions",
            "selected": [v.pk for v in drafts],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/policies/policyversion/publish_confirmation.html", context)


# The fields (inlines) of a version page where each kind of problem is fixed.
PROBLEM_FIELDS = {
    "priorities": _("Priorities"),
    "resolution_codes": _("Resolution codes"),
    "calendars": _("Calendars"),
}


def _problems(version: PolicyVersion) -> dict[str, list[str]]:
    current = version_in_force(vendor=version.vendor, at=max(timezone.now(), version.effective_from))
    return policy_version_problems(draft=version, current=current)


def _labelled(problems: dict[str, list[str]] | None) -> list[tuple[str, list[str]]]:
    return [(PROBLEM_FIELDS.get(field, field), messages) for field, messages in (problems or {}).items()]


def _reductions(version: PolicyVersion) -> list[str]:
    """The same comparison policy_version_publish makes: against the version that would be in force
    when this one takes effect."""
    current = version_in_force(vendor=version.vendor, at=max(timezone.now(), version.effective_from))
    return policy_version_reductions(draft=version, current=current)


class ResponseTargetInline(ReadOnlyWhenPublished, admin.TabularInline):
    model = ResponseTarget
    extra = 0
    fields = ["kind", "duration", "unit", "calendar"]

    def get_formset(self, request, obj=None, **kwargs):
        request._priority_version_id = obj.version_id if obj else None
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the calendars of the priority's own version make sense (the model's clean() says so too).
        if db_field.name == "calendar":
            version_id = getattr(request, "_priority_version_id", None)
            kwargs["queryset"] = SupportCalendar.objects.filter(version_id=version_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PriorityLevel)
class PriorityLevelAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "rank", "version", "targets"]
    list_filter = ["version__vendor"]
    list_select_related = ["version__vendor"]
    search_fields = ["code", "name", "version__vendor__name", "version__name"]
    ordering = ["version__vendor__name", "version", "rank"]
    inlines = [ResponseTargetInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("targets")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.version.is_published:
            return ["version", "code", "name", "rank", "definition", "examples"]
        return []

    @admin.display(description=_("Targets"))
    def targets(self, priority: PriorityLevel) -> str:
        return "; ".join(str(t) for t in priority.targets.all()) or "no contractual target"


class CalendarWindowInline(ReadOnlyWhenPublished, admin.TabularInline):
    model = CalendarWindow
    extra = 0


class ClosedDateInline(ReadOnlyWhenPublished, admin.TabularInline):
    model = ClosedDate
    extra = 0


class SupportCalendarForm(forms.ModelForm):
    class Meta:
        model = SupportCalendar
        fields = ["version", "slug", "name", "timezone", "holiday_country", "business_day_hours"]


@admin.register(SupportCalendar)
class SupportCalendarAdmin(admin.ModelAdmin):
    form = SupportCalendarForm
    list_display = ["name", "version", "timezone", "holiday_country", "business_day_hours", "summary"]
    list_filter = ["version__vendor"]
    list_select_related = ["version__vendor"]
    search_fields = ["name", "slug", "timezone", "version__vendor__name"]
    inlines = [CalendarWindowInline, ClosedDateInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("windows", "closed_dates")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.version.is_published:
            return ["summary", *SupportCalendarForm.Meta.fields]
        return ["summary"]

    @admin.display(description=_("In plain words"))
    def summary(self, calendar: SupportCalendar) -> str:
        if calendar.pk is None:
            return "—"
        return calendar_summary(calendar)
