"""The conversation: public replies and internal notes, and what they do to the case.

A reply moves the case only through the transition services (tickets.py): a customer's
reply to a case waiting on them resumes it, to a resolved case reopens it; a staff reply
"then wait on the customer" sets it waiting. Nothing here restates those rules."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.selectors import user_membership
from portal.transactions import retry_once_on_conflict

from .. import notices
from ..models import Reply, Status, Ticket
from .tickets import (
    DESK_ONLY,
    EMPTY_REPLY,
    _lock,
    check_not_merged,
    reply_save,
    staff_answered,
    ticket_reopen,
    ticket_resume,
    ticket_wait_on_customer,
)

__all__ = ["EMPTY_REPLY", "reply_add"]

NOTES_ARE_STAFF_ONLY = _("Only the desk can add internal notes.")
CLOSED_CASE = _("This case is closed; reopen it to reply.")
NOT_YOUR_CASE = _("You can reply only to your organization's cases.")


def _check_author(ticket: Ticket, author, internal: bool, wait_on_customer: bool) -> None:
    if internal and not author.is_staff:
        raise ValidationError({"internal": NOTES_ARE_STAFF_ONLY})
    if wait_on_customer and not author.is_staff:
        raise ValidationError({"wait_on_customer": DESK_ONLY})
    if not author.is_staff and ticket.organization_id != getattr(
        user_membership(author), "organization_id", None
    ):
        raise ValidationError({"body": NOT_YOUR_CASE})
    if ticket.status == Status.CLOSED:
        check_not_merged(ticket, "body")  # reopening it would be refused: say where to write
        raise ValidationError({"body": CLOSED_CASE})


@retry_once_on_conflict
@transaction.atomic
def reply_add(
    *,
    ticket: Ticket,
    author,
    body: str,
    internal: bool = False,
    wait_on_customer: bool = False,
    at: datetime | None = None,
) -> Reply:
    """Add a reply. A staff public reply is the desk's answer (first response, update clock, an
    email to the customer); a customer's reply resumes or reopens the case and tells the desk.
    "Then wait on the customer" sets the case waiting, after a public reply or a note alike."""
    ticket = _lock(ticket)
    at = at or timezone.now()  # taken under the case's lock: the timeline stays in order
    _check_author(ticket, author, internal, wait_on_customer)
    reply = reply_save(ticket=ticket, author=author, body=body, internal=internal, at=at)
    if wait_on_customer and author.is_staff and ticket.status in (Status.NEW, Status.OPEN):
        # First, so the reply's email says "waiting on you" instead of sending two emails.
        ticket = ticket_wait_on_customer(ticket=ticket, by=author, at=at)
        reply.ticket = ticket
    if internal:
        return reply
    if author.is_staff:
        staff_answered(ticket=ticket, reply=reply, at=at)
    else:
        if ticket.status == Status.WAITING_ON_CUSTOMER:
            ticket = ticket_resume(ticket=ticket, by=author, at=at)
        elif ticket.status == Status.RESOLVED:
            ticket = ticket_reopen(ticket=ticket, by=author, at=at)
        reply.ticket = ticket
        notices.customer_replied(ticket, reply)
    ticket.updated_at = at
    ticket.save()
    return reply
