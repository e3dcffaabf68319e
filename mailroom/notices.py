"""The emails the mailroom sends back to a sender it knows: a refusal in the portal's words, and
the list of attachments it could not keep. Outbox rows (portal.outbox) in the ingestion's
transaction, threaded onto the sender's message and marked `Auto-Submitted: auto-replied`
(RFC 3834), from the vendor's support address. Unknown senders and automatic mail never get one."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portal.models import Notice, NoticeKind
from portal.outbox import notice_build, notice_save, notice_wanted, render_email, thread_id
from portal.selectors import email_language, user_timezone
from tickets.models import Ticket
from tickets.reply_address import reply_sender, vendor_sender

from .models import InboundMessage

MAIL_REFUSED = NoticeKind.MAIL_REFUSED
MAIL_ATTACHMENTS_REFUSED = NoticeKind.MAIL_ATTACHMENTS


def _name(user) -> str:
    return user.get_full_name() or user.username


def _threaded(notice: Notice, message: InboundMessage, ticket: Ticket | None) -> Notice:
    """In the sender's thread: In-Reply-To their message, References it (and the case's root)."""
    headers = dict(notice.headers)
    if not message.message_id.startswith("sha256:"):
        references = [message.message_id] + ([thread_id(ticket.number)] if ticket else [])
        headers.update({"In-Reply-To": message.message_id, "References": " ".join(references)})
    headers["Auto-Submitted"] = "auto-replied"
    notice.headers = headers
    return notice


def _answer(*, kind: str, template: str, message: InboundMessage, user, ticket, context: dict, sender: dict):
    if not notice_wanted(user=user, kind=kind):
        return None
    zone, language = user_timezone(user), email_language(user)
    # The reasons and the advice are texts made before rendering (ingest's lazy texts, tickets'
    # errors): written here in the recipient's language, as render_email writes the templates.
    with translation.override(language):
        context = {
            "recipient_name": _name(user),
            "subject": message.subject or gettext("(no subject)"),
            "vendor": message.vendor,
            "ticket": ticket,
            **context,
            "reasons": [str(reason) for reason in context.get("reasons", [])],
            **({"advice": str(context["advice"])} if "advice" in context else {}),
        }
    notice = notice_build(
        kind=kind,
        dedupe_key=f"{kind}:inbound{message.pk}",
        rendered=render_email(template, context, zone=zone, language=language),
        recipient=user,
        reference=ticket.number if ticket else "",
        **sender,
    )
    return notice_save(_threaded(notice, message, ticket))


def mail_refused(
    *,
    message: InboundMessage,
    user,
    reasons: list[str],
    advice: str,
    portal_url: str,
    ticket: Ticket | None = None,
) -> Notice | None:
    return _answer(
        kind=MAIL_REFUSED,
        template="mail_refused",
        message=message,
        user=user,
        ticket=ticket,
        context={"reasons": reasons, "advice": advice, "portal_url": portal_url},
        sender={"from_email": vendor_sender(message.vendor)},
    )


def mail_attachments_refused(
    *, message: InboundMessage, user, ticket: Ticket, reasons: list[str]
) -> Notice | None:
    """Sent with the case's reply address: answering it with the right files adds them."""
    ticket_url = settings.SITE_URL + reverse("tickets:detail", args=[ticket.number])
    sender = reply_sender(ticket)
    return _answer(
        kind=MAIL_ATTACHMENTS_REFUSED,
        template="mail_attachments_refused",
        message=message,
        user=user,
        ticket=ticket,
        context={
            "reasons": reasons,
            "ticket_url": ticket_url,
            "reply_by_email": "customer" if sender else "",
        },
        sender=sender,
    )
