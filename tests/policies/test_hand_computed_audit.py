"""Deadlines computed by hand from the vendors' published policies (shared/seeds/) and SPEC §2/§3,
checked to the second against what the portal stores and shows.

Each docstring quotes the clause the hand computation rests on and shows the arithmetic, on a
wall calendar in the vendor's zone. Offsets: New York EST -5 / EDT -4, Los Angeles PST -8 /
PDT -7, Kolkata +5:30, Moscow +3, Chicago CST -6. US DST 2026: starts Sun 8 Mar 02:00, ends
Sun 1 Nov 02:00. US federal holidays used: Labor Day Mon 7 Sep 2026, Thanksgiving Thu 26 Nov
2026, Christmas Fri 25 Dec 2026, New Year Fri 1 Jan 2027, Independence Day Sun 4 Jul 2027
(observed Mon 5 Jul). Russian days off: Thu 31 Dec 2026 (moved from Sun 4 Jan), 1-8 Jan 2027.

None of these repeats a case of tests/tickets (test_services, test_case_truth, test_case_lives):
they are the DST weekends, holidays falling on the eve, on a Sunday and inside a wait, a
customer in another zone than the vendor's, and a priority change or a reopening followed by a
restart of the update clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from lifecycle.models import ContractTarget
from policies.models import DurationUnit, SupportCalendar, TargetKind
from tickets.explain import target_explanation
from tickets.models import TargetState, Ticket
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
MOSCOW = ZoneInfo("Europe/Moscow")
FR, UPDATE = TargetKind.FIRST_RESPONSE, TargetKind.UPDATE


def at(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _open(customer, vendors, vendor, priority, opened, **kwargs) -> Ticket:
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors[vendor],
        priority=priority,
        subject="Export fails",
        body="It fails",
        at=opened,
        **kwargs,
    )


def target(ticket: Ticket, kind: str = FR):
    return ticket.sla_targets.get(kind=kind)


# ---------------------------------------------------------------------------- Alectrona


def test_alectrona_high_opened_on_the_friday_before_the_autumn_change(customer, vendors):
    """Alectrona: "Telephone and electronic support are available during business hours, Monday
    through Friday, from 9:00 am to 5:30 pm Eastern Standard Time" (SPEC: the local Eastern clock,
    DST included); "High Priority: Response between 2 Hours and 12 Hours" (first response 2 h).

    Opened Fri 30 Oct 2026 17:00 EDT (21:00 UTC): Fri 17:00-17:30 = 0.5 h; the clocks go back on
    Sunday; Mon 2 Nov 09:00 EST + 1.5 h = 10:30 EST = 15:30 UTC. Real time from the opening:
    66.5 h (a wall-clock subtraction would say 65.5 h)."""
    ticket = _open(customer, vendors, "alectrona", "high", at(NY, 2026, 10, 30, 17))
    fr = target(ticket)
    assert fr.due_at == utc(2026, 11, 2, 15, 30)
    assert fr.due_at - ticket.opened_at == timedelta(hours=66.5)


def test_alectrona_urgent_opened_on_the_saturday_night_before_the_spring_change(customer, vendors):
    """Alectrona: business hours "Monday through Friday, from 9:00 am to 5:30 pm"; "Urgent
    (Emergency) Priority: Response between 1 Hour and 4 Hours"; SPEC §2: "A start outside the
    windows counts from the next window opening".

    Opened Sat 7 Mar 2026 23:50 EST (Sun 04:50 UTC), outside hours and minutes before the night
    of the spring change: counts from Mon 9 Mar 09:00 EDT (13:00 UTC) + 1 h = 10:00 EDT = 14:00 UTC."""
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 3, 7, 23, 50))
    assert target(ticket).due_at == utc(2026, 3, 9, 14)


def test_alectrona_counts_thanksgiving_as_a_business_day(customer, vendors):
    """Alectrona states no holidays (SPEC §3: "no holiday set stated"), only "Monday through
    Friday, from 9:00 am to 5:30 pm"; "Low Priority: Response between 8 Hours and 32 Hours".

    Opened on the eve of Thanksgiving, Wed 25 Nov 2026 16:00 EST: Wed 16:00-17:30 = 1.5 h, Thu 26
    Nov (Thanksgiving, an ordinary Thursday for Alectrona) 09:00 + 6.5 h = 15:30 EST = 20:30 UTC."""
    ticket = _open(customer, vendors, "alectrona", "low", at(NY, 2026, 11, 25, 16))
    assert target(ticket).due_at == at(NY, 2026, 11, 26, 15, 30)


def test_alectrona_late_first_answer_keeps_the_breach_and_starts_the_update_clock(customer, agent, vendors):
    """Alectrona: "Medium Priority: Response between 4 Hours and 24 Hours" (new case 4 h, in
    progress case 24 h); SPEC §2: "A late answer shows 'answered late, <when>'"; SPEC §5: "each
    staff public reply restarts the update clock".

    Opened Mon 7 Dec 2026 15:00 EST: Mon 15:00-17:30 = 2.5 h, Tue 09:00 + 1.5 h = Tue 8 Dec
    10:30 EST. Answered Tue 14:00: late, breached at 10:30, answered 14:00. The update clock from
    Tue 14:00: Tue 3.5 h, Wed 8.5 (12), Thu 8.5 (20.5), Fri 09:00 + 3.5 h = Fri 11 Dec 12:30 EST."""
    ticket = _open(customer, vendors, "alectrona", "medium", at(NY, 2026, 12, 7, 15))
    assert target(ticket).due_at == at(NY, 2026, 12, 8, 10, 30)
    reply_add(ticket=ticket, author=agent, body="Try this", at=at(NY, 2026, 12, 8, 14))
    fr = target(ticket)
    assert (fr.state, fr.due_at, fr.breached_at, fr.fulfilled_at) == (
        TargetState.BREACHED,
        at(NY, 2026, 12, 8, 10, 30),
        at(NY, 2026, 12, 8, 10, 30),
        at(NY, 2026, 12, 8, 14),
    )
    # Its real business time, for the statistics: Mon 2.5 h + Tue 09:00-14:00 5 h.
    assert fr.response_business_time == timedelta(hours=7.5)
    update = target(ticket, UPDATE)
    assert (update.state, update.due_at) == (TargetState.RUNNING, at(NY, 2026, 12, 11, 12, 30))


def test_alectrona_reopened_on_a_saturday_restarts_the_update_clock_on_monday(customer, agent, vendors):
    """Alectrona: "High Priority: Response between 2 Hours and 12 Hours" (in progress 12 h);
    SPEC §2: "an update target restarts from the reopening"; a start outside the windows counts
    from the next opening.

    Opened Mon 7 Dec 2026 10:00 EST, answered 11:00 (met: due 12:00), resolved Tue 8 Dec 12:00,
    reopened by the customer Sat 12 Dec 10:00: the update clock's 12 h run from Mon 14 Dec 09:00:
    Mon 8.5 h, Tue 09:00 + 3.5 h = Tue 15 Dec 12:30 EST."""
    ticket = _open(customer, vendors, "alectrona", "high", at(NY, 2026, 12, 7, 10))
    reply_add(ticket=ticket, author=agent, body="Looking", at=at(NY, 2026, 12, 7, 11))
    ticket_resolve(
        ticket=ticket, by=agent, resolution_code="workaround", message="Fixed", at=at(NY, 2026, 12, 8, 12)
    )
    ticket_reopen(ticket=ticket, by=customer, at=at(NY, 2026, 12, 12, 10))
    fr, update = target(ticket), target(ticket, UPDATE)
    assert (fr.state, fr.met_at) == (TargetState.MET, at(NY, 2026, 12, 7, 11))
    assert (update.state, update.started_at, update.due_at) == (
        TargetState.RUNNING,
        at(NY, 2026, 12, 12, 10),
        at(NY, 2026, 12, 15, 12, 30),
    )


@pytest.mark.parametrize("sweep", [False, True], ids=["no sweep", "swept"])
def test_alectrona_update_after_a_priority_change_runs_on_the_new_priority(customer, agent, vendors, sweep):
    """Alectrona: "Urgent (Emergency) Priority: Response between 1 Hour and 4 Hours" and "Low
    Priority: Response between 8 Hours and 32 Hours" (in progress case: 4 h, then 32 h); SPEC §5:
    "a priority change recomputes them"; SPEC §2: "The new target is computed ... with the new
    duration".

    Opened Tue 1 Dec 2026 10:00 EST as Urgent, answered 10:30 (met); the update clock's 4 h run to
    14:30 and nobody writes: breached at 14:30, and it stays so (the one breach rule), whether or
    not the sweep came by at 15:00. Lowered to Low at 16:00. The next staff update, Tue 16:30,
    restarts the update clock of a Low case: 32 h from Tue 16:30: Tue 1 h, Wed 8.5 (9.5), Thu 8.5
    (18), Fri 8.5 (26.5), Mon 7 Dec 09:00 + 5.5 h = 14:30 EST (Urgent's 4 h would give Wed 12:00)."""
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    reply_add(ticket=ticket, author=agent, body="Looking", at=at(NY, 2026, 12, 1, 10, 30))
    assert target(ticket, UPDATE).due_at == at(NY, 2026, 12, 1, 14, 30)
    if sweep:
        sla_sweep(now=at(NY, 2026, 12, 1, 15))
    ticket_change_priority(ticket=ticket, priority="low", by=agent, at=at(NY, 2026, 12, 1, 16))
    update = target(ticket, UPDATE)
    assert (update.state, update.due_at) == (TargetState.BREACHED, at(NY, 2026, 12, 1, 14, 30))
    reply_add(ticket=ticket, author=agent, body="Still on it", at=at(NY, 2026, 12, 1, 16, 30))
    update = target(ticket, UPDATE)
    assert (update.state, update.duration) == (TargetState.RUNNING, timedelta(hours=32))
    assert update.due_at == at(NY, 2026, 12, 7, 14, 30)


def test_alectrona_withdrawn_first_response_reopened_after_a_priority_change(customer, agent, vendors):
    """Alectrona: Urgent new case 1 h, "Low Priority: Response between 8 Hours and 32 Hours" (new
    case 8 h); SPEC §2: "If the customer reopens it, a withdrawn first response starts again from
    the reopening with its full duration" -- the duration of the priority the case has then.

    Opened Tue 1 Dec 2026 10:00 EST as Urgent, closed by the customer unanswered at 10:20
    (withdrawn); the desk lowers it to Low at 11:00; the customer reopens Wed 2 Dec 15:00: 8 h from
    then: Wed 15:00-17:30 2.5 h, Thu 3 Dec 09:00 + 5.5 h = 14:30 EST (Urgent's 1 h: Wed 16:00)."""
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    ticket_close(ticket=ticket, by=customer, at=at(NY, 2026, 12, 1, 10, 20))
    ticket_change_priority(ticket=ticket, priority="low", by=agent, at=at(NY, 2026, 12, 1, 11))
    assert target(ticket).state == TargetState.WITHDRAWN
    ticket_reopen(ticket=ticket, by=customer, at=at(NY, 2026, 12, 2, 15))
    fr = target(ticket)
    assert (fr.state, fr.duration, fr.due_at) == (
        TargetState.RUNNING,
        timedelta(hours=8),
        at(NY, 2026, 12, 3, 14, 30),
    )


# ---------------------------------------------------------------------------- Albert


def test_albert_medium_over_independence_day_on_a_sunday(customer, vendors):
    """Albert: "'Support Hours' means 7:30 PM PST on Sundays through 7:30PM PST on Fridays,
    excluding US Federal holidays"; "Medium ... Response Time (hours): 10 Business Days"; SPEC §3:
    business day = 24 h of support time; SPEC §2: "A holiday removes that whole local calendar day".

    4 July 2027 is a Sunday (its evening window closed) and Monday 5 July is the observed holiday.
    Opened Fri 2 Jul 2027 18:00 PDT, 240 h: Fri 18:00-19:30 1.5; Sun 4 and Mon 5 closed; Tue 6
    00:00 -> Fri 9 19:30 91.5 (93); Sun 11 19:30 -> Fri 16 19:30 120 (213); Sun 18 Jul 19:30-24:00
    4.5 (217.5); Mon 19 Jul 00:00 + 22.5 h = 22:30 PDT (Tue 20 Jul 05:30 UTC)."""
    ticket = _open(customer, vendors, "albert", "medium", at(LA, 2027, 7, 2, 18))
    assert target(ticket).due_at == utc(2027, 7, 20, 5, 30)


def test_albert_urgent_opened_minutes_before_the_spring_change(customer, vendors):
    """Albert: "For Priority level 1 and 2 incidents, the Support Hours are 7 days a week, 24 hours
    a week, 365 days a year"; "Urgent ... 8hrs ... 24/7/365" (real time).

    Opened Sun 8 Mar 2026 01:55 PST (09:55 UTC), five minutes before 02:00 becomes 03:00: 8 real
    hours -> 17:55 UTC = 10:55 PDT (the wall clock moved 9 h)."""
    ticket = _open(customer, vendors, "albert", "urgent", at(LA, 2026, 3, 8, 1, 55))
    assert target(ticket).due_at == utc(2026, 3, 8, 17, 55) == at(LA, 2026, 3, 8, 10, 55)


@pytest.mark.parametrize(
    "opened, due",
    [
        (utc(2026, 11, 1, 8, 30), utc(2026, 11, 2, 8, 30)),  # the first 01:30 (PDT) -> Mon 00:30 PST
        (utc(2026, 11, 1, 9, 30), utc(2026, 11, 2, 9, 30)),  # the second 01:30 (PST) -> Mon 01:30 PST
    ],
    ids=["first 01:30 PDT", "second 01:30 PST"],
)
def test_albert_high_opened_in_the_repeated_autumn_hour(customer, vendors, opened, due):
    """Albert: "High ... 24hrs ... 24/7/365". Sun 1 Nov 2026 01:30 happens twice in Los Angeles.
    Opened at the first (PDT, 08:30 UTC): 24 real hours -> Mon 2 Nov 08:30 UTC = 00:30 PST. At the
    second (PST, 09:30 UTC) -> 09:30 UTC = 01:30 PST. The instant decides, never the wall time."""
    ticket = _open(customer, vendors, "albert", "high", opened)
    assert target(ticket).due_at == due


def test_albert_medium_wait_over_labor_day_credits_only_support_hours(customer, agent, vendors):
    """Albert: "Albert's waiting time does not count as resolution time" (SPEC §3: the clocks
    pause while a ticket waits on the customer); support hours "7:30 PM PST on Sundays through
    7:30PM PST on Fridays, excluding US Federal holidays"; Medium 10 business days = 240 h.

    Opened Fri 4 Sep 2026 10:00 PDT; waiting Fri 12:00 -> Tue 8 Sep 10:00 (customer answers).
    Credit: Fri 12:00-19:30 7.5, Sun 6 Sep 19:30-24:00 4.5, Mon 7 Sep (Labor Day) 0, Tue 00:00-10:00
    10 = 22 h. Due = Fri 10:00 + 262 h: Fri 9.5; Sun 6 4.5 (14); Tue-Thu 72 (86); Fri 11 19.5
    (105.5); Sun 13 -> Fri 18 120 (225.5); Sun 20 4.5 (230); Mon 21 24 (254); Tue 22 Sep 08:00 PDT."""
    ticket = _open(customer, vendors, "albert", "medium", at(LA, 2026, 9, 4, 10))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(LA, 2026, 9, 4, 12))
    reply_add(ticket=ticket, author=customer, body="Logs", at=at(LA, 2026, 9, 8, 10))
    fr = target(ticket)
    assert (fr.state, fr.paused) == (TargetState.RUNNING, timedelta(hours=22))
    assert fr.due_at == at(LA, 2026, 9, 22, 8)


