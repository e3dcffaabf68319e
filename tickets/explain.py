"""Each SLA target explains itself in plain words: which policy and clock, when it started,
the closed hours and holidays it skipped, the pauses credited and the priority changes applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from policies import clock

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def format_duration(value: timedelta) -> str:
    """A duration in the desk's words: `1 d 3 h`, `45 min`."""
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def _local(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


def hours_text(calendar: clock.Calendar) -> str:
    if calendar.always_open:
        return "the 24×7 clock (every hour of every day counts)"
    windows = ", ".join(
        f"{DAYS[w.start_weekday]} {w.start_time:%H:%M}–{DAYS[w.end_weekday]} {w.end_time:%H:%M}"
        for w in calendar.windows
    )
    return f"support hours {windows} ({calendar.timezone} wall clock)"


def _holiday_names(days, calendar: clock.Calendar) -> list[str]:
    names = []
    public = getattr(calendar.closed_dates, "public", None)
    for day in days:
        name = public.get(day) if hasattr(public, "get") else None
        names.append(f"{name or 'closed day'} ({day:%d %b %Y})")
    return names


def explain_target(target, calendar: clock.Calendar, *, at: datetime) -> str:
    """Plain-words explanation of `target` as it stands after the change at `at`."""
    zone = "UTC" if calendar.always_open else calendar.timezone
    kind = target.get_kind_display()
    lines = [
        f"{kind} within {format_duration(target.duration)} of open time on {hours_text(calendar)}, "
        f"from {target.source}."
    ]
    if target.started_at is None:
        return " ".join(lines)
    lines.append(f"The clock started {_local(target.started_at, zone)}.")
    if target.paused:
        lines.append(
            f"{format_duration(target.paused)} of support time spent waiting on the customer is credited."
        )
    if target.paused_since:
        lines.append(f"Paused since {_local(target.paused_since, zone)} while waiting on the customer.")
    if target.due_at is not None and not calendar.always_open:
        wall = target.due_at - target.started_at
        skipped = wall - target.duration - target.paused
        if skipped > timedelta(0):
            lines.append(f"{format_duration(skipped)} outside support hours is not counted.")
        closed = clock.closed_dates_between(target.started_at, target.due_at, calendar)
        if closed:
            lines.append("Holidays skipped: " + ", ".join(_holiday_names(closed, calendar)) + ".")
    changes = [e for e in target.events.all() if e.kind == "recomputed"] if target.pk else []
    for change in changes:
        lines.append(f"{change.detail} ({_local(change.at, zone)}).")
    if target.due_at is not None:
        lines.append(
            f"Due {_local(target.due_at, zone)} ({target.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)."
        )
    return " ".join(lines)
