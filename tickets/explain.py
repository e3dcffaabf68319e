"""Each SLA target explains itself in plain words: which policy and clock, when it started,
the closed hours and holidays it skipped, the pauses credited and the priority changes applied.

Worded when read, in the reader's language (issue 22): nothing of it is stored but the target's
own facts and its events' codes (tickets.words)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.dateformat import format as date_format
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from policies import clock
from policies.models import TargetKind
from policies.words import duration_words, support_hours_words

from .models import SlaEvent, SlaTarget, TargetState
from .words import event_text, target_source

UPDATE_WAITS = gettext_lazy(
    "Starts with the desk's first public reply: the longest gap allowed between updates."
)
# A target whose clock had run, stopped by a priority that has none (Albert Low), or an update
# target that waited for the first answer, lowered to a priority without one (tickets.services.sla
# sla_recompute, which leaves it no duration): the terms it had are no longer the case's, and
# none is invented (SPEC §3).
NO_TARGET_NOW = gettext_lazy("No contractual target: the case's priority now has none.")


def _local(moment: datetime, zone: str) -> str:
    """'Wed 02 Dec 2026 14:00 EST', the day and month in the active language: Django's
    date_format(local, 'D d M Y H:i') spelled out (its names and digits), without parsing the
    format and building a DateFormat for each moment of every answer (issue 24)."""
    local = moment.astimezone(ZoneInfo(zone))
    return (
        f"{WEEKDAYS_ABBR[local.weekday()]} {local.day:02d} {str(MONTHS_3[local.month]).title()} "
        f"{local.year:04d} {local.hour:02d}:{local.minute:02d} {local.tzname()}"
    )


def hours_text(calendar: clock.Calendar) -> str:
    if calendar.always_open:
        return _("the 24×7 clock (every hour of every day counts)")
    hours = support_hours_words(calendar.windows, calendar.timezone)
    return _("support hours (%(hours)s)") % {"hours": hours}


def _holiday_names(days, calendar: clock.Calendar) -> list[str]:
    names = []
    public = getattr(calendar.closed_dates, "public", None)
    for day in days:
        name = public.get(day) if hasattr(public, "get") else None
        names.append(f"{name or _('closed day')} ({date_format(day, 'd M Y')})")
    return names


def target_explanation(target: SlaTarget) -> str:
    """Why `target` is due when it is, in the active language: the case page, admin and the API.
    An update target waits for the desk's first public reply before it has a clock to explain."""
    from .services.sla import clock_of

    if target.state == TargetState.NOT_APPLICABLE and (target.started_at is not None or not target.duration):
        return str(NO_TARGET_NOW)  # stopped, or waiting no more: the priority now has none
    if target.kind == TargetKind.UPDATE and target.started_at is None:
        return str(UPDATE_WAITS)
    return explain_target(target, clock_of(target))


def _recomputations(target) -> list:
    """The target's priority changes: prefetched as `recomputations` (tickets.selectors), else read."""
    if hasattr(target, "recomputations"):
        return target.recomputations
    if not target.pk:
        return []
    return [e for e in target.events.all() if e.kind == SlaEvent.Kind.RECOMPUTED]


def explain_target(target, calendar: clock.Calendar) -> str:
    """Plain-words explanation of `target` as it stands, in the active language."""
    zone = "UTC" if calendar.always_open else calendar.timezone
    kind = target.get_kind_display()
    lines = [
        _("%(kind)s within %(duration)s of open time on %(hours)s, from %(source)s.")
        % {
            "kind": kind,
            "duration": duration_words(target.duration),
            "hours": hours_text(calendar),
            "source": target_source(target),
        }
    ]
    if target.started_at is None:
        return " ".join(lines)
    lines.append(_("The clock started %(when)s.") % {"when": _local(target.started_at, zone)})
    if target.paused:
        lines.append(
            _("%(duration)s of support time spent waiting on the customer is credited.")
            % {"duration": duration_words(target.paused)}
        )
    if target.paused_since:
        lines.append(
            _("Paused since %(when)s while waiting on the customer.")
            % {"when": _local(target.paused_since, zone)}
        )
    if target.due_at is not None and not calendar.always_open:
        wall = target.due_at - target.started_at
        skipped = wall - target.duration - target.paused
        if skipped > timedelta(0):
            lines.append(
                _("%(duration)s outside support hours is not counted.")
                % {"duration": duration_words(skipped)}
            )
        closed = clock.closed_dates_between(target.started_at, target.due_at, calendar)
        if closed:
            days = ", ".join(_holiday_names(closed, calendar))
            lines.append(_("Holidays skipped: %(days)s.") % {"days": days})
    for change in _recomputations(target):
        lines.append(f"{event_text(change)} ({_local(change.at, zone)}).")
    if target.due_at is not None:
        lines.append(
            _("Due %(when)s (%(utc)s UTC).")
            % {"when": _local(target.due_at, zone), "utc": f"{target.due_at.astimezone(UTC):%Y-%m-%d %H:%M}"}
        )
    return " ".join(lines)