def test_albert_high_lowered_to_medium_recounts_a_thanksgiving_wait(customer, agent, vendors):
    """Albert: "High ... 24hrs ... 24/7/365" and "Medium ... 10 Business Days ... 7:30 PM PST on
    Sundays through 7:30PM PST on Fridays" (excluding US federal holidays); SPEC §2: "the time spent
    waiting on the customer is excluded as measured on the new target's own clock".

    Opened Wed 25 Nov 2026 10:00 PST as High; waiting Wed 12:00 -> Fri 27 Nov 10:00 (46 real
    hours): due Wed 10:00 + 24 + 46 = Sat 28 Nov 08:00 PST. Lowered to Medium Fri 11:00: from the
    opening, 240 h plus the same wait on support hours: Wed 12:00-24:00 12, Thanksgiving 0, Fri
    00:00-10:00 10 = 22 h. 262 h from Wed 10:00: Wed 14; Thu 0; Fri 19.5 (33.5); Sun 29 Nov -> Fri
    4 Dec 120 (153.5); Sun 6 Dec 4.5 (158); Mon-Thu 96 (254); Fri 11 Dec 08:00 PST."""
    ticket = _open(customer, vendors, "albert", "high", at(LA, 2026, 11, 25, 10))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(LA, 2026, 11, 25, 12))
    reply_add(ticket=ticket, author=customer, body="Logs", at=at(LA, 2026, 11, 27, 10))
    fr = target(ticket)
    assert (fr.paused, fr.due_at) == (timedelta(hours=46), at(LA, 2026, 11, 28, 8))
    ticket_change_priority(ticket=ticket, priority="medium", by=agent, at=at(LA, 2026, 11, 27, 11))
    fr = target(ticket)
    assert (fr.state, fr.paused) == (TargetState.RUNNING, timedelta(hours=22))
    assert fr.due_at == at(LA, 2026, 12, 11, 8)


