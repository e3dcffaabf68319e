"""Each SLA target explains itself in plain words: which policy and clock, when it started,
the closed hours and holidays it skipped, the pauses credited and the priority changes applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from policies import clock
from policies.words import duration_words, support_hours_words

from .models import SlaEvent


def _local(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


def hours_text(calendar: clock.Calendar) -> str:
    if calendar.always_open:
        return "the 24×7 clock (every hour of every day counts)"
    return f"support hours ({support_hours_words(calendar.windows, calendar.timezone)})"


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
        f"{kind} within {duration_words(target.duration)} of open time on {hours_text(calendar)}, "
        f"from {target.source}."
    ]
    if target.started_at is None:
        return " ".join(lines)
    lines.append(f"The clock started {_local(target.started_at, zone)}.")
    if target.paused:
        lines.append(
            f"{duration_words(target.paused)} of support time spent waiting on the customer is credited."
        )
    if target.paused_since:
        lines.append(f"Paused since {_local(target.paused_since, zone)} while waiting on the customer.")
    if target.due_at is not None and not calendar.always_open:
        wall = target.due_at - target.started_at
        skipped = wall - target.duration - target.paused
        if skipped > timedelta(0):
            lines.append(f"{duration_words(skipped)} outside support hours is not counted.")
        closed = clock.closed_dates_between(target.started_at, target.due_at, calendar)
        if closed:
            lines.append("Holidays skipped: " + ", ".join(_holiday_names(closed, calendar)) + ".")
    changes = [e for e in target.events.all() if e.kind == SlaEvent.Kind.RECOMPUTED] if target.pk else []
    for change in changes:
        lines.append(f"{change.detail} ({_local(change.at, zone)}).")
    if target.due_at is not None:
        lines.append(
            f"Due {_local(target.due_at, zone)} ({target.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)."
        )
    return " ".join(lines)
