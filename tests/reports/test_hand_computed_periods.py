"""A measurement period's figures, each worked out by hand from the vendor's published policy
(the seed texts in /work/shared/seeds/ and SPEC §3–§4's fixed readings), not from the code.

Every test goes through the portal's own services and reads what the portal shows: the period's
figures (`reports.periods.period_figures`, what closing freezes and the report prints), the
compliance rows, a monthly statement, the entitlement of a new case. Times are wall times in the
zone named; UTC equivalents are given where the month boundary depends on them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from lifecycle.models import LedgerKind, QuotaLedgerEntry
from reports import selectors
from reports.models import MeasurementPeriod, OutageCause
from reports.periods import period_figures
from reports.statements import statement_compute
from tests.reports.factories import MonitoredServiceFactory, OutageFactory
from tickets.models import SlaTarget, TargetKind, TargetState
from tickets.services import (
    reply_add,
    ticket_close,
    ticket_open,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_wait_on_customer,
)

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
H = timedelta(hours=1)
S = timedelta(seconds=1)


def la(*args) -> datetime:
    return datetime(*args, tzinfo=LA)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _case(user, vendor, *, at, priority="urgent", **extra):
    return ticket_open(
        organization=user.membership.organization,
        requester=user,
        vendor=vendor,
        priority=priority,
        subject="Platform down",
        body="It is down",
        at=at,
        **extra,
    )


@pytest.fixture
def albert_service(customer, vendors):
    """An Albert application the customer's report shows (the organization has an Albert case,
    opened long before the months measured, so it is in none of their compliance figures)."""
    _case(customer, vendors["albert"], at=utc(2025, 6, 1, 12))
    return MonitoredServiceFactory()


READ_ON = datetime(2026, 12, 1, tzinfo=UTC)


def _availability(organization, vendors, service, month: date, now=READ_ON) -> tuple[dict, bool]:
    """The service's month as the period shows and freezes it, and the period's verdict."""
    period = MeasurementPeriod(organization=organization, vendor=vendors["albert"], month=month)
    figures = period_figures(period, now=now)
    return figures["availability"][service.slug], figures["availability_failure"]


def _uptime(frozen: dict) -> Fraction:
    measured = frozen["period"] - frozen["maintenance"] - frozen["excluded"]
    return 1 - Fraction(frozen["downtime"], measured)


US = 1_000_000  # the frozen figures are whole microseconds


def test_an_outage_over_the_spring_forward_maintenance_window(organization, vendors, albert_service):
    """Albert 3.b.iii: "The maintenance/back-up window is between 12:00 am and 6:00 am (Pacific Time
    Zone) on Sundays" — excluded from the month (SPEC §3: "excluding the Sunday 00:00–06:00 Pacific
    maintenance window"); uptime is per "calendar month".

    Unplanned outage Sat 7 Mar 2026 23:00 PST (07:00 UTC Sun) → Sun 8 Mar 07:00 PDT (14:00 UTC):
    7 real hours. That Sunday clocks spring forward at 02:00, so the window 00:00 PST (08:00 UTC) →
    06:00 PDT (13:00 UTC) is 5 real hours, all inside the outage. Downtime = 23:00–00:00 PST (1 h)
    + 06:00–07:00 PDT (1 h) = 2 h.
    March 2026 in Los Angeles: 31 × 24 − 1 = 743 h; windows on Sundays 1, 8, 15, 22, 29 =
    6 + 5 + 6 + 6 + 6 = 29 h; measured 714 h. Uptime = 1 − 2/714 ≈ 99.72 %: no failure."""
    OutageFactory(service=albert_service, start=la(2026, 3, 7, 23), end=la(2026, 3, 8, 7))
    march, failure = _availability(organization, vendors, albert_service, date(2026, 3, 1))
    assert (march["period"], march["maintenance"], march["downtime"]) == (
        743 * 3600 * US,
        29 * 3600 * US,
        2 * 3600 * US,
    )
    assert _uptime(march) == 1 - Fraction(2, 714)
    assert failure is False


def test_an_outage_over_the_local_month_boundary_is_split_in_the_vendors_zone(
    organization, vendors, albert_service
):
    """Albert 3.b.i/ii: uptime "for that month", each "calendar month" — Albert's month, on the
    Pacific clock its window is stated in (README: "Months are calendar months in
    America/Los_Angeles").

    Unplanned outage Tue 31 Mar 2026 20:00 PDT → Wed 1 Apr 02:00 PDT, i.e. 1 Apr 03:00 → 09:00 UTC:
    wholly in April by UTC, but Los Angeles' March keeps 20:00–24:00 = 4 h and April gets
    00:00–02:00 = 2 h.
    March: 714 h measured (see the spring-forward test), 4 h down: 1 − 4/714.
    April 2026: 30 × 24 = 720 h; Sundays 5, 12, 19, 26 → 4 × 6 = 24 h; measured 696 h; 2 h down:
    1 − 2/696."""
    OutageFactory(service=albert_service, start=la(2026, 3, 31, 20), end=la(2026, 4, 1, 2))
    march, _ = _availability(organization, vendors, albert_service, date(2026, 3, 1))
    april, _ = _availability(organization, vendors, albert_service, date(2026, 4, 1))
    assert march["downtime"] == 4 * 3600 * US
    assert _uptime(march) == 1 - Fraction(4, 714)
    assert april["downtime"] == 2 * 3600 * US
    assert _uptime(april) == 1 - Fraction(2, 696)


def test_customer_side_and_announced_emergency_maintenance_are_excluded(
    organization, vendors, albert_service
):
    """Albert 3.b.iii excludes "Hardware, or connectivity, problems of Customer and/or Authorized
    User" and "Emergency maintenance deemed necessary by Albert"; SPEC §3: "excluding … announced
    emergency maintenance, and third-party/customer-side causes". Excluded time is neither downtime
    nor measured (README), and the window is excluded whatever the cause.

    April 2026, 696 h measured before causes (see above).
    - Customer-side, Sun 12 Apr 05:00 → 08:00 PDT: 05:00–06:00 is the window (already out);
      06:00–08:00 = 2 h excluded.
    - Emergency maintenance Wed 15 Apr 10:00 → 11:00 PDT: 1 h excluded.
    - Unplanned Wed 15 Apr 10:30 → 11:30 PDT: 10:30–11:00 is inside the emergency work; only
      11:00–11:30 = 0.5 h is downtime.
    Measured 696 − 2 − 1 = 693 h; uptime 1 − 0.5/693."""
    OutageFactory(
        service=albert_service,
        start=la(2026, 4, 12, 5),
        end=la(2026, 4, 12, 8),
        cause=OutageCause.CUSTOMER_SIDE,
        notes="The customer's VPN concentrator was down",
    )
    OutageFactory(
        service=albert_service,
        start=la(2026, 4, 15, 10),
        end=la(2026, 4, 15, 11),
        cause=OutageCause.EMERGENCY_MAINTENANCE,
        notes="Security patch, announced at 09:40",
    )
    OutageFactory(service=albert_service, start=la(2026, 4, 15, 10, 30), end=la(2026, 4, 15, 11, 30))
    april, failure = _availability(organization, vendors, albert_service, date(2026, 4, 1))
    assert april["excluded"] == 3 * 3600 * US
    assert april["downtime"] == 1800 * US
    assert _uptime(april) == 1 - Fraction(1, 2 * 693)
    assert failure is False


@pytest.mark.parametrize(("extra", "failure"), [(0, False), (1, True)])
def test_a_month_exactly_at_and_just_under_99_percent(organization, vendors, albert_service, extra, failure):
    """Albert 3.b.i: uptime "will be 99% (or better) for that month"; 2.d: a Service Level Failure
    when the minimum "is not met". SPEC §3: "a month below target is a Service Level Failure" —
    exactly 99 % is met.

    April 2026: 696 h after the windows. A failure beyond Albert's control (AWS), Thu 9 Apr
    00:00 → 10:00 PDT, leaves the measurement: 686 h measured. 1 % of 686 h = 6.86 h = 24,696 s.
    An unplanned outage from Sun 19 Apr 05:00 PDT loses its first hour to the window, so it must
    end at 05:00 + 1 h + 24,696 s = 12:51:36 PDT for exactly 24,696 s of downtime: 99 % exactly, no
    failure. One second longer (12:51:37) is 24,697 s: below 99 %, a Service Level Failure."""
    OutageFactory(
        service=albert_service,
        start=la(2026, 4, 9, 0),
        end=la(2026, 4, 9, 10),
        cause=OutageCause.BEYOND_CONTROL,
        notes="AWS us-west-2 outage",
    )
    OutageFactory(
        service=albert_service,
        start=la(2026, 4, 19, 5),
        end=la(2026, 4, 19, 12, 51, 36) + extra * S,
    )
    april, verdict = _availability(organization, vendors, albert_service, date(2026, 4, 1))
    assert april["excluded"] == 10 * 3600 * US
    assert april["downtime"] == (24_696 + extra) * US
    assert (_uptime(april) == Fraction(99, 100)) is not failure
    assert verdict is failure


def _albert_first_response_rows(organization, month: date, now: datetime):
    start, end = selectors.month_range(month)
    rows = selectors.compliance_rows(start=start, end=end, now=now, organization=organization)
    return [row for row in rows if row.vendor == "Albert" and row.kind == TargetKind.FIRST_RESPONSE]


def test_met_rate_at_the_minimum_with_a_withdrawn_target_and_a_late_answer(customer, agent, vendors):
    """Albert 3.a: Urgent "Response Time (hours): 8hrs … 24/7/365". SPEC §2: "an answer at `due`
    meets it", breached "only once now > due"; a case the customer closes before any answer is
    withdrawn, "excluded from met rates and from time-to-first-response statistics"; a late answer
    "counts in the response-time statistics with its real business time". README: Albert's minimum
    met rate is 90 %, "exactly 90 % is not" a failure.

    November 2026 (UTC), eleven Urgent cases opened Mon 2 Nov 10:00 UTC, due 18:00 UTC:
    - 8 answered after 1 h (met), 1 answered at 18:00:00 exactly (met, 8 h);
    - 1 answered at 18:00:01 with no sweep having run (breached, 8 h 0 min 1 s);
    - 1 closed by the customer at 10:30 unanswered (withdrawn: not counted at all).
    Cases 10, met 9, breached 1: 9/10 = 90 % — no Service Level Failure. (Counting the withdrawn
    one as breached would give 9/11 ≈ 81.8 %, a failure.)
    Times: 1 h × 8, 8 h, 8 h 1 s → median = (1 h + 1 h)/2 = 1 h; p90 = rank ⌈0.9 × 10⌉ = 9th = 8 h."""
    albert = vendors["albert"]
    opened = utc(2026, 11, 2, 10)
    cases = [_case(customer, albert, at=opened) for _ in range(11)]
    for ticket in cases[:8]:
        reply_add(ticket=ticket, author=agent, body="On it", at=opened + H)
    reply_add(ticket=cases[8], author=agent, body="On it", at=opened + 8 * H)
    reply_add(ticket=cases[9], author=agent, body="On it", at=opened + 8 * H + S)
    ticket_close(ticket=cases[10], by=customer, at=opened + timedelta(minutes=30))
    now = utc(2026, 12, 1)

    [row] = _albert_first_response_rows(customer.membership.organization, date(2026, 11, 1), now)
    assert (row.cases, row.met, row.breached, row.pending, row.excluded) == (10, 9, 1, 0, 0)
    assert row.met_rate == 0.9
    assert row.rate_failure is False
    assert (row.median_response, row.p90_response) == (H, 8 * H)
    period = MeasurementPeriod(
        organization=customer.membership.organization, vendor=albert, month=date(2026, 11, 1)
    )
    assert period_figures(period, now=now)["response_rate_failure"] is False

    # One more late answer the same month: 9 met of 11 settled ≈ 81.8 % < 90 %: a failure.
    late = _case(customer, albert, at=opened)
    reply_add(ticket=late, author=agent, body="On it", at=opened + 9 * H)
    [row] = _albert_first_response_rows(customer.membership.organization, date(2026, 11, 1), now)
    assert (row.met, row.breached) == (9, 2)
    assert row.rate_failure is True
    assert period_figures(period, now=now)["response_rate_failure"] is True


def test_albert_medium_ten_business_days_over_spring_forward_with_a_pause(customer, agent, vendors):
    """Albert 3.a: Medium "10 Business Days … 7:30 PM PST on Sundays through 7:30PM PST on Fridays";
    2.e "excluding US Federal holidays"; SPEC §3: business day = 24 h of support time, the clocks
    pause while the ticket waits on the customer; SPEC §2: wall-clock windows, DST included.

    Opened Mon 2 Mar 2026 10:00 PST (18:00 UTC); no federal holiday 2–17 March.
    Support time: Mon 2 Mar 10:00 → Fri 6 Mar 19:30 = 4 × 24 + 9.5 = 105.5 h; Sun 8 Mar 19:30 PDT
    (after the 02:00 spring-forward, outside support hours) → Fri 13 Mar 19:30 = 120 h (225.5 h);
    the last 14.5 h run from Sun 15 Mar 19:30 to Mon 16 Mar 10:00 PDT. 240 h = 10 business days.
    Waiting on the customer Wed 4 Mar 10:00 → Thu 5 Mar 10:00 PST = 24 h of support time, so the
    due moves 24 support hours: Tue 17 Mar 10:00 PDT (17:00 UTC). An answer exactly then meets it
    with 240 h of response time; a twin answered one second later breaches."""
    albert = vendors["albert"]
    opened = la(2026, 3, 2, 10)
    on_time, late = (_case(customer, albert, at=opened, priority="medium") for _ in range(2))
    for ticket in (on_time, late):
        ticket_wait_on_customer(ticket=ticket, by=agent, at=la(2026, 3, 4, 10))
        ticket_resume(ticket=ticket, by=customer, at=la(2026, 3, 5, 10))
    due = la(2026, 3, 17, 10)
    assert due == utc(2026, 3, 17, 17)
    reply_add(ticket=on_time, author=agent, body="Fixed", at=due)
    reply_add(ticket=late, author=agent, body="Fixed", at=due + S)

    first = SlaTarget.objects.get(ticket=on_time, kind=TargetKind.FIRST_RESPONSE)
    assert (first.due_at, first.state, first.response_business_time) == (due, TargetState.MET, 240 * H)
    [row] = [
        r
        for r in _albert_first_response_rows(
            customer.membership.organization, date(2026, 3, 1), utc(2026, 4, 1)
        )
        if r.priority == "3 - Medium"
    ]
    assert (row.cases, row.met, row.breached) == (2, 1, 1)
    assert row.median_response == (240 * H + 240 * H + S) / 2


def test_compliance_month_is_the_desks_utc_month_while_availability_is_pacific(customer, agent, vendors):
    """README (Reports): "A target belongs to the month its clock started (UTC)"; a period is
    "organization × vendor × calendar month (the desk's zone)", the desk's zone being
    settings.TIME_ZONE = UTC — while availability months are Pacific (see the tests above).

    An Albert Urgent case opened Sat 31 Oct 2026 20:00 PDT is 1 Nov 03:00 UTC: it is November's,
    not October's, in the compliance figures and in November's period review."""
    albert = vendors["albert"]
    opened = la(2026, 10, 31, 20)
    ticket = _case(customer, albert, at=opened)
    reply_add(ticket=ticket, author=agent, body="On it", at=opened + H)
    organization = customer.membership.organization
    now = utc(2026, 12, 1)
    assert _albert_first_response_rows(organization, date(2026, 10, 1), now) == []
    [row] = _albert_first_response_rows(organization, date(2026, 11, 1), now)
    assert (row.cases, row.met) == (1, 1)


def _infotecs_case(customer, versions, *, at, priority="normal", **extra):
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=versions[4].product.vendor,
        priority=priority,
        subject="VPN drops",
        body="Every night",
        major_version=versions[4],
        at=at,
        **extra,
    )


def _resolve(ticket, agent, at):
    return ticket_resolve(ticket=ticket, by=agent, resolution_code="answered", message="Fixed", at=at)


def test_quota_use_across_a_month_boundary_and_a_reopened_case(customer, agent, versions, basic_contract):
    """Infotecs §3: "Basic Support Plan includes resolving of up to 40 Tickets per year … If less
    than 40 Tickets were resolved … the remaining number … shall be added to the next-year Support
    Plan". SPEC §4: carry-over = 40 − resolved that year. README: statements are per contract and
    UTC month; reopening gives the ticket back until the case is resolved again.

    Contract B-1 runs from 1 Jan 2025: year 1 = 2025 (nothing resolved: 40 carried over), year 2 =
    2026, allowance 40 + 40 = 80.
    - Case A resolved Sat 31 Jan 2026 23:30 UTC (02:30 on 1 Feb in Moscow): January's.
    - Case B resolved Fri 30 Jan 12:00, reopened by the customer Mon 2 Feb, resolved again Tue
      3 Feb 12:00: it is resolved once, in February, and January no longer counts it.
    January: used this month 1 (A). February: used this month 1 (B), used this year 2, left 78."""
    a = _infotecs_case(customer, versions, at=utc(2026, 1, 29, 9))
    b = _infotecs_case(customer, versions, at=utc(2026, 1, 29, 9))
    _resolve(a, agent, utc(2026, 1, 31, 23, 30))
    _resolve(b, agent, utc(2026, 1, 30, 12))
    ticket_reopen(ticket=b, by=customer, at=utc(2026, 2, 2, 9))
    _resolve(b, agent, utc(2026, 2, 3, 12))

    january = statement_compute(contract=basic_contract, month=date(2026, 1, 1)).quota
    february = statement_compute(contract=basic_contract, month=date(2026, 2, 1)).quota
    assert (january.contract_year, january.carried_over, january.allowance) == (2, 40, 80)
    assert january.used_this_month == 1
    assert (february.used_this_month, february.used_this_year, february.remaining) == (1, 2, 78)


def test_an_exhausted_infotecs_quota_charges_only_infotecs_cases(
    customer, agent, vendors, versions, basic_contract
):
    """SPEC §4: "Lifecycle and billing rules belong to the vendor whose policy states them.
    Infotecs' extended-support charging, quota and on-site rules apply to Infotecs contracts only";
    Infotecs §3: beyond the 40 tickets "additional services … are charged under SLA".

    Contract B-1: 40 resolved in 2025 (nothing carried over: 40 − 40 = 0) and 40 in 2026: the
    2026 allowance of 40 is used up. On Mon 2 Nov 2026 the same organization opens an Infotecs case
    on version 4 (mainstream): billable, beyond the quota. An Alectrona and an Albert case the same
    day: not billable, and resolving them uses none of the Infotecs quota; November's Infotecs
    statement lists the Infotecs case only."""
    for year, day in ((1, utc(2025, 6, 1)), (2, utc(2026, 6, 1))):
        QuotaLedgerEntry.objects.bulk_create(
            QuotaLedgerEntry(
                contract=basic_contract,
                contract_year=year,
                kind=LedgerKind.USE,
                tickets=1,
                ticket_number=f"OLD-{year}-{n}",
                recorded_at=day,
            )
            for n in range(40)
        )
    opened = utc(2026, 11, 2, 14)
    infotecs_case = _infotecs_case(customer, versions, at=opened, confirm_billable=True)
    others = [_case(customer, vendors[v], at=opened, priority="high") for v in ("alectrona", "albert")]

    assert infotecs_case.billable is True
    assert "40" in infotecs_case.billable_reason
    assert [t.billable for t in others] == [False, False]
    ticket_resolve(ticket=others[0], by=agent, resolution_code="workaround", message="Done", at=opened + H)
    ticket_resolve(ticket=others[1], by=agent, resolution_code="resolved", message="Done", at=opened + H)
    assert QuotaLedgerEntry.objects.filter(kind=LedgerKind.USE).count() == 80

    statement = statement_compute(contract=basic_contract, month=date(2026, 11, 1))
    assert [line.number for line in statement.cases] == [infotecs_case.number]
    assert (statement.quota.used_this_month, statement.quota.remaining) == (0, 0)
