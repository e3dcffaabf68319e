"""Random case lives against an independent oracle (issue 15 acceptance).

Hypothesis drives a case through its life — open, wait on the customer (staff sets it, a
staff reply "then wait", an internal note "then wait"), the customer answers, the desk
answers, priority changes across clocks, resolve (with its message), the customer closes,
reopens, the SLA sweep at random moments — on every seed vendor, each step at an explicit
`at`, strictly increasing, and checks that what the API shows the customer for each SLA
target (`due_at`, `state`, `remaining_seconds`, `answered_at`, `answered_late`) equals what
this file computes from the policy terms, to the second.

The oracle is written here from SPEC §2/§3 and the README's choices and shares no code with
`tickets.services.sla` or `policies.clock`: its business time walks the calendar day by day
in the vendor's zone with zoneinfo (slow and obvious), and its targets are a function of the
case's events (the waits, the answers, the settling events), not a replay of the service's
bookkeeping. The rules it implements:

- A target runs from its start (first response: the opening; a withdrawn first response
  restarted by a reopening: the reopening; update: the desk's latest public reply, or the
  reopening of an answered case) for its duration on its own clock, plus the pause credit.
- Pause credit: for each wait on the customer in order, clipped to the target's start, the
  support time on the target's own clock of the wait — counted only if the wait began by the
  deadline the earlier waits give. A wait begun after that deadline finds the target
  breached, and no later wait counts.
- The one breach rule: once `now > due` (strictly) an unanswered running target is breached,
  and that is its outcome whatever happens next (a wait, a priority change, a close): the
  sweep only writes down what is already so, so running it never changes what is shown.
- First response: met by the first staff public reply (or resolving, whose message is the
  answer) at or before due; a later answer is recorded as `answered_at`, `answered_late`.
  A customer's close before any answer withdraws it if still in time; a reopening restarts a
  withdrawn first response from the reopening with its full duration, and one that had no target
  at the close (a priority without it) from the reopening too, for a later priority that has it.
- Update (Alectrona): starts at the desk's first public reply, restarts at each later staff
  public reply of a case in progress and at the reopening of an answered case; resolving or
  the customer's close settles it at that moment (met if by its deadline, else breached, the
  settling time recorded as its answer either way).
- A priority change recomputes every unsettled target from its start with the new duration
  and clock, the waits recounted on the new clock; a settled target keeps its outcome (and
  takes the new terms only for a later restart); a target the new priority lacks becomes not
  applicable; a first-response target the new priority adds runs from the opening — and if
  the desk had already answered, that answer is its answer. One that a priority without it had
  stopped runs again from where it had started (the opening, or the reopening that restarted it).

Infotecs is included with a contract of the customer's organization that agrees its own
targets (critical 4 h, normal 24 h first response, both on 24×7). The update target is
checked for Alectrona as well as the first response.

The four disagreements this test found (KNOWN, D1-D4) are fixed; a hand-computed life pins
each. CASE_LIVES_STEER=1 brings back the steering that once walked the random lives round
them (for comparing with an old commit), CASE_LIVES_EXAMPLES=<n> sets the lives per
vendor, CASE_LIVES_SHRINK=1 to let hypothesis shrink a failing life (slow: each example
writes a case through the services).

Left out: staff resuming a case (`ticket_resume` by the desk), subordinate incidents,
contract update or resolution targets, a policy version changing mid-life, SLA warnings,
the explanation text and the list columns (`next_due_at`).
"""

from __future__ import annotations

import os
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from lifecycle.models import ContractTarget
from policies.models import DurationUnit, TargetKind
from tickets.api.common import SlaOutput, sla_rows
from tickets.models import Ticket
from tickets.services import (
    reply_add,
    ticket_change_priority,
    ticket_close,
    ticket_open,
    ticket_reopen,
    ticket_resolve,
    ticket_wait_on_customer,
)
from tickets.services.sweep import sla_sweep

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")
FR, UPDATE = TargetKind.FIRST_RESPONSE, TargetKind.UPDATE
H = timedelta(hours=1)

# ============================================================================ oracle: the clock


@dataclass(frozen=True)
class OracleClock:
    """Open hours per local weekday (Mon = 0) as (from, to) wall-clock times, `None` meaning
    24:00; closed local dates removed whole. `zone=None` is the 24×7 clock (real time)."""

    name: str
    zone: ZoneInfo | None = None
    hours: dict = field(default_factory=dict)
    closed: Container = frozenset()


def _instant(day: date, wall: time | None, zone: ZoneInfo) -> datetime:
    if wall is None:  # 24:00 is the next day's midnight
        day, wall = day + timedelta(days=1), time(0)
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)  # fold=0: the earlier offset


def _open_spans(clock: OracleClock, start: datetime):
    """Every open span of the clock that ends after `start`, clipped to it, in order, forever."""
    day = start.astimezone(clock.zone).date() - timedelta(days=1)
    while True:
        if day not in clock.closed:
            for opens, closes in clock.hours.get(day.weekday(), ()):
                begin, end = _instant(day, opens, clock.zone), _instant(day, closes, clock.zone)
                if end > start:
                    yield max(begin, start), end
        day += timedelta(days=1)


def o_add(clock: OracleClock, start: datetime, duration: timedelta) -> datetime:
    """The instant when `duration` of open time has passed from `start`."""
    start = start.astimezone(UTC)  # aware arithmetic is wall-clock arithmetic in any other zone
    if clock.zone is None:
        return start + duration
    left = duration
    for begin, end in _open_spans(clock, start):
        if left <= end - begin:  # a deadline exactly on a close is that close
            return begin + left
        left -= end - begin
    raise AssertionError("unreachable")


def o_between(clock: OracleClock, a: datetime, b: datetime) -> timedelta:
    """Open time from `a` to `b` (0 when b <= a)."""
    a, b = a.astimezone(UTC), b.astimezone(UTC)
    if b <= a:
        return timedelta(0)
    if clock.zone is None:
        return b - a
    total = timedelta(0)
    for begin, end in _open_spans(clock, a):
        if begin >= b:
            return total
        total += min(end, b) - begin
    raise AssertionError("unreachable")


