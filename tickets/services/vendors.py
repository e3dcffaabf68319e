"""The vendor's side of a case (issue 20 point 6): the vendor's own case reference ("assigned to
Albert in Albert's incident management system") and the "with the vendor" marker while the desk
waits on the vendor's answer. Each handing is a tickets.VendorHandoff, so the month's vendor-
responsiveness table (reports.responsiveness) measures how long each vendor took to answer.

Only a marker: the desk's clocks keep running and the case's status is untouched, since the
customer's promise is the desk's, whoever it waits on."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ..models import OPEN_STATUSES, Ticket, VendorHandoff
from .tickets import _desk_only, _lock, _now

ALREADY_WITH_VENDOR = _("The case is with the vendor since {since:%Y-%m-%d %H:%M}: record its answer first.")
NOT_WITH_VENDOR = _("The case is not with the vendor.")
NOT_OPEN = _("Only an open case is handed to the vendor; this one is {status}.")


def _reference(ticket: Ticket, reference: str | None) -> None:
    reference = (reference or "").strip()
    if reference:
        ticket.vendor_reference = reference


@transaction.atomic
def ticket_hand_to_vendor(
    *, ticket: Ticket, by, reference: str = "", at: datetime | None = None
) -> VendorHandoff:
    """The desk passes the case to its vendor (with the vendor's case number, if it has one) and
    now waits on the vendor's answer. Staff only; an open case not already with the vendor."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_only(by, "reference")
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError({"status": NOT_OPEN.format(status=ticket.get_status_display().lower())})
    if ticket.with_vendor_since is not None:
        raise ValidationError({"status": ALREADY_WITH_VENDOR.format(since=ticket.with_vendor_since)})
    _reference(ticket, reference)
    ticket.with_vendor_since = at
    ticket.save(update_fields=["vendor_reference", "with_vendor_since"])
    return VendorHandoff.objects.create(
        ticket=ticket, reference=ticket.vendor_reference, sent_at=at, sent_by=by
    )


@transaction.atomic
def ticket_vendor_answered(
    *, ticket: Ticket, by, reference: str = "", at: datetime | None = None
) -> VendorHandoff:
    """The vendor answered the desk: the marker goes, the handing is closed at `at`."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_only(by, "reference")
    handoff = ticket.vendor_handoffs.filter(answered_at__isnull=True).order_by("-sent_at").first()
    if ticket.with_vendor_since is None or handoff is None:
        raise ValidationError({"status": NOT_WITH_VENDOR})
    _reference(ticket, reference)
    ticket.with_vendor_since = None
    ticket.save(update_fields=["vendor_reference", "with_vendor_since"])
    handoff.answered_at = at
    if ticket.vendor_reference and not handoff.reference:
        handoff.reference = ticket.vendor_reference
    handoff.save(update_fields=["answered_at", "reference"])
    return handoff


@transaction.atomic
def ticket_set_vendor_reference(*, ticket: Ticket, by, reference: str) -> Ticket:
    """Record (or correct) the vendor's own case number without handing the case over."""
    ticket = _lock(ticket)
    _desk_only(by, "reference")
    ticket.vendor_reference = (reference or "").strip()
    ticket.save(update_fields=["vendor_reference"])
    return ticket
