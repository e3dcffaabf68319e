"""Durations, promised times and support hours in the desk's words: one wording for the case
page, the policy pages, admin, SLA explanations, emails and reports.

Pure on purpose (no Django): plain values in, text out. A window is anything with
`start_weekday`, `start_time`, `end_weekday`, `end_time` — a stored `CalendarWindow` or the
clock's `WeeklyWindow` — so a policy page and a case's explanation describe the same hours
in the same words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time, timedelta
from decimal import Decimal
from typing import Protocol

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NEVER_OPEN = "never open"
_MIDNIGHT = time(0)


class Window(Protocol):
    start_weekday: int  # 0 = Monday … 6 = Sunday
    start_time: time
    end_weekday: int
    end_time: time  # exclusive; 00:00 is the end of the day before


def duration_words(value: timedelta) -> str:
    """'2 d 4 h 20 min', '3 h', '45 min': whole minutes (seconds dropped), empty parts left out.
    Nothing left reads '0 min'; a negative duration too — callers say "overdue by" the magnitude."""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def due_words(left: timedelta) -> str:
    """A deadline relative to now, for a list read at a glance: 'in 25 min', 'in 1 d 4 h',
    'overdue 2 h'. The two largest parts only; at the deadline itself (still on time) 'due now'."""
    parts = duration_words(abs(left)).split(" ")
    short = " ".join(parts[:4])
    if left < timedelta(0):
        return "overdue < 1 min" if -left < timedelta(minutes=1) else f"overdue {short}"
    return "due now" if left < timedelta(minutes=1) else f"in {short}"


def decimal_hours(value: timedelta) -> str:
    """'12.50': hours with two decimals, for tables and exports that add or sort them."""
    return f"{value.total_seconds() / 3600:.2f}"


def promise_words(amount: Decimal, unit: str, *, around_the_clock: bool) -> str:
    """A promised time as the policy states it: '2 hours (24×7)', '1 business day (support hours)'.
    `unit` is the plural label ('hours', 'business days')."""
    amount = amount.normalize()
    unit = unit.removesuffix("s") if amount == 1 else unit
    clock = "24×7" if around_the_clock else "support hours"
    return f"{amount:f} {unit} ({clock})"


def _time(value: time) -> str:
    return f"{value:%H:%M}"


def window_words(window: Window) -> str:
    """One window: 'Monday 09:00–17:30', 'Sunday 19:30 to Friday 19:30', 'Monday to Friday, all day'."""
    start, end = window.start_weekday, window.end_weekday
    if window.end_time == _MIDNIGHT:
        # Midnight at the end: "Mon 00:00 → Sat 00:00" reads as "Monday to Friday, all day".
        last = (end - 1) % 7
        if window.start_time == _MIDNIGHT:
            if start == last:
                return f"{DAY_NAMES[start]}, all day"
            return f"{DAY_NAMES[start]} to {DAY_NAMES[last]}, all day"
        return f"{DAY_NAMES[start]} {_time(window.start_time)} to {DAY_NAMES[last]} midnight"
    if start == end and window.start_time < window.end_time:
        return f"{DAY_NAMES[start]} {_time(window.start_time)}–{_time(window.end_time)}"
    return f"{DAY_NAMES[start]} {_time(window.start_time)} to {DAY_NAMES[end]} {_time(window.end_time)}"


def windows_words(windows: Sequence[Window]) -> str:
    """A week of windows: the same hours on consecutive days read 'Monday to Friday, 09:00–17:30'."""
    same_hours = {(w.start_time, w.end_time) for w in windows}
    days = [w.start_weekday for w in windows]
    simple = all(w.start_weekday == w.end_weekday for w in windows) and len(same_hours) == 1
    if simple and len(windows) > 1 and days == list(range(days[0], days[0] + len(days))):
        start, end = same_hours.pop()
        return f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}, {_time(start)}–{_time(end)}"
    return "; ".join(window_words(w) for w in windows) or NEVER_OPEN


def support_hours_words(windows: Sequence[Window], timezone: str) -> str:
    """'Monday to Friday, 09:00–17:30, America/New_York local time': a calendar's open hours."""
    return f"{windows_words(windows)}, {timezone} local time"


def decline_words(*, vendor: str, preamble: str, exclusion: str) -> str:
    """Why a case is declined, in the policy's words: its own sentence before its list of
    exclusions, then the exclusion (Alectrona: "… has no obligation to provide Standard Technical
    Support Services for: Any Test Software."). A policy with no such sentence: a plain one."""
    lead = preamble.strip() or f"{vendor}'s support policy does not cover:"
    return f"{lead} {exclusion.strip()}"