WEEKDAYS = range(5)
TWENTY_FOUR_SEVEN = OracleClock("24x7")
ALECTRONA_HOURS = OracleClock(
    "Mon-Fri 09:00-17:30 New York", NY, {d: ((time(9), time(17, 30)),) for d in WEEKDAYS}
)
SECPOD_DAYS = OracleClock("Mon-Fri 00:00-24:00 Kolkata", KOLKATA, {d: ((time(0), None),) for d in WEEKDAYS})
ALBERT_HOURS = OracleClock(
    "Sun 19:30 -> Fri 19:30 Los Angeles, no US federal holidays",
    LA,
    {
        6: ((time(19, 30), None),),
        0: ((time(0), None),),
        1: ((time(0), None),),
        2: ((time(0), None),),
        3: ((time(0), None),),
        4: ((time(0), time(19, 30)),),
    },
    holidays.country_holidays("US"),  # observed days included: Fri 3 July 2026 is closed
)

# The terms of SPEC §3 (and the Infotecs contract made below): kind -> (duration, clock).
TERMS = {
    "alectrona": {
        "urgent": {FR: (1 * H, ALECTRONA_HOURS), UPDATE: (4 * H, ALECTRONA_HOURS)},
        "high": {FR: (2 * H, ALECTRONA_HOURS), UPDATE: (12 * H, ALECTRONA_HOURS)},
        "medium": {FR: (4 * H, ALECTRONA_HOURS), UPDATE: (24 * H, ALECTRONA_HOURS)},
        "low": {FR: (8 * H, ALECTRONA_HOURS), UPDATE: (32 * H, ALECTRONA_HOURS)},
    },
    "secpod": {
        "critical": {FR: (2 * H, TWENTY_FOUR_SEVEN)},
        "high": {FR: (6 * H, TWENTY_FOUR_SEVEN)},
        "normal": {FR: (12 * H, TWENTY_FOUR_SEVEN)},
        "low": {FR: (2 * 24 * H, SECPOD_DAYS)},  # 2 business days of 24 h
    },
    "albert": {
        "urgent": {FR: (8 * H, TWENTY_FOUR_SEVEN)},
        "high": {FR: (24 * H, TWENTY_FOUR_SEVEN)},
        "medium": {FR: (10 * 24 * H, ALBERT_HOURS)},  # 10 business days of 24 h
        "low": {},  # no contractual target
    },
    "infotecs": {  # the contract's, not the policy's (the policy states none)
        "critical": {FR: (4 * H, TWENTY_FOUR_SEVEN)},
        "normal": {FR: (24 * H, TWENTY_FOUR_SEVEN)},
    },
}
RESOLUTION = {"alectrona": "workaround", "secpod": "fix", "albert": "resolved", "infotecs": "answered"}

# ============================================================================ oracle: the case


@dataclass
class OTarget:
    kind: str
    duration: timedelta | None  # None: the case's priority has no such target now
    clock: OracleClock
    start: datetime | None = None  # None and no outcome: not applicable (no deadline)
    origin: datetime | None = None  # where its latest run began, kept while a priority without it stops it
    outcome: str | None = None  # None: unsettled; met, breached, withdrawn
    due: datetime | None = None  # fixed once settled
    answered: datetime | None = None

    @property
    def live(self) -> bool:
        return self.outcome is None and self.start is not None


