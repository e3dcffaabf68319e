"""Median, nearest-rank percentile, and bulk open-time measurement against the clock itself."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from policies import clock
from reports.stats import OpenTime, median, percentile

H = timedelta(hours=1)


def test_median_and_percentile_by_hand():
    values = [5 * H, 1 * H, 3 * H, 2 * H]
    # Sorted 1, 2, 3, 5: median (2 + 3) / 2 = 2.5 h; p90 = ceil(0.9 × 4) = 4th = 5 h; p50 = 2nd = 2 h.
    assert median(values) == 2.5 * H
    assert percentile(values, 90) == 5 * H
    assert percentile(values, 50) == 2 * H
    # Ten values 1..10 h: p90 is exactly the 9th.
    assert percentile([n * H for n in range(1, 11)], 90) == 9 * H
    assert median([]) is None and percentile([], 90) is None


ALECTRONA = clock.Calendar(
    timezone="America/New_York",
    windows=tuple(clock.WeeklyWindow(day, time(9), day, time(17, 30)) for day in range(5)),
    closed_dates=frozenset(),
    business_day_hours=Decimal("8.5"),
)
ALBERT = clock.Calendar(
    timezone="America/Los_Angeles",
    windows=(clock.WeeklyWindow(6, time(19, 30), 4, time(19, 30)),),
    closed_dates=frozenset({datetime(2026, 11, 11).date(), datetime(2026, 11, 26).date()}),
    business_day_hours=Decimal("24"),
)


@pytest.mark.parametrize("calendar", [ALECTRONA, ALBERT], ids=["alectrona", "albert"])
def test_open_time_agrees_with_the_clock(calendar):
    # Spans over the fall-back weekend and two holidays, measured both ways.
    rng = random.Random(7)
    first = datetime(2026, 10, 25, tzinfo=UTC)
    last = datetime(2026, 12, 20, tzinfo=UTC)
    intervals = []
    for opens, closes in clock.open_intervals(first, calendar):
        if opens > last:
            break
        intervals.append((opens, closes))
    open_time = OpenTime(intervals)
    for _ in range(300):
        start = first + timedelta(minutes=rng.randrange(40 * 24 * 60))
        end = start + timedelta(minutes=rng.randrange(15 * 24 * 60))
        assert open_time.between(start, end) == clock.business_time_between(start, end, calendar)
