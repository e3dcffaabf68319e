"""Monthly availability (SPEC §3, Albert): pure interval arithmetic, no Django import.

The rules, as this product reads them:

- A month is a local calendar month in the service's zone (America/Los_Angeles for
  Albert): from local midnight on the 1st to local midnight on the 1st of the next
  month. March 2026 in Los Angeles is 743 real hours (spring forward), November 2026
  is 721 (fall back).
- The maintenance window is Sunday 00:00–06:00 on the local wall clock. Both ends are
  unambiguous wall times, so the real length follows DST exactly: 5 hours on the
  spring-forward Sunday (02:00–03:00 does not exist), 7 on the fall-back Sunday
  (01:00–02:00 happens twice), 6 on every other Sunday.
- Outages with an excluded cause (reports.models.outage_excused: a failure beyond the
  vendor's control, the customer's side, emergency maintenance, planned work announced in
  time) count neither as downtime nor as measured time: the service is not being judged
  then. The same holds for the window.
- measured = month − window − excluded outage time (outside the window);
  downtime = counted outage time outside the window and outside excluded time;
  uptime = 1 − downtime / measured, exact (fractions of integer microseconds), so
  a month at exactly 99 % is not a failure and one microsecond more of downtime is.
- Overlapping outages are merged first: two monitors reporting the same outage do
  not double its downtime.
- The month in progress is measured up to `now`; an outage still open runs to `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]

SLA_TARGET = Fraction(99, 100)
_ZERO = timedelta(0)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class MaintenanceWindow:
    """A weekly wall-clock window excluded from measurement (weekday: Monday = 0)."""

    weekday: int
    start: time
    end: time


# SPEC §3: "excluding the Sunday 00:00–06:00 Pacific maintenance window".
SUNDAY_MAINTENANCE = MaintenanceWindow(weekday=6, start=time(0), end=time(6))


@dataclass(frozen=True)
class OutageSpan:
    start: datetime
    end: datetime
    excluded: bool = False  # its cause is excluded by the policy


@dataclass(frozen=True)
class MonthAvailability:
    month: date  # the first day of the local month
    period: timedelta  # real length of the month (or of the part that has passed)
    maintenance: timedelta
    excluded: timedelta  # excluded-cause outage time outside the maintenance window
    downtime: timedelta
    target: Fraction = SLA_TARGET

    @property
    def measured(self) -> timedelta:
        return self.period - self.maintenance - self.excluded

    @property
    def uptime(self) -> Fraction:
        measured = self.measured // _MICROSECOND
        if measured <= 0:
            return Fraction(1)
        return 1 - Fraction(self.downtime // _MICROSECOND, measured)

    @property
    def uptime_percent(self) -> float:
        return float(self.uptime * 100)

    @property
    def is_failure(self) -> bool:
        """A Service Level Failure: strictly below target (exactly 99 % is kept)."""
        return self.uptime < self.target

    @property
    def target_percent(self) -> Decimal:
        """The target this month is judged on, in percent as the service states it (99.00): a
        closed month's is the one kept at closing (thawed), not the service's since."""
        percent = self.target * 100
        return (Decimal(percent.numerator) / Decimal(percent.denominator)).quantize(Decimal("0.01"))

    def frozen(self) -> dict:
        """The month as a closed measurement period keeps it (MeasurementPeriod.snapshot): whole
        microseconds and the target as a fraction, so the month read back is this one exactly,
        its verdict included."""
        return {
            "period": self.period // _MICROSECOND,
            "maintenance": self.maintenance // _MICROSECOND,
            "excluded": self.excluded // _MICROSECOND,
            "downtime": self.downtime // _MICROSECOND,
            "target": str(self.target),
        }

    @classmethod
    def thawed(cls, month: date, frozen: dict) -> MonthAvailability:
        """The month `frozen` kept."""
        return cls(
            month=month,
            target=Fraction(frozen["target"]),
            **{
                part: frozen[part] * _MICROSECOND
                for part in ("period", "maintenance", "excluded", "downtime")
            },
        )


def month_bounds(year: int, month: int, zone: ZoneInfo) -> Interval:
    """Local midnight on the 1st to local midnight on the next 1st, in UTC. Midnight is
    never in a DST gap in the zones we serve (changes happen at 02:00 local)."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(next_year, next_month, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_of(instant: datetime, zone: ZoneInfo) -> date:
    local = instant.astimezone(zone)
    return date(local.year, local.month, 1)


def months_back(month: date, count: int) -> list[date]:
    """`count` month starts ending with `month`, oldest first."""
    index = month.year * 12 + month.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def maintenance_intervals(
    start: datetime, end: datetime, zone: ZoneInfo, window: MaintenanceWindow
) -> list[Interval]:
    """The window's occurrences between two instants, in UTC, clipped to them.

    Each occurrence is built from its two wall times on its own local date and then
    converted, so its real length is whatever DST makes of that date. A wall time in a
    DST gap would take zoneinfo's fold=0 (the offset before the change); Sunday 00:00
    and 06:00 never fall in one."""
    intervals = []
    day = start.astimezone(zone).date() - timedelta(days=1)  # a window may start the day before
    last = end.astimezone(zone).date()
    while day <= last:
        if day.weekday() == window.weekday:
            close_day = day if window.end > window.start else day + timedelta(days=1)
            opens = datetime.combine(day, window.start, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(close_day, window.end, tzinfo=zone).astimezone(UTC)
            clipped = (max(opens, start), min(closes, end))
            if clipped[0] < clipped[1]:
                intervals.append(clipped)
        day += timedelta(days=1)
    return intervals


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    """Merged `intervals` minus merged `holes`."""
    result = []
    for lo, hi in intervals:
        for hole_lo, hole_hi in holes:
            if hole_hi <= lo or hole_lo >= hi:
                continue
            if hole_lo > lo:
                result.append((lo, hole_lo))
            lo = max(lo, hole_hi)
            if lo >= hi:
                break
        if lo < hi:
            result.append((lo, hi))
    return result


def total(intervals: Iterable[Interval]) -> timedelta:
    return sum((hi - lo for lo, hi in intervals), _ZERO)


def _clipped(
    spans: Iterable[OutageSpan], start: datetime, end: datetime, excluded: bool
) -> Iterator[Interval]:
    for span in spans:
        if span.excluded == excluded and span.start < end and span.end > start:
            yield max(span.start, start), min(span.end, end)


def month_availability(
    *,
    month: date,
    zone: ZoneInfo,
    outages: Iterable[OutageSpan],
    now: datetime | None = None,
    window: MaintenanceWindow = SUNDAY_MAINTENANCE,
    target: Fraction = SLA_TARGET,
) -> MonthAvailability:
    """Availability of one local calendar month; with `now`, only the part before it."""
    start, end = month_bounds(month.year, month.month, zone)
    if now is not None:
        end = max(start, min(end, now))
    outages = list(outages)
    windows = merge(maintenance_intervals(start, end, zone, window))
    excluded = subtract(merge(_clipped(outages, start, end, excluded=True)), windows)
    counted = subtract(subtract(merge(_clipped(outages, start, end, excluded=False)), windows), excluded)
    return MonthAvailability(
        month=month,
        period=end - start,
        maintenance=total(windows),
        excluded=total(excluded),
        downtime=total(counted),
        target=target,
    )