@dataclass
class OCase:
    vendor: str
    priority: str
    opened: datetime
    status: str = "new"
    waits: list = field(default_factory=list)  # [started, ended or None]
    first_answer: datetime | None = None
    targets: dict = field(default_factory=dict)

    def __post_init__(self):
        for kind, (duration, clock) in TERMS[self.vendor][self.priority].items():
            start = self.opened if kind == FR else None
            self.targets[kind] = OTarget(kind, duration, clock, start=start, origin=start)

    @property
    def is_open(self) -> bool:
        return self.status in ("new", "open", "waiting")

    # ------------------------------------------------------------------ the deadline

    def schedule(self, target: OTarget, until: datetime | None = None) -> tuple[datetime, datetime | None]:
        """(due, paused since) of an unsettled target from its terms and the waits. With
        `until`, as measured at that instant: later waits ignored, a wait still going on then
        counted up to it (an answer while waiting)."""
        credit = timedelta(0)
        for started, ended in self.waits:
            if until is not None:
                if started > until:
                    break
                if ended is None or ended > until:
                    ended = until
            since = max(started, target.start)
            if ended is not None and ended <= since:
                continue
            due = o_add(target.clock, target.start, target.duration + credit)
            if since > due:  # set to wait after the deadline: already breached
                return due, None
            if ended is None:
                return due, since
            credit += o_between(target.clock, since, ended)
        return o_add(target.clock, target.start, target.duration + credit), None

    def due_now(self, target: OTarget) -> datetime | None:
        if target.outcome is not None:
            return target.due
        return self.schedule(target)[0] if target.start is not None else None

    # ------------------------------------------------------------------ settling

    def _settle(self, target: OTarget, outcome: str, at: datetime | None, until: datetime | None = None):
        target.due = self.schedule(target, until)[0]
        target.outcome, target.answered = outcome, at

    def breach_overdue(self, now: datetime) -> None:
        """The one breach rule: a running target past its deadline is breached, for good."""
        for target in self.targets.values():
            if target.live:
                due, paused_since = self.schedule(target)
                if paused_since is None and now > due:
                    target.due, target.outcome = due, "breached"

    def _answer(self, target: OTarget, at: datetime) -> None:
        """The desk's answer at `at` settles an unsettled target, or is recorded late."""
        if target.live:
            due = self.schedule(target, until=at)[0]
            self._settle(target, "met" if at <= due else "breached", at, until=at)
        elif target.outcome == "breached" and target.answered is None:
            target.answered = at

    def _restart(self, target: OTarget, at: datetime) -> None:
        target.start, target.outcome, target.due, target.answered = at, None, None, None
        target.origin = at
        if target.duration is None:  # the case's priority has no such target now: no deadline
            target.start = None

    # ------------------------------------------------------------------ events

    def wait(self, at: datetime) -> None:
        if self.status in ("new", "open"):
            self.waits.append([at, None])
            self.status = "waiting"

    def end_wait(self, at: datetime) -> None:
        if self.waits and self.waits[-1][1] is None:
            self.waits[-1][1] = at

    def staff_reply(self, at: datetime, *, then_wait: bool = False) -> None:
        if then_wait:
            self.wait(at)
        if self.status == "resolved":
            return  # a resolved case is not in progress: nothing runs again until a reopening
        self.first_answer = self.first_answer or at
        if self.status == "new":
            self.status = "open"
        if FR in self.targets:
            self._answer(self.targets[FR], at)
        if UPDATE in self.targets:
            self._restart(self.targets[UPDATE], at)

    def customer_reply(self, at: datetime) -> None:
        if self.status == "waiting":
            self.end_wait(at)
            self.status = "open"
        elif self.status == "resolved":
            self.reopen(at)

    def resolve(self, at: datetime) -> None:
        self.end_wait(at)
        self.first_answer = self.first_answer or at
        self.status = "resolved"
        for target in self.targets.values():
            self._answer(target, at)

    def close(self, at: datetime) -> None:
        if self.status != "resolved":
            self.end_wait(at)
            for target in self.targets.values():
                if target.kind == UPDATE:  # settled by the close, like by a resolution
                    self._answer(target, at)
                elif target.live:  # unanswered and in time: withdrawn (overdue: stays breached)
                    self._settle(target, "withdrawn", None)
        self.status = "closed"

    def reopen(self, at: datetime) -> None:
        self.status = "open"
        for target in self.targets.values():
            if target.outcome == "withdrawn":
                self._restart(target, at)
            elif target.kind == UPDATE and self.first_answer is not None:
                self._restart(target, at)
            elif (
                target.kind == FR and not target.live and target.outcome is None and self.first_answer is None
            ):
                target.origin = at  # no target when the customer closed it unanswered: none yet

    def change_priority(self, at: datetime, priority: str) -> None:
        self.priority = priority
        for kind in (FR, UPDATE):
            terms = TERMS[self.vendor][priority].get(kind)
            target = self.targets.get(kind)
            if target is None:
                if terms is None:
                    continue
                target = self.targets[kind] = OTarget(kind, *terms)
            if terms is None:
                if target.live:
                    target.start = None  # not applicable: no deadline
                elif target.outcome is not None:
                    target.duration = None  # settled as it was; a new run of it has no deadline
                continue
            target.duration, target.clock = terms
            if target.start is None and target.outcome is None and kind == FR:
                # A first-response target the new priority adds: from the opening, or from where its
                # run began (a reopening) if a priority without one had stopped it.
                target.start = target.origin or self.opened
                if self.first_answer is not None:  # the desk already answered
                    self._answer(target, self.first_answer)

    # ------------------------------------------------------------------ what a reader sees

    def view(self, kind: str, now: datetime) -> dict:
        target = self.targets[kind]
        row = {
            "due_at": None,
            "state": "not_applicable",
            "remaining_seconds": None,
            "answered_at": target.answered,
            "answered_late": False,
        }
        if target.outcome is None and target.start is None:
            return row
        if target.outcome is None:
            due, paused_since = self.schedule(target)
            row["due_at"] = due
            if paused_since is not None:
                row["state"] = "paused"
                row["remaining_seconds"] = o_between(target.clock, paused_since, due)
            else:
                row["state"] = "breached" if now > due else "running"
                row["remaining_seconds"] = due - now if self.is_open else None
            return row
        row["due_at"], row["state"] = target.due, target.outcome
        if target.outcome == "breached" and target.answered is None and self.is_open:
            row["remaining_seconds"] = target.due - now
        row["answered_late"] = target.answered is not None and target.answered > target.due
        return row


def _seconds(row: dict) -> dict:
    out = dict(row)
    if out["remaining_seconds"] is not None:
        out["remaining_seconds"] = int(out["remaining_seconds"].total_seconds())
    for key in ("due_at", "answered_at"):
        if out[key] is not None:
            out[key] = out[key].astimezone(UTC).isoformat()
    return out


# ============================================================================ the real case

# The disagreements this test found in the code (issue 15), each fixed and pinned by a life
# below; the random lives no longer steer round them unless CASE_LIVES_STEER=1.
KNOWN = {
    "D1": "a priority change recomputes a target already overdue unless the sweep wrote the breach first",
    "D2": "a priority change that adds a first-response target after the desk answered leaves it unanswered",
    "D3": "resolving or closing records the update target's answer only if its breach was not yet written",
    "D4": "a staff reply to a resolved case restarts its update clock",
}
STEER = os.environ.get("CASE_LIVES_STEER") == "1"


@dataclass
class Actors:
    customer: object
    agent: object
    vendors: dict
    infotecs_product: object = None
    infotecs_version: object = None


class Rollback(Exception):
    """Raised at the end of every example: its rows go, the next one starts clean."""


def api_rows(actors: Actors, ticket, now: datetime) -> dict:
    """The case's SLA rows as GET /api/tickets/<number>/ shows them to the customer at `now`."""
    client = APIClient()
    client.force_authenticate(actors.customer)
    with time_machine.travel(now, tick=False):
        response = client.get(reverse("api:ticket-detail", args=[ticket.number]))
    assert response.status_code == 200, response.content
    return _rows(response.json()["sla"])


