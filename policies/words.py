"""Durations, promised times and support hours in the desk's words: one wording for the case
page, the policy pages, admin, SLA explanations, emails and reports.

Plain values in, text out, in the active language (issue 22: Django's translation machinery, with
Russian plural forms — "1 час, 2 часа, 5 часов"). A window is anything with `start_weekday`,
`start_time`, `end_weekday`, `end_time` — a stored `CalendarWindow` or the clock's `WeeklyWindow` —
so a policy page and a case's explanation describe the same hours in the same words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time, timedelta
from decimal import Decimal
from typing import Protocol

from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy, ngettext, npgettext, pgettext, pgettext_lazy
from django.utils.translation import gettext as _

DAY_NAMES = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)
# The same days where a language declines them: "from Monday" (с понедельника), "through Friday"
# (по пятницу), "until Friday" (до пятницы). English reads the plain name in each.
DAY_FROM = (
    pgettext_lazy("weekday, from", "Monday"),
    pgettext_lazy("weekday, from", "Tuesday"),
    pgettext_lazy("weekday, from", "Wednesday"),
    pgettext_lazy("weekday, from", "Thursday"),
    pgettext_lazy("weekday, from", "Friday"),
    pgettext_lazy("weekday, from", "Saturday"),
    pgettext_lazy("weekday, from", "Sunday"),
)
DAY_THROUGH = (
    pgettext_lazy("weekday, through", "Monday"),
    pgettext_lazy("weekday, through", "Tuesday"),
    pgettext_lazy("weekday, through", "Wednesday"),
    pgettext_lazy("weekday, through", "Thursday"),
    pgettext_lazy("weekday, through", "Friday"),
    pgettext_lazy("weekday, through", "Saturday"),
    pgettext_lazy("weekday, through", "Sunday"),
)
DAY_UNTIL = (
    pgettext_lazy("weekday, until", "Monday"),
    pgettext_lazy("weekday, until", "Tuesday"),
    pgettext_lazy("weekday, until", "Wednesday"),
    pgettext_lazy("weekday, until", "Thursday"),
    pgettext_lazy("weekday, until", "Friday"),
    pgettext_lazy("weekday, until", "Saturday"),
    pgettext_lazy("weekday, until", "Sunday"),
)
NEVER_OPEN = gettext_lazy("never open")
_MIDNIGHT = time(0)


class Window(Protocol):
    start_weekday: int  # 0 = Monday … 6 = Sunday
    start_time: time
    end_weekday: int
    end_time: time  # exclusive; 00:00 is the end of the day before


def _duration_parts(value: timedelta, *, after_preposition: bool = False) -> list[str]:
    minutes = max(int(value.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if after_preposition:  # a language may decline the unit there: через 1 минуту, not 1 минута
        units = (
            lambda n: npgettext("after in or overdue by", "%(count)d d", "%(count)d d", n),
            lambda n: npgettext("after in or overdue by", "%(count)d h", "%(count)d h", n),
            lambda n: npgettext("after in or overdue by", "%(count)d min", "%(count)d min", n),
        )
    else:
        units = (
            lambda n: ngettext("%(count)d d", "%(count)d d", n),
            lambda n: ngettext("%(count)d h", "%(count)d h", n),
            lambda n: ngettext("%(count)d min", "%(count)d min", n),
        )
    parts = [units[0](days) % {"count": days}] if days else []
    if hours:
        parts.append(units[1](hours) % {"count": hours})
    if minutes or not parts:
        parts.append(units[2](minutes) % {"count": minutes})
    return parts


def duration_words(value: timedelta, *, after_preposition: bool = False) -> str:
    """'2 d 4 h 20 min', '3 h', '45 min' (Russian: '2 дня 4 часа 20 минут'): whole minutes (seconds
    dropped), empty parts left out. Nothing left reads '0 min'; a negative duration too — callers
    say "overdue by" the magnitude. `after_preposition`: the duration follows "in" or "overdue by"
    ("due in %(duration)s"), where Russian declines minutes (через 1 минуту)."""
    return " ".join(_duration_parts(value, after_preposition=after_preposition))


def overdue_words(late: timedelta) -> str:
    """How late a deadline is, in full: 'overdue by 2 h 5 min'; under a minute 'overdue by less than a
    minute', never '0 min' for one that has passed (seconds are dropped)."""
    if late < timedelta(minutes=1):
        return _("overdue by less than a minute")
    return _("overdue by %(duration)s") % {"duration": duration_words(late, after_preposition=True)}