def test_albert_medium_withdrawn_then_reopened_on_christmas(customer, vendors):
    """Albert: Medium "10 Business Days" in support hours "excluding US Federal holidays"; SPEC
    §2: "If the customer reopens it, a withdrawn first response starts again from the reopening
    with its full duration".

    Opened Mon 21 Dec 2026 10:00 PST, closed by the customer unanswered Tue 22 Dec 09:00
    (withdrawn), reopened Fri 25 Dec (Christmas) 10:00: 240 h from the next opening, Sun 27 Dec
    19:30: Sun 4.5 + Mon-Thu 96 = 100.5; Fri 1 Jan 2027 (New Year) closed; Sun 3 Jan 19:30 -> Fri
    8 Jan 19:30 120 (220.5); Sun 10 Jan 4.5 (225); Mon 11 Jan 00:00 + 15 h = 15:00 PST."""
    ticket = _open(customer, vendors, "albert", "medium", at(LA, 2026, 12, 21, 10))
    ticket_close(ticket=ticket, by=customer, at=at(LA, 2026, 12, 22, 9))
    assert target(ticket).state == TargetState.WITHDRAWN
    ticket_reopen(ticket=ticket, by=customer, at=at(LA, 2026, 12, 25, 10))
    fr = target(ticket)
    assert (fr.state, fr.due_at) == (TargetState.RUNNING, at(LA, 2027, 1, 11, 15))


