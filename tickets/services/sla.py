"""The SLA targets of a ticket: fixed at opening, paused while waiting on the customer,
met by the desk's replies, recomputed on a priority change, stopped on resolution.

Every deadline is `add_business_time(started_at, duration + paused, clock)`: the pause
credit is business time on the target's own clock, so resuming moves the deadline by
exactly the support time that was lost (additivity of the clock makes this equal to
pushing the old deadline forward by the pause)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db.models import F

from policies import clock
from policies.calendars import to_clock
from policies.models import PolicyVersion, PriorityLevel, SupportCalendar, TargetKind
from policies.selectors import version_terms
from policies.services import PlannedTarget, SourceCode, target_duration
from portal.models import Organization

from ..deadlines import TargetNow, overdue, target_now
from ..models import SlaEvent, SlaTarget, TargetState, Ticket, Wait
from ..words import Cause, Said, event_words, in_english, source_words

STATE_RANK = {  # the ticket's SLA state is its worst target's
    TargetState.BREACHED: 0,
    TargetState.RUNNING: 1,
    TargetState.PAUSED: 2,
    TargetState.MET: 3,
    TargetState.WITHDRAWN: 4,
    TargetState.NOT_APPLICABLE: 5,
}


@lru_cache(maxsize=256)
def _clock_for(calendar_id: int | None) -> clock.Calendar:
    if calendar_id is None:
        return clock.Calendar.twenty_four_seven()
    calendar = SupportCalendar.objects.prefetch_related("windows", "closed_dates").get(pk=calendar_id)
    return to_clock(calendar)


def clock_of(target: SlaTarget) -> clock.Calendar:
    """The target's clock. Cached per process: a calendar of a published policy version is
    read-only (the admin refuses edits), so it does not change under a running ticket."""
    return _clock_for(target.calendar_id)


def forget_clocks() -> None:
    """Tests start each case with no clocks: their rolled-back calendars' ids come back."""
    _clock_for.cache_clear()


def planned_targets(*, version: PolicyVersion, priority: PriorityLevel) -> list[PlannedTarget]:
    """What the vendor's policy promises for this priority (contract overrides come first
    where a contract defines them; see `lifecycle`)."""
    source = {
        "vendor": version.vendor.name,
        "name": version.name,
        "key": version.key,
        "priority": priority.name,
    }
    return [
        PlannedTarget(
            kind=target.kind,
            duration=target_duration(target, _clock_for(target.calendar_id)),
            calendar=target.calendar,
            source_code=SourceCode.POLICY,
            source_params=source,
        )
        for target in version_terms(version).targets_of(priority)
    ]


def _due(target: SlaTarget) -> datetime:
    return clock.add_business_time(target.started_at, target.duration + target.paused, clock_of(target))


def warn_at(target: SlaTarget) -> datetime | None:
    """When the SLA warning is due: SLA_WARNING_SHARE of the target's open time used, on its
    own clock (pause credit included), so a warning never lands in closed hours early."""
    if target.state != TargetState.RUNNING or target.due_at is None or target.started_at is None:
        return None
    share = settings.SLA_WARNING_SHARE
    used = target.duration * share + target.paused
    return clock.add_business_time(target.started_at, used, clock_of(target))


def case_language(ticket: Ticket) -> str:
    """A case's own language (issue 22): its organization's, whose people read it, else the desk's
    default."""
    if Ticket.organization.is_cached(ticket):
        return organization_language(ticket.organization)
    language = Organization.objects.filter(pk=ticket.organization_id).values_list("language", flat=True)
    return language.first() or settings.LANGUAGE_CODE


def organization_language(organization: Organization) -> str:
    """What the desk writes for an organization's people reads in: its language, else the desk's."""
    return organization.language or settings.LANGUAGE_CODE


def _event(target: SlaTarget, kind: str, at: datetime, cause: Said | None) -> SlaEvent:
    """An event row: its cause as a code and values, worded for each reader (tickets.words), and the
    English words kept beside them."""
    cause = cause or Said("")
    detail = in_english(event_words, cause.code, cause.params) if cause.code else ""
    return SlaEvent(
        target=target,
        kind=kind,
        at=at,
        due_at=target.due_at,
        code=cause.code,
        params=cause.params,
        detail=detail,
    )


def _record(target: SlaTarget, kind: str, at: datetime, cause: Said | None = None) -> None:
    target.warn_at = warn_at(target)
    target.save()
    _event(target, kind, at, cause).save()


