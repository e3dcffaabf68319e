"""Canned replies: a vendor's (or every vendor's) stock answer, its placeholders filled for one case.

The text is filled, shown to the agent in the reply box to read and edit, and only then sent as
an ordinary reply (reply_add): nothing here sends anything."""

from __future__ import annotations

from datetime import datetime
from string import Formatter

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.selectors import person_name, user_timezone

from ..models import CannedReply, TargetState, Ticket

# Placeholder → what it is filled with; the admin's help text lists them.
PLACEHOLDERS = {
    "customer_name": "the requester's name",
    "case_number": "the case number, e.g. ALC-000123",
    "subject": "the case's subject",
    "vendor": "the vendor's name",
    "agent_name": "your name",
    "first_response_due": "the first response deadline, in the customer's time zone",
    "update_due": "the next update deadline, in the customer's time zone",
    "next_due": "the case's next deadline, in the customer's time zone",
}
UNKNOWN_PLACEHOLDER = gettext_lazy(
    "Unknown placeholder {{{name}}}; use one of: {choices}. Write {{{{ and }}}} for braces."
)
BAD_BRACES = gettext_lazy("Unmatched brace: write {{ and }} for a literal brace.")
NO_DEADLINE = "no running deadline"
NOT_THIS_VENDOR = gettext_lazy("This canned reply is for another vendor's cases.")


def canned_reply_check(body: str) -> None:
    """Refuse a body whose placeholders would not fill (a typo would reach the customer)."""
    try:
        names = [name for _, name, _, _ in Formatter().parse(body) if name is not None]
    except ValueError:
        raise ValidationError({"body": BAD_BRACES}) from None
    for name in names:
        if name not in PLACEHOLDERS:
            choices = ", ".join(f"{{{key}}}" for key in PLACEHOLDERS)
            raise ValidationError({"body": UNKNOWN_PLACEHOLDER.format(name=name, choices=choices)})


def canned_replies_for(ticket: Ticket) -> QuerySet[CannedReply]:
    """The canned replies offered on a case: its vendor's and every vendor's."""
    return CannedReply.objects.filter(Q(vendor__isnull=True) | Q(vendor_id=ticket.vendor_id))


def _deadline(when: datetime | None, zone) -> str:
    if when is None:
        return NO_DEADLINE
    local = timezone.localtime(when, zone)
    return f"{local:%a %d %b %Y %H:%M} {local:%Z} ({zone})"


def canned_reply_render(*, canned: CannedReply, ticket: Ticket, agent) -> str:
    """The canned reply's text for this case, deadlines in the customer's own zone."""
    if canned.vendor_id is not None and canned.vendor_id != ticket.vendor_id:
        raise ValidationError({"canned": NOT_THIS_VENDOR})
    zone = user_timezone(ticket.requester)
    running = {t.kind: t.due_at for t in ticket.sla_targets.all() if t.state == TargetState.RUNNING}
    values = {
        "customer_name": person_name(ticket.requester),
        "case_number": ticket.number,
        "subject": ticket.subject,
        "vendor": ticket.vendor.name,
        "agent_name": person_name(agent),
        "first_response_due": _deadline(running.get("first_response"), zone),
        "update_due": _deadline(running.get("update"), zone),
        "next_due": _deadline(ticket.next_due_at, zone),
    }
    return canned.body.format_map(values)