def test_albert_withdrawn_first_response_reopened_at_low_has_no_target(customer, agent, vendors):
    """Albert: "Low has no target ('ordinary course of business') -- show 'no contractual target',
    never invent one" (SPEC §3); SPEC §2: a withdrawn first response starts again from the
    reopening with its full duration -- the priority the case has then promises none.

    Opened Mon 7 Dec 2026 10:00 PST as Medium, closed by the customer unanswered at 11:00
    (withdrawn), lowered to Low at 12:00, reopened Tue 8 Dec 09:00: no deadline runs (Medium's 10
    business days would give one), and the case shows none."""
    ticket = _open(customer, vendors, "albert", "medium", at(LA, 2026, 12, 7, 10))
    ticket_close(ticket=ticket, by=customer, at=at(LA, 2026, 12, 7, 11))
    ticket_change_priority(ticket=ticket, priority="low", by=agent, at=at(LA, 2026, 12, 7, 12))
    ticket_reopen(ticket=ticket, by=customer, at=at(LA, 2026, 12, 8, 9))
    fr = target(ticket)
    assert (fr.state, fr.due_at) == (TargetState.NOT_APPLICABLE, None)
    assert target_explanation(fr) == "No contractual target: the case's priority now has none."
    ticket.refresh_from_db()
    assert ticket.next_due_at is None