def _start(
    target: SlaTarget, at: datetime, kind: str = SlaEvent.Kind.STARTED, cause: Said | None = None
) -> None:
    target.state = TargetState.RUNNING
    target.started_at = at
    target.paused = timedelta(0)
    target.paused_since = None
    target.met_at = target.breached_at = target.fulfilled_at = target.warned_at = None
    target.response_business_time = None
    target.due_at = _due(target)
    _record(target, kind, at, cause)


# The targets the case's current priority gets (contract first), asked only when needed.
Terms = Callable[[], list[PlannedTarget]]
_UNSETTLED = (TargetState.RUNNING, TargetState.PAUSED, TargetState.NOT_APPLICABLE)


def _restart(target: SlaTarget, at: datetime, cause: Said, terms: Terms) -> None:
    """Run a target's clock again from `at` (a staff update, a reopening), on the case's current
    terms (SPEC §2: the new duration). A running or paused target has them already (a priority
    change recomputes those); any other may not: a settled one keeps the terms it was measured by
    (its explanation reads them), and one not applicable may have stopped under a priority that
    has none. Where the current terms have no target of its kind (Albert Low; a contract's update
    target agreed for one priority only), it runs again with no deadline: none is invented."""
    if target.state not in (TargetState.RUNNING, TargetState.PAUSED):
        plan = next((p for p in terms() if p.kind == target.kind), None)
        if plan is None:
            _start(target, at, SlaEvent.Kind.RESTARTED, cause)
            target.state, target.due_at = TargetState.NOT_APPLICABLE, None
            _record(target, SlaEvent.Kind.STOPPED, at, cause.also(no_such_target=True))
            return
        target.duration, target.calendar = plan.duration, plan.calendar
        _set_source(target, plan)
    _start(target, at, SlaEvent.Kind.RESTARTED, cause)


def _answer(target: SlaTarget, at: datetime) -> None:
    """The desk's answer is a fact, recorded whenever it comes: its time, and the open time on
    the target's own clock from the start to it, waiting on the customer excluded (reports)."""
    target.fulfilled_at = at
    elapsed = clock.business_time_between(target.started_at, at, clock_of(target))
    target.response_business_time = max(elapsed - target.paused, timedelta(0))


def _fulfil(target: SlaTarget, at: datetime, cause: Said) -> None:
    """Answer a running target: met at or before its deadline, breached after it."""
    _answer(target, at)
    if not overdue(target.due_at, at):
        target.state, target.met_at = TargetState.MET, at
        _record(target, SlaEvent.Kind.MET, at, cause)
    else:
        target.state, target.breached_at = TargetState.BREACHED, target.due_at
        _record(target, SlaEvent.Kind.BREACHED, at, cause.also(late=True))


def _answer_late(target: SlaTarget, at: datetime, cause: Said) -> None:
    """The sweep (or a pause) already wrote the breach; the answer still counts, with its time."""
    _answer(target, at)
    _record(target, SlaEvent.Kind.ANSWERED_LATE, at, cause.also(late=True))


def _answer_first_response(target: SlaTarget, at: datetime, cause: Said) -> None:
    if target.state == TargetState.PAUSED:
        _resume(target, at, Said(Cause.DESK_REPLIED))
    if target.state == TargetState.RUNNING:
        _fulfil(target, at, cause)
    elif target.state == TargetState.BREACHED and target.fulfilled_at is None:
        _answer_late(target, at, cause)


def _paused_left(target: SlaTarget) -> timedelta:
    """The support time a paused target had left when its clock stopped."""
    if target.paused_since is None or target.paused_since >= target.due_at:
        return timedelta(0)
    return clock.business_time_between(target.paused_since, target.due_at, clock_of(target))


def sla_now(target: SlaTarget, *, ticket: Ticket, now: datetime) -> TargetNow:
    """The target as the case page, the API and admin show it at `now` (tickets.deadlines)."""
    return target_now(target, now=now, case_open=ticket.is_open, paused_left=_paused_left)


def refresh_ticket_sla(ticket: Ticket, targets: list[SlaTarget]) -> None:
    """Keep the list columns in step: the next running deadline and the worst state."""
    running = [t.due_at for t in targets if t.state == TargetState.RUNNING and t.due_at]
    ticket.next_due_at = min(running) if running else None
    states = [t.state for t in targets] or [TargetState.NOT_APPLICABLE]
    ticket.sla_state = min(states, key=STATE_RANK.__getitem__)


