"""Formatting for report pages: durations in the desk's words, rates as percentages."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

from policies.words import decimal_hours, duration_words

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return "—" if value is None else duration_words(value)


@register.filter
def rate(value: float | None) -> str:
    """A share (0–1) as a percentage with one decimal, as the reader's language writes it ("95.5%",
    "95,5%"); no settled target means no rate, not 0 %."""
    return "—" if value is None else f"{number_format(round(value * 100, 1), decimal_pos=1)}%"


@register.filter
def hours(value: timedelta) -> str:
    """Hours with their decimals, as the reader's language writes them: "84.94 h", "84,94 ч"."""
    return gettext("%(hours)s h") % {"hours": number_format(decimal_hours(value))}
