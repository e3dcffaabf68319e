"""How many SLA deadlines per second the clock computes on one core.

Run from the repo root: `.venv/bin/python bench/clock.py`. The mix is what the desk
computes: the four seed calendars, durations from 1 hour to 10 business days, starts
spread over 2020–2030 (so DST weeks and holidays come up in proportion). The floor is
20,000 deadlines per second; the script exits non-zero below it.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import holidays  # noqa: E402

from policies.clock import (  # noqa: E402
    Calendar,
    WeeklyWindow,
    add_business_time,
    business_time_between,
)

FLOOR_PER_SECOND = 20_000
SAMPLES = 20_000
ROUNDS = 5  # best of: the least disturbed run is the machine's real speed
SEED = 20260308  # fixed, so two runs time the same work


def seed_calendars() -> dict[str, Calendar]:
    us_federal = holidays.US()  # lazy, expands years on demand like the portal's
    return {
        "Alectrona": Calendar(
            timezone="America/New_York",
            windows=tuple(WeeklyWindow(day, wall(9), day, wall(17, 30)) for day in range(5)),
            business_day_hours=8.5,
        ),
        "SecPod": Calendar(
            timezone="Asia/Kolkata",
            windows=(WeeklyWindow(0, wall(0), 5, wall(0)),),
            business_day_hours=24,
        ),
        "Albert": Calendar(
            timezone="America/Los_Angeles",
            windows=(WeeklyWindow(6, wall(19, 30), 4, wall(19, 30)),),
            closed_dates=us_federal,
            business_day_hours=24,
        ),
        "24x7": Calendar.twenty_four_seven(),
    }


def sample_cases(count: int) -> list[tuple[datetime, timedelta, Calendar]]:
    rng = random.Random(SEED)
    calendars = list(seed_calendars().values())
    first = datetime(2020, 1, 1, tzinfo=UTC)
    span_seconds = int((datetime(2031, 1, 1, tzinfo=UTC) - first).total_seconds())
    hours = [timedelta(hours=h) for h in (1, 2, 4, 6, 8, 12, 24, 32)]
    cases = []
    for _ in range(count):
        calendar = rng.choice(calendars)
        durations = [*hours, *(calendar.business_days(n) for n in (1, 2, 5, 10))]
        start = first + timedelta(seconds=rng.randrange(span_seconds))
        cases.append((start, rng.choice(durations), calendar))
    return cases


def best_rate(work, count: int) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return count / best


def main() -> int:
    cases = sample_cases(SAMPLES)
    deadlines = [add_business_time(start, duration, calendar) for start, duration, calendar in cases]
    spans = [(start, due, calendar) for (start, _, calendar), due in zip(cases, deadlines, strict=True)]

    def add_all() -> None:
        for start, duration, calendar in cases:
            add_business_time(start, duration, calendar)

    def between_all() -> None:
        for start, due, calendar in spans:
            business_time_between(start, due, calendar)

    adds = best_rate(add_all, len(cases))
    betweens = best_rate(between_all, len(spans))
    mix = f"mix of 4 calendars, 1 h – 10 business days, {len(cases):,} samples"
    print(f"clock: {adds:,.0f} deadlines/s ({mix})")
    print(f"clock: {betweens:,.0f} between()/s (same mix, start -> its deadline)")
    if adds < FLOOR_PER_SECOND:
        print(f"clock: BELOW the floor of {FLOOR_PER_SECOND:,} deadlines/s")
        return 1
    print(f"clock: floor {FLOOR_PER_SECOND:,} deadlines/s met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