def serializer_rows(ticket, now: datetime) -> dict:
    """The same rows from the API's own serializer without the request (the looks in the
    middle of a random life, which are many: a request costs several times more)."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    return _rows(SlaOutput(many=True).to_representation(sla_rows(ticket, now)))


def _rows(sla: list) -> dict:
    rows = {}
    for row in sla:
        for key in ("due_at", "answered_at"):
            assert row[key] is None or row[key].endswith("+00:00"), row
        rows[row["kind"]] = {
            k: row[k] for k in ("due_at", "state", "remaining_seconds", "answered_at", "answered_late")
        }
    return rows


class Life:
    """One case, driven through the services and the oracle side by side."""

    def __init__(
        self, actors: Actors, vendor: str, priority: str, opened: datetime, *, steering: bool = STEER
    ):
        self.steering = steering
        self.random = False  # a random life reads its looks from the serializer, the end by a request
        opened = opened.astimezone(UTC)  # all the oracle's arithmetic in UTC
        self.actors, self.now = actors, opened
        extra = {}
        if vendor == "infotecs":
            extra = {"product": actors.infotecs_product, "major_version": actors.infotecs_version}
        self.ticket = ticket_open(
            organization=actors.customer.membership.organization,
            requester=actors.customer,
            vendor=actors.vendors[vendor],
            priority=priority,
            subject="Export fails",
            body="It fails",
            confirm_billable=True,
            at=opened,
            **extra,
        )
        self.case = OCase(vendor, priority, opened)
        self.log = [f"open {vendor} {priority} at {opened.isoformat()}"]

    def legal(self) -> list[str]:
        """The steps a case in this status may take, the simplest first (hypothesis shrinks
        towards it); waits, answers from the customer and priority changes weigh double.
        `wait_span` is a wait and the customer's answer after hours or days (run_life)."""
        status = self.case.status
        if status in ("new", "open"):
            return [
                "look",
                "set_wait",
                "wait_span",
                "priority",
                "priority",
                "staff_reply",
                "staff_reply_wait",
                "note_wait",
                "wait_span",
                "customer_reply",
                "resolve",
                "close",
                "sweep",
            ]
        if status == "waiting":
            return [
                "look",
                "customer_reply",
                "customer_reply",
                "priority",
                "priority",
                "staff_reply",
                "resolve",
                "close",
                "sweep",
            ]
        if status == "resolved":
            return ["look", "reopen", "customer_reply", "close", "staff_reply", "sweep"]
        return ["look", "reopen", "sweep"]

    def step(self, action: str, at: datetime, priority: str | None = None) -> None:
        at = at.astimezone(UTC)
        assert at > self.now, (at, self.now)
        self.now = at
        self.log.append(f"{action}{' ' + priority if priority else ''} at {at.isoformat()}")
        a, case, ticket = self.actors, self.case, self.ticket
        if action == "look":
            self.check(at, request=not self.random)
            return
        if action == "sweep":
            sla_sweep(now=at)
            return
        action = self.steer(action, at, priority)
        if action == "look":
            self.check(at, request=not self.random)
            return
        case.breach_overdue(at)
        if action == "staff_reply":
            reply_add(ticket=ticket, author=a.agent, body="We are on it", at=at)
            case.staff_reply(at)
        elif action == "staff_reply_wait":
            reply_add(ticket=ticket, author=a.agent, body="Which version?", wait_on_customer=True, at=at)
            case.staff_reply(at, then_wait=True)
        elif action == "note_wait":
            reply_add(
                ticket=ticket,
                author=a.agent,
                body="Asked by phone",
                internal=True,
                wait_on_customer=True,
                at=at,
            )
            case.wait(at)
        elif action == "set_wait":
            ticket_wait_on_customer(ticket=ticket, by=a.agent, at=at)
            case.wait(at)
        elif action == "customer_reply":
            reply_add(ticket=ticket, author=a.customer, body="Here it is", at=at)
            case.customer_reply(at)
        elif action == "priority":
            ticket_change_priority(ticket=ticket, priority=priority, by=a.agent, at=at)
            case.change_priority(at, priority)
        elif action == "resolve":
            ticket_resolve(
                ticket=ticket,
                by=a.agent,
                resolution_code=RESOLUTION[case.vendor],
                message="Fixed in 4.2",
                at=at,
            )
            case.resolve(at)
        elif action == "close":
            ticket_close(ticket=ticket, by=a.customer, at=at)
            case.close(at)
        elif action == "reopen":
            ticket_reopen(ticket=ticket, by=a.customer, at=at)
            case.reopen(at)
        else:
            raise AssertionError(action)

    def steer(self, action: str, at: datetime, priority: str | None) -> str:
        """Round the discrepancies once known (KNOWN, now fixed; CASE_LIVES_STEER=1 only): the life takes
        the step in the one way the code gets right, or a harmless step instead."""
        if not self.steering:
            return action
        case = self.case
        if action == "priority" and self.owes_overdue(at):
            sla_sweep(now=at)  # D1: the breach written first, as the minute sweep would have
            self.log.append("  (D1: swept first)")
        if action == "priority" and case.first_answer is not None:
            target = case.targets.get(FR)
            if (target is None or (target.start is None and target.outcome is None)) and (
                FR in TERMS[case.vendor][priority]
            ):
                self.log.append("  (D2: no priority change adding a first response after the answer)")
                return "look"
        update = case.targets.get(UPDATE)
        if (
            action in ("resolve", "close")
            and case.is_open
            and update is not None
            and self.owes_overdue(at, update)
        ):
            self.log.append("  (D3: a staff reply instead)")
            return "staff_reply"
        if action == "staff_reply" and case.status == "resolved" and update is not None:
            self.log.append("  (D4: no staff reply to a resolved case)")
            return "look"
        return action

    def owes_overdue(self, at: datetime, *only: OTarget) -> bool:
        """Is an unanswered target past its deadline (the code may not have written it yet)?"""
        for target in only or self.case.targets.values():
            if target.outcome == "breached" and target.answered is None:
                return True
            if target.live:
                due, paused_since = self.case.schedule(target)
                if paused_since is None and at > due:
                    return True
        return False

    def expected(self, now: datetime) -> dict:
        return {kind: _seconds(self.case.view(kind, now.astimezone(UTC))) for kind in self.case.targets}

    def check(self, now: datetime, *, request: bool = True) -> None:
        now = now.astimezone(UTC)
        seen = api_rows(self.actors, self.ticket, now) if request else serializer_rows(self.ticket, now)
        expected = self.expected(now)
        assert seen == expected, "\n".join([*self.log, f"read at {now.isoformat()}"])

    def next_due(self) -> datetime | None:
        dues = [self.case.due_now(t) for t in self.case.targets.values() if t.live]
        return min((d for d in dues if d is not None), default=None)


