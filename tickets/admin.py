"""Django admin is the staff UI: triage in the changelist, the case on its detail page. Every change
goes through tickets.services; nothing here knows a rule of its own."""

from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from policies.models import PriorityLevel, ResolutionCode, Vendor
from policies.selectors import version_in_force

from .models import Attachment, Reply, SlaTarget, TargetState, Ticket
from .services import (
    reply_add,
    ticket_assign,
    ticket_change_priority,
    ticket_open,
    ticket_resolve,
    ticket_wait_on_customer,
)
from .services.sla import format_duration

User = get_user_model()
DUE_SOON = timedelta(hours=1)
BADGE_COLOURS = {
    "breached": "#ba2121",
    "due_soon": "#c77c02",
    TargetState.RUNNING: "#2e7d32",
    TargetState.PAUSED: "#5f6b7a",
    TargetState.MET: "#417690",
    TargetState.NOT_APPLICABLE: "#999999",
}
BADGE_LABELS = {"breached": "Breached", "due_soon": "Due within 1 h"}
CASE_NUMBER = re.compile(r"([A-Za-z]{2,5})-(\d{6})")  # ALC-000123, as tickets.services numbers them

# ---------------------------------------------------------------------------- list helpers


def live_sla_state(ticket: Ticket, now) -> str:
    """The SLA state a person should see now: the stored worst state, except that a running
    ticket whose next deadline has passed is breached before the sweep writes it down."""
    if ticket.next_due_at is not None and ticket.next_due_at <= now:
        return "breached"
    if (
        ticket.sla_state == TargetState.RUNNING
        and ticket.next_due_at is not None
        and ticket.next_due_at <= now + DUE_SOON
    ):
        return "due_soon"
    return ticket.sla_state