def test_albert_medium_lowered_to_low_explains_no_target_not_the_old_terms(customer, agent, vendors):
    """Albert Low "has no target ... never invent one" (SPEC §3): a Medium case lowered to Low
    shows its first response as not applicable, explained as such -- not as "within 10 d ...,
    priority 3 - Medium", terms the case no longer has."""
    ticket = _open(customer, vendors, "albert", "medium", at(LA, 2026, 12, 7, 10))
    ticket_change_priority(ticket=ticket, priority="low", by=agent, at=at(LA, 2026, 12, 7, 12))
    fr = target(ticket)
    assert (fr.state, fr.due_at) == (TargetState.NOT_APPLICABLE, None)
    assert target_explanation(fr) == "No contractual target: the case's priority now has none."


# ---------------------------------------------------------------------------- SecPod


def test_secpod_low_from_a_customer_whose_friday_is_kolkatas_saturday(client, customer, vendors):
    """SecPod: "A routine technical issue or inquiry. 2 business days or less"; SPEC §3: "Low ...
    2 business days on a Mon-Fri 00:00-24:00 Asia/Kolkata calendar (business day = 24 h)".

    The customer (Acme, America/Chicago) opens on Fri 27 Nov 2026 20:00 CST = Sat 28 Nov 07:30 IST:
    a weekend in Kolkata, so the clock starts Mon 30 Nov 00:00 IST + 48 h = Wed 2 Dec 00:00 IST =
    Tue 1 Dec 18:30 UTC. Computed on the vendor's calendar; shown in the customer's zone: Tue 1 Dec
    2026 12:30 CST."""
    opened = at(ZoneInfo("America/Chicago"), 2026, 11, 27, 20)
    ticket = _open(customer, vendors, "secpod", "low", opened)
    assert target(ticket).due_at == at(KOLKATA, 2026, 12, 2, 0) == utc(2026, 12, 1, 18, 30)
    client.force_login(customer)
    with time_machine.travel(opened + timedelta(hours=1), tick=False):
        html = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "Tue 1 Dec 2026 12:30 CST" in html