# ============================================================================ table-driven lives

"""Each life is hand-computed on a wall calendar (offsets: New York EST -5 / EDT -4, Los
Angeles PST -8 / PDT -7, Kolkata +5:30; 2026: DST starts Sun 8 Mar, ends Sun 1 Nov; US
federal holidays Thu 26 Nov, Fri 25 Dec). The oracle must give the hand value, and so must
the API: this pins the oracle itself."""


def ny(*args):
    return datetime(*args, tzinfo=NY)


def la(*args):
    return datetime(*args, tzinfo=LA)


def ist(*args):
    return datetime(*args, tzinfo=KOLKATA)


def fr(due, state, remaining, answered=None, late=False, kind=FR):
    return kind, {
        "due_at": due,
        "state": state,
        "remaining_seconds": remaining,
        "answered_at": answered,
        "answered_late": late,
    }


LIVES = {
    # The brief's life. Albert Medium from Fri 4 Dec 18:00 PST; waiting 19:00 Fri -> Sun 6 Dec
    # 20:00 (49 h of real time; on the support-hours clock only Fri 19:00-19:30 and Sun
    # 19:30-20:00). Raised to Urgent (8 h, 24x7) at 21:00: from the opening, the same wait
    # recounted in real time: Fri 18:00 + 8 h + 49 h = Mon 7 Dec 03:00 PST, 6 h after 21:00.
    "albert medium waits, then urgent": (
        "albert",
        "medium",
        la(2026, 12, 4, 18),
        [
            ("set_wait", la(2026, 12, 4, 19)),
            ("customer_reply", la(2026, 12, 6, 20)),
            ("priority", la(2026, 12, 6, 21), "urgent"),
        ],
        la(2026, 12, 6, 21),
        [fr(la(2026, 12, 7, 3), "running", 6 * 3600)],
    ),
    # Albert Medium, Mon 23 Nov 2026 10:00 PST, 240 h of support time: Mon 14 + Tue 24 + Wed
    # 24 + Thu 0 (Thanksgiving, the whole day) + Fri 19.5 = 81.5; Sun 29 Nov 19:30 -> Fri 4 Dec
    # 19:30 = 120 (201.5); Sun 6 Dec 19:30-24:00 4.5 (206) + Mon 24 (230) + Tue 10 h -> Tue
    # 8 Dec 10:00 PST. At Fri 4 Dec 19:30 (a close) the clock still shows due - now in real
    # time: Fri 19:30 -> Tue 10:00 = 86.5 h.
    "albert medium across thanksgiving": (
        "albert",
        "medium",
        la(2026, 11, 23, 10),
        [],
        la(2026, 12, 4, 19, 30),
        [fr(la(2026, 12, 8, 10), "running", int(86.5 * 3600))],
    ),
    # Alectrona Medium (4 business hours) from Fri 6 Mar 2026 16:00 EST: Fri 16:00-17:30 1.5 h,
    # then Mon 9 Mar (now EDT) 09:00 + 2.5 h = 11:30 EDT = 15:30 UTC. Read exactly at the
    # deadline: still running with 0 s left; an answer at the deadline meets it.
    "alectrona medium across the spring change, read at the deadline": (
        "alectrona",
        "medium",
        ny(2026, 3, 6, 16),
        [],
        ny(2026, 3, 9, 11, 30),
        [fr(ny(2026, 3, 9, 11, 30), "running", 0), (UPDATE, None)],
    ),
    "alectrona medium answered at the deadline": (
        "alectrona",
        "medium",
        ny(2026, 3, 6, 16),
        [("staff_reply", ny(2026, 3, 9, 11, 30))],
        ny(2026, 3, 9, 11, 30, 1),
        # The update target (24 business hours) starts at the reply: Mon 11:30-17:30 6 h, Tue
        # 8.5 (14.5), Wed 8.5 (23), Thu 12 Mar 09:00 + 1 h = 10:00 EDT; from the read at Mon
        # 11:30:01 that is 2 days 22 h 29 min 59 s.
        [
            fr(ny(2026, 3, 9, 11, 30), "met", None, ny(2026, 3, 9, 11, 30)),
            fr(ny(2026, 3, 12, 10), "running", 2 * 86400 + 22 * 3600 + 29 * 60 + 59, kind=UPDATE),
        ],
    ),
    # One second after the deadline it is breached, 1 s overdue.
    "alectrona medium one second late": (
        "alectrona",
        "medium",
        ny(2026, 3, 6, 16),
        [],
        ny(2026, 3, 9, 11, 30, 1),
        [fr(ny(2026, 3, 9, 11, 30), "breached", -1), (UPDATE, None)],
    ),
    # Alectrona Urgent (1 h) Tue 1 Dec 2026 10:00 EST, answered 11:30: late, recorded; the
    # remaining time is gone once answered.
    "alectrona late answer": (
        "alectrona",
        "urgent",
        ny(2026, 12, 1, 10),
        [("staff_reply", ny(2026, 12, 1, 11, 30))],
        ny(2026, 12, 1, 11, 31),
        [
            fr(ny(2026, 12, 1, 11), "breached", None, ny(2026, 12, 1, 11, 30), True),
            # update: 4 h from 11:30 -> 15:30, 3 h 59 min after the read
            fr(ny(2026, 12, 1, 15, 30), "running", 4 * 3600 - 60, kind=UPDATE),
        ],
    ),
    # Alectrona High (2 h) Tue 1 Dec 09:00 EST, due 11:00; set to wait one second late: stays
    # breached, the wait credits nothing; still owed, so the API counts the overdue time.
    "alectrona wait begun after the deadline": (
        "alectrona",
        "high",
        ny(2026, 12, 1, 9),
        [("set_wait", ny(2026, 12, 1, 11, 0, 1)), ("customer_reply", ny(2026, 12, 1, 12))],
        ny(2026, 12, 1, 12),
        [fr(ny(2026, 12, 1, 11), "breached", -3600), (UPDATE, None)],
    ),
    # Alectrona Urgent Tue 1 Dec 10:00 EST, closed by the customer at 10:30 unanswered:
    # withdrawn. Reopened Wed 2 Dec 17:00: the full hour again from the reopening, 17:00-17:30
    # then Thu 3 Dec 09:00-09:30 -> due Thu 09:30 EST; read Thu 09:00: 30 min left.
    "alectrona withdrawn then reopened": (
        "alectrona",
        "urgent",
        ny(2026, 12, 1, 10),
        [("close", ny(2026, 12, 1, 10, 30)), ("reopen", ny(2026, 12, 2, 17))],
        ny(2026, 12, 3, 9),
        [fr(ny(2026, 12, 3, 9, 30), "running", 1800), (UPDATE, None)],
    ),
    "alectrona withdrawn": (
        "alectrona",
        "urgent",
        ny(2026, 12, 1, 10),
        [("close", ny(2026, 12, 1, 10, 30))],
        ny(2026, 12, 1, 12),
        [fr(ny(2026, 12, 1, 11), "withdrawn", None), (UPDATE, None)],
    ),
    # Alectrona Urgent Tue 1 Dec 10:00 EST: answered 10:30 (met); the update clock (4 h)
    # restarts with a reply "then wait" at 11:00 and is paused at once with its 4 h left; the
    # customer answers Wed 2 Dec 09:00: credit Tue 11:00-17:30 = 6.5 h, so due = Tue 11:00 +
    # 10.5 business hours = Wed 13:00 EST, 4 h after the read at Wed 09:00.
    "alectrona update target paused and resumed": (
        "alectrona",
        "urgent",
        ny(2026, 12, 1, 10),
        [
            ("staff_reply", ny(2026, 12, 1, 10, 30)),
            ("staff_reply_wait", ny(2026, 12, 1, 11)),
            ("look", ny(2026, 12, 1, 12)),
            ("customer_reply", ny(2026, 12, 2, 9)),
        ],
        ny(2026, 12, 2, 9),
        [
            fr(ny(2026, 12, 1, 11), "met", None, ny(2026, 12, 1, 10, 30)),
            fr(ny(2026, 12, 2, 13), "running", 4 * 3600, kind=UPDATE),
        ],
    ),
    # SecPod Low (2 business days, Mon-Fri Kolkata) Fri 27 Nov 2026 18:00 IST: Fri 6 h + Mon
    # 24 h + Tue 18 h -> Tue 1 Dec 18:00. Waiting from Fri 20:00 (46 h left, paused); the
    # customer answers Mon 30 Nov 06:00: credit Fri 20:00-24:00 + Mon 00:00-06:00 = 10 h,
    # due Tue 18:00 + 10 business hours = Wed 2 Dec 04:00 IST.
    "secpod low paused": (
        "secpod",
        "low",
        ist(2026, 11, 27, 18),
        [("set_wait", ist(2026, 11, 27, 20))],
        ist(2026, 11, 29, 12),
        [fr(ist(2026, 12, 1, 18), "paused", 46 * 3600)],
    ),
    "secpod low resumed": (
        "secpod",
        "low",
        ist(2026, 11, 27, 18),
        [("set_wait", ist(2026, 11, 27, 20)), ("customer_reply", ist(2026, 11, 30, 6))],
        ist(2026, 12, 2, 4),
        [fr(ist(2026, 12, 2, 4), "running", 0)],
    ),
    # Albert Urgent (8 h, 24x7) Sat 31 Oct 2026 20:00 PDT = Sun 1 Nov 03:00 UTC: real time
    # across the fall-back -> 11:00 UTC = Sun 1 Nov 03:00 PST (the wall clock moved 7 h). Read
    # at 02:00 local, which exists once (PST, 10:00 UTC): 1 h left.
    "albert urgent across the fall change": (
        "albert",
        "urgent",
        la(2026, 10, 31, 20),
        [],
        la(2026, 11, 1, 2),
        [fr(la(2026, 11, 1, 3), "running", 3600)],
    ),
    # Albert Low: no contractual target (no row); raised to High (24 h, 24x7) Tue 22 Dec 2026
    # 09:00 PST: from the opening Mon 21 Dec 12:00 PST -> Tue 22 Dec 12:00 PST.
    "albert low raised to high": (
        "albert",
        "low",
        la(2026, 12, 21, 12),
        [("priority", la(2026, 12, 22, 9), "high")],
        la(2026, 12, 22, 9),
        [fr(la(2026, 12, 22, 12), "running", 3 * 3600)],
    ),
    # Infotecs (contract: critical 4 h on 24x7) Tue 24 Nov 2026 12:00 UTC, resolved 15:00 with
    # a message: the resolution is the answer, met.
    "infotecs critical resolved": (
        "infotecs",
        "critical",
        datetime(2026, 11, 24, 12, tzinfo=UTC),
        [("resolve", datetime(2026, 11, 24, 15, tzinfo=UTC))],
        datetime(2026, 11, 24, 16, tzinfo=UTC),
        [fr(datetime(2026, 11, 24, 16, tzinfo=UTC), "met", None, datetime(2026, 11, 24, 15, tzinfo=UTC))],
    ),
}


