"""Monthly uptime (SPEC §3, Albert), pure: months, the Sunday window across DST, exclusions.

Every expected figure is worked out by hand in the comments, in Los Angeles wall time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from reports.availability import (
    SUNDAY_MAINTENANCE,
    OutageSpan,
    maintenance_intervals,
    merge,
    month_availability,
    month_bounds,
    months_back,
    subtract,
)

LA = ZoneInfo("America/Los_Angeles")
H = timedelta(hours=1)


def la(*args) -> datetime:
    return datetime(*args, tzinfo=LA)


def month(year: int, month_: int, *outages: OutageSpan, now: datetime | None = None):
    return month_availability(month=date(year, month_, 1), zone=LA, outages=outages, now=now)


def test_month_is_the_local_calendar_month():
    # 1 March 2026 00:00 PST = 08:00 UTC; 1 April 00:00 PDT = 07:00 UTC.
    assert month_bounds(2026, 3, LA) == (
        datetime(2026, 3, 1, 8, tzinfo=UTC),
        datetime(2026, 4, 1, 7, tzinfo=UTC),
    )
    assert month_bounds(2026, 12, LA)[1] == datetime(2027, 1, 1, 8, tzinfo=UTC)


def test_window_is_five_real_hours_on_spring_forward_sunday():
    # Sun 8 March 2026: 00:00 PST (08:00 UTC) → 06:00 PDT (13:00 UTC); 02:00–03:00 never happens.
    start, end = month_bounds(2026, 3, LA)
    windows = maintenance_intervals(start, end, LA, SUNDAY_MAINTENANCE)
    assert (windows[1][0], windows[1][1] - windows[1][0]) == (datetime(2026, 3, 8, 8, tzinfo=UTC), 5 * H)


def test_window_is_seven_real_hours_on_fall_back_sunday():
    # Sun 1 November 2026: 00:00 PDT (07:00 UTC) → 06:00 PST (14:00 UTC); 01:00–02:00 twice.
    start, end = month_bounds(2026, 11, LA)
    windows = maintenance_intervals(start, end, LA, SUNDAY_MAINTENANCE)
    assert windows[0] == (datetime(2026, 11, 1, 7, tzinfo=UTC), datetime(2026, 11, 1, 14, tzinfo=UTC))


def test_march_2026_measured_time_with_dst():
    # 31 days − 1 h (spring forward) = 743 h. Sundays 1, 8, 15, 22, 29: 6 + 5 + 6 + 6 + 6 = 29 h.
    # Measured 743 − 29 = 714 h; no outage: 100 %.
    result = month(2026, 3)
    assert (result.period, result.maintenance, result.measured) == (743 * H, 29 * H, 714 * H)
    assert result.uptime == 1 and not result.is_failure


def test_november_2026_measured_time_with_dst():
    # 30 days + 1 h (fall back) = 721 h. Sundays 1, 8, 15, 22, 29: 7 + 6 + 6 + 6 + 6 = 31 h. Measured 690 h.
    result = month(2026, 11)
    assert (result.period, result.maintenance, result.measured) == (721 * H, 31 * H, 690 * H)


def test_outage_spanning_the_window_and_the_month_boundary():
    # Sat 31 Oct 2026 22:00 PDT → Sun 1 Nov 08:00 PST (16:00 UTC), unplanned.
    # October: 22:00–24:00 Saturday = 2 h of downtime. October: 744 h − Sundays 4, 11, 18, 25
    #   (4 × 6 h) = 720 h measured; uptime 1 − 2/720.
    # November: 00:00 PDT → 08:00 PST is 9 real hours; the window (00:00 PDT → 06:00 PST) takes 7,
    #   leaving 06:00–08:00 PST = 2 h of downtime out of 690 h measured.
    outage = OutageSpan(la(2026, 10, 31, 22), la(2026, 11, 1, 8))
    october, november = month(2026, 10, outage), month(2026, 11, outage)
    assert (october.measured, october.downtime) == (720 * H, 2 * H)
    assert october.uptime == 1 - Fraction(2, 720)
    assert (november.measured, november.downtime) == (690 * H, 2 * H)
    assert november.uptime == 1 - Fraction(2, 690)


def test_exactly_99_percent_is_not_a_failure():
    # April 2026: 720 h − Sundays 5, 12, 19, 26 (4 × 6 h) = 696 h measured. 1 % of 696 h = 6.96 h
    # = 25,056 s. A Wednesday outage of exactly that leaves uptime at exactly 99 %.
    start = la(2026, 4, 15, 10)
    result = month(2026, 4, OutageSpan(start, start + timedelta(seconds=25_056)))
    assert result.measured == 696 * H
    assert result.uptime == Fraction(99, 100)
    assert not result.is_failure


def test_one_second_more_is_a_service_level_failure():
    start = la(2026, 4, 15, 10)
    result = month(2026, 4, OutageSpan(start, start + timedelta(seconds=25_057)))
    assert result.uptime < Fraction(99, 100)
    assert result.is_failure


def test_excluded_causes_leave_both_downtime_and_measured_time():
    # April 2026, 696 h measured before exclusions. A third-party outage Wed 15 April 10:00–20:00
    # (10 h) is excluded: 686 h measured. An unplanned outage 18:00–22:00 overlaps it by 2 h, so only
    # 20:00–22:00 = 2 h counts. Uptime 1 − 2/686.
    third_party = OutageSpan(la(2026, 4, 15, 10), la(2026, 4, 15, 20), excluded=True)
    unplanned = OutageSpan(la(2026, 4, 15, 18), la(2026, 4, 15, 22))
    result = month(2026, 4, third_party, unplanned)
    assert (result.excluded, result.measured, result.downtime) == (10 * H, 686 * H, 2 * H)
    assert result.uptime == 1 - Fraction(2, 686)


def test_overlapping_reports_of_one_outage_count_once():
    # Two monitors report 10:00–12:00 and 11:00–13:00 on Wed 15 April: 3 h, not 4.
    result = month(
        2026,
        4,
        OutageSpan(la(2026, 4, 15, 10), la(2026, 4, 15, 12)),
        OutageSpan(la(2026, 4, 15, 11), la(2026, 4, 15, 13)),
    )
    assert result.downtime == 3 * H


def test_month_in_progress_is_measured_up_to_now():
    # Wed 1 April 2026 00:00 → Fri 3 April 00:00 PDT: 48 h, no Sunday. An outage still open since
    # Thu 2 April 23:00 (its end given as now) counts 1 h.
    now = la(2026, 4, 3)
    result = month(2026, 4, OutageSpan(la(2026, 4, 2, 23), now), now=now)
    assert (result.measured, result.downtime) == (48 * H, 1 * H)


def test_interval_helpers():
    a, b, c, d = (datetime(2026, 1, day, tzinfo=UTC) for day in (1, 2, 3, 4))
    assert merge([(c, d), (a, b), (b, c)]) == [(a, d)]
    assert subtract([(a, d)], [(b, c)]) == [(a, b), (c, d)]
    assert months_back(date(2026, 2, 1), 3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
