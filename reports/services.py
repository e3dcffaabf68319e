"""Recording outages: from admin or from a monitor through the API."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from .models import MonitoredService, Outage, OutageCause


def outage_record(
    *,
    service: MonitoredService,
    start: datetime,
    end: datetime | None = None,
    cause: str = OutageCause.UNPLANNED,
    notes: str = "",
    reference: str = "",
    by=None,
) -> tuple[Outage, bool]:
    """Record an outage; returns (outage, created). A monitor that retries a POST sends
    the same `reference` and gets the outage it already recorded, unchanged."""
    if reference:
        existing = Outage.objects.filter(service=service, reference=reference).first()
        if existing is not None:
            return existing, False
    outage = Outage(
        service=service, start=start, end=end, cause=cause, notes=notes, reference=reference, recorded_by=by
    )
    outage.full_clean()
    try:
        with transaction.atomic():
            outage.save()
    except IntegrityError:
        # Two retries raced past the lookup above: the unique reference keeps one row.
        return Outage.objects.get(service=service, reference=reference), False
    return outage, True


@transaction.atomic
def outage_end(*, outage: Outage, end: datetime) -> Outage:
    """Close an outage that was recorded while it lasted. Ending it again at the same time
    is a no-op; a different end corrects it."""
    outage = Outage.objects.select_for_update().get(pk=outage.pk)
    if outage.end == end:
        return outage
    outage.end = end
    outage.full_clean()
    outage.save(update_fields=["end"])
    return outage