def _expected_rows(rows) -> dict:
    out = {}
    for kind, row in rows:
        if row is None:  # a target with no deadline yet: the update before the first reply
            row = {
                "due_at": None,
                "state": "not_applicable",
                "remaining_seconds": None,
                "answered_at": None,
                "answered_late": False,
            }
        else:
            row = dict(row)
            for key in ("due_at", "answered_at"):
                if row[key] is not None:
                    row[key] = row[key].astimezone(UTC).isoformat()
        out[kind] = row
    return out


@pytest.fixture
def actors(customer, agent, vendors, basic_contract, versions):
    for code, hours in (("critical", 4), ("normal", 24)):
        ContractTarget.objects.create(
            contract=basic_contract, priority_code=code, kind=FR, duration=hours, unit=DurationUnit.HOURS
        )
    return Actors(customer, agent, vendors, basic_contract.product, versions[4])


@pytest.mark.parametrize("name", list(LIVES))
def test_explicit_life(actors, name):
    _run_table_life(actors, LIVES[name])


# The same sweep-free life and its swept twin must show the same thing (the sweep writes down
# only what is already so). The lives the code once got wrong are below, each
# named by its KNOWN key: it failed before the fix (issue 15) and pins it now.
KNOWN_LIVES = {
    # D1. Alectrona Urgent Tue 1 Dec 2026 10:00 EST, first response due 11:00 (1 business
    # hour); nobody answers; lowered to Low at 12:00, an hour after the deadline. It was
    # breached at 11:00 and stays so (due 11:00, 1 h 0 min 1 s overdue at the read). The code
    # recomputes it from the opening as Low: 10:00-17:30 + Wed 09:00-09:30 -> running, due
    # Wed 2 Dec 09:30 -- unless the sweep ran in between (the twin below).
    "D1": (
        "alectrona",
        "urgent",
        ny(2026, 12, 1, 10),
        [("priority", ny(2026, 12, 1, 12), "low")],
        ny(2026, 12, 1, 12, 0, 1),
        [fr(ny(2026, 12, 1, 11), "breached", -3601), (UPDATE, None)],
    ),
    # D2. Albert Low (no target) Mon 21 Dec 2026 12:00 PST, answered 13:00, raised to High
    # (24 h, 24x7) at 14:00: the new first response runs from the opening, due Tue 22 Dec
    # 12:00 PST, and the desk's answer at 13:00 met it. The code starts it running, unanswered.
    "D2": (
        "albert",
        "low",
        la(2026, 12, 21, 12),
        [("staff_reply", la(2026, 12, 21, 13)), ("priority", la(2026, 12, 21, 14), "high")],
        la(2026, 12, 21, 15),
        [fr(la(2026, 12, 22, 12), "met", None, la(2026, 12, 21, 13))],
    ),
    # D3. Alectrona Urgent Tue 1 Dec 10:00 EST, answered 10:30 (met); the update clock (4 h)
    # runs to 14:30; the sweep writes its breach at 15:00; resolved at 16:00, the resolving
    # message recorded as the update's late answer -- as the code does without the sweep (the
    # twin below). With the sweep the code records no answer.
    "D3": (
        "alectrona",
        "urgent",
        ny(2026, 12, 1, 10),
        [
            ("staff_reply", ny(2026, 12, 1, 10, 30)),
            ("sweep", ny(2026, 12, 1, 15)),
            ("resolve", ny(2026, 12, 1, 16)),
        ],
        ny(2026, 12, 1, 16, 1),
        [
            fr(ny(2026, 12, 1, 11), "met", None, ny(2026, 12, 1, 10, 30)),
            fr(ny(2026, 12, 1, 14, 30), "breached", None, ny(2026, 12, 1, 16), True, kind=UPDATE),
        ],
    ),
    # D4. Alectrona Urgent Tue 1 Dec 10:00 EST, answered 10:30, resolved 11:00 (the update
    # clock, due 14:30, met at 11:00); a staff reply at 11:30 to the resolved case ("glad it
    # works") must not start the update clock of a case no longer in progress. The code
    # restarts it (due 15:30) and at 16:00 shows it breached on a resolved case.
    "D4": (
        "alectrona",
        "urgent",
        ny(2026, 12, 1, 10),
        [
            ("staff_reply", ny(2026, 12, 1, 10, 30)),
            ("resolve", ny(2026, 12, 1, 11)),
            ("staff_reply", ny(2026, 12, 1, 11, 30)),
        ],
        ny(2026, 12, 1, 16),
        [
            fr(ny(2026, 12, 1, 11), "met", None, ny(2026, 12, 1, 10, 30)),
            fr(ny(2026, 12, 1, 14, 30), "met", None, ny(2026, 12, 1, 11), kind=UPDATE),
        ],
    ),
}
TWINS = {  # the code gets these right: the same lives, with or without the sweep
    "D1 with the sweep first": (
        "alectrona",
        "urgent",
        ny(2026, 12, 1, 10),
        [("sweep", ny(2026, 12, 1, 11, 1)), ("priority", ny(2026, 12, 1, 12), "low")],
        ny(2026, 12, 1, 12, 0, 1),
        [fr(ny(2026, 12, 1, 11), "breached", -3601), (UPDATE, None)],
    ),
    "D3 without the sweep": (
        "alectrona",
        "urgent",
        ny(2026, 12, 1, 10),
        [("staff_reply", ny(2026, 12, 1, 10, 30)), ("resolve", ny(2026, 12, 1, 16))],
        ny(2026, 12, 1, 16, 1),
        [
            fr(ny(2026, 12, 1, 11), "met", None, ny(2026, 12, 1, 10, 30)),
            fr(ny(2026, 12, 1, 14, 30), "breached", None, ny(2026, 12, 1, 16), True, kind=UPDATE),
        ],
    ),
}


