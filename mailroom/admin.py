"""The mailroom in admin: every inbound message with its outcome (filter by outcome and vendor,
download the original), the quarantine with its actions, and each case's messages on its page.
Every action goes through mailroom.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.models import Organization
from tickets.admin import TicketAdmin
from tickets.models import Ticket

from .models import ImapCursor, InboundMessage, Outcome, QuarantinedMessage
from .services import message_add_sender_and_open, message_add_to_case, message_discard, message_open_for

User = get_user_model()


def raw_link(message: InboundMessage) -> str:
    url = reverse("admin:mailroom_inboundmessage_raw", args=[message.pk])
    label = gettext("original (%(size)s bytes)") % {"size": number_format(message.size, force_grouping=True)}
    return format_html('<a href="{}">{}</a>', url, label)


class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "outcome", "vendor", "from_address", "subject", "case", "answered_at"]
    list_filter = ["outcome", "vendor", "transport"]
    list_select_related = ["vendor", "ticket"]
    search_fields = ["message_id", "from_address", "subject", "ticket__number"]
    search_help_text = _("Message-ID, sender address, subject or case number.")
    date_hierarchy = "received_at"
    fields = [
        "received_at",
        "outcome",
        "reason",
        "vendor",
        "transport",
        "from_name",
        "from_address",
        "subject",
        "sent_at",
        "message_id",
        "original",
        "sender",
        "case",
        "reply",
        "answered_at",
        "answers",
        "times_seen",
        "handled_by",
        "handled_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages come in by mail, never by hand

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # every message is kept with its outcome

    @admin.display(description=_("Case"), ordering="ticket__number")
    def case(self, message: InboundMessage) -> str:
        if message.ticket_id is None:
            return "—"
        url = reverse("admin:tickets_ticket_change", args=[message.ticket_id])
        return format_html('<a href="{}">{}</a>', url, message.ticket.number)

    @admin.display(description=_("Original"))
    def original(self, message: InboundMessage) -> str:
        return raw_link(message)

    def get_urls(self):
        return [
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="mailroom_inboundmessage_raw",
            ),
            *super().get_urls(),
        ]

    def raw_view(self, request: HttpRequest, pk: int) -> FileResponse:
        message = get_object_or_404(InboundMessage, pk=pk)
        if not self.has_view_permission(request, message):
            raise PermissionDenied
        return FileResponse(
            message.raw.open("rb"),
            as_attachment=True,
            filename=f"message-{message.pk}.eml",
            content_type="message/rfc822",
        )


admin.site.register(InboundMessage, InboundMessageAdmin)


@admin.register(ImapCursor)
class ImapCursorAdmin(admin.ModelAdmin):
    """How far each IMAP folder is read. Written by the poll alone; the URL and password live in
    MAIL_IMAP_URLS. Deleting a row makes the next poll treat the folder as seen for the first time."""

    list_display = ["mailbox", "vendor", "uidvalidity", "last_uid", "updated_at"]
    list_select_related = ["vendor"]
    search_fields = ["mailbox"]
    readonly_fields = ["mailbox", "vendor", "uidvalidity", "last_uid", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class OpenForForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.order_by("name"), label=_("Organization")
    )
    requester = forms.ModelChoiceField(
        label=_("Requester"),
        queryset=User.objects.filter(membership__isnull=False).select_related("membership__organization"),
        help_text=_("A member of that organization: the case is theirs, and so are its emails."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester"].label_from_instance = lambda user: (
            f"{user.get_full_name() or user.username} <{user.email}> — {user.membership.organization}"
        )


class AddSenderForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.order_by("name"),
        label=_("Organization"),
        help_text=_(
            "The sender becomes a member of it (and can set a password through “forgotten password”)."
        ),
    )


@admin.register(QuarantinedMessage)
class QuarantineAdmin(InboundMessageAdmin):
    list_display = ["received_at", "vendor", "from_address", "subject", "reason"]
    list_filter = ["vendor"]
    actions = ["open_for", "add_sender_and_open", "add_to_case", "discard"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(outcome=Outcome.QUARANTINED)

    def get_urls(self):
        return admin.ModelAdmin.get_urls(self)  # the original is downloaded from the messages' list

    def _each(self, request, queryset, service, done: str, **kwargs) -> None:
        for message in queryset:
            try:
                result = service(message=message, by=request.user, **kwargs)
            except ValidationError as error:
                self.message_user(
                    request,
                    f"{message.subject or message.message_id}: {' '.join(error.messages)}",
                    messages.ERROR,
                )
                continue
            if isinstance(result, Ticket):  # `done` may name the case itself
                values = {"done": done, "number": result.number}
                done = done % values if "%(number)s" in done else gettext("%(done)s as %(number)s") % values
            self.message_user(request, f"{message.subject or message.message_id}: {done}.", messages.SUCCESS)

    def _form_page(self, request, queryset, form, title: str, action: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "quarantined": queryset.select_related("vendor"),
            "action_name": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/mailroom/action_form.html", context)

    @admin.action(description=_("Open as a case for an organization…"), permissions=["change"])
    def open_for(self, request, queryset):
        form = OpenForForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._each(request, queryset, message_open_for, gettext("opened"), **form.cleaned_data)
            return None
        return self._form_page(request, queryset, form, gettext("Open as a case"), "open_for")

    @admin.action(description=_("Add the sender to an organization and open…"), permissions=["change"])
    def add_sender_and_open(self, request, queryset):
        form = AddSenderForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._each(
                request,
                queryset,
                message_add_sender_and_open,
                gettext("sender added, opened"),
                **form.cleaned_data,
            )
            return None
        title = gettext("Add the sender and open")
        return self._form_page(request, queryset, form, title, "add_sender_and_open")

    @admin.action(description=_("Add as a reply to its case"), permissions=["change"])
    def add_to_case(self, request, queryset):
        self._each(request, queryset, message_add_to_case, gettext("added as a reply to %(number)s"))

    @admin.action(description=_("Discard"), permissions=["change"])
    def discard(self, request, queryset):
        self._each(request, queryset, message_discard, gettext("discarded"))


class InboundMessageInline(admin.TabularInline):
    """A case's messages: what came in by email about it, whatever became of each."""

    model = InboundMessage
    fk_name = "ticket"
    fields = ["received_at", "outcome", "from_address", "subject", "original"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("email")
    verbose_name_plural = _("emails about this case")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("Original"))
    def original(self, message: InboundMessage) -> str:
        return raw_link(message)


class TicketWithMailAdmin(TicketAdmin):
    """The case page with its emails: tickets' admin extended from above (mailroom sits on tickets,
    which knows nothing of it)."""

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        return [*inlines, InboundMessageInline] if obj is not None else inlines


admin.site.unregister(Ticket)
admin.site.register(Ticket, TicketWithMailAdmin)
