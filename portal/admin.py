"""Staff screens for people and the outbox: organizations and members, preferences, notices, API
tokens and two-factor devices (listed and revoked, never their secrets)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .history import HistoryAdmin
from .models import ApiToken, Membership, Notice, NoticePreference, NoticeState, Organization, Profile
from .outbox import notices_enqueue

# Admin is the staff desk: name it so, and give the triage list the whole width.
admin.site.site_header = _("Support desk")
admin.site.site_title = _("Support desk")
admin.site.index_title = _("Triage, policies and reports")
admin.site.enable_nav_sidebar = False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(HistoryAdmin):
    list_display = ["name", "slug", "timezone", "language", "member_count", "created_at"]
    list_filter = ["language"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request):
        # Explicit order: Meta.ordering is dropped from the GROUP BY query the count makes.
        return super().get_queryset(request).annotate(_members=Count("memberships")).order_by("name")

    @admin.display(description=_("Members"), ordering="_members")
    def member_count(self, organization: Organization) -> int:
        return organization._members


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role"]
    list_select_related = ["user", "organization"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "timezone", "language"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(NoticePreference)
class NoticePreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "muted_kinds", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """The outbox as the desk sees it: what went out, to whom, and what is stuck and why."""

    list_display = ["created_at", "kind", "to_email", "reference", "subject", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["recipient"]
    search_fields = ["to_email", "reference", "subject", "dedupe_key", "message_id"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    readonly_fields = [
        "kind",
        "dedupe_key",
        "recipient",
        "to_email",
        "reference",
        "subject",
        "body_text",
        "body_html",
        "message_id",
        "headers",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "send_after",
        "claimed_at",
        "sent_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # notices are written by the services that promise them

    @admin.action(description=_("Send the selected failed or pending notices now"))
    def retry_now(self, request, queryset):
        ids = list(
            queryset.filter(state__in=[NoticeState.FAILED, NoticeState.PENDING]).values_list("pk", flat=True)
        )
        Notice.objects.filter(pk__in=ids).update(state=NoticeState.PENDING, send_after=timezone.now())
        queued = notices_enqueue(ids) if ids else False
        if queued:
            said = ngettext(
                "%(count)d notice handed to a worker.", "%(count)d notices handed to a worker.", len(ids)
            )
        else:
            said = ngettext(
                "%(count)d notice left for the outbox sweep (within a minute).",
                "%(count)d notices left for the outbox sweep (within a minute).",
                len(ids),
            )
        self.message_user(request, said % {"count": len(ids)}, messages.SUCCESS)


class RevokeOnlyAdmin(admin.ModelAdmin):
    """A credential staff may see exists and delete (revoke), never make or edit: the secret is not
    a field here (a token's key is not stored at all; a device's key and codes are not shown)."""

    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(RevokeOnlyAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at"]
    list_filter = ["last_used_at"]
    search_fields = ["prefix", "name", *RevokeOnlyAdmin.search_fields]
    fields = ["user", "name", "prefix", "created_at", "last_used_at"]


# django-otp's own admins show a TOTP key on its add page and the recovery codes inline.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(TOTPDevice, StaticDevice)
class TwoFactorDeviceAdmin(RevokeOnlyAdmin):
    """Delete a person's device when they lost it: they enrol again at their next sign-in (staff)
    or sign in with the password alone (others)."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
