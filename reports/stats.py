"""Median and percentiles of durations, and open time measured in bulk: pure, no Django import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta


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
