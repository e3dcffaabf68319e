"""SLA time math: add business time to an instant, and measure it between two instants.

Pure on purpose (no Django, no clock reads): every instant is a parameter, so the
same code serves ticket deadlines, pause/resume accounting, previews and tests.

The model, fixed by SPEC §2:

- A `Calendar` is a set of weekly wall-clock windows in an IANA zone, minus whole
  local calendar days listed in `closed_dates`; or the 24×7 clock (`always_open`).
- Business time is REAL elapsed time inside the open intervals. Windows are wall
  times, so an open day that contains a spring-forward change has 23 real hours.
- We compute on the calendar's wall clock one local day at a time (a handful of
  conversions per day, never a minute loop) and return aware datetimes in UTC.

DST decisions, in one place (see `_local_day_in_utc`):

- A wall time is converted with zoneinfo's fold=0. For a nonexistent time (the
  spring-forward gap) fold=0 applies the offset in force *before* the change, so a
  window opening at 02:30 on the spring-forward Sunday in New York opens at 03:30
  EDT (07:30 UTC). For an ambiguous time (the repeated fall-back hour) fold=0 is the
  first occurrence, so a window closing at 01:30 on that Sunday closes at 01:30 EDT.
- Because fold=0 pushes gap times forward, an opening in the gap can land after a
  later wall time on the same day; intervals are clamped so they never run
  backwards or overlap (a window 02:30–03:00 on that Sunday is simply empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from collections.abc import Container, Iterator

__all__ = [
    "Calendar",
    "WeeklyWindow",
    "add_business_time",
    "business_time_between",
    "closed_dates_between",
    "hours",
    "open_intervals",
]

_DAY_US = 86_400_000_000
_WEEK_US = 7 * _DAY_US
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
# open_intervals() yields a run of touching intervals in pieces of about a week, so
# that it never stalls on a calendar open round the clock (it would merge forever).
_LONGEST_PIECE = timedelta(days=7)
# More than two years without a single open minute (every day closed, or windows
# that DST makes empty) means the calendar is unusable, not that we should keep looking.
_MAX_DAYS_WITHOUT_OPEN_TIME = 2 * 366 + 7
# Lower bound for "no interval has closed yet"; aware so it compares with UTC instants.
_DAWN = datetime.min.replace(tzinfo=UTC)

NAIVE_DATETIME = "{name} must be timezone-aware, got naive {value!r}."
NEGATIVE_DURATION = "duration must not be negative, got {value!r}."
END_BEFORE_START = "end {end!r} is before start {start!r}."
NO_OPEN_TIME = gettext_lazy(
    "This calendar is never open: it has no weekly windows and is not the 24×7 clock, "
    "so no amount of business time can elapse."
)
NO_OPEN_TIME_FOR_YEARS = gettext_lazy(
    "This calendar has no open time for more than two years after {day}: "
    "every day is closed or its windows are empty."
)


@dataclass(frozen=True)
class WeeklyWindow:
    """An open window in the week, on the calendar's wall clock; the end is exclusive.

    It may span days and wrap the week (Sunday 19:30 -> Friday 19:30). Midnight at the
    end of a day is the next weekday at 00:00: Mon 00:00 -> Sat 00:00 is Mon–Fri all day.
    """

    start_weekday: int  # 0 = Monday … 6 = Sunday
    start_time: time
    end_weekday: int
    end_time: time

    def __post_init__(self) -> None:
        for name in ("start_weekday", "end_weekday"):
            weekday = getattr(self, name)
            if not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValueError(f"{name} must be 0 (Monday) … 6 (Sunday), got {weekday!r}.")
        for name in ("start_time", "end_time"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"{name} must be a wall-clock time without tzinfo, got {value!r}.")
        if self.start_weekday == self.end_weekday and self.start_time == self.end_time:
            # Ambiguous: empty or the whole week? 24×7 has its own switch.
            raise ValueError(
                "A window must not start and end at the same moment of the week; "
                "use Calendar.always_open for 24×7."
            )

    def week_span(self) -> tuple[int, int]:
        """(start, end) in microseconds from Monday 00:00; end > start, wrapping past Sunday."""
        start = self.start_weekday * _DAY_US + _time_us(self.start_time)
        end = self.end_weekday * _DAY_US + _time_us(self.end_time)
        if end <= start:  # wraps the week, e.g. Sunday 19:30 -> Friday 19:30
            end += _WEEK_US
        return start, end


# Per weekday (0 = Monday), the day's open segments as (from, to) offsets from local
# midnight, sorted, disjoint and not touching; `to` may be 24 h (the next midnight).
DaySegments = tuple[tuple[tuple[timedelta, timedelta], ...], ...]


@dataclass(frozen=True)
class Calendar:
    """Business hours: weekly wall-clock windows in a zone, minus whole closed local days."""

    timezone: str  # IANA name, e.g. "America/New_York"
    windows: tuple[WeeklyWindow, ...] = ()
    # Holidays plus extra closed dates; anything supporting `in` works, including a lazy
    # `holidays.HolidayBase`. A date in it closes that whole LOCAL day.
    closed_dates: Container[date] = frozenset()
    business_day_hours: float | Decimal = 24  # open hours in one "business day"
    always_open: bool = False  # the 24×7 clock: every instant is open, holidays included

    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _segments: DaySegments = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"Unknown time zone {self.timezone!r}.") from error
        windows = tuple(self.windows)
        if self.always_open and windows:
            raise ValueError("A 24×7 calendar (always_open) must not also list windows.")
        if not _decimal(self.business_day_hours) > 0:
            raise ValueError(f"business_day_hours must be positive, got {self.business_day_hours!r}.")
        # Frozen dataclass: derived values are set once, here, and never change.
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_segments", _day_segments(windows))

    @classmethod
    def twenty_four_seven(cls) -> Calendar:
        return cls(timezone="UTC", always_open=True, business_day_hours=24)

    def business_days(self, n: int | float | Decimal) -> timedelta:
        """n business days as open time: n × business_day_hours, exact to the microsecond."""
        days = _decimal(n)
        if days < 0:
            raise ValueError(f"A number of business days must not be negative, got {n!r}.")
        return _hours(days * _decimal(self.business_day_hours))


def hours(n: int | float | Decimal) -> timedelta:
    """n hours as open time, exact to the microsecond (0.1 h is 6 min, not 359.99… s)."""
    amount = _decimal(n)
    if amount < 0:
        raise ValueError(NEGATIVE_DURATION.format(value=n))
    return _hours(amount)


def add_business_time(start: datetime, duration: timedelta, calendar: Calendar) -> datetime:
    """The instant (UTC) when `duration` of open time has elapsed from `start`.

    Zero is `start` itself, even outside the windows. Otherwise a start outside the
    windows counts from the next opening, and a deadline that falls exactly on a close
    is that close (the remaining time fits), not the next opening.
    """
    start = _utc(start, "start")
    if duration < _ZERO:
        raise ValueError(NEGATIVE_DURATION.format(value=duration))
    if duration == _ZERO:
        return start
    if calendar.always_open:
        return start + duration  # aware UTC arithmetic is real elapsed time
    if not any(calendar._segments):
        raise ValueError(NO_OPEN_TIME)
    remaining = duration
    for opens, closes in _intervals_from(start, calendar):
        opens = max(opens, start)
        available = closes - opens
        if remaining <= available:
            return opens + remaining
        remaining -= available
    raise AssertionError("unreachable: _intervals_from() is infinite or raises")


def business_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Open time within [start, end], exact to the microsecond (what pausing subtracts)."""
    start = _utc(start, "start")
    end = _utc(end, "end")
    if end < start:
        raise ValueError(END_BEFORE_START.format(start=start, end=end))
    if calendar.always_open:
        return end - start
    if end == start or not any(calendar._segments):
        return _ZERO
    total = _ZERO
    for opens, closes in _intervals_from(start, calendar):
        if opens >= end:
            return total
        total += min(closes, end) - max(opens, start)
    raise AssertionError("unreachable: _intervals_from() is infinite or raises")


