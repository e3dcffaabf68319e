"""Case deadlines computed by hand from SPEC §2/§3 and the seed policies (shared/seeds/), checked to the
second against what the portal stores and what the API and the case page show.

Each test's docstring quotes the clause it rests on and shows the arithmetic on a wall calendar in
the vendor's zone. Offsets: New York EST -5 / EDT -4, Los Angeles PST -8 / PDT -7, Kolkata +5:30,
Chicago (the customer's zone on the case page) CST -6. US DST 2026: starts Sun 8 Mar 02:00, ends
Sun 1 Nov 02:00. US federal holidays as the `holidays` package gives them, observed days included:
Thanksgiving Thu 26 Nov 2026, Christmas Fri 25 Dec 2026, New Year Fri 1 Jan 2027; in 2027 Christmas
and New Year's Day fall on Saturdays and are observed on Fri 24 Dec and Fri 31 Dec 2027.

They add to tests/policies/test_hand_computed_audit.py (other weekends, holidays and changes): waits
that span the DST changes, a late Friday answer starting the update clock, Albert's last second of the
week and its observed Friday holidays, SecPod's Friday-midnight close, a priority change there and
back with waits between, the breach boundary on every view, and a withdrawn first response that runs
again after a priority without a target.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

# The audit's helpers: moments in a zone, a case opened at one, its target; the API's and the case
# page's view of it at a moment.
from tests.policies.test_hand_computed_audit import FR, KOLKATA, LA, NY, UPDATE, _open, at, target, utc
from tests.tickets.test_case_truth import api_sla as api
from tests.tickets.test_case_truth import page
from tickets.admin import live_sla_state
from tickets.admin.listing import SlaStateFilter
from tickets.models import TargetState, Ticket
from tickets.services import (
    reply_add,
    ticket_change_priority,
    ticket_close,
    ticket_reopen,
    ticket_wait_on_customer,
)
from tickets.services.sweep import sla_sweep

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


def deadlines_card(client, user, ticket: Ticket, now: datetime) -> str:
    html = page(client, user, ticket, now)
    start = html.index('id="deadlines"')
    return html[start : html.index("</aside>", start)]


# ---------------------------------------------------------------------------- Alectrona


def test_alectrona_waits_across_both_dst_changes(client, customer, agent, vendors):
    """Alectrona: "Monday through Friday, from 9:00 am to 5:30 pm Eastern Standard Time" (SPEC §3: the
    local Eastern clock, DST included); Low new case 8 h, Medium 4 h; SPEC §2: pausing credits the
    business time of the wait.

    Spring. Low opened Fri 6 Mar 2026 10:00 EST, waiting from 11:00 (1 h used, 7 h left). On Mon 9
    Mar 12:00 EDT the API says paused with 7 h left. The customer answers Tue 10 Mar 10:00 EDT:
    credit Fri 11:00-17:30 6.5 + Mon 8.5 + Tue 09:00-10:00 1 = 16 h; the 7 h left run from Tue 10:00
    EDT to 17:00 EDT = 21:00 UTC (an EST reading would say 22:00 UTC).

    Autumn. Medium opened Fri 30 Oct 2026 15:00 EDT, waiting 16:00 EDT -> Mon 2 Nov 10:00 EST:
    credit Fri 1.5 + Mon 1 = 2.5 h; 3 h left from Mon 10:00 EST = 13:00 EST = 18:00 UTC."""
    spring = _open(customer, vendors, "alectrona", "low", at(NY, 2026, 3, 6, 10))
    ticket_wait_on_customer(ticket=spring, by=agent, at=at(NY, 2026, 3, 6, 11))
    row = api(customer, spring, at(NY, 2026, 3, 9, 12))[FR]
    assert (row["state"], row["remaining_seconds"]) == (TargetState.PAUSED, 7 * 3600)
    # The case page says what the API says: the time left, waiting for the customer's answer.
    assert "paused while we wait on you; 7 h left" in deadlines_card(
        client, customer, spring, at(NY, 2026, 3, 9, 12)
    )
    reply_add(ticket=spring, author=customer, body="Logs", at=at(NY, 2026, 3, 10, 10))
    fr = target(spring)
    assert (fr.state, fr.paused, fr.due_at) == (
        TargetState.RUNNING,
        timedelta(hours=16),
        utc(2026, 3, 10, 21),
    )

    autumn = _open(customer, vendors, "alectrona", "medium", at(NY, 2026, 10, 30, 15))
    ticket_wait_on_customer(ticket=autumn, by=agent, at=at(NY, 2026, 10, 30, 16))
    reply_add(ticket=autumn, author=customer, body="Logs", at=at(NY, 2026, 11, 2, 10))
    fr = target(autumn)
    assert (fr.paused, fr.due_at) == (timedelta(hours=2.5), utc(2026, 11, 2, 18))


def test_alectrona_late_friday_answer_starts_the_update_clock_after_the_autumn_change(
    customer, agent, vendors
):
    """Alectrona: "Urgent (Emergency) Priority: Response between 1 Hour and 4 Hours" (new case 1 h,
    in progress 4 h); SPEC §2: an answer after due is "answered late" with its real business time.

    Opened Fri 30 Oct 2026 16:00 EDT: first response due 17:00 EDT. Answered 17:20: breached at 17:00,
    answered 17:20, 1 h 20 min of business time. The update clock from Fri 17:20: Fri 10 min, the
    clocks go back on Sunday, Mon 2 Nov 09:00 EST + 3 h 50 min = 12:50 EST = 17:50 UTC."""
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 10, 30, 16))
    reply_add(ticket=ticket, author=agent, body="Looking", at=at(NY, 2026, 10, 30, 17, 20))
    fr = target(ticket)
    assert (fr.state, fr.breached_at, fr.fulfilled_at, fr.response_business_time) == (
        TargetState.BREACHED,
        at(NY, 2026, 10, 30, 17),
        at(NY, 2026, 10, 30, 17, 20),
        timedelta(minutes=80),
    )
    assert target(ticket, UPDATE).due_at == utc(2026, 11, 2, 17, 50)


def test_alectrona_deadline_on_the_friday_close_and_an_answer_there(customer, agent, vendors):
    """SPEC §2: "a deadline that falls exactly on a window's close is that close time, not the next
    opening"; "an answer at due meets it"; a start outside the windows counts from the next opening.

    Urgent opened Fri 6 Mar 2026 16:30 EST: 1 h -> Fri 17:30 EST = 22:30 UTC (not Mon 09:00). The
    answer at 17:30 meets it and starts the 4 h update clock at the close: Mon 9 Mar 09:00 EDT
    (after the spring change) + 4 h = 13:00 EDT = 17:00 UTC."""
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 3, 6, 16, 30))
    assert target(ticket).due_at == utc(2026, 3, 6, 22, 30)
    reply_add(ticket=ticket, author=agent, body="Looking", at=at(NY, 2026, 3, 6, 17, 30))
    assert target(ticket).state == TargetState.MET
    assert target(ticket, UPDATE).due_at == utc(2026, 3, 9, 17)


# ---------------------------------------------------------------------------- Albert


@pytest.mark.parametrize(
    "opened, due",
    [
        # Fri 20 Nov 19:29:59 -> 19:30 1 s; Sun 22 19:30-24:00 4.5 h; Mon-Wed 72 (76.5); Thanksgiving
        # Thu 26 closed; Fri 27 19.5 (96); Sun 29 -> Fri 4 Dec 120 (216); Sun 6 Dec 4.5 (220.5);
        # 19.5 h - 1 s left: Mon 7 Dec 19:29:59 PST = Tue 8 Dec 03:29:59 UTC.
        (at(LA, 2026, 11, 20, 19, 29, 59), utc(2026, 12, 8, 3, 29, 59)),
        # One second later the week's window has closed: the same 240 h from Sun 22 Nov 19:30.
        (at(LA, 2026, 11, 20, 19, 30), utc(2026, 12, 8, 3, 30)),
        # Mon 21 Dec 10:00: Mon 14; Tue-Thu 72 (86); Christmas Fri 25 closed; Sun 27 4.5 (90.5);
        # Mon-Thu 96 (186.5); New Year Fri 1 Jan closed; Sun 3 Jan 4.5 (191); Mon 24 (215); Tue 24
        # (239); Wed 6 Jan 2027 00:00 + 1 h = 01:00 PST = 09:00 UTC.
        (at(LA, 2026, 12, 21, 10), utc(2027, 1, 6, 9)),
        # Thu 23 Dec 2027 10:00: Thu 14; Fri 24 (Christmas observed) closed; Sun 26 4.5 (18.5); Mon-Thu
        # 96 (114.5); Fri 31 (New Year observed) closed; Sun 2 Jan 2028 4.5 (119); Mon-Thu 96 (215);
        # Fri 7 Jan 19.5 (234.5); Sun 9 Jan 4.5 (239); Mon 10 Jan 00:00 + 1 h = 01:00 PST = 09:00 UTC.
        (at(LA, 2027, 12, 23, 10), utc(2028, 1, 10, 9)),
    ],
    ids=["Friday 19:29:59", "Friday 19:30", "Christmas and New Year 2026", "observed Fridays 2027"],
)
def test_albert_medium_ten_business_days(customer, vendors, opened, due):
    """Albert: "'Support Hours' means 7:30 PM PST on Sundays through 7:30PM PST on Fridays, excluding
    US Federal holidays"; "Medium ... 10 Business Days"; SPEC §3: business day = 24 h of support time;
    SPEC §2: "A holiday removes that whole local calendar day" (the `holidays` package's days, the
    observed Friday of a Saturday holiday included). Arithmetic beside each case."""
    ticket = _open(customer, vendors, "albert", "medium", opened)
    assert target(ticket).due_at == due


def test_albert_urgent_waits_on_thanksgiving_in_real_time(customer, agent, vendors):
    """Albert: "For Priority level 1 and 2 incidents, the Support Hours are 7 days a week, 24 hours a
    week, 365 days a year"; "Urgent ... 8hrs"; the clocks pause while the ticket waits on the customer.

    Opened on Thanksgiving, Thu 26 Nov 2026 10:00 PST (the holiday does not close a 24×7 clock);
    waiting 11:00 -> 15:30 (4.5 real hours). At 13:00 the API says paused, 7 h left. Due 10:00 + 8 h +
    4.5 h = 22:30 PST = Fri 27 Nov 06:30 UTC."""
    ticket = _open(customer, vendors, "albert", "urgent", at(LA, 2026, 11, 26, 10))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(LA, 2026, 11, 26, 11))
    row = api(customer, ticket, at(LA, 2026, 11, 26, 13))[FR]
    assert (row["state"], row["remaining_seconds"]) == (TargetState.PAUSED, 7 * 3600)
    reply_add(ticket=ticket, author=customer, body="Logs", at=at(LA, 2026, 11, 26, 15, 30))
    assert target(ticket).due_at == utc(2026, 11, 27, 6, 30)


def test_albert_low_shows_no_contractual_target(client, customer, vendors):
    """SPEC §3: "Low has no target ('ordinary course of business') -- show 'no contractual target',
    never invent one": no deadline in the API, none on the case page."""
    ticket = _open(customer, vendors, "albert", "low", at(LA, 2026, 12, 7, 10))
    assert api(customer, ticket, at(LA, 2026, 12, 8, 10)) == {}
    card = deadlines_card(client, customer, ticket, at(LA, 2026, 12, 8, 10))
    assert "No contractual target applies to this case." in card and "Due" not in card