def test_secpod_normal_wait_overnight_is_real_time(customer, agent, vendors):
    """SecPod: "Normal ... 12 hours or less" with support contacts "24x7" (SPEC §3: the 24x7
    clock); waiting on the customer pauses the clock (SPEC §5).

    Opened Mon 7 Dec 2026 20:00 IST; waiting 22:00 -> Tue 8 Dec 08:00 IST (10 real hours):
    due = 20:00 + 12 h + 10 h = Tue 8 Dec 18:00 IST."""
    ticket = _open(customer, vendors, "secpod", "normal", at(KOLKATA, 2026, 12, 7, 20))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(KOLKATA, 2026, 12, 7, 22))
    reply_add(ticket=ticket, author=customer, body="Logs", at=at(KOLKATA, 2026, 12, 8, 8))
    fr = target(ticket)
    assert (fr.state, fr.paused, fr.due_at) == (
        TargetState.RUNNING,
        timedelta(hours=10),
        at(KOLKATA, 2026, 12, 8, 18),
    )


# ---------------------------------------------------------------------------- Infotecs


def test_infotecs_contract_business_days_over_the_russian_new_year(
    customer, vendors, basic_contract, versions
):
    """Infotecs states no response times: "The terms of providing technical support ... are
    discussed with customers and fixed in the Agreement" (SPEC §4: contract-specific response
    targets). This contract agrees Normal: 2 business days on the desk's Moscow business hours
    (Mon-Fri 09:00-18:00 Europe/Moscow, excluding Russian public holidays, business day 9 h): 18 h.

    Opened Wed 30 Dec 2026 15:00 MSK: Wed 15:00-18:00 3 h; Thu 31 Dec a day off (moved from Sun 4
    Jan); 1-8 Jan 2027 New Year holidays; Sat-Sun 9-10 Jan; Mon 11 Jan 9 h (12); Tue 12 Jan 09:00
    + 6 h = 15:00 MSK = 12:00 UTC."""
    moscow = SupportCalendar.objects.get(version__vendor=vendors["infotecs"], slug="moscow-business-hours")
    ContractTarget.objects.create(
        contract=basic_contract,
        priority_code="normal",
        kind=FR,
        duration=2,
        unit=DurationUnit.BUSINESS_DAYS,
        calendar=moscow,
    )
    ticket = _open(
        customer,
        vendors,
        "infotecs",
        "normal",
        at(MOSCOW, 2026, 12, 30, 15),
        product=basic_contract.product,
        major_version=versions[4],
        confirm_billable=True,
    )
    fr = target(ticket)
    assert (fr.duration, fr.due_at) == (timedelta(hours=18), utc(2027, 1, 12, 12))


