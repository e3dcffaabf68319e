"""The SLA sweep (every minute, `tickets.tasks.sla_sweep_task`): it breaches the running targets
past their deadline and marks those past SLA_WARNING_SHARE of their time as warned, and has
tickets.notices write the escalations and warnings in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .. import notices
from ..deadlines import overdue, overdue_q
from ..models import SlaTarget, TargetState, Ticket
from . import sla

SWEEP_BATCH = 1000


@dataclass(frozen=True)
class SlaSweepResult:
    breached: int
    warned: int
    notices: int


def _lock_due(query) -> dict[int, Ticket]:
    """Lock the cases of the first batch of targets from `query`, in id order, the way the ticket
    services do (case row first, then its targets), so a reply racing the sweep cannot deadlock."""
    ticket_ids = sorted({ticket_id for ticket_id in query.values_list("ticket_id", flat=True)[:SWEEP_BATCH]})
    tickets = (
        Ticket.objects.select_for_update(of=("self",))
        .filter(pk__in=ticket_ids)
        .select_related("vendor", "organization", "priority", "assignee", "requester")
        .order_by("pk")
    )
    return {ticket.pk: ticket for ticket in tickets}


def _sweep_breaches(now: datetime) -> tuple[int, int]:
    # Uses the partial index sla_target_running_due: cost follows the targets coming due.
    due = SlaTarget.objects.filter(overdue_q(now), state=TargetState.RUNNING).order_by("due_at")
    with transaction.atomic():
        tickets = _lock_due(due)
        if not tickets:
            return 0, 0
        targets = list(SlaTarget.objects.select_for_update().filter(ticket_id__in=tickets))
        for target in targets:
            target.ticket = tickets[target.ticket_id]
        # Re-checked under the lock: a reply may have met the target since the first read.
        breached = [t for t in targets if t.state == TargetState.RUNNING and overdue(t.due_at, now)]
        sla.sla_breach(targets=breached, at=now)
        by_ticket: dict[int, list[SlaTarget]] = {}
        for target in targets:
            by_ticket.setdefault(target.ticket_id, []).append(target)
        for ticket_id, ticket_targets in by_ticket.items():
            sla.refresh_ticket_sla(tickets[ticket_id], ticket_targets)
        Ticket.objects.bulk_update(list(tickets.values()), ["sla_state", "next_due_at"], batch_size=500)
        return len(breached), notices.sla_escalations(breached)


def _sweep_warnings(now: datetime) -> tuple[int, int]:
    # Uses the partial index sla_target_running_warn (running, not yet warned, by warn_at).
    due = SlaTarget.objects.filter(state=TargetState.RUNNING, warned_at__isnull=True, warn_at__lte=now)
    with transaction.atomic():
        tickets = _lock_due(due.order_by("warn_at"))
        if not tickets:
            return 0, 0
        # Not yet overdue: at its deadline exactly a target still runs (tickets.deadlines).
        targets = list(due.select_for_update().filter(~overdue_q(now), ticket_id__in=tickets))
        for target in targets:
            target.ticket = tickets[target.ticket_id]
        SlaTarget.objects.filter(pk__in=[t.pk for t in targets]).update(warned_at=now)
        return len(targets), notices.sla_warnings(targets)


def sla_sweep(*, now: datetime | None = None) -> SlaSweepResult:
    """Every minute: breach the running targets past their deadline (escalating to the desk
    managers) and warn about those past SLA_WARNING_SHARE of their time (to the assignee; unassigned,
    the vendor's desk group, or the desk address). Each part handles up to SWEEP_BATCH targets a run; the
    next run takes the rest. Running it twice is harmless: what it changed no longer matches."""
    now = now or timezone.now()
    breached, escalations = _sweep_breaches(now)
    warned, warnings = _sweep_warnings(now)
    return SlaSweepResult(breached=breached, warned=warned, notices=escalations + warnings)
