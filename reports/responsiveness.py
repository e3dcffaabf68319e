"""The monthly vendor-responsiveness table (issue 20 point 6): per vendor, the cases the desk
handed to it in the month (tickets.VendorHandoff, sent in the month in the desk's zone), how many
it answered, how many still wait, and how long it took to answer the desk: the median of the
answered ones, and the longest, where a handing still unanswered counts as its time so far.
Wall-clock time: it measures the vendor's answer, not a promise on a support calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

from django.utils import timezone

from policies.models import Vendor
from tickets.models import VendorHandoff

from .selectors import month_range


@dataclass(frozen=True)
class VendorResponsiveness:
    vendor: Vendor
    handed: int
    answered: int
    waiting: int
    median_minutes: int | None
    longest_minutes: int | None


def _minutes(start: datetime, end: datetime) -> int:
    return round((end - start).total_seconds() / 60)


def vendor_responsiveness(*, month: date, now: datetime | None = None) -> list[VendorResponsiveness]:
    """One row per vendor with a handing in `month`, by vendor name. One query."""
    now = now or timezone.now()
    start, end = month_range(month)
    handoffs = (
        VendorHandoff.objects.filter(sent_at__gte=start, sent_at__lt=end)
        .select_related("ticket__vendor")
        .only("sent_at", "answered_at", "ticket__vendor__name", "ticket__vendor__slug")
    )
    by_vendor: dict[int, tuple[Vendor, list[int], list[int]]] = {}
    for handoff in handoffs:
        vendor = handoff.ticket.vendor
        _, answered, waiting = by_vendor.setdefault(vendor.pk, (vendor, [], []))
        if handoff.answered_at is not None:
            answered.append(_minutes(handoff.sent_at, handoff.answered_at))
        else:
            waiting.append(_minutes(handoff.sent_at, max(now, handoff.sent_at)))
    rows = [
        VendorResponsiveness(
            vendor=vendor,
            handed=len(answered) + len(waiting),
            answered=len(answered),
            waiting=len(waiting),
            median_minutes=round(median(answered)) if answered else None,
            longest_minutes=max(answered + waiting),
        )
        for vendor, answered, waiting in by_vendor.values()
    ]
    return sorted(rows, key=lambda row: row.vendor.name)
