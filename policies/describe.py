"""Policies in plain words, for pages, the API and SLA explanations."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import holidays
from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext, pgettext

from .models import SupportCalendar
from .words import support_hours_words


def calendar_summary(calendar: SupportCalendar | None) -> str:
    if calendar is None:
        return gettext("Around the clock: 24 hours a day, 7 days a week, holidays included.")
    parts = [
        gettext("%(hours)s (daylight saving time observed where it applies)")
        % {"hours": support_hours_words(list(calendar.windows.all()), calendar.timezone)}
    ]
    if calendar.holiday_country:
        parts.append(
            gettext("closed on %(country)s public holidays (observed days included)")
            % {"country": calendar.holiday_country}
        )
    extra = [c.date for c in calendar.closed_dates.all()]
    if extra:
        days = ", ".join(date_format(d, "d M Y") for d in extra)
        parts.append(gettext("also closed on %(days)s") % {"days": days})
    hours = calendar.business_day_hours.normalize()
    parts.append(
        ngettext(
            "one business day = %(hours)s hour of support time",
            "one business day = %(hours)s hours of support time",
            int(hours) if hours == hours.to_integral_value() else 2,
        )
        % {"hours": number_format(Decimal(f"{hours:f}"))}
    )
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
            found[closed.date] = closed.reason or pgettext("holiday", "Closed")
    return sorted(found.items())