def open_intervals(start: datetime, calendar: Calendar) -> Iterator[tuple[datetime, datetime]]:
    """The open intervals in UTC, in order, from `start` on (the first clipped to `start`).

    Touching intervals are merged (Albert's Sunday evening and Monday are one interval),
    but a run longer than a week is yielded in pieces of about a week, so the generator
    keeps producing on a calendar open round the clock. Infinite: the caller stops.
    """
    start = _utc(start, "start")
    if calendar.always_open:
        while True:
            yield start, start + _LONGEST_PIECE
            start += _LONGEST_PIECE
    if not any(calendar._segments):
        raise ValueError(NO_OPEN_TIME)
    run_opens = run_closes = None
    for opens, closes in _intervals_from(start, calendar):
        opens = max(opens, start)
        if run_opens is None:
            run_opens, run_closes = opens, closes
        elif opens == run_closes and closes - run_opens <= _LONGEST_PIECE:
            run_closes = closes
        else:
            yield run_opens, run_closes
            run_opens, run_closes = opens, closes


def closed_dates_between(start: datetime, end: datetime, calendar: Calendar) -> list[date]:
    """Local dates whose open time inside [start, end] was removed by `closed_dates`.

    A closed date counts only if, without it, its windows would have been open for some
    time within [start, end]: a holiday on a Saturday of a Mon–Fri calendar is not
    listed, so an explanation can say "skipped Thanksgiving, 26 Nov" and nothing else.
    """
    start = _utc(start, "start")
    end = _utc(end, "end")
    if end < start:
        raise ValueError(END_BEFORE_START.format(start=start, end=end))
    if calendar.always_open:
        return []  # 24×7 ignores holidays
    zone = calendar._zone
    skipped = []
    # One day early: see _intervals_from() for why the day before can reach `start`.
    day = _local_midnight(start, zone) - _ONE_DAY
    last_day = end.astimezone(zone).date()
    while day.date() <= last_day:
        segments = calendar._segments[day.weekday()]
        if segments and day.date() in calendar.closed_dates:
            would_open = _local_day_in_utc(day, segments, zone)
            if any(min(closes, end) > max(opens, start) for opens, closes in would_open):
                skipped.append(day.date())
        day += _ONE_DAY
    return skipped