@pytest.mark.parametrize(
    "via", ["lowered after the reopening", "lowered before the reopening", "lowered before the close"]
)
def test_albert_withdrawn_first_response_raised_back_to_medium_runs_from_the_reopening(
    customer, agent, vendors, via
):
    """SPEC §2: "If the customer reopens it, a withdrawn first response starts again from the reopening
    with its full duration"; "A priority change ... The new target is computed from the case's
    original start with the new duration" -- for a first response restarted by a reopening, that
    start is the reopening (as a change from Medium to High and back keeps it). A stop at Low in
    between ("Low has no target") must not move it back to the opening: the three weeks the case was
    closed are no time the desk owed an answer.

    Medium opened Tue 1 Dec 2026 10:00 PST, closed by the customer unanswered at 11:00 (withdrawn);
    lowered to Low (Tue 1 Dec 11:30, or Mon 21 Dec 09:30 after the reopening); reopened Mon 21 Dec
    09:00; raised to Medium Mon 21 Dec 10:00. 240 h from the reopening: Mon 15; Tue-Thu 72 (87);
    Christmas Fri 25 closed; Sun 27 4.5 (91.5); Mon-Thu 96 (187.5); New Year Fri 1 Jan closed; Sun 3
    Jan 4.5 (192); Mon 24 (216); Tue 24 (240): Wed 6 Jan 2027 00:00 PST = 08:00 UTC. From the opening
    it would have been Tue 15 Dec 10:00 PST: breached six days before the case was raised.

    Lowered before the close (Tue 1 Dec 10:30), the first response had no target when the customer
    closed the case unanswered: nothing was withdrawn, yet the customer withdrew the question all
    the same, and it runs from the reopening too."""
    ticket = _open(customer, vendors, "albert", "medium", at(LA, 2026, 12, 1, 10))
    if via == "lowered before the close":
        ticket_change_priority(ticket=ticket, priority="low", by=agent, at=at(LA, 2026, 12, 1, 10, 30))
    ticket_close(ticket=ticket, by=customer, at=at(LA, 2026, 12, 1, 11))
    if via == "lowered before the reopening":
        ticket_change_priority(ticket=ticket, priority="low", by=agent, at=at(LA, 2026, 12, 1, 11, 30))
    ticket_reopen(ticket=ticket, by=customer, at=at(LA, 2026, 12, 21, 9))
    if via == "lowered after the reopening":
        assert target(ticket).due_at == utc(2027, 1, 6, 8)
        ticket_change_priority(ticket=ticket, priority="low", by=agent, at=at(LA, 2026, 12, 21, 9, 30))
    assert target(ticket).state == TargetState.NOT_APPLICABLE
    ticket_change_priority(ticket=ticket, priority="medium", by=agent, at=at(LA, 2026, 12, 21, 10))
    fr = target(ticket)
    assert (fr.state, fr.started_at, fr.due_at) == (
        TargetState.RUNNING,
        at(LA, 2026, 12, 21, 9),
        utc(2027, 1, 6, 8),
    )
    row = api(customer, ticket, at(LA, 2026, 12, 21, 10))[FR]
    assert (row["state"], row["due_at"]) == (TargetState.RUNNING, "2027-01-06T08:00:00+00:00")


