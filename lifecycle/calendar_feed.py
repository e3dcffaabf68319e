"""The iCalendar feed of product milestones (`icalendar` package): one all-day event per
milestone of every major version, with stable UIDs so calendar apps update events in place
when a date moves. Its titles are in the feed owner's language (the caller activates it): a
calendar app shows them as they come, with no Accept-Language of its own."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils.translation import gettext, pgettext_lazy
from icalendar import Calendar, Event, vText

from .models import MajorVersion, Product

MILESTONES = [
    ("ga", pgettext_lazy("calendar event", "General availability")),
    ("eos", pgettext_lazy("calendar event", "End of sales")),
    ("eoms", pgettext_lazy("calendar event", "End of mainstream support")),
    ("eol", pgettext_lazy("calendar event", "End of life")),
]


def _summary(version: MajorVersion, field: str, words: str) -> str:
    note = ""
    if field == "eoms" and version.eoms_override:
        note = gettext(" (stated in the product life cycle)")
    elif field == "eoms" and version.eoms_provisional:
        note = gettext(" (provisional)")
    elif field == "eol" and version.eol_override:
        note = gettext(" (stated in the product life cycle)")
    return f"{version}: {words}{note}"


def _events(version: MajorVersion, now: datetime) -> Iterable[Event]:
    for field, words in MILESTONES:
        day = getattr(version, field)
        if day is None:
            continue
        event = Event()
        event.add("uid", f"lifecycle-{version.pk}-{field}@support-portal")
        event.add("summary", _summary(version, field, words))
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("dtstamp", now)
        event.add("transp", "TRANSPARENT")
        if field in ("eoms", "eol") and version.override_reason:
            event.add("description", version.override_reason)
        yield event


def milestones_calendar(products: Iterable[Product], *, name: str, now: datetime) -> bytes:
    """Prefetch `major_versions` on the products to keep this free of queries."""
    calendar = Calendar()
    calendar.add("prodid", "-//Support portal//Product milestones//EN")
    calendar.add("version", "2.0")
    # An X- property is "unknown" to icalendar and written as is; as vText it is escaped (line
    # breaks, ";", ",", "\\") like SUMMARY, so an organization name cannot break the feed.
    calendar.add("x-wr-calname", vText(name))
    for product in products:
        for version in product.major_versions.all():
            for event in _events(version, now):
                calendar.add_component(event)
    return calendar.to_ical()
