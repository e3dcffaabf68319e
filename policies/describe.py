"""Policies in plain words, for pages, the API and SLA explanations."""

from __future__ import annotations

from datetime import date, timedelta

import holidays

from .models import SupportCalendar, Weekday

DAY_NAMES = [label for _, label in Weekday.choices]


def _time(value) -> str:
    return f"{value:%H:%M}"


def window_text(window) -> str:
    start, end = window.start_weekday, window.end_weekday
    if window.end_time.hour == 0 and window.end_time.minute == 0:
        # Midnight at the end: "Mon 00:00 → Sat 00:00" reads as "Monday to Friday, all day".
        last = (end - 1) % 7
        if window.start_time.hour == 0 and window.start_time.minute == 0:
            if start == last:
                return f"{DAY_NAMES[start]}, all day"
            return f"{DAY_NAMES[start]} to {DAY_NAMES[last]}, all day"
        return f"{DAY_NAMES[start]} {_time(window.start_time)} to {DAY_NAMES[last]} midnight"
    if start == end and window.start_time < window.end_time:
        return f"{DAY_NAMES[start]} {_time(window.start_time)}–{_time(window.end_time)}"
    return f"{DAY_NAMES[start]} {_time(window.start_time)} to {DAY_NAMES[end]} {_time(window.end_time)}"


def windows_text(calendar: SupportCalendar) -> str:
    windows = list(calendar.windows.all())
    same_hours = {(w.start_time, w.end_time) for w in windows}
    days = [w.start_weekday for w in windows]
    simple = all(w.start_weekday == w.end_weekday for w in windows) and len(same_hours) == 1
    if simple and len(windows) > 1 and days == list(range(days[0], days[0] + len(days))):
        start, end = same_hours.pop()
        return f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}, {_time(start)}–{_time(end)}"
    return "; ".join(window_text(w) for w in windows) or "never open"


def calendar_summary(calendar: SupportCalendar | None) -> str:
    if calendar is None:
        return "Around the clock: 24 hours a day, 7 days a week, holidays included."
    parts = [
        f"{windows_text(calendar)}, {calendar.timezone} local time"
        " (daylight saving time observed where it applies)"
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
