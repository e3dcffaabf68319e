"""The one breach rule (SPEC §2), and what a target's state means to a reader now.

A deadline is missed only once `now > due`, strictly: at `due` exactly the target still runs
with 0 s left, and an answer at `due` meets it. The admin badge and filter, the API, the
case page, the SLA sweep and the reports all ask these functions; none restates the rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q


def overdue(due_at: datetime | None, now: datetime) -> bool:
    """Has the deadline passed? Never for a target without one."""
    return due_at is not None and now > due_at


def overdue_q(now: datetime, field: str = "due_at") -> Q:
    """The same rule in SQL: rows whose `field` deadline has passed at `now`."""
    return Q(**{f"{field}__lt": now})


def breached_q(now: datetime, prefix: str = "") -> Q:
    """Targets breached at `now`: written down by the sweep, or running past their deadline
    before the sweep has come by. `prefix` reaches the target through a relation."""
    from .models import TargetState

    return Q(**{f"{prefix}state": TargetState.BREACHED}) | (
        Q(**{f"{prefix}state": TargetState.RUNNING}) & overdue_q(now, f"{prefix}due_at")
    )


@dataclass(frozen=True)
class TargetNow:
    """A target as a person sees it at one instant.

    `state` is the stored state, except that a running target past its deadline reads breached.
    `left` is the time until due (negative when overdue) while the desk still owes the answer;
    for a paused target, the support time left on its stopped clock; None once the target is
    settled (answered, withdrawn, not applicable). `answered_at` is the desk's answer, on
    time or late; `late` says it came after the deadline."""

    state: str
    left: timedelta | None
    answered_at: datetime | None
    late: bool


def target_now(target, *, now: datetime, case_open: bool, paused_left=None) -> TargetNow:
    """`paused_left(target)` computes the support time left of a paused target (its clock)."""
    from .models import TargetState

    state = target.state
    if state == TargetState.RUNNING and overdue(target.due_at, now):
        state = TargetState.BREACHED
    answered = target.fulfilled_at
    late = answered is not None and overdue(target.due_at, answered)
    left = None
    if state == TargetState.PAUSED and target.due_at is not None:
        left = paused_left(target) if paused_left else None
    elif target.due_at is not None and answered is None and case_open:
        if state in (TargetState.RUNNING, TargetState.BREACHED):
            left = target.due_at - now
    return TargetNow(state=state, left=left, answered_at=answered, late=late)
