"""The conversation: public replies and internal notes, and what they do to the clocks."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.markdown import render_markdown

from .. import notices
from ..models import Reply, Status, Ticket
from . import sla
from .tickets import _lock

EMPTY_REPLY = "Write a reply before sending."
NOTES_ARE_STAFF_ONLY = "Only the desk can add internal notes."
CLOSED_CASE = "This case is closed; reopen it to reply."


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
    """Add a reply. A staff public reply meets first response and restarts the update clock;
    a customer's reply to a case waiting on them resumes the clocks."""
    at = at or timezone.now()
    ticket = _lock(ticket)
    if not body.strip():
        raise ValidationError({"body": EMPTY_REPLY})
    if internal and not author.is_staff:
        raise ValidationError({"internal": NOTES_ARE_STAFF_ONLY})
    if ticket.status == Status.CLOSED:
        raise ValidationError({"body": CLOSED_CASE})
    reply = Reply(
        ticket=ticket,
        author=author,
        body=body,
        body_html=render_markdown(body),
        internal=internal,
        by_staff=author.is_staff,
        created_at=at,
    )
    reply.full_clean()
    reply.save()
    if internal:
        return reply
    if author.is_staff:
        waiting = wait_on_customer or ticket.status == Status.WAITING_ON_CUSTOMER
        if ticket.first_responded_at is None:
            ticket.first_responded_at = at
        if ticket.status == Status.NEW:
            ticket.status = Status.OPEN
        if wait_on_customer and ticket.status == Status.OPEN:
            sla.sla_pause(ticket=ticket, at=at)
            ticket.status = Status.WAITING_ON_CUSTOMER
            notices.waiting_on_customer(ticket)
        sla.sla_staff_replied(ticket=ticket, at=at, waiting=waiting)
        notices.staff_replied(ticket, reply)
    elif ticket.status == Status.WAITING_ON_CUSTOMER:
        ticket.status = Status.OPEN
        sla.sla_resume(ticket=ticket, at=at, detail="The customer answered")
    elif ticket.status == Status.RESOLVED:
        # A customer writing back to a resolved case reopens it.
        ticket.status, ticket.resolved_at, ticket.resolution_code = Status.OPEN, None, None
        sla.sla_reopen(ticket=ticket, at=at)
    ticket.updated_at = at
    ticket.save()
    return reply