def _intervals_from(start: datetime, calendar: Calendar) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals in UTC, in order, ending after `start` (not clipped, not merged).

    Starts at the local day BEFORE start's local date: when a DST gap ends at or after
    midnight, fold=0 maps the previous day's late wall times past the first instants of
    start's date, so that day's interval can still contain `start`. Greenland
    (America/Nuuk) does this every March, jumping from Saturday 23:00 to Sunday 00:00.
    Costs one day of work per call.
    """
    zone = calendar._zone
    segments_by_weekday = calendar._segments
    closed = calendar.closed_dates
    day = _local_midnight(start, zone) - _ONE_DAY
    previous_close = _DAWN
    days_without_open_time = 0
    while True:
        segments = segments_by_weekday[day.weekday()]
        # A closed date removes the whole local day, whatever windows cross it.
        if segments and day.date() not in closed:
            for opens, closes in _local_day_in_utc(day, segments, zone):
                # Clamp: an opening pushed forward by a DST gap must not reopen time
                # that an earlier interval already counted.
                opens = max(opens, previous_close)
                if closes > opens:
                    previous_close = closes
                    days_without_open_time = 0
                    if closes > start:
                        yield opens, closes
        days_without_open_time += 1
        if days_without_open_time > _MAX_DAYS_WITHOUT_OPEN_TIME:
            raise ValueError(NO_OPEN_TIME_FOR_YEARS.format(day=day.date()))
        day += _ONE_DAY


def _local_day_in_utc(
    midnight: datetime, segments: tuple[tuple[timedelta, timedelta], ...], zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """One local day's segments as UTC instants (may be empty or inverted; callers clamp).

    `midnight` is naive local midnight. Naive arithmetic keeps wall-clock meaning
    (09:00 stays 09:00 whatever the offset); attaching the zone with the default fold=0
    resolves gaps with the pre-change offset and repeated hours to their first
    occurrence (module docstring). A 24:00 end is the next day's 00:00 wall time.
    """
    return [
        (
            (midnight + opens).replace(tzinfo=zone).astimezone(UTC),
            (midnight + closes).replace(tzinfo=zone).astimezone(UTC),
        )
        for opens, closes in segments
    ]


def _day_segments(windows: tuple[WeeklyWindow, ...]) -> DaySegments:
    """Cut the weekly windows at local midnights into per-weekday segments, merged."""
    per_weekday: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for window in windows:
        position, end = window.week_span()
        while position < end:
            day = position // _DAY_US
            piece_end = min(end, (day + 1) * _DAY_US)
            per_weekday[day % 7].append((position - day * _DAY_US, piece_end - day * _DAY_US))
            position = piece_end
    return tuple(
        tuple(
            (timedelta(microseconds=opens), timedelta(microseconds=closes))
            for opens, closes in _merge(pieces)
        )
        for pieces in per_weekday
    )


def _merge(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of overlapping or touching segments, sorted."""
    merged: list[tuple[int, int]] = []
    for opens, closes in sorted(pieces):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def _local_midnight(instant: datetime, zone: ZoneInfo) -> datetime:
    """Naive wall-clock midnight of the local date that `instant` falls on."""
    local = instant.astimezone(zone)
    return datetime(local.year, local.month, local.day)


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(NAIVE_DATETIME.format(name=name, value=value))
    return value.astimezone(UTC)


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _decimal(value: int | float | Decimal) -> Decimal:
    # str() for floats: 8.5 and 0.1 mean the decimals a person typed, not binary expansions.
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():  # NaN would raise InvalidOperation in comparisons later
        raise ValueError(f"Expected a finite number of hours or days, got {value!r}.")
    return number


def _hours(hours: Decimal) -> timedelta:
    # Decimal keeps "2 × 8.5 h" exact; round half-even to whole microseconds.
    return timedelta(microseconds=int((hours * 3_600_000_000).to_integral_value()))
