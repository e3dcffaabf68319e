"""Turn stored calendars into the clock's plain values (`policies.clock.Calendar`)."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date
from functools import cache

import holidays

from . import clock
from .models import SupportCalendar


@cache
def public_holidays(country: str) -> holidays.HolidayBase:
    """One lazily-expanding holiday set per country and process (it fills years on demand).
    For the US this is the federal list with observed days (4 July on a Saturday closes Friday 3 July)."""
    return holidays.country_holidays(country)


@dataclass(frozen=True)
class ClosedDays(Container[date]):
    """Public holidays plus the calendar's own extra closed dates."""

    public: Container[date]
    extra: frozenset[date]

    def __contains__(self, day: object) -> bool:
        return day in self.extra or day in self.public


def holiday_name(calendar: SupportCalendar, day: date) -> str:
    for closed in calendar.closed_dates.all():
        if closed.date == day:
            return closed.reason or "Closed"
    if calendar.holiday_country:
        return public_holidays(calendar.holiday_country).get(day) or "Holiday"
    return "Closed"


def to_clock(calendar: SupportCalendar | None) -> clock.Calendar:
    """The clock calendar for a stored one; None is the 24×7 clock.
    Prefetch `windows` and `closed_dates` to keep this free of queries."""
    if calendar is None:
        return clock.Calendar.twenty_four_seven()
    windows = tuple(
        clock.WeeklyWindow(w.start_weekday, w.start_time, w.end_weekday, w.end_time)
        for w in calendar.windows.all()
    )
    extra = frozenset(c.date for c in calendar.closed_dates.all())
    public = public_holidays(calendar.holiday_country) if calendar.holiday_country else frozenset()
    return clock.Calendar(
        timezone=calendar.timezone,
        windows=windows,
        closed_dates=ClosedDays(public, extra),
        business_day_hours=calendar.business_day_hours,
    )
