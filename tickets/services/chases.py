"""Chasing the customer (issue 20 point 2): while a case waits on the customer, each reminder of
the desk is recorded with its time as a tickets.Chase of the open wait and emailed through the
outbox, so a pause can be shown to be "reasonable and provable" (Albert) in the month's review
(reports.periods lists them as the pause's evidence).

Two kinds: the desk's own (`ticket_chase`, staff only) and the automatic reminder of the sweep
(`chase_sweep`, every minute), due once the vendor's `chase_interval_hours` (wall-clock hours)
have passed since the wait began or since its last reminder, whichever is later. Exactly once
per interval: the case's lock and a re-check decide, and the email's dedupe key names the
interval (the wait and the reminder it follows), so a second sweep can never mail it again."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policies.models import Vendor

from .. import notices
from ..models import Chase, Status, Ticket, Wait
from .tickets import _desk_only, _lock, _now

CHASE_BATCH = 500
NOT_WAITING = _("Only a case waiting on the customer is chased; this one is {status}.")


def _open_wait(ticket: Ticket) -> Wait | None:
    return ticket.waits.filter(ended_at__isnull=True).order_by("-started_at", "-pk").first()


def _last_chase(wait: Wait) -> Chase | None:
    return wait.chases.order_by("-at", "-pk").first()


def chase_due_at(ticket: Ticket, wait: Wait, last: Chase | None) -> datetime | None:
    """When the automatic reminder of this wait is due; None when the vendor sets no interval."""
    hours = ticket.vendor.chase_interval_hours
    if not hours:
        return None
    since = max(wait.started_at, last.at) if last is not None else wait.started_at
    return since + timedelta(hours=hours)


def _record(ticket: Ticket, wait: Wait, *, by, message: str, at: datetime, slot: str | None) -> Chase:
    chase = Chase.objects.create(wait=wait, at=at, by=by, message=message)
    notices.case_chased(ticket, chase, slot=slot)
    return chase


@transaction.atomic
def ticket_chase(*, ticket: Ticket, by, message: str = "", at: datetime | None = None) -> Chase:
    """The desk reminds the customer that the case waits on them, with an optional message; the
    reminder is recorded and mailed to the case's people. Staff only; a waiting case only."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_only(by, "message")
    wait = _open_wait(ticket)
    if ticket.status != Status.WAITING_ON_CUSTOMER or wait is None:
        raise ValidationError({"status": NOT_WAITING.format(status=ticket.get_status_display().lower())})
    return _record(ticket, wait, by=by, message=(message or "").strip(), at=at, slot=None)


@transaction.atomic
def _chase_automatically(ticket_id: int, now: datetime) -> Chase | None:
    ticket = _lock(Ticket(pk=ticket_id))
    wait = _open_wait(ticket)
    if ticket.status != Status.WAITING_ON_CUSTOMER or wait is None:
        return None
    last = _last_chase(wait)
    due = chase_due_at(ticket, wait, last)
    if due is None or due > now:  # answered, or chased, since the sweep's first read
        return None
    slot = f"wait{wait.pk}:after{last.pk if last else 0}"
    return _record(ticket, wait, by=None, message="", at=now, slot=slot)


def chase_sweep(*, now: datetime | None = None) -> int:
    """Send the automatic reminders due at `now`; returns how many. Per vendor with an interval,
    the open waits of waiting cases begun at least an interval ago with no reminder since; up to
    CHASE_BATCH cases a vendor per run, the next run takes the rest. Each case in its own
    transaction, under its lock."""
    now = now or timezone.now()
    chased = 0
    for vendor in Vendor.objects.filter(chase_interval_hours__gt=0).only("pk", "chase_interval_hours"):
        cutoff = now - timedelta(hours=vendor.chase_interval_hours)
        due = (
            Wait.objects.filter(
                ended_at__isnull=True,
                started_at__lte=cutoff,
                ticket__vendor=vendor,
                ticket__status=Status.WAITING_ON_CUSTOMER,
            )
            .exclude(chases__at__gt=cutoff)
            .order_by("ticket_id")
            .values_list("ticket_id", flat=True)
            .distinct()
        )
        for ticket_id in list(due[:CHASE_BATCH]):
            if _chase_automatically(ticket_id, now) is not None:
                chased += 1
    return chased