# ---------------------------------------------------------------------------- SecPod


def test_secpod_low_opened_on_a_saturday_and_due_on_the_friday_close(customer, vendors):
    """SecPod: "A routine technical issue or inquiry. 2 business days or less"; SPEC §3: "2 business
    days on a Mon-Fri 00:00-24:00 Asia/Kolkata calendar (business day = 24 h)"; SPEC §2: a start
    outside the windows counts from the next opening, a deadline on a close is that close.

    Opened Sat 5 Dec 2026 12:00 IST: Mon 7 Dec 00:00 + 48 h = Wed 9 Dec 00:00 IST = Tue 8 Dec 18:30 UTC.
    Opened Thu 3 Dec 00:00 IST: Thu 24 + Fri 24 = Fri's midnight close, Sat 5 Dec 00:00 IST = Fri 4 Dec
    18:30 UTC, not Monday."""
    saturday = _open(customer, vendors, "secpod", "low", at(KOLKATA, 2026, 12, 5, 12))
    assert target(saturday).due_at == utc(2026, 12, 8, 18, 30)
    thursday = _open(customer, vendors, "secpod", "low", at(KOLKATA, 2026, 12, 3, 0))
    assert target(thursday).due_at == utc(2026, 12, 4, 18, 30)


def test_secpod_normal_to_low_and_back_recounts_the_waits_on_each_clock(customer, agent, vendors):
    """SecPod: "Normal ... 12 hours or less" (24×7) and Low "2 business days or less" (Mon-Fri
    Kolkata, 24 h a day); SPEC §2: "the time spent waiting on the customer is excluded as measured on
    the new target's own clock (the same waiting intervals, recounted ...) -- never the number of
    seconds the old clock happened to credit".

    Normal opened Fri 4 Dec 2026 10:00 IST (due 22:00). Wait 1: Fri 12:00 -> 20:00 (8 real hours: due
    Sat 06:00). Wait 2 from Fri 21:00. Lowered to Low Sat 5 Dec 10:00, still waiting: from Fri 10:00,
    48 h + wait 1 on the Kolkata days (8 h, all on Friday) = 56 h: Fri 14, Mon 24 (38), Tue 00:00 +
    18 = Tue 8 Dec 18:00 IST; paused since Fri 21:00, with Fri 3 + Mon 24 + Tue 18 = 45 h left.
    The customer answers Mon 7 Dec 03:00 IST: wait 2 credits Fri 21:00-24:00 3 + Mon 00:00-03:00 3 =
    6 h (not the 54 real hours); 62 h from Fri 10:00: Fri 14, Mon 24, Tue 24 = Wed 9 Dec 00:00 IST =
    Tue 8 Dec 18:30 UTC. Raised back to Normal Mon 04:00: both waits in real time, 8 + 54 = 62 h;
    Fri 10:00 + 12 h + 62 h = Mon 7 Dec 12:00 IST, 8 h left at 04:00."""
    ticket = _open(customer, vendors, "secpod", "normal", at(KOLKATA, 2026, 12, 4, 10))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(KOLKATA, 2026, 12, 4, 12))
    reply_add(ticket=ticket, author=customer, body="Logs", at=at(KOLKATA, 2026, 12, 4, 20))
    assert target(ticket).due_at == at(KOLKATA, 2026, 12, 5, 6)
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(KOLKATA, 2026, 12, 4, 21))
    ticket_change_priority(ticket=ticket, priority="low", by=agent, at=at(KOLKATA, 2026, 12, 5, 10))
    fr = target(ticket)
    assert (fr.state, fr.paused, fr.paused_since, fr.due_at) == (
        TargetState.PAUSED,
        timedelta(hours=8),
        at(KOLKATA, 2026, 12, 4, 21),
        at(KOLKATA, 2026, 12, 8, 18),
    )
    row = api(customer, ticket, at(KOLKATA, 2026, 12, 6, 10))[FR]
    assert (row["state"], row["remaining_seconds"]) == (TargetState.PAUSED, 45 * 3600)
    reply_add(ticket=ticket, author=customer, body="More logs", at=at(KOLKATA, 2026, 12, 7, 3))
    fr = target(ticket)
    assert (fr.state, fr.paused, fr.due_at) == (
        TargetState.RUNNING,
        timedelta(hours=14),
        utc(2026, 12, 8, 18, 30),
    )
    ticket_change_priority(ticket=ticket, priority="normal", by=agent, at=at(KOLKATA, 2026, 12, 7, 4))
    fr = target(ticket)
    assert (fr.state, fr.paused, fr.due_at) == (
        TargetState.RUNNING,
        timedelta(hours=62),
        at(KOLKATA, 2026, 12, 7, 12),
    )
    assert api(customer, ticket, at(KOLKATA, 2026, 12, 7, 4))[FR]["remaining_seconds"] == 8 * 3600