def _targets(ticket: Ticket) -> list[SlaTarget]:
    return list(ticket.sla_targets.select_for_update().order_by("kind"))


def _set_source(target: SlaTarget, plan: PlannedTarget) -> None:
    target.source_code, target.source_params = plan.source_code, plan.source_params
    target.source = in_english(source_words, plan.source_code, plan.source_params)


def sla_plan(*, planned: list[PlannedTarget], opened_at: datetime) -> list[SlaTarget]:
    """The targets a case opened at `opened_at` gets, computed but not saved, so the case row
    can carry its SLA columns from its first insert. The update target waits for the desk's
    first reply: it measures the gap between updates of a case in progress."""
    targets = []
    for plan in planned:
        target = SlaTarget(kind=plan.kind, duration=plan.duration, calendar=plan.calendar)
        _set_source(target, plan)
        if plan.kind == TargetKind.UPDATE:
            target.state = TargetState.NOT_APPLICABLE
        else:
            target.state, target.started_at = TargetState.RUNNING, opened_at
            target.due_at = _due(target)
            target.warn_at = warn_at(target)
        targets.append(target)
    return targets


def sla_start(*, ticket: Ticket, targets: list[SlaTarget]) -> list[SlaTarget]:
    """Save the planned targets of a newly saved case: two statements however many targets."""
    for target in targets:
        target.ticket = ticket
        target.recomputations = []  # a new case's priority was never changed: its explanation need not look
    SlaTarget.objects.bulk_create(targets)
    SlaEvent.objects.bulk_create(
        SlaEvent(target=t, kind=SlaEvent.Kind.STARTED, at=t.started_at, due_at=t.due_at)
        for t in targets
        if t.started_at is not None
    )
    return targets


def sla_breach(*, targets: list[SlaTarget], at: datetime) -> None:
    """The SLA sweep found these running targets past their deadlines: each was breached at its
    `due_at`. Written in bulk, so a sweep costs a few statements per batch, not per target (the
    explanation does not mention the state, so it stays as it is). The caller holds the
    tickets' locks and refreshes their SLA columns with `refresh_ticket_sla`."""
    for target in targets:
        target.state, target.breached_at, target.warn_at = TargetState.BREACHED, target.due_at, None
    SlaTarget.objects.filter(pk__in=[t.pk for t in targets]).update(
        state=TargetState.BREACHED, breached_at=F("due_at"), warn_at=None
    )
    no_answer = Said(Cause.NO_ANSWER)
    SlaEvent.objects.bulk_create(
        [_event(t, SlaEvent.Kind.BREACHED, at, no_answer) for t in targets], batch_size=500
    )


def sla_pause(*, ticket: Ticket, at: datetime) -> None:
    """The case waits on the customer from `at`: a new wait, and every running target pauses.
    A target already overdue cannot be saved by waiting now: it is breached at its deadline."""
    Wait.objects.create(ticket=ticket, started_at=at)
    targets = _targets(ticket)
    for target in targets:
        if target.state != TargetState.RUNNING:
            continue
        if overdue(target.due_at, at):
            target.state, target.breached_at = TargetState.BREACHED, target.due_at
            _record(target, SlaEvent.Kind.BREACHED, at, Said(Cause.OVERDUE_WHEN_WAITING))
            continue
        target.state, target.paused_since = TargetState.PAUSED, at
        _record(target, SlaEvent.Kind.PAUSED, at, Said(Cause.WAITING))
    refresh_ticket_sla(ticket, targets)


def _end_wait(ticket: Ticket, at: datetime) -> None:
    Wait.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=at)


def _resume(target: SlaTarget, at: datetime, cause: Said) -> None:
    credit = clock.business_time_between(target.paused_since, at, clock_of(target))
    target.paused += credit
    target.paused_since = None
    target.state = TargetState.RUNNING
    target.due_at = _due(target)
    credited = int(credit.total_seconds())
    _record(target, SlaEvent.Kind.RESUMED, at, cause.also(credited_seconds=credited))


CUSTOMER_ANSWERED = Said(Cause.CUSTOMER_ANSWERED)
CUSTOMER_CLOSED = Said(Cause.CUSTOMER_CLOSED)


def sla_resume(*, ticket: Ticket, at: datetime, cause: Said = CUSTOMER_ANSWERED) -> None:
    _end_wait(ticket, at)
    targets = _targets(ticket)
    for target in targets:
        if target.state == TargetState.PAUSED:
            _resume(target, at, cause)
    refresh_ticket_sla(ticket, targets)


