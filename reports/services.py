"""Recording outages (from admin or from a monitor through the API) and announcing planned work."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.models import NoticeKind
from portal.outbox import notice_build, notices_queue, render_email
from portal.selectors import email_language, user_timezone

from .models import ANNOUNCED_CAUSES, MonitoredService, Outage, OutageCause, announcement_lead
from .selectors import service_audience

# The sweep runs every minute: it announces planned work this much before the lead is reached, so
# that the notice is never a minute short of MAINTENANCE_NOTICE_HOURS (outage_excused is strict).
ANNOUNCE_EARLY = timedelta(minutes=5)


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
    outage_announce(outage=outage)
    return outage, True


def outage_announce(*, outage: Outage, now: datetime | None = None) -> int:
    """Announce planned work (scheduled maintenance outside the window, an upgrade) to the members
    of the affected organizations once its notice is due: MAINTENANCE_NOTICE_HOURS before it
    begins, or at once when recorded later than that (it then counts as downtime: outage_excused).
    Once per outage: `announced_at` is set under the row's lock, and each email's dedupe key names
    the outage and the person. Work already begun is never announced. Returns the emails queued."""
    now = now or timezone.now()
    if outage.cause not in ANNOUNCED_CAUSES or outage.announced_at is not None:
        return 0
    if not (now < outage.start <= now + announcement_lead() + ANNOUNCE_EARLY):
        return 0
    with transaction.atomic():
        locked = Outage.objects.select_for_update().select_related("service__vendor").get(pk=outage.pk)
        if locked.announced_at is not None or locked.cause not in ANNOUNCED_CAUSES:
            return 0
        locked.announced_at = outage.announced_at = now
        locked.save(update_fields=["announced_at"])
        return notices_queue(notices=_announcements(locked))


def _announcements(outage: Outage) -> list:
    service = outage.service
    context = {
        "outage": outage,
        "service": service,
        "vendor": service.vendor,
        "cause": outage.get_cause_display(),
    }
    kind = NoticeKind.MAINTENANCE
    return [
        notice_build(
            kind=kind,
            dedupe_key=f"{kind}:outage{outage.pk}:user{person.pk}",
            rendered=render_email(
                "maintenance_notice",
                {
                    **context,
                    "recipient_name": person.get_full_name() or person.username,
                    "organization_name": person.membership.organization.name,
                },
                zone=user_timezone(person),
                language=email_language(person),
            ),
            recipient=person,
            reference=service.name,
        )
        for person in service_audience(service)
    ]


def maintenance_notices_sweep(*, now: datetime | None = None) -> int:
    """Every minute: announce the planned work whose notice has come due; returns the emails queued."""
    now = now or timezone.now()
    due = Outage.objects.filter(
        cause__in=ANNOUNCED_CAUSES,
        announced_at__isnull=True,
        start__gt=now,
        start__lte=now + announcement_lead() + ANNOUNCE_EARLY,
    ).only("pk", "cause", "start", "announced_at")
    return sum(outage_announce(outage=outage, now=now) for outage in due)


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