def test_secpod_low_withdrawn_and_reopened_on_a_saturday(customer, vendors):
    """SPEC §2: "If the customer reopens it, a withdrawn first response starts again from the reopening
    with its full duration"; a start outside the windows counts from the next opening.

    Low opened Mon 7 Dec 2026 10:00 IST, closed by the customer unanswered at 11:00 (withdrawn),
    reopened Sat 12 Dec 10:00 IST: 48 h from Mon 14 Dec 00:00 = Wed 16 Dec 00:00 IST = Tue 15 Dec
    18:30 UTC (not the 47 h left at the close, nor from the opening)."""
    ticket = _open(customer, vendors, "secpod", "low", at(KOLKATA, 2026, 12, 7, 10))
    ticket_close(ticket=ticket, by=customer, at=at(KOLKATA, 2026, 12, 7, 11))
    assert target(ticket).state == TargetState.WITHDRAWN
    ticket_reopen(ticket=ticket, by=customer, at=at(KOLKATA, 2026, 12, 12, 10))
    fr = target(ticket)
    assert (fr.state, fr.started_at, fr.due_at) == (
        TargetState.RUNNING,
        at(KOLKATA, 2026, 12, 12, 10),
        utc(2026, 12, 15, 18, 30),
    )


# ---------------------------------------------------------------------------- the one breach rule