def sla_staff_replied(*, ticket: Ticket, at: datetime, waiting: bool, terms: Terms) -> None:
    """A staff public reply answers the first-response target (on time or late, whatever the
    sweep wrote meanwhile) and restarts the update clock (`terms`: see `_restart`)."""
    targets = _targets(ticket)
    for target in targets:
        if target.kind == TargetKind.FIRST_RESPONSE:
            _answer_first_response(target, at, Said(Cause.DESK_FIRST_REPLY))
        elif target.kind == TargetKind.UPDATE and target.duration and ticket.is_open:
            # A resolved case's clocks have stopped: a later staff note to it starts none.
            if target.state == TargetState.RUNNING and overdue(target.due_at, at):
                target.state, target.breached_at = TargetState.BREACHED, target.due_at
                _record(target, SlaEvent.Kind.BREACHED, at, Said(Cause.UPDATE_LATE))
            _restart(target, at, Said(Cause.DESK_UPDATED), terms)
            if waiting:
                target.state, target.paused_since = TargetState.PAUSED, at
                _record(target, SlaEvent.Kind.PAUSED, at, Said(Cause.WAITING))
    refresh_ticket_sla(ticket, targets)


def sla_resolve(*, ticket: Ticket, at: datetime, cause: Said) -> None:
    """Resolution stops every clock. The resolving message is the desk's answer: an unanswered
    first response is met or breached by it; an update target still open is met if the case
    was resolved by its deadline."""
    _end_wait(ticket, at)
    targets = _targets(ticket)
    for target in targets:
        if target.kind == TargetKind.FIRST_RESPONSE:
            _answer_first_response(target, at, cause)
        else:
            _settle(target, at, cause)
    refresh_ticket_sla(ticket, targets)


def _settle(target: SlaTarget, at: datetime, cause: Said) -> None:
    """The case ends at `at`: an open target is met by then or breached; one the sweep already
    breached records the end as its late answer, so what the case shows never depends on
    whether the sweep came by first."""
    if target.state == TargetState.PAUSED:
        _resume(target, at, cause)
    if target.state == TargetState.RUNNING:
        _fulfil(target, at, cause)
    elif target.state == TargetState.BREACHED and target.fulfilled_at is None:
        _answer_late(target, at, cause)


def sla_withdraw(*, ticket: Ticket, at: datetime, cause: Said = CUSTOMER_CLOSED) -> None:
    """The customer closes a case they no longer need. An unanswered first response still in
    time is withdrawn (neither met nor breached); one already overdue stays breached, as a wait
    begun too late does. An update target still open is met if closed by its deadline."""
    _end_wait(ticket, at)
    targets = _targets(ticket)
    for target in targets:
        if target.kind != TargetKind.FIRST_RESPONSE:
            _settle(target, at, cause)
            continue
        if target.state == TargetState.PAUSED:
            _resume(target, at, cause)
        if target.state != TargetState.RUNNING:
            continue
        if overdue(target.due_at, at):
            target.state, target.breached_at = TargetState.BREACHED, target.due_at
            _record(target, SlaEvent.Kind.BREACHED, at, cause.also(unanswered=True))
        else:
            target.state, target.warn_at = TargetState.WITHDRAWN, None
            _record(target, SlaEvent.Kind.WITHDRAWN, at, Said(Cause.WITHDRAWN))
    refresh_ticket_sla(ticket, targets)


def sla_reopen(*, ticket: Ticket, at: datetime, terms: Terms) -> None:
    """A reopened case is in progress again: a withdrawn first response starts again from the
    reopening with its full duration, and the update clock restarts from the reopening, each on
    the case's current terms (`_restart`). So does an unanswered first response that had no target
    when the customer closed the case (a priority without one had stopped it): the customer withdrew
    the question all the same, and a later priority with the target runs it from the reopening."""
    targets = _targets(ticket)
    for target in targets:
        restarts = (
            target.state == TargetState.WITHDRAWN
            or (target.kind == TargetKind.UPDATE and ticket.first_responded_at and target.duration)
            or (
                target.kind == TargetKind.FIRST_RESPONSE
                and target.state == TargetState.NOT_APPLICABLE
                and ticket.first_responded_at is None
            )
        )
        if restarts:
            _restart(target, at, Said(Cause.REOPENED), terms)
    refresh_ticket_sla(ticket, targets)


def _waits(ticket: Ticket) -> list[Wait]:
    return list(Wait.objects.filter(ticket=ticket).order_by("started_at", "id"))