class CappedCountPaginator(Paginator):
    """A changelist paginator for a table of 100,000 tickets.

    COUNT(*) over the whole table for every page view costs more than the page itself, so it counts
    at most CAP rows (an index-only scan that stops early); past that, staff narrow with a filter or
    a search rather than page 100 pages deep, and the pagination template says "more than".

    A page is read in two steps (a "deferred join"): first the 50 ids in list order, then those rows
    with their joins. When the filter's rows come from an index other than the list order's (the SLA
    filters), the database sorts bare ids instead of every matching row joined to four tables."""

    CAP = 5_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values("pk")[: self.CAP].count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = {ticket.pk: ticket for ticket in self.object_list.order_by().filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def breached_case(now) -> Case:
    """Breached: written down by the sweep, or running past its deadline and not yet swept.

    One CASE expression rather than `Q(...) | Q(...)` on purpose. With the OR, SQLite collects every
    breached ticket through two indexes and sorts them all for one page (26,000 of 100,000 in
    bench/tickets.py: 60–120 ms); the CASE leaves it the list order's index (ticket_opened), walked
    until the page is full (~1 ms), and the capped count reads only the covering
    ticket_sla_state_due index (~1 ms). PostgreSQL likewise walks ticket_opened with a filter."""
    condition = Q(sla_state=TargetState.BREACHED) | Q(next_due_at__lte=now)
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


class SlaStateFilter(admin.SimpleListFilter):
    """Due within 1 h is a range on ticket_next_due_open, paused an equality on ticket_sla_state_due."""

    title = "SLA state"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("breached", "Breached"), ("due_soon", "Due within 1 h"), ("paused", "Paused")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "breached":
            return queryset.alias(is_breached=breached_case(now)).filter(is_breached=True)
        if self.value() == "due_soon":
            return queryset.filter(next_due_at__gt=now, next_due_at__lte=now + DUE_SOON)
        if self.value() == "paused":
            return queryset.filter(sla_state=TargetState.PAUSED)
        return queryset


class PriorityFilter(admin.SimpleListFilter):
    """Priorities by code: each policy version has its own rows, staff think in "urgent"."""

    title = "priority"
    parameter_name = "priority"

    def lookups(self, request, model_admin):
        seen: dict[str, str] = {}
        for code, name in PriorityLevel.objects.order_by("rank", "code").values_list("code", "name"):
            seen.setdefault(code, name)
        return list(seen.items())

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(priority__code=self.value())
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    """Staff only: the plain FK filter would list every customer account too."""

    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        staff = User.objects.filter(is_staff=True).order_by("username").values_list("pk", "username")
        return [("none", "Unassigned"), *((str(pk), name) for pk, name in staff)]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        if self.value():
            return queryset.filter(assignee_id=self.value())
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = "mine"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", "Assigned to me")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(assignee=request.user)
        return queryset


# ---------------------------------------------------------------------------- action forms


class PriorityChangeForm(forms.Form):
    priority = forms.ChoiceField(label="New priority")
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = choices


class ResolveForm(forms.Form):
    resolution_code = forms.ChoiceField(label="Resolution")

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolution_code"].choices = choices


def _choices(rows) -> list[tuple[str, str]]:
    """(code, label) pairs, one per code: selected tickets of several vendors share codes."""
    seen: dict[str, str] = {}
    for code, name in rows:
        seen.setdefault(code, f"{name} ({code})")
    return list(seen.items())


def _version_ids(queryset: QuerySet[Ticket]) -> QuerySet:
    return queryset.order_by().values("policy_version_id").distinct()


# ---------------------------------------------------------------------------- add form


class TicketAddForm(forms.ModelForm):
    """Opening a case for a customer (by phone, say): the service decides everything else."""

    priority_code = forms.ChoiceField(label="Priority")

    class Meta:
        model = Ticket
        fields = ["organization", "requester", "vendor", "subject", "body", "kind", "channel"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority_code"].choices = self._priority_choices()

    @staticmethod
    def _priority_choices() -> list:
        in_force = [version_in_force(vendor=vendor) for vendor in Vendor.objects.all()]
        priorities = (
            PriorityLevel.objects.filter(version__in=[v for v in in_force if v is not None])
            .select_related("version__vendor")
            .order_by("version__vendor__name", "rank")
        )
        groups: dict[str, list] = {}
        for priority in priorities:
            groups.setdefault(priority.version.vendor.name, []).append((priority.code, priority.name))
        return list(groups.items())

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "organization": data["organization"],
            "requester": data["requester"],
            "vendor": data["vendor"],
            "priority": data["priority_code"],
            "subject": data["subject"],
            "body": data["body"],
            "kind": data["kind"],
            "channel": data["channel"],
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # Try the real service and roll it back: its rules decide, here and in save_model alike.
        try:
            with transaction.atomic():
                ticket_open(**self.service_arguments())
                transaction.set_rollback(True)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                self.add_error(field if field in self.fields else None, problems)
        return cleaned


# ---------------------------------------------------------------------------- inlines


class ReplyInline(admin.TabularInline):
    """The conversation as it happened: read-only, oldest first."""

    model = Reply
    extra = 0
    fields = ["created_at", "author", "visibility", "text"]
    readonly_fields = fields
    verbose_name_plural = "Conversation"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").order_by("created_at", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Kind")
    def visibility(self, reply: Reply) -> str:
        if reply.internal:
            return format_html(
                '<strong style="color:{}">{}</strong>', BADGE_COLOURS["due_soon"], "Internal note"
            )
        return "Staff reply" if reply.by_staff else "Customer"

    @admin.display(description="Text")
    def text(self, reply: Reply) -> str:
        # body_html is sanitized by portal.markdown (nh3) when the reply is added.
        return mark_safe(reply.body_html)  # noqa: S308


class NewReplyFormSet(BaseInlineFormSet):
    """Marks the formset TicketAdmin.save_formset hands to reply_add instead of saving."""


class NewReplyForm(forms.ModelForm):
    wait_on_customer = forms.BooleanField(required=False, label="Then wait on the customer")

    class Meta:
        model = Reply
        fields = ["body", "internal"]


class NewReplyInline(admin.StackedInline):
    """One empty form: a staff reply or internal note, sent through tickets.services.reply_add."""

    model = Reply
    form = NewReplyForm
    formset = NewReplyFormSet
    fields = ["body", "internal", "wait_on_customer"]
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = "reply or internal note"
    verbose_name_plural = "Add a reply or internal note"

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    fields = ["kind", "state_now", "due_at", "remaining", "paused", "explanation"]
    readonly_fields = fields
    verbose_name_plural = "SLA targets"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("kind")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="State")
    def state_now(self, target: SlaTarget) -> str:
        state = target.state_at(timezone.now())
        return format_html(
            '<span style="color:{}; font-weight:bold">{}</span>',
            BADGE_COLOURS.get(state, "#999"),
            TargetState(state).label,
        )

    @admin.display(description="Remaining")
    def remaining(self, target: SlaTarget) -> str:
        if target.due_at is None or target.state not in (TargetState.RUNNING, TargetState.PAUSED):
            return "—"
        left = target.due_at - timezone.now()
        if left < timedelta(0):
            return f"overdue by {format_duration(-left)}"
        return format_duration(left)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["download", "size", "content_type", "uploaded_by", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by", "ticket")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="File")
    def download(self, attachment: Attachment) -> str:
        # The download view checks who may see the ticket; staff always may.
        url = reverse("api:ticket-attachment", args=[attachment.ticket.number, attachment.pk])
        size = filesizeformat(attachment.size)
        return format_html('<a href="{}">{}</a> ({})', url, attachment.filename, size)


# ---------------------------------------------------------------------------- the ticket admin


@admin.register(Ticket)
class TicketAdmin(SimpleHistoryAdmin):
    list_display = [
        "number",
        "subject",
        "organization",
        "vendor",
        "priority",
        "status",
        "assignee",
        "next_due",
        "sla_badge",
    ]
    list_display_links = ["number"]
    list_filter = ["vendor", PriorityFilter, "status", SlaStateFilter, AssigneeFilter, MineFilter]
    list_select_related = ["organization", "vendor", "priority", "assignee"]
    search_fields = ["number", "subject", "requester__username", "requester__email"]
    search_help_text = "Case number, subject, or the requester's username or email."
    # Matches the ticket_opened index (-opened_at, id) exactly, and already total, so the changelist
    # adds no "-pk" of its own that would force a sort of the whole table.
    ordering = ["-opened_at", "id"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    # Facet counts would run one COUNT over 100,000 tickets per filter choice.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    autocomplete_fields = ["organization", "requester", "vendor", "assignee"]
    actions = ["assign_to_me", "change_priority", "wait_on_customer", "resolve"]
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "organization",
                    "requester",
                    "vendor",
                    "priority_code",
                    "kind",
                    "channel",
                    "subject",
                    "body",
                ]
            },
        )
    ]
    change_fieldsets = [
        (None, {"fields": ["number", "subject", "status", "assignee", "sla_badge", "next_due_at"]}),
        (
            "Case",
            {
                "fields": [
                    "organization",
                    "requester",
                    "vendor",
                    "policy_version",
                    "priority",
                    "kind",
                    "channel",
                    "product",
                    "product_version",
                    "parent",
                    "resolution_code",
                    "billable",
                    "billable_reason",
                ]
            },
        ),
        ("Description", {"fields": ["description"]}),
        ("Times", {"fields": ["opened_at", "updated_at", "first_responded_at", "resolved_at", "closed_at"]}),
    ]

    # -- list

    def action_checkbox(self, obj):
        # The stock column renders a form widget's template for every row: a fifth of the page's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" '
            'aria-label="Select this object for an action - {}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            obj.number,
        )

    @admin.display(description="Next due", ordering="next_due_at")
    def next_due(self, ticket: Ticket) -> str:
        # strftime rather than the localized date filter: a fifth of the cost, same reading for staff.
        if ticket.next_due_at is None:
            return "—"
        return timezone.localtime(ticket.next_due_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="SLA")
    def sla_badge(self, ticket: Ticket) -> str:
        state = live_sla_state(ticket, timezone.now())
        label = BADGE_LABELS.get(state) or TargetState(state).label
        return format_html(
            '<span class="sla-badge sla-{}" style="background:{}; color:#fff; padding:1px 6px; '
            'border-radius:8px; white-space:nowrap">{}</span>',
            state,
            BADGE_COLOURS.get(state, "#999"),
            label,
        )

    def get_search_results(self, request, queryset, search_term):
        """A whole case number is one lookup on the unique index. Anything else matches the number,
        the subject, or a requester found first in the (small) user table: joining every ticket to
        its requester to compare two more columns made a search over 100,000 tickets take ~0.7 s."""
        term = search_term.strip()
        if not term:
            return queryset, False
        number = CASE_NUMBER.fullmatch(term)
        if number:
            prefix, digits = number.groups()
            return queryset.filter(number=f"{prefix.upper()}-{int(digits):06d}"), False
        requesters = User.objects.filter(Q(username__icontains=term) | Q(email__icontains=term)).values("pk")
        matches = Q(number__icontains=term) | Q(subject__icontains=term) | Q(requester__in=requesters)
        return queryset.filter(matches), False

    def has_delete_permission(self, request, obj=None):
        # A case is a record (numbers are never reused, history is kept): close it, never delete it.
        return False

    # -- detail and add

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TicketAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        editable = {"assignee"}
        return [f for _, options in self.change_fieldsets for f in options["fields"] if f not in editable]

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [SlaTargetInline, ReplyInline, NewReplyInline, AttachmentInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = User.objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Body")
    def description(self, ticket: Ticket) -> str:
        # body_html is sanitized by portal.markdown (nh3) when the ticket is opened.
        return format_html("<div class='ticket-body'>{}</div>", mark_safe(ticket.body_html))  # noqa: S308

    def save_model(self, request, obj, form, change):
        if not change:
            ticket = ticket_open(**form.service_arguments())
            for field in Ticket._meta.concrete_fields:
                setattr(obj, field.attname, getattr(ticket, field.attname))
            obj._state.adding = False
            return
        if "assignee" in form.changed_data:
            ticket_assign(ticket=obj, assignee=form.cleaned_data["assignee"], by=request.user)

    def save_formset(self, request, form, formset, change):
        if isinstance(formset, NewReplyFormSet):
            # The admin's change message reads these, as if formset.save() had run.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for reply_form in formset.forms:
                if not reply_form.has_changed() or not reply_form.cleaned_data.get("body"):
                    continue
                try:
                    reply = reply_add(
                        ticket=formset.instance,
                        author=request.user,
                        body=reply_form.cleaned_data["body"],
                        internal=reply_form.cleaned_data.get("internal", False),
                        wait_on_customer=reply_form.cleaned_data.get("wait_on_customer", False),
                    )
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                else:
                    formset.new_objects.append(reply)
            return
        super().save_formset(request, form, formset, change)

    # -- actions

    def _each(self, request, queryset, service, done: str, **arguments) -> None:
        """Apply one service to every selected ticket; a refusal is reported per ticket and
        rolls back only that ticket (each service call is its own transaction)."""
        changed = 0
        for ticket in queryset:
            try:
                service(ticket=ticket, by=request.user, **arguments)
            except ValidationError as error:
                self.message_user(request, f"{ticket.number}: {' '.join(error.messages)}", messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{changed} ticket(s) {done}.", messages.SUCCESS)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(request, queryset, ticket_assign, "assigned to you", assignee=request.user)

    @admin.action(description="Mark waiting on customer", permissions=["change"])
    def wait_on_customer(self, request, queryset):
        self._each(request, queryset, ticket_wait_on_customer, "now wait on the customer")

    @admin.action(description="Change priority…", permissions=["change"])
    def change_priority(self, request, queryset):
        rows = PriorityLevel.objects.filter(version__in=_version_ids(queryset)).order_by("rank")
        form = PriorityChangeForm(
            request.POST if "apply" in request.POST else None,
            choices=_choices(rows.values_list("code", "name")),
        )
        if form.is_valid():
            self._each(
                request,
                queryset,
                ticket_change_priority,
                "changed priority",
                priority=form.cleaned_data["priority"],
                reason=form.cleaned_data["reason"],
            )
            return None
        return self._action_page(request, queryset, form, "Change priority", "change_priority")

    @admin.action(description="Resolve with code…", permissions=["change"])
    def resolve(self, request, queryset):
        rows = ResolutionCode.objects.filter(version__in=_version_ids(queryset)).order_by("id")
        form = ResolveForm(
            request.POST if "apply" in request.POST else None,
            choices=_choices(rows.values_list("code", "name")),
        )
        if form.is_valid():
            self._each(
                request,
                queryset,
                ticket_resolve,
                "resolved",
                resolution_code=form.cleaned_data["resolution_code"],
            )
            return None
        return self._action_page(request, queryset, form, "Resolve", "resolve")

    def _action_page(self, request: HttpRequest, queryset, form, title: str, action: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "tickets": queryset.select_related("vendor", "priority"),
            "action_name": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/tickets/ticket/action_form.html", context)
