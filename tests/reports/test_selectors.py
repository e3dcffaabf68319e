"""SLA compliance per month, on each vendor's own clock, computed by hand in the comments.

Each test opens cases at wall times in the vendor's zone, answers them, and reads the month's
report. Response time = business time from opening to the first public reply on the target's
clock, minus the time paused waiting on the customer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reports import selectors
from reports.models import OutageCause
from tests.reports.factories import MonitoredServiceFactory, OutageFactory
from tickets.services import reply_add, ticket_open, ticket_resume, ticket_wait_on_customer

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")
H = timedelta(hours=1)
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def _open(customer, vendors, vendor: str, priority: str, at: datetime):
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors[vendor],
        priority=priority,
        subject="Export fails",
        body="It fails",
        at=at,
    )


def _answer(ticket, agent, at: datetime) -> None:
    reply_add(ticket=ticket, author=agent, body="On it", at=at)


def _first_response_rows(month: date, **kwargs) -> dict[str, selectors.ComplianceRow]:
    start, end = selectors.month_range(month)
    rows = selectors.compliance_rows(
        start=start, end=end, now=NOW, group_by=("vendor", "priority", "kind"), **kwargs
    )
    return {row.priority: row for row in rows if row.kind == "first_response"}


def test_alectrona_month_on_business_hours(customer, agent, vendors):
    # Alectrona High: 2 business hours, Mon–Fri 09:00–17:30 New York. September 2026.
    # A: Fri 4 Sep 16:30 → Tue 8 Sep 10:00 (Mon 7 Sep is Labor Day but Alectrona states no holidays):
    #    Fri 16:30–17:30 = 1 h + Mon 09:00–17:30 = 8.5 h + Tue 09:00–10:00 = 1 h → 10.5 h, breached.
    # B: Wed 9 Sep 10:00 → 11:30 = 1.5 h, met.
    # C: Thu 10 Sep 09:00, waits on the customer 10:00–15:00 (5 h credited), answered 16:00:
    #    09:00–16:00 = 7 h − 5 h = 2 h; due 09:00 + 2 h + 5 h = 16:00, answered at 16:00: met.
    # Times 1.5, 2, 10.5 h: median 2 h; p90 = the ceil(0.9 × 3) = 3rd = 10.5 h. Met 2, breached 1.
    a = _open(customer, vendors, "alectrona", "high", datetime(2026, 9, 4, 16, 30, tzinfo=NY))
    _answer(a, agent, datetime(2026, 9, 8, 10, tzinfo=NY))
    b = _open(customer, vendors, "alectrona", "high", datetime(2026, 9, 9, 10, tzinfo=NY))
    _answer(b, agent, datetime(2026, 9, 9, 11, 30, tzinfo=NY))
    c = _open(customer, vendors, "alectrona", "high", datetime(2026, 9, 10, 9, tzinfo=NY))
    ticket_wait_on_customer(ticket=c, by=agent, at=datetime(2026, 9, 10, 10, tzinfo=NY))
    ticket_resume(ticket=c, by=customer, at=datetime(2026, 9, 10, 15, tzinfo=NY))
    _answer(c, agent, datetime(2026, 9, 10, 16, tzinfo=NY))

    row = _first_response_rows(date(2026, 9, 1))["High"]
    assert (row.cases, row.met, row.breached, row.pending) == (3, 2, 1, 0)
    assert row.met_rate == pytest.approx(2 / 3)
    assert (row.median_response, row.p90_response) == (2 * H, 10.5 * H)


def test_secpod_month_on_24x7_and_kolkata_business_days(customer, agent, vendors):
    # SecPod Critical: 2 h on the 24×7 clock. Opened Tue 6 Oct 2026 10:00 IST, answered 13:00: 3 h, breached.
    # SecPod Low: 2 business days (48 h) Mon–Fri 00:00–24:00 Kolkata. Opened Fri 9 Oct 20:00 IST,
    #   answered Mon 12 Oct 10:00: Fri 20:00–24:00 = 4 h + Mon 00:00–10:00 = 10 h → 14 h, met.
    critical = _open(customer, vendors, "secpod", "critical", datetime(2026, 10, 6, 10, tzinfo=KOLKATA))
    _answer(critical, agent, datetime(2026, 10, 6, 13, tzinfo=KOLKATA))
    low = _open(customer, vendors, "secpod", "low", datetime(2026, 10, 9, 20, tzinfo=KOLKATA))
    _answer(low, agent, datetime(2026, 10, 12, 10, tzinfo=KOLKATA))

    rows = _first_response_rows(date(2026, 10, 1))
    assert (rows["Critical"].breached, rows["Critical"].median_response) == (1, 3 * H)
    assert (rows["Low"].met, rows["Low"].median_response) == (1, 14 * H)


def test_albert_month_with_a_federal_holiday(customer, agent, vendors):
    # Albert Medium: 10 business days in support hours Sun 19:30 → Fri 19:30 Los Angeles, US federal
    # holidays closed. Opened Wed 11 Nov 2026 (Veterans Day, closed) 09:00 PST, answered Fri 13 Nov
    # 10:00: Wed closed, Thu 12 Nov 00:00–24:00 = 24 h + Fri 00:00–10:00 = 10 h → 34 h, met (240 h due).
    # Albert Urgent: 8 h on the 24×7 clock, across the fall-back night: opened Sat 31 Oct 23:00 PDT is
    # October, so use Sun 1 Nov 00:30 PDT → 05:30 PST = 6 real hours (wall clock says 5), met.
    medium = _open(customer, vendors, "albert", "medium", datetime(2026, 11, 11, 9, tzinfo=LA))
    _answer(medium, agent, datetime(2026, 11, 13, 10, tzinfo=LA))
    urgent = _open(customer, vendors, "albert", "urgent", datetime(2026, 11, 1, 0, 30, tzinfo=LA))
    _answer(urgent, agent, datetime(2026, 11, 1, 5, 30, tzinfo=LA))

    rows = _first_response_rows(date(2026, 11, 1))
    assert (rows["3 - Medium"].met, rows["3 - Medium"].median_response) == (1, 34 * H)
    assert (rows["1 - Urgent"].met, rows["1 - Urgent"].median_response) == (1, 6 * H)


def test_albert_low_and_infotecs_have_no_contractual_target(customer, vendors, basic_contract, versions):
    _open(customer, vendors, "albert", "low", datetime(2026, 11, 2, 9, tzinfo=LA))
    # An Infotecs contract that agrees no response targets: the case has none either.
    ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["infotecs"],
        priority="normal",
        subject="VPN drops",
        body="x",
        product=basic_contract.product,
        major_version=versions[4],
        at=datetime(2026, 11, 2, 9, tzinfo=LA),
    )
    start, end = selectors.month_range(date(2026, 11, 1))
    assert selectors.compliance_rows(start=start, end=end, now=NOW) == []


def test_running_target_past_due_counts_as_breached(customer, vendors):
    # SecPod Critical opened 2 h 1 min before NOW is overdue at NOW, though no sweep recorded it.
    _open(customer, vendors, "secpod", "critical", NOW - timedelta(hours=2, minutes=1))
    _open(customer, vendors, "secpod", "critical", NOW - timedelta(hours=1))
    row = _first_response_rows(date(2026, 11, 1))["Critical"]
    assert (row.cases, row.met, row.breached, row.pending) == (2, 0, 1, 1)
    assert row.met_rate == 0


def test_report_of_one_organization_leaves_out_the_others(customer, outsider, vendors):
    _open(customer, vendors, "secpod", "critical", NOW - timedelta(hours=1))
    _open(outsider, vendors, "secpod", "critical", NOW - timedelta(hours=1))
    start, end = selectors.month_range(date(2026, 11, 1))
    rows = selectors.compliance_rows(
        start=start, end=end, now=NOW, organization=outsider.membership.organization
    )
    assert [(row.organization, row.cases) for row in rows] == [("Globex", 1)]


def test_monthly_met_rates_count_each_month_apart(customer, agent, vendors):
    # SecPod Critical, 2 h: September met (1 h), October one met (1 h) and one breached (3 h).
    for opened, answered in [((9, 10), 1), ((10, 5), 1), ((10, 6), 3)]:
        at = datetime(2026, *opened, 10, tzinfo=UTC)
        _answer(_open(customer, vendors, "secpod", "critical", at), agent, at + answered * H)
    rates = selectors.monthly_met_rates(
        months=[date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)], now=NOW
    )
    assert [(r.met, r.breached, r.met_rate) for r in rates] == [(1, 0, 1.0), (1, 1, 0.5), (0, 0, None)]


def test_stored_outages_across_fall_back_and_month_boundary(db):
    # Sat 31 Oct 2026 22:00 PDT → Sun 1 Nov 08:00 PST, unplanned (see test_availability for the sums):
    # October 2 h down of 720 h; November 2 h down of 690 h (the 7-hour window takes the rest).
    # A failure beyond the vendor's control on Tue 3 Nov 10:00–12:00 PST is excluded: November
    # measures 688 h.
    service = MonitoredServiceFactory()
    OutageFactory(
        service=service, start=datetime(2026, 10, 31, 22, tzinfo=LA), end=datetime(2026, 11, 1, 8, tzinfo=LA)
    )
    OutageFactory(
        service=service,
        start=datetime(2026, 11, 3, 10, tzinfo=LA),
        end=datetime(2026, 11, 3, 12, tzinfo=LA),
        cause=OutageCause.BEYOND_CONTROL,
        notes="AWS us-west-2 outage",
    )
    [entry] = selectors.availability_table(
        services=[service],
        months=[date(2026, 10, 1), date(2026, 11, 1)],
        now=datetime(2026, 12, 5, tzinfo=UTC),
    )
    october, november = entry.months
    assert (october.measured, october.downtime) == (720 * H, 2 * H)
    assert (november.measured, november.downtime, november.excluded) == (688 * H, 2 * H, 2 * H)
    assert not october.is_failure and not november.is_failure


def test_ongoing_outage_counts_until_now(db):
    # Still down since Mon 23 Nov 2026 04:00 PST; now is 12:00 UTC (04:00 PST) on Tue 24 Nov: 24 h.
    # November so far: 1 Nov 00:00 PDT → 24 Nov 04:00 PST = 23 d 5 h = 557 h, minus Sundays 1 (7 h),
    # 8, 15, 22 (6 h each) = 532 h measured; 24 h down is 4.5 %: a Service Level Failure.
    service = MonitoredServiceFactory()
    OutageFactory(service=service, start=datetime(2026, 11, 23, 4, tzinfo=LA), end=None)
    [entry] = selectors.availability_table(services=[service], months=[date(2026, 11, 1)], now=NOW)
    [november] = entry.months
    assert (november.measured, november.downtime) == (532 * H, 24 * H)
    assert november.is_failure


def test_a_month_of_every_kind_of_case_pins_the_report(customer, agent, vendors):
    """Withdrawn targets leave the met rate and the times; late answers count with their time.

    Alectrona Urgent (1 business hour, Mon–Fri 09:00–17:30 New York), December 2026:
    A  Tue 1 Dec 10:00, answered 10:30: met, 0.5 h.
    B  Tue 1 Dec 10:00, the sweep breaches it at 11:01, answered 12:00: breached, 2 h.
    C  Tue 1 Dec 10:00, closed by the customer at 10:15, unanswered: withdrawn, not counted.
    D  Tue 1 Dec 10:00, resolved at 10:45 with a message: met, 0.75 h (the message is the answer).
    E  Tue 1 Dec 10:00, never answered, the month read on 2 Dec: breached (running past due).
    Counted: A, B, D, E = 4 cases; met A, D = 2; breached B, E = 2; met rate 50 %.
    Times 0.5, 0.75, 2 h: median 0.75 h; p90 = ceil(0.9 × 3) = 3rd = 2 h."""
    from tickets.services import ticket_close, ticket_resolve
    from tickets.services.sweep import sla_sweep

    opened = datetime(2026, 12, 1, 10, tzinfo=NY)
    a, b, c, d, _e = (_open(customer, vendors, "alectrona", "urgent", opened) for _ in range(5))
    _answer(a, agent, opened + timedelta(minutes=30))
    ticket_close(ticket=c, by=customer, at=opened + timedelta(minutes=15))
    ticket_resolve(ticket=d, by=agent, resolution_code="workaround", message="Done", at=opened + 0.75 * H)
    sla_sweep(now=opened + timedelta(hours=1, minutes=1))
    _answer(b, agent, opened + 2 * H)

    start, end = selectors.month_range(date(2026, 12, 1))
    [row] = [
        r
        for r in selectors.compliance_rows(
            start=start, end=end, now=datetime(2026, 12, 2, tzinfo=UTC), group_by=("vendor", "kind")
        )
        if r.kind == "first_response"
    ]
    assert (row.cases, row.met, row.breached, row.pending) == (4, 2, 2, 0)
    assert row.met_rate == 0.5
    assert (row.median_response, row.p90_response) == (0.75 * H, 2 * H)