def _recount(target: SlaTarget, waits: list[Wait], until: datetime | None = None) -> None:
    """Set the target's pause credit and deadline from the case's waits, measured on its own
    clock (SPEC §2: the same intervals recounted, never the credit of another clock). A wait
    counts only if it began by the deadline the waits before it give: a case set to wait after
    its deadline had passed was already breached. `until`: the waits as they stood then."""
    target.paused, target.paused_since = timedelta(0), None
    calendar = clock_of(target)
    for wait in waits:
        since = max(wait.started_at, target.started_at)
        ended = wait.ended_at
        if until is not None:
            if since >= until:
                break
            ended = None if ended is None or ended > until else ended
        if ended is not None and ended <= since:
            continue
        if overdue(_due(target), since):
            break
        if ended is None:
            target.paused_since = since
            break
        target.paused += clock.business_time_between(since, ended, calendar)
    target.due_at = _due(target)


def _replan(target: SlaTarget, waits: list[Wait], at: datetime, reason: Said) -> None:
    """A running or paused target under its new terms, from its original start."""
    _recount(target, waits)
    if target.paused_since is not None and overdue(target.due_at, target.paused_since):
        target.state, target.breached_at = TargetState.BREACHED, target.due_at
    elif target.paused_since is not None:
        target.state = TargetState.PAUSED
    else:
        target.state = TargetState.RUNNING
    _record(target, SlaEvent.Kind.RECOMPUTED, at, reason)


def sla_recompute(*, ticket: Ticket, planned: list[PlannedTarget], at: datetime, reason: Said) -> None:
    """A priority change: every target not yet settled is recomputed from its original start (for
    a first response the opening, or the reopening that restarted it) with the new duration and
    clock, the case's waits recounted on that clock. A settled target (met, breached, withdrawn)
    keeps its outcome."""
    targets = {t.kind: t for t in _targets(ticket)}
    for target in targets.values():
        if target.state == TargetState.RUNNING and overdue(target.due_at, at):
            # Already missed under the old terms: settled, whether or not the sweep came by.
            target.state, target.breached_at = TargetState.BREACHED, target.due_at
            _record(target, SlaEvent.Kind.BREACHED, at, Said(Cause.NO_ANSWER))
    waits = _waits(ticket)
    for plan in planned:
        target = targets.get(plan.kind)
        if target is None:
            target = SlaTarget(ticket=ticket, kind=plan.kind, state=TargetState.NOT_APPLICABLE)
            targets[plan.kind] = target
        if target.state not in _UNSETTLED:
            continue  # settled: keeps its outcome and the terms it was measured by (see _restart)
        target.duration, target.calendar = plan.duration, plan.calendar
        _set_source(target, plan)
        if target.state == TargetState.NOT_APPLICABLE:
            # A first response runs from its start: the opening, or the reopening that restarted a
            # withdrawn one, kept while a priority without the target stopped it (SPEC §2). An update
            # target waits for the next staff update.
            first = target.started_at or ticket.opened_at
            target.started_at = first if plan.kind != TargetKind.UPDATE else None
        if target.started_at is None:
            target.save()
            continue
        _replan(target, waits, at, reason)
        answered = ticket.first_responded_at
        if plan.kind == TargetKind.FIRST_RESPONSE and answered and target.fulfilled_at is None:
            # A target the new priority adds after the desk answered: measured at that answer.
            _recount(target, waits, until=answered)
            target.state = TargetState.PAUSED if target.paused_since else TargetState.RUNNING
            _answer_first_response(target, answered, Said(Cause.DESK_FIRST_REPLY))
    planned_kinds = {plan.kind for plan in planned}
    for kind, target in targets.items():
        if kind not in planned_kinds and target.state in (TargetState.RUNNING, TargetState.PAUSED):
            target.state = TargetState.NOT_APPLICABLE
            target.due_at = target.paused_since = None
            _record(target, SlaEvent.Kind.STOPPED, at, reason.also(no_such_target=True))
        elif kind not in planned_kinds and target.state == TargetState.NOT_APPLICABLE and target.duration:
            # An update target still waiting for the desk's first answer: the new terms have none,
            # so it waits no more (no duration: no answer starts it; tickets.explain says so).
            target.duration = timedelta(0)
            _record(target, SlaEvent.Kind.STOPPED, at, reason.also(no_such_target=True))
    refresh_ticket_sla(ticket, list(targets.values()))