def _critical_with_updates(customer, vendors, basic_contract, versions) -> Ticket:
    """The contract agrees Critical: first response 4 h and updates every 8 h; Normal: first
    response 24 h and no update target. A Critical case opened under it Mon 7 Dec 2026 10:00 MSK."""
    for priority, kind, hours in (("critical", FR, 4), ("critical", UPDATE, 8), ("normal", FR, 24)):
        ContractTarget.objects.create(
            contract=basic_contract,
            priority_code=priority,
            kind=kind,
            duration=hours,
            unit=DurationUnit.HOURS,
        )
    return _open(
        customer,
        vendors,
        "infotecs",
        "critical",
        at(MOSCOW, 2026, 12, 7, 10),
        product=basic_contract.product,
        major_version=versions[4],
        confirm_billable=True,
    )


def test_a_contract_update_target_of_one_priority_is_not_invented_for_another(
    customer, agent, vendors, basic_contract, versions
):
    """Infotecs fixes its targets in the Agreement (SPEC §4). This one agrees Critical: first
    response 4 h and updates every 8 h; Normal: first response 24 h and no update target.

    Opened Mon 7 Dec 2026 10:00 MSK as Critical; the desk answers at 11:00 (updates due 19:00);
    lowered to Normal at 12:00: the update target stops, none at Normal; the desk's next update at
    13:00 starts none (Critical's 8 h would be invented), and the case says it has none."""
    ticket = _critical_with_updates(customer, vendors, basic_contract, versions)
    reply_add(ticket=ticket, author=agent, body="Looking.", at=at(MOSCOW, 2026, 12, 7, 11))
    assert target(ticket, UPDATE).due_at == at(MOSCOW, 2026, 12, 7, 19)
    ticket_change_priority(ticket=ticket, priority="normal", by=agent, at=at(MOSCOW, 2026, 12, 7, 12))
    reply_add(ticket=ticket, author=agent, body="Still looking.", at=at(MOSCOW, 2026, 12, 7, 13))
    update = target(ticket, UPDATE)
    assert (update.state, update.due_at) == (TargetState.NOT_APPLICABLE, None)
    assert target_explanation(update) == "No contractual target: the case's priority now has none."


def test_a_waiting_update_target_lowered_away_before_the_first_answer_says_it_has_none(
    customer, agent, vendors, basic_contract, versions
):
    """The same contract. Opened Mon 7 Dec 2026 10:00 MSK as Critical: the update target waits for
    the desk's first answer. Lowered to Normal at 10:30, before any answer: Normal has no update
    target, so the case must not say it "starts with the desk's first public reply" (it never will);
    the answer at 11:00 starts none. Raised to Critical again at 12:00 it waits for the next update
    once more, on Critical's 8 h: at the desk's update at 13:00 it is due 21:00."""
    ticket = _critical_with_updates(customer, vendors, basic_contract, versions)
    assert "first public reply" in target_explanation(target(ticket, UPDATE))
    ticket_change_priority(ticket=ticket, priority="normal", by=agent, at=at(MOSCOW, 2026, 12, 7, 10, 30))
    update = target(ticket, UPDATE)
    assert (update.state, update.started_at, update.due_at) == (TargetState.NOT_APPLICABLE, None, None)
    assert target_explanation(update) == "No contractual target: the case's priority now has none."
    reply_add(ticket=ticket, author=agent, body="Looking.", at=at(MOSCOW, 2026, 12, 7, 11))
    assert target(ticket, UPDATE).due_at is None
    ticket_change_priority(ticket=ticket, priority="critical", by=agent, at=at(MOSCOW, 2026, 12, 7, 12))
    assert "first public reply" in target_explanation(target(ticket, UPDATE))
    reply_add(ticket=ticket, author=agent, body="Still looking.", at=at(MOSCOW, 2026, 12, 7, 13))
    update = target(ticket, UPDATE)
    assert (update.state, update.due_at) == (TargetState.RUNNING, at(MOSCOW, 2026, 12, 7, 21))