def test_the_breach_boundary_on_every_view(client, rf, customer, agent, vendors):
    """SPEC §2: "a target is breached only once now > due (strictly); at due exactly it is still
    running with 0 s left, and an answer at due meets it. The admin badge and filter, the API, the case
    page, the sweep and the reports all use the same function".

    SecPod Low opened Thu 3 Dec 2026 00:00 IST, due Fri's midnight close, Sat 5 Dec 00:00 IST = Fri 4
    Dec 18:30 UTC (12:30 CST on the customer's page). At due: running, 0 s left, in no breached
    filter, not swept. One second later: breached, -1 s, in the filter, swept. An answer at due
    (on a twin case, unswept) meets it."""
    ticket = _open(customer, vendors, "secpod", "low", at(KOLKATA, 2026, 12, 3, 0))
    twin = _open(customer, vendors, "secpod", "low", at(KOLKATA, 2026, 12, 3, 0))
    due = utc(2026, 12, 4, 18, 30)
    ticket.refresh_from_db()
    for now, state, left, breached in ((due, "running", 0, False), (due + SECOND, "breached", -1, True)):
        row = api(customer, ticket, now)[FR]
        assert (row["due_at"], row["state"], row["remaining_seconds"]) == (
            "2026-12-04T18:30:00+00:00",
            state,
            left,
        )
        assert (live_sla_state(ticket, now) == "breached") is breached
        with time_machine.travel(now, tick=False):
            listed = SlaStateFilter(rf.get("/", {"sla": "breached"}), {"sla": ["breached"]}, Ticket, None)
            assert listed.queryset(None, Ticket.objects.filter(pk=ticket.pk)).exists() is breached
        card = deadlines_card(client, customer, ticket, now)
        assert "Fri 4 Dec 2026 12:30 CST" in card and f"state-{state}" in card
    assert "due in 0 min" in deadlines_card(client, customer, ticket, due)
    late = deadlines_card(client, customer, ticket, due + SECOND)
    assert "overdue by less than a minute" in late and "overdue by 0 min" not in late
    reply_add(ticket=twin, author=agent, body="Here", at=due)
    assert target(twin).state == TargetState.MET
    assert sla_sweep(now=due).breached == 0
    assert sla_sweep(now=due + SECOND).breached == 1
    assert target(ticket).state == TargetState.BREACHED
