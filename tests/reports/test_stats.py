"""Median, nearest-rank percentile, and bulk open-time measurement against the clock itself."""

from __future__ import annotations

from datetime import timedelta

from reports.stats import median, percentile

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
