"""Policies in plain words, for pages, the API and SLA explanations."""

from __future__ import annotations

from datetime import date, timedelta

import holidays

from .models import SupportCalendar
from .words import support_hours_words


def calendar_summary(calendar: SupportCalendar | None) -> str:
    if calendar is None:
        return "Around the clock: 24 hours a day, 7 days a week, holidays included."
    parts = [
        support_hours_words(list(calendar.windows.all()), calendar.timezone)
        + " (daylight saving time observed where it applies)"
    ]
    if calendar.holiday_country:
        parts.append(f"closed on {calendar.holiday_country} public holidays (observed days included)")
    extra = [c.date for c in calendar.closed_dates.all()]
    if extra:
        parts.append("also closed on " + ", ".join(f"{d:%d %b %Y}" for d in extra))
    hours = calendar.business_day_hours.normalize()
    parts.append(f"one business day = {hours:f} hours of support time")
    return "; ".join(parts) + "."


def upcoming_holidays(calendar: SupportCalendar, *, start: date, days: int = 365) -> list[tuple[date, str]]:
    end = start + timedelta(days=days)
    found: dict[date, str] = {}
    if calendar.holiday_country:
        years = range(start.year, end.year + 1)
        for day, name in holidays.country_holidays(calendar.holiday_country, years=years).items():
            if start <= day <= end:
                found[day] = name
    for closed in calendar.closed_dates.all():
        if start <= closed.date <= end:
            found[closed.date] = closed.reason or "Closed"
    return sorted(found.items())