def _run_table_life(actors, life_row, *, portal=True):
    vendor, priority, opened, steps, read_at, rows = life_row
    life = Life(actors, vendor, priority, opened, steering=False)
    for action, at, *arg in steps:
        life.step(action, at, *arg)
    expected = _expected_rows(rows)
    assert life.expected(read_at) == expected  # the oracle gives the hand-computed value
    if portal:
        assert api_rows(actors, life.ticket, read_at) == expected  # and so does the portal


@pytest.mark.parametrize("name", list(TWINS))
def test_sweep_twin(actors, name):
    _run_table_life(actors, TWINS[name])


@pytest.mark.parametrize("name", list(KNOWN_LIVES))
def test_fixed_discrepancy(actors, name):
    """Each life the code once got wrong (KNOWN): the portal now agrees with the oracle."""
    _run_table_life(actors, KNOWN_LIVES[name])


@pytest.mark.parametrize("name", list(KNOWN_LIVES))
def test_fixed_discrepancy_oracle(actors, name):
    _run_table_life(actors, KNOWN_LIVES[name], portal=False)


def test_the_oracle_clock_by_hand():
    # 4 July 2026 is a Saturday: Friday 3 July (observed) is closed on Albert's calendar, so
    # Thu 2 July 23:30 PDT + 1 h of support time: Thu 23:30-24:00, then Sun 5 July 19:30 +
    # 0.5 h = 20:00 PDT.
    assert o_add(ALBERT_HOURS, la(2026, 7, 2, 23, 30), H) == la(2026, 7, 5, 20)
    # A start outside hours counts from the next opening; a deadline on a close is the close.
    assert o_add(ALECTRONA_HOURS, ny(2026, 12, 5, 12), 8.5 * H) == ny(2026, 12, 7, 17, 30)
    assert o_between(ALECTRONA_HOURS, ny(2026, 12, 4, 17), ny(2026, 12, 7, 9, 30)) == 1 * H
    # Kolkata's Friday ends at Saturday 00:00.
    assert o_add(SECPOD_DAYS, ist(2026, 11, 27, 18), 6 * H) == ist(2026, 11, 28, 0)
    assert o_between(SECPOD_DAYS, ist(2026, 11, 27, 18), ist(2026, 11, 30, 1)) == 7 * H


