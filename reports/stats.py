"""Median and percentiles of durations, and open time measured in bulk: pure, no Django import."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value; with an even count, the mean of the two middle ones."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[timedelta], percent: int) -> timedelta | None:
    """Nearest-rank percentile: the smallest value with at least `percent` % of the values at
    or below it (p90 of 10 values is the 9th). A value that really occurred, never interpolated;
    integer arithmetic so that 90 % of 10 is exactly 9."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


class OpenTime:
    """Cumulative open time over a fixed list of open intervals, for measuring many spans on
    one clock: `between(a, b)` is two binary searches instead of a walk over the windows.

    `intervals` must be sorted, non-overlapping and cover every span asked about (the caller
    takes them from `policies.clock.open_intervals` from the earliest start to the latest end)."""

    def __init__(self, intervals: Sequence[tuple[datetime, datetime]]) -> None:
        self._opens = [opens for opens, _ in intervals]
        self._closes = [closes for _, closes in intervals]
        self._before: list[timedelta] = []
        running = timedelta(0)
        for opens, closes in intervals:
            self._before.append(running)
            running += closes - opens

    def _until(self, instant: datetime) -> timedelta:
        index = bisect_right(self._opens, instant) - 1
        if index < 0:
            return timedelta(0)
        return self._before[index] + min(instant, self._closes[index]) - self._opens[index]

    def between(self, start: datetime, end: datetime) -> timedelta:
        return self._until(end) - self._until(start)