def due_words(left: timedelta) -> str:
    """A deadline relative to now, for a list read at a glance: 'in 25 min', 'in 1 d 4 h',
    'overdue 2 h'. The two largest parts only; at the deadline itself (still on time) 'due now'."""
    short = " ".join(_duration_parts(abs(left), after_preposition=True)[:2])
    if left < timedelta(0):
        if -left < timedelta(minutes=1):
            return _("overdue < 1 min")
        return pgettext("deadline passed", "overdue %(duration)s") % {"duration": short}
    if left < timedelta(minutes=1):
        return _("due now")
    return pgettext("deadline ahead", "in %(duration)s") % {"duration": short}


def decimal_hours(value: timedelta) -> str:
    """'12.50': hours with two decimals, for tables and exports that add or sort them."""
    return f"{value.total_seconds() / 3600:.2f}"


def promise_words(amount: Decimal, unit: str, *, around_the_clock: bool) -> str:
    """A promised time as the policy states it: '2 hours (24×7)', '1 business day (support hours)'.
    `unit` is the DurationUnit's value or label ('hours', 'business days')."""
    amount = amount.normalize()
    shown = number_format(Decimal(f"{amount:f}"))
    count = int(amount) if amount == amount.to_integral_value() else 2  # a fraction reads plural
    if unit.replace("_", " ").startswith("business"):
        words = ngettext("%(amount)s business day", "%(amount)s business days", count)
    else:
        words = ngettext("%(amount)s hour", "%(amount)s hours", count)
    clock = _("24×7") if around_the_clock else _("support hours")
    return _("%(promise)s (%(clock)s)") % {"promise": words % {"amount": shown}, "clock": clock}


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
                return _("%(day)s, all day") % {"day": DAY_NAMES[start]}
            return _("%(first)s to %(last)s, all day") % {"first": DAY_FROM[start], "last": DAY_THROUGH[last]}
        return _("%(first)s %(time)s to %(last)s midnight") % {
            "first": DAY_FROM[start],
            "time": _time(window.start_time),
            "last": DAY_UNTIL[last],
        }
    if start == end and window.start_time < window.end_time:
        return _("%(day)s %(start)s–%(end)s") % {
            "day": DAY_NAMES[start],
            "start": _time(window.start_time),
            "end": _time(window.end_time),
        }
    return _("%(first)s %(start)s to %(last)s %(end)s") % {
        "first": DAY_FROM[start],
        "start": _time(window.start_time),
        "last": DAY_UNTIL[end],
        "end": _time(window.end_time),
    }


def windows_words(windows: Sequence[Window]) -> str:
    """A week of windows: the same hours on consecutive days read 'Monday to Friday, 09:00–17:30'."""
    same_hours = {(w.start_time, w.end_time) for w in windows}
    days = [w.start_weekday for w in windows]
    simple = all(w.start_weekday == w.end_weekday for w in windows) and len(same_hours) == 1
    if simple and len(windows) > 1 and days == list(range(days[0], days[0] + len(days))):
        start, end = same_hours.pop()
        return _("%(first)s to %(last)s, %(start)s–%(end)s") % {
            "first": DAY_FROM[days[0]],
            "last": DAY_THROUGH[days[-1]],
            "start": _time(start),
            "end": _time(end),
        }
    return "; ".join(window_words(w) for w in windows) or str(NEVER_OPEN)


def support_hours_words(windows: Sequence[Window], timezone: str) -> str:
    """'Monday to Friday, 09:00–17:30, America/New_York local time': a calendar's open hours."""
    return _("%(hours)s, %(timezone)s local time") % {"hours": windows_words(windows), "timezone": timezone}


def decline_words(*, vendor: str, preamble: str, exclusion: str) -> str:
    """Why a case is declined, in the policy's words: its own sentence before its list of
    exclusions, then the exclusion (Alectrona: "… has no obligation to provide Standard Technical
    Support Services for: Any Test Software."). A policy with no such sentence: a plain one."""
    lead = preamble.strip() or _("%(vendor)s's support policy does not cover:") % {"vendor": vendor}
    return f"{lead} {exclusion.strip()}"


# Issue 22: where the vendor publishes no translation into the reader's language, the page says so
# and shows the original; one sentence per original language (the language's name declines).
ORIGINAL_ONLY = {
    "en": gettext_lazy("The vendor publishes its terms in English only; the original is shown."),
    "ru": gettext_lazy("The vendor publishes its terms in Russian only; the original is shown."),
}
VENDOR_TRANSLATION = gettext_lazy("The terms below are the vendor's own translation.")


def texts_notice(version) -> str:
    """What the reader is told about the language of the policy's texts: nothing when they read
    the original in its own language."""
    reader = (get_language() or version.language).split("-")[0]
    if reader == version.language:
        return ""
    if version.translation(reader):
        return str(VENDOR_TRANSLATION)
    return str(ORIGINAL_ONLY.get(version.language, ORIGINAL_ONLY["en"]))