# ============================================================================ random lives

# Where lives start: the days before the US DST changes, Veterans Day, Thanksgiving,
# Christmas and the 4 July weekend, at any second of the next four days.
ANCHORS = [
    datetime(2026, m, d, tzinfo=UTC) for m, d in ((3, 5), (10, 29), (11, 9), (11, 24), (12, 22), (7, 1))
]
VENDORS = ["alectrona", "secpod", "albert", "infotecs"]
# Lives per vendor: ~0.2-0.4 s each on SQLite (every step writes through the services), so the
# file stays within its share of the suite; Infotecs (24×7 only, and the dearest to open:
# entitlement and quota) takes fewer. CASE_LIVES_EXAMPLES=<n> sets them all.
EXAMPLES = {"alectrona": 25, "secpod": 20, "albert": 25, "infotecs": 10}
if os.environ.get("CASE_LIVES_EXAMPLES"):
    EXAMPLES = dict.fromkeys(EXAMPLES, int(os.environ["CASE_LIVES_EXAMPLES"]))

gaps = st.one_of(
    st.integers(1, 3600),  # seconds to an hour
    st.integers(3600, 12 * 3600),
    st.integers(12 * 3600, 4 * 86400),  # across nights, weekends and holidays
    st.sampled_from([-1, 0, 1]).map(lambda s: ("due", s)),  # to the second around the next deadline
    st.integers(1, 99).map(lambda p: ("share", p)),  # a share of the time left: the target lives on
)
prelude_gaps = st.one_of(st.integers(1, 3600), st.integers(1, 99).map(lambda p: ("share", p)))


def _next_time(life: Life, gap) -> datetime:
    if isinstance(gap, tuple):
        kind, amount = gap
        due = life.next_due()
        if kind == "due" and due is not None and due + timedelta(seconds=amount) > life.now:
            return due + timedelta(seconds=amount)
        if kind == "share" and due is not None and due > life.now:
            return life.now + timedelta(seconds=max(int((due - life.now).total_seconds()) * amount // 100, 1))
        gap = 60
    return life.now + timedelta(seconds=gap)


# Before the desk answers, a life first waits and changes priority (the paths where clocks
# are recounted), then takes any legal step.
PRELUDE = ("look", "set_wait", "wait_span", "priority", "note_wait", "customer_reply", "sweep")


def _take(life: Life, data, action: str, *, answers: bool = True) -> None:
    at = _next_time(life, data.draw(gaps if answers else prelude_gaps))
    priority = None
    if action == "wait_span":  # a completed wait, often across closed hours
        waits = ["set_wait", "note_wait"] + (["staff_reply_wait"] if answers else [])
        life.step(data.draw(st.sampled_from(waits)), at)
        action, at = "customer_reply", at + timedelta(seconds=data.draw(st.integers(3600, 4 * 86400)))
    if action == "priority":  # a move to another clock weighs double
        priorities = TERMS[life.case.vendor]
        others = [p for p in priorities if p != life.case.priority]
        clock = priorities[life.case.priority].get(FR, (None, None))[1]
        moves = [p for p in others if priorities[p].get(FR, (None, None))[1] is not clock]
        priority = data.draw(st.sampled_from(moves + others))
    life.step(action, at, priority)


def run_life(actors: Actors, vendor: str, data) -> None:
    opened = data.draw(st.sampled_from(ANCHORS)) + timedelta(seconds=data.draw(st.integers(0, 4 * 86400)))
    life = Life(actors, vendor, data.draw(st.sampled_from(list(TERMS[vendor]))), opened)
    life.random = True
    for _ in range(data.draw(st.integers(0, 4))):
        _take(
            life, data, data.draw(st.sampled_from([a for a in life.legal() if a in PRELUDE])), answers=False
        )
    for _ in range(data.draw(st.integers(1, 6))):
        _take(life, data, data.draw(st.sampled_from(life.legal())))
    life.check(_next_time(life, data.draw(gaps)))


@pytest.mark.parametrize("vendor", VENDORS)
def test_random_case_lives_match_the_oracle(actors, vendor):
    @settings(
        max_examples=EXAMPLES[vendor],
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate]
        + ([Phase.shrink] if os.environ.get("CASE_LIVES_SHRINK") else []),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def life(data):
        try:
            with transaction.atomic():
                run_life(actors, vendor, data)
                raise Rollback
        except Rollback:
            pass

    life()
