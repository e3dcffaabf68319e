"""The case page's inlines: SLA targets, the conversation, a reply form, attachments."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from policies.words import duration_words, overdue_words
from portal.selectors import person_name

from ..explain import target_explanation
from ..models import Attachment, Reply, SlaTarget, TargetState
from ..selectors import recomputations
from ..services.sla import sla_now
from .forms import NewReplyForm
from .listing import BADGE_COLOURS, Badge

CONVERSATION_COLUMNS = [_("Created at"), _("From"), _("Kind"), _("Text")]


def conversation(ticket) -> list[dict]:
    """The conversation as it happened, read-only and oldest first, for the case page's template
    (admin/tickets/ticket/conversation.html): one query with the authors. A read-only inline built
    an admin form per reply and looked the case up again for each row's title (str(reply)): 50
    replies cost 50 queries and two thirds of the page's time."""
    replies = Reply.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "id")
    # body_html is sanitized by portal.markdown (nh3) when the reply is added.
    return [
        {
            "reply": r,
            "who": person_name(r.author),
            "kind": reply_kind(r),
            "text": mark_safe(r.shown_body_html),  # noqa: S308
        }
        for r in replies
    ]


def reply_kind(reply: Reply) -> str:
    if reply.internal:
        return format_html(
            '<strong style="color:{}">{}</strong>', BADGE_COLOURS[Badge.DUE_SOON], _("Internal note")
        )
    return _("Staff reply") if reply.by_staff else _("Customer")


class NewReplyFormSet(BaseInlineFormSet):
    """Marks the formset TicketAdmin.save_formset hands to reply_add instead of saving."""

    @classmethod
    def get_default_prefix(cls) -> str:
        # The reply box's fields keep the names they had beside the conversation's inline
        # ("replies-2-0-body"), which pages, tests and browsers' saved drafts know.
        return "replies-2"


class NewReplyInline(admin.StackedInline):
    """One empty form: a staff reply or internal note, sent through tickets.services.reply_add."""

    model = Reply
    form = NewReplyForm
    formset = NewReplyFormSet
    template = "admin/tickets/ticket/reply_box.html"  # stacked.html without the unused empty form
    fields = ["body", "files", "internal", "wait_on_customer"]
    desk_column = "main"
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = _("reply or internal note")
    verbose_name_plural = _("Add a reply or internal note")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    fields = ["kind", "state_now", "due_at", "remaining", "paused", "explanation"]
    readonly_fields = fields
    verbose_name_plural = _("SLA targets")
    desk_column = "side"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("ticket")
            .prefetch_related(recomputations())
            .order_by("kind")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("State"))
    def state_now(self, target: SlaTarget) -> str:
        state = target.state_at(timezone.now())
        return format_html(
            '<span style="color:{}; font-weight:bold">{}</span>',
            BADGE_COLOURS.get(state, "#999"),
            TargetState(state).label,
        )

    @admin.display(description=_("Remaining"))
    def remaining(self, target: SlaTarget) -> str:
        seen = sla_now(target, ticket=target.ticket, now=timezone.now())
        if seen.answered_at is not None:
            when = timezone.localtime(seen.answered_at).strftime("%a %d %b %H:%M %Z")
            return (gettext("answered late, %(when)s") if seen.late else gettext("answered %(when)s")) % {
                "when": when
            }
        if seen.left is None:
            return "—"
        if seen.left < timedelta(0):
            return overdue_words(-seen.left)
        return duration_words(seen.left)

    @admin.display(description=_("Explanation"))
    def explanation(self, target: SlaTarget) -> str:
        return target_explanation(target)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["download", "size", "content_type", "uploader", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by", "ticket")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Uploaded by"))
    def uploader(self, attachment: Attachment) -> str:
        return person_name(attachment.uploaded_by)

    @admin.display(description=_("File"))
    def download(self, attachment: Attachment) -> str:
        # The download view checks who may see the ticket; staff always may.
        url = reverse("api:ticket-attachment", args=[attachment.ticket.number, attachment.pk])
        size = filesizeformat(attachment.size)
        return format_html('<a href="{}">{}</a> ({})', url, attachment.filename, size)
