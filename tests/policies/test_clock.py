"""The SLA clock, checked by hand.

Every row is (start, duration, calendar, expected) with the arithmetic in a comment,
worked out on a wall calendar, not by calling the code. Local offsets used below:
New York EST = UTC-5 / EDT = UTC-4; Los Angeles PST = UTC-8 / PDT = UTC-7;
Kolkata IST = UTC+5:30 all year. 2026 DST: spring forward Sun 8 March, fall back
Sun 1 November (both US zones). 2026 dates: Mon 15 June, Fri 3 July (Independence Day
observed), Wed 11 Nov (Veterans Day), Thu 26 Nov (Thanksgiving), Fri 25 Dec.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.clock import (
    Calendar,
    WeeklyWindow,
    add_business_time,
    business_time_between,
    closed_dates_between,
    open_intervals,
)
from policies.clock import hours as clock_hours

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")
US_FEDERAL = holidays.US(years=range(2020, 2031))  # expands further years lazily

ALECTRONA = Calendar(
    timezone="America/New_York",
    windows=tuple(WeeklyWindow(day, time(9), day, time(17, 30)) for day in range(5)),
    business_day_hours=8.5,
)
SECPOD = Calendar(  # Mon 00:00 -> Sat 00:00 is Monday to Friday, all day
    timezone="Asia/Kolkata",
    windows=(WeeklyWindow(0, time(0), 5, time(0)),),
    business_day_hours=24,
)
ALBERT = Calendar(
    timezone="America/Los_Angeles",
    windows=(WeeklyWindow(6, time(19, 30), 4, time(19, 30)),),
    closed_dates=US_FEDERAL,
    business_day_hours=24,
)
TWENTY_FOUR_SEVEN = Calendar.twenty_four_seven()
# Open every day 00:00–24:00 on New York's wall clock: a window that contains the DST
# changes, to show that business time is real time (that Sunday has 23 or 25 hours).
NEW_YORK_ALL_WEEK = Calendar(
    timezone="America/New_York",
    windows=tuple(WeeklyWindow(day, time(0), (day + 1) % 7, time(0)) for day in range(7)),
)
SEED_CALENDARS = [ALECTRONA, SECPOD, ALBERT, TWENTY_FOUR_SEVEN]


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def la(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOS_ANGELES)


def ist(*args: int) -> datetime:
    return datetime(*args, tzinfo=KOLKATA)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


DEADLINES = [
    # --- Alectrona: Mon–Fri 09:00–17:30 New York; June 2026 is EDT (UTC-4).
    # normal: 10:00 + 4 h = 14:00 EDT
    (ny(2026, 6, 15, 10), hours(4), ALECTRONA, utc(2026, 6, 15, 18)),
    # before opening: the clock starts at 09:00, + 1 h = 10:00 EDT
    (ny(2026, 6, 15, 7), hours(1), ALECTRONA, utc(2026, 6, 15, 14)),
    # after close: nothing left Monday, Tuesday 09:00 + 1 h = 10:00 EDT
    (ny(2026, 6, 15, 18), hours(1), ALECTRONA, utc(2026, 6, 16, 14)),
    # on a weekend: Saturday noon counts from Monday 09:00, + 2 h = 11:00 EDT
    (ny(2026, 6, 13, 12), hours(2), ALECTRONA, utc(2026, 6, 15, 15)),
    # exactly on the close: 09:00 + 8.5 h = 17:30 the same day, not Tuesday 09:00
    (ny(2026, 6, 15, 9), hours(8.5), ALECTRONA, utc(2026, 6, 15, 21, 30)),
    # overnight: 1 h Monday (16:30–17:30) + 1 h Tuesday = Tue 10:00 EDT
    (ny(2026, 6, 15, 16, 30), hours(2), ALECTRONA, utc(2026, 6, 16, 14)),
    # over the weekend: 1 h Friday + 3 h Monday = Mon 12:00 EDT. Fri 19 June is
    # Juneteenth, but Alectrona's policy states no holidays, so it is an open day.
    (ny(2026, 6, 19, 16, 30), hours(4), ALECTRONA, utc(2026, 6, 22, 16)),
    # Low update, 32 h from Mon 09:00: 3 × 8.5 = 25.5 h to Wed close, + 6.5 h = Thu 15:30
    (ny(2026, 6, 15, 9), hours(32), ALECTRONA, utc(2026, 6, 18, 19, 30)),
    # DST: 1 h Friday (EST) + 1 h Monday after spring forward = Mon 10:00 EDT = 14:00 UTC
    (ny(2026, 3, 6, 16, 30), hours(2), ALECTRONA, utc(2026, 3, 9, 14)),
    # DST: 1 h Friday (EDT) + 1 h Monday after fall back = Mon 10:00 EST = 15:00 UTC
    (ny(2026, 10, 30, 16, 30), hours(2), ALECTRONA, utc(2026, 11, 2, 15)),
    # --- SecPod business calendar: Mon–Fri all day, Kolkata (UTC+5:30, no DST).
    # Low 2 business days = 48 h: 14 h Thu + 24 h Fri + 10 h Mon = Mon 10:00 IST
    (ist(2026, 6, 11, 10), hours(48), SECPOD, utc(2026, 6, 15, 4, 30)),
    # exactly on the close: Thu 00:00 + 48 h = Sat 00:00 IST = Fri 18:30 UTC, not Monday
    (ist(2026, 6, 11), hours(48), SECPOD, utc(2026, 6, 12, 18, 30)),
    # on a weekend: counts from Mon 00:00 IST, + 48 h = Wed 00:00 IST = Tue 18:30 UTC
    (ist(2026, 6, 13, 15), hours(48), SECPOD, utc(2026, 6, 16, 18, 30)),
    # --- Albert: Sun 19:30 -> Fri 19:30 Los Angeles, minus US federal holidays.
    # normal: Tue 10:00 PDT + 8 h = 18:00 PDT = Wed 01:00 UTC
    (la(2026, 6, 16, 10), hours(8), ALBERT, utc(2026, 6, 17, 1)),
    # the window spans the weekend: 30 min Friday + 30 min Sunday = Sun 20:00 PDT
    (la(2026, 6, 12, 19), hours(1), ALBERT, utc(2026, 6, 15, 3)),
    # on a Saturday: counts from Sun 19:30 PDT, + 1 h = 20:30 PDT = Mon 03:30 UTC
    (la(2026, 6, 13, 12), hours(1), ALBERT, utc(2026, 6, 15, 3, 30)),
    # exactly on the close: Fri 00:00 + 19.5 h = Fri 19:30 PDT, not Sunday 19:30
    (la(2026, 6, 12), hours(19.5), ALBERT, utc(2026, 6, 13, 2, 30)),
    # Thanksgiving: 12 h Wed, Thu 26 Nov closed, 12 h Fri = Fri 12:00 PST = 20:00 UTC
    (la(2026, 11, 25, 12), hours(24), ALBERT, utc(2026, 11, 27, 20)),
    # Independence Day observed on Fri 3 July (4 July is a Saturday): 12 h Thu,
    # Friday closed, 4.5 h Sunday evening, 7.5 h Monday = Mon 07:30 PDT = 14:30 UTC
    (la(2026, 7, 2, 12), hours(24), ALBERT, utc(2026, 7, 6, 14, 30)),
    # Christmas, Fri 25 Dec: 6 h Thu evening, then Sun 19:30 + 2 h = 21:30 PST
    (la(2026, 12, 24, 18), hours(8), ALBERT, utc(2026, 12, 28, 5, 30)),
    # Medium, 10 business days = 240 h, from the Friday before spring forward:
    # 9.5 h Fri 6 Mar + 120 h (week of 8 Mar) + 4.5 h Sun 15 + 96 h Mon–Thu + 10 h
    # Fri 20 = 240 h. Same wall time (10:00) but PST -> PDT, so 18:00 -> 17:00 UTC.
    (la(2026, 3, 6, 10), hours(240), ALBERT, utc(2026, 3, 20, 17)),
    # 24 h from the Friday before fall back: 9.5 h Fri + 4.5 h Sun 1 Nov + 10 h
    # Monday = Mon 10:00 PST = 18:00 UTC (it started at 10:00 PDT = 17:00 UTC)
    (la(2026, 10, 30, 10), hours(24), ALBERT, utc(2026, 11, 2, 18)),
    # 240 h over fall back and Veterans Day (Wed 11 Nov): 9.5 Fri + 120 (week of 1 Nov)
    # + 4.5 Sun 8 + 24 Mon + 24 Tue + 24 Thu + 19.5 Fri 13 = 225.5; 14.5 h more:
    # 4.5 h Sun 15 + 10 h Mon 16 = Mon 10:00 PST = 18:00 UTC
    (la(2026, 10, 30, 10), hours(240), ALBERT, utc(2026, 11, 16, 18)),
    # --- 24×7: plain addition of real hours, even across a DST change.
    (utc(2026, 6, 13, 23), hours(2), TWENTY_FOUR_SEVEN, utc(2026, 6, 14, 1)),
    # Sat 12:00 EST + 24 h = Sun 13:00 EDT (the wall clock moved; real time did not)
    (ny(2026, 3, 7, 12), hours(24), TWENTY_FOUR_SEVEN, utc(2026, 3, 8, 17)),
    # --- Real time inside a window that contains the change (New York, all week).
    # Sun 8 Mar has 23 real hours: 00:00 EST (05:00 UTC) + 23 h = Mon 00:00 EDT
    (ny(2026, 3, 8), hours(23), NEW_YORK_ALL_WEEK, utc(2026, 3, 9, 4)),
    # Sun 1 Nov has 25 real hours: 00:00 EDT (04:00 UTC) + 25 h = Mon 00:00 EST
    (ny(2026, 11, 1), hours(25), NEW_YORK_ALL_WEEK, utc(2026, 11, 2, 5)),
    # Sat 12:00 EST + 24 h of open time = 24 real hours = Sun 13:00 EDT, like 24×7
    (ny(2026, 3, 7, 12), hours(24), NEW_YORK_ALL_WEEK, utc(2026, 3, 8, 17)),
]


@pytest.mark.parametrize(("start", "duration", "calendar", "expected"), DEADLINES)
def test_add_business_time(start, duration, calendar, expected):
    due = add_business_time(start, duration, calendar)
    assert due == expected
    assert due.tzinfo is UTC


@pytest.mark.parametrize("calendar", SEED_CALENDARS, ids=["alectrona", "secpod", "albert", "24x7"])
def test_zero_duration_is_the_start_even_outside_the_windows(calendar):
    saturday_noon = ny(2026, 6, 13, 12)  # closed for every business calendar here
    due = add_business_time(saturday_noon, timedelta(0), calendar)
    assert due == utc(2026, 6, 13, 16)
    assert due.tzinfo is UTC


# A window opening or closing at a wall time that the DST change skips or repeats.
SUNDAY_02_30_TO_06 = Calendar(
    timezone="America/New_York", windows=(WeeklyWindow(6, time(2, 30), 6, time(6)),)
)
SUNDAY_01_30_TO_03 = Calendar(
    timezone="America/New_York", windows=(WeeklyWindow(6, time(1, 30), 6, time(3)),)
)


def test_a_window_opening_in_the_spring_forward_gap_opens_an_hour_later_by_the_clock():
    # 02:30 does not exist on 8 March; fold=0 reads it with EST, i.e. 07:30 UTC,
    # which is 03:30 EDT. So 1 h of open time ends at 04:30 EDT = 08:30 UTC.
    assert add_business_time(ny(2026, 3, 8), hours(1), SUNDAY_02_30_TO_06) == utc(2026, 3, 8, 8, 30)
    # and that Sunday's window is 2.5 real hours long (03:30–06:00 EDT), not 3.5
    day = business_time_between(ny(2026, 3, 8), ny(2026, 3, 9), SUNDAY_02_30_TO_06)
    assert day == hours(2.5)


def test_a_window_edge_in_the_repeated_fall_back_hour_is_the_first_one():
    # 01:30 happens twice on 1 Nov; fold=0 takes the first (EDT, 05:30 UTC). The window
    # runs to 03:00 EST (08:00 UTC): 2.5 real hours for 1.5 wall hours.
    day = business_time_between(ny(2026, 11, 1), ny(2026, 11, 2), SUNDAY_01_30_TO_03)
    assert day == hours(2.5)


# Sunday 00:00–02:30 and 03:00–05:00 on New York's wall clock.
SUNDAY_EARLY_WITH_A_BREAK = Calendar(
    timezone="America/New_York",
    windows=(WeeklyWindow(6, time(0), 6, time(2, 30)), WeeklyWindow(6, time(3), 6, time(5))),
)


def test_a_window_closing_in_the_gap_does_not_count_the_next_window_twice():
    # On 8 March 02:30 does not exist, so fold=0 closes the first window at 07:30 UTC
    # (03:30 EDT), after the second opened at 03:00 EDT (07:00 UTC). The real open time
    # is 00:00 EST -> 05:00 EDT = 05:00 -> 09:00 UTC = 4 h, not 2.5 + 2 = 4.5 h.
    day = business_time_between(ny(2026, 3, 8), ny(2026, 3, 9), SUNDAY_EARLY_WITH_A_BREAK)
    assert day == hours(4)
    # 3 h from 00:00 EST = 08:00 UTC (04:00 EDT); counting the overlap twice gives 07:30
    due = add_business_time(ny(2026, 3, 8), hours(3), SUNDAY_EARLY_WITH_A_BREAK)
    assert due == utc(2026, 3, 8, 8)
    # an ordinary Sunday: 2.5 h + 2 h
    normal = business_time_between(ny(2026, 3, 15), ny(2026, 3, 16), SUNDAY_EARLY_WITH_A_BREAK)
    assert normal == hours(4.5)


def test_a_window_entirely_inside_the_gap_is_empty_that_day():
    only_the_gap = Calendar(timezone="America/New_York", windows=(WeeklyWindow(6, time(2, 30), 6, time(3)),))
    # 8 March: 02:30 -> 07:30 UTC, 03:00 EDT -> 07:00 UTC: nothing open
    assert business_time_between(ny(2026, 3, 8), ny(2026, 3, 9), only_the_gap) == timedelta(0)
    # so 10 min from that Sunday is 02:40 EDT on the next Sunday (06:40 UTC)
    due = add_business_time(ny(2026, 3, 8), timedelta(minutes=10), only_the_gap)
    assert due == utc(2026, 3, 15, 6, 40)


def test_a_gap_ending_at_midnight_keeps_the_evening_window_open_into_the_next_date():
    # Greenland springs forward on Sat 28 Mar 2026 from 23:00 (UTC-2) straight to Sunday
    # 00:00 (UTC-1). A Saturday window closing at 23:30 closes, by fold=0, at 23:30 UTC-2
    # = 01:30 UTC, which is already Sunday 00:30 local; so a start at Sunday 00:10 local
    # (01:10 UTC) is inside Saturday's window and 10 min later is 01:20 UTC.
    nuuk = Calendar(timezone="America/Nuuk", windows=(WeeklyWindow(5, time(22), 5, time(23, 30)),))
    sunday_00_10 = datetime(2026, 3, 29, 0, 10, tzinfo=ZoneInfo("America/Nuuk"))
    assert add_business_time(sunday_00_10, timedelta(minutes=10), nuuk) == utc(2026, 3, 29, 1, 20)
    assert closed_dates_between(sunday_00_10, sunday_00_10 + hours(1), nuuk) == []


def test_business_days_become_open_hours():
    assert ALECTRONA.business_days(2) == hours(17)  # 2 × 8.5 h
    assert ALBERT.business_days(10) == hours(240)  # Medium: 10 × 24 h of support time
    assert SECPOD.business_days(2) == hours(48)  # Low, on the Kolkata calendar
    assert ALECTRONA.business_days(Decimal("0.5")) == timedelta(hours=4, minutes=15)
    assert TWENTY_FOUR_SEVEN.business_days(1.5) == hours(36)


def test_business_days_are_exact_for_decimal_lengths():
    # 3 × 8.33 h = 24.99 h = 24 h 59 min 24 s, computed in Decimal, not binary floats
    calendar = Calendar(timezone="UTC", windows=ALECTRONA.windows, business_day_hours=Decimal("8.33"))
    assert calendar.business_days(3) == timedelta(hours=24, minutes=59, seconds=24)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0.1, timedelta(minutes=6)),  # the decimal a person typed, not 0.1's binary expansion
        (Decimal("0.0001"), timedelta(milliseconds=360)),  # under a second still counts
        (Decimal("1.5"), timedelta(hours=1, minutes=30)),
        (Decimal("0.0000000001"), timedelta(0)),  # 0.36 µs rounds to whole microseconds
    ],
)
def test_hours_are_exact_to_the_microsecond(amount, expected):
    assert clock_hours(amount) == expected


def test_the_albert_holiday_monday_closes_only_monday():
    # Extra closed date Mon 15 June: Sunday 19:30–24:00 and Tuesday stay open.
    # 8 h from Fri 19:00: 0.5 h Fri + 4.5 h Sun = 5 h; Monday closed; Tue 00:00 + 3 h.
    offsite = Calendar(
        timezone="America/Los_Angeles",
        windows=ALBERT.windows,
        closed_dates=frozenset(US_FEDERAL) | {date(2026, 6, 15)},
    )
    assert add_business_time(la(2026, 6, 12, 19), hours(8), offsite) == utc(2026, 6, 16, 10)


BETWEEN = [
    # 1.5 h Friday (16:00–17:30) + 1 h Monday (09:00–10:00)
    (ny(2026, 6, 19, 16), ny(2026, 6, 22, 10), ALECTRONA, hours(2.5)),
    # from before opening to after close: the whole day, 8.5 h
    (ny(2026, 6, 15, 8), ny(2026, 6, 15, 20), ALECTRONA, hours(8.5)),
    # a weekend has no open time
    (ny(2026, 6, 13), ny(2026, 6, 15), ALECTRONA, timedelta(0)),
    # zero length inside a window
    (ny(2026, 6, 15, 10), ny(2026, 6, 15, 10), ALECTRONA, timedelta(0)),
    # Wed 25 Nov 00:00 -> Sat 28 Nov 00:00: 24 h Wed + Thanksgiving 0 + 19.5 h Fri
    (la(2026, 11, 25), la(2026, 11, 28), ALBERT, hours(43.5)),
    # Sat noon -> Mon 01:00 PDT: Sunday 19:30–24:00 and Monday's first hour
    (la(2026, 6, 13, 12), la(2026, 6, 15, 1), ALBERT, hours(5.5)),
    # Sat -> Tue in Kolkata: Monday only
    (ist(2026, 6, 13), ist(2026, 6, 16), SECPOD, hours(24)),
    # 24×7 over spring forward: Sat 00:00 EST -> Mon 00:00 EDT is 47 real hours
    (ny(2026, 3, 7), ny(2026, 3, 9), TWENTY_FOUR_SEVEN, hours(47)),
    # the same on New York's all-week windows: also 47 real hours
    (ny(2026, 3, 7), ny(2026, 3, 9), NEW_YORK_ALL_WEEK, hours(47)),
    # and over fall back: 24 h Saturday + 25 h Sunday
    (ny(2026, 10, 31), ny(2026, 11, 2), NEW_YORK_ALL_WEEK, hours(49)),
]


@pytest.mark.parametrize(("start", "end", "calendar", "expected"), BETWEEN)
def test_business_time_between(start, end, calendar, expected):
    assert business_time_between(start, end, calendar) == expected


def test_between_is_exact_to_the_microsecond():
    start = ny(2026, 6, 15, 9, 0, 0, 1)
    end = ny(2026, 6, 15, 17, 29, 59, 999_999)
    assert business_time_between(start, end, ALECTRONA) == timedelta(hours=8.5, microseconds=-2)


def test_between_refuses_an_end_before_the_start():
    with pytest.raises(ValueError, match="before start"):
        business_time_between(ny(2026, 6, 15, 10), ny(2026, 6, 15, 9), ALECTRONA)


def test_open_intervals_start_clipped_then_whole_windows():
    intervals = list(islice(open_intervals(ny(2026, 6, 19, 12), ALECTRONA), 3))
    assert intervals == [
        (utc(2026, 6, 19, 16), utc(2026, 6, 19, 21, 30)),  # Fri from noon EDT to 17:30
        (utc(2026, 6, 22, 13), utc(2026, 6, 22, 21, 30)),  # Mon 09:00–17:30 EDT
        (utc(2026, 6, 23, 13), utc(2026, 6, 23, 21, 30)),  # Tue
    ]


def test_open_intervals_merge_across_midnight_and_stop_at_holidays():
    intervals = list(islice(open_intervals(la(2026, 6, 12, 19), ALBERT), 3))
    assert intervals == [
        (utc(2026, 6, 13, 2), utc(2026, 6, 13, 2, 30)),  # Fri 19:00–19:30 PDT
        # Sun 19:30 PDT through Thursday as one interval, up to Juneteenth (Fri 19 June)
        (utc(2026, 6, 15, 2, 30), utc(2026, 6, 19, 7)),
        (utc(2026, 6, 22, 2, 30), utc(2026, 6, 27, 2, 30)),  # the next full week
    ]


def test_open_intervals_on_the_24x7_clock_never_stall():
    pieces = list(islice(open_intervals(utc(2026, 6, 15), TWENTY_FOUR_SEVEN), 2))
    assert pieces[0][0] == utc(2026, 6, 15)
    assert pieces[0][1] == pieces[1][0]  # contiguous, in week-long pieces
    first_from_windows = next(open_intervals(ny(2026, 6, 15), NEW_YORK_ALL_WEEK))
    assert first_from_windows[0] == utc(2026, 6, 15, 4)
    assert first_from_windows[1] - first_from_windows[0] >= timedelta(days=7)


CLOSED_DATES = [
    # the observed Friday counts; Saturday 4 July is not listed (Albert is closed anyway)
    (la(2026, 7, 2, 12), la(2026, 7, 6, 12), ALBERT, [date(2026, 7, 3)]),
    (la(2026, 11, 25, 12), la(2026, 11, 27, 20), ALBERT, [date(2026, 11, 26)]),
    # Veterans Day and Thanksgiving in one span
    (la(2026, 11, 1), la(2026, 11, 30), ALBERT, [date(2026, 11, 11), date(2026, 11, 26)]),
    # a range that ends as Thanksgiving begins skipped nothing
    (la(2026, 11, 25, 12), la(2026, 11, 26), ALBERT, []),
    # a weekend-only range: 4 July (Saturday) would have had no open time
    (la(2026, 7, 4), la(2026, 7, 5, 12), ALBERT, []),
    # no holiday set
    (ny(2026, 11, 25), ny(2026, 11, 28), ALECTRONA, []),
    (utc(2026, 11, 25), utc(2026, 11, 28), TWENTY_FOUR_SEVEN, []),
]


@pytest.mark.parametrize(("start", "end", "calendar", "expected"), CLOSED_DATES)
def test_closed_dates_between(start, end, calendar, expected):
    assert closed_dates_between(start, end, calendar) == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_time(datetime(2026, 6, 15, 9), hours(1), ALECTRONA),
        lambda: business_time_between(datetime(2026, 6, 15), ny(2026, 6, 16), ALECTRONA),
        lambda: business_time_between(ny(2026, 6, 15), datetime(2026, 6, 16), ALECTRONA),
        lambda: next(open_intervals(datetime(2026, 6, 15), ALECTRONA)),
        lambda: closed_dates_between(datetime(2026, 6, 15), ny(2026, 6, 16), ALECTRONA),
    ],
    ids=["add", "between-start", "between-end", "open_intervals", "closed_dates_between"],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_a_negative_duration_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_business_time(ny(2026, 6, 15, 10), hours(-1), ALECTRONA)


def test_a_calendar_without_windows_has_no_open_time():
    never = Calendar(timezone="UTC")
    with pytest.raises(ValueError, match="never open"):
        add_business_time(utc(2026, 6, 15), hours(1), never)
    assert add_business_time(utc(2026, 6, 15), timedelta(0), never) == utc(2026, 6, 15)
    assert business_time_between(utc(2026, 6, 15), utc(2026, 7, 15), never) == timedelta(0)


class EveryDay:
    def __contains__(self, day: object) -> bool:
        return True


def test_a_calendar_closed_every_day_stops_instead_of_looping():
    closed_forever = Calendar(timezone="UTC", windows=ALECTRONA.windows, closed_dates=EveryDay())
    with pytest.raises(ValueError, match="more than two years"):
        add_business_time(utc(2026, 6, 15), hours(1), closed_forever)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0, time(9), 0, time(9)), "same moment"),  # start == end: use always_open for 24×7
        ((7, time(9), 0, time(17)), "0 \\(Monday\\)"),
        ((0, time(9, tzinfo=UTC), 0, time(17)), "without tzinfo"),
    ],
)
def test_invalid_windows_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        WeeklyWindow(*arguments)


def test_invalid_calendars_are_refused():
    with pytest.raises(ValueError, match="Unknown time zone"):
        Calendar(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="positive"):
        Calendar(timezone="UTC", windows=ALECTRONA.windows, business_day_hours=0)
    with pytest.raises(ValueError, match="negative"):
        ALECTRONA.business_days(-1)
    with pytest.raises(ValueError, match="negative"):
        clock_hours(-1)
    with pytest.raises(ValueError, match="finite"):
        Calendar(timezone="UTC", windows=ALECTRONA.windows, business_day_hours=float("nan"))
    with pytest.raises(ValueError, match="must not also list windows"):
        Calendar(timezone="UTC", windows=ALECTRONA.windows, always_open=True)


# --- Properties, over the seed calendars (and the all-week one that contains DST changes).


def us_dst_sundays() -> list[date]:
    """Second Sunday of March and first Sunday of November, 2020–2030."""
    sundays = []
    for year in range(2020, 2031):
        for first_candidate in (date(year, 3, 8), date(year, 11, 1)):
            sundays.append(first_candidate + timedelta(days=(6 - first_candidate.weekday()) % 7))
    return sundays


calendars = st.sampled_from([*SEED_CALENDARS, NEW_YORK_ALL_WEEK])
anywhere = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
# Uniform starts over 11 years rarely touch a DST week; half the examples start within
# a few days of one, to the second.
near_a_change = st.builds(
    lambda sunday, seconds: datetime.combine(sunday, time(), UTC) + timedelta(seconds=seconds),
    st.sampled_from(us_dst_sundays()),
    st.integers(min_value=-4 * 86_400, max_value=2 * 86_400),
)
starts = st.one_of(anywhere, near_a_change)
durations = st.integers(min_value=0, max_value=30 * 86_400).map(lambda s: timedelta(seconds=s))
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(start=starts, first=durations, second=durations, calendar=calendars)
def test_more_time_never_gives_an_earlier_deadline(start, first, second, calendar):
    shorter, longer = sorted([first, second])
    shorter_due = add_business_time(start, shorter, calendar)
    assert start <= shorter_due <= add_business_time(start, longer, calendar)


@PROPERTY_SETTINGS
@given(start=starts, duration=durations, calendar=calendars)
def test_between_undoes_add(start, duration, calendar):
    due = add_business_time(start, duration, calendar)
    assert business_time_between(start, due, calendar) == duration


@PROPERTY_SETTINGS
@given(start=starts, first=durations, second=durations, calendar=calendars)
def test_adding_in_two_steps_is_adding_once(start, first, second, calendar):
    in_two_steps = add_business_time(add_business_time(start, first, calendar), second, calendar)
    assert in_two_steps == add_business_time(start, first + second, calendar)


@PROPERTY_SETTINGS
@given(start=starts, duration=durations, calendar=calendars)
def test_a_deadline_is_inside_an_open_interval_or_at_its_close(start, duration, calendar):
    due = add_business_time(start, duration, calendar)
    if duration == timedelta(0):
        assert due == start
        return
    for opens, closes in open_intervals(start, calendar):
        if opens < due <= closes:
            return
        assert opens < due, "the deadline fell in closed time"
    pytest.fail("the open intervals ended before the deadline")


def open_minutes(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """An independent oracle: walk [start, end) a minute at a time and ask whether the
    local wall time is inside a window on a day that is not closed. Valid for calendars
    whose window edges never fall in a DST gap (the seed ones: 00:00, 09:00, 17:30, 19:30;
    the US changes happen at 02:00)."""
    if calendar.always_open:
        return end - start
    zone = ZoneInfo(calendar.timezone)
    spans = []
    for window in calendar.windows:
        opens = window.start_weekday * 1440 + window.start_time.hour * 60 + window.start_time.minute
        closes = window.end_weekday * 1440 + window.end_time.hour * 60 + window.end_time.minute
        spans.append((opens, closes))
    minutes = 0
    moment = start
    while moment < end:
        local = moment.astimezone(zone)
        position = local.weekday() * 1440 + local.hour * 60 + local.minute
        in_window = any(
            opens <= position < closes if opens < closes else position >= opens or position < closes
            for opens, closes in spans
        )
        if in_window and local.date() not in calendar.closed_dates:
            minutes += 1
        moment += timedelta(minutes=1)
    return timedelta(minutes=minutes)


@settings(max_examples=100, deadline=None)
@given(
    start=starts.map(lambda moment: moment.replace(second=0)),
    minutes=st.integers(min_value=0, max_value=4 * 1440),
    calendar=calendars,
)
def test_between_agrees_with_a_minute_by_minute_walk(start, minutes, calendar):
    end = start + timedelta(minutes=minutes)
    assert business_time_between(start, end, calendar) == open_minutes(start, end, calendar)
