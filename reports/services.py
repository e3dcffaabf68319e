"""Recording outages (from admin or from a monitor through the API) and announcing planned work."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Notice, NoticeKind
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


def outage_announce(*, outage: Outage, now: datetime | None = None, build: bool = False) -> int:
    """Announce planned work (scheduled maintenance outside the window, an upgrade) to the members
    of the affected organizations once its notice is due: MAINTENANCE_NOTICE_HOURS before it
    begins, or at once when recorded later than that (it then counts as downtime: outage_excused).
    Once per outage: `announced_at` is set under the row's lock, and each email's dedupe key names
    the outage and the person. Work already begun is never announced. Returns the emails queued.
    `build` (the minute sweep's): the emails built and stored as they are queued (notices_queue)."""
    now = now or timezone.now()
    if outage.cause not in ANNOUNCED_CAUSES or outage.announced_at is not None or outage.is_cancelled:
        return 0
    if not (now < outage.start <= now + announcement_lead() + ANNOUNCE_EARLY):
        return 0
    with transaction.atomic():
        locked = Outage.objects.select_for_update().select_related("service__vendor").get(pk=outage.pk)
        if locked.announced_at is not None or locked.cause not in ANNOUNCED_CAUSES or locked.is_cancelled:
            return 0
        locked.announced_at = outage.announced_at = now
        locked.save(update_fields=["announced_at"])
        return notices_queue(notices=_announcements(locked), build=build)


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
        cancelled_at__isnull=True,
        start__gt=now,
        start__lte=now + announcement_lead() + ANNOUNCE_EARLY,
    ).only("pk", "cause", "start", "announced_at")
    return sum(outage_announce(outage=outage, now=now, build=True) for outage in due)


@transaction.atomic
def outage_end(*, outage: Outage, end: datetime) -> Outage:
    """Close an outage that was recorded while it lasted. Ending it again at the same time
    is a no-op; a different end corrects it (announced planned work that now ends later is
    announced again: outage_extension_announce)."""
    outage = Outage.objects.select_for_update().get(pk=outage.pk)
    if outage.end == end:
        return outage
    previous_end, outage.end = outage.end, end
    outage.full_clean()
    outage.save(update_fields=["end"])
    outage_extension_announce(outage=outage, previous_end=previous_end)
    return outage


# ------------------------------------------------------------ planned work moved, extended or cancelled

NOT_PLANNED = _("Only planned work (scheduled maintenance, an upgrade) is cancelled: end an outage instead.")
ALREADY_BEGUN = _("This work has begun: it cannot be cancelled, give its end instead.")
NOT_PLANNED_MOVED = _(
    "Only planned work (scheduled maintenance, an upgrade) is moved: end an outage instead."
)
BEGUN_NOT_MOVED = _("This work has begun: it cannot be moved, give its end instead.")
CANCELLED_NOT_MOVED = _("This work was cancelled: record new planned work instead.")
START_PAST = _("The new start has passed: planned work is moved to a time still ahead.")


def _told(outage: Outage) -> list:
    """The people who were told of this planned work (its announcement's notices), still active:
    a change is told to them, not to whoever the audience is today."""
    prefix = f"{NoticeKind.MAINTENANCE}:outage{outage.pk}:user"
    notices = (
        Notice.objects.filter(kind=NoticeKind.MAINTENANCE, dedupe_key__startswith=prefix)
        .filter(recipient__is_active=True)
        .select_related("recipient__membership__organization", "recipient__profile")
        .order_by("recipient_id")
    )
    return [notice.recipient for notice in notices]


def _change_notices(outage: Outage, *, kind: str, change: str, context: dict) -> list:
    """One notice per person told of `outage`, keyed by the change (`change` names it), so a change
    is told once however often it is saved."""
    service = outage.service
    base = {
        "outage": outage,
        "service": service,
        "vendor": service.vendor,
        "cause": outage.get_cause_display(),
    }
    notices = []
    for person in _told(outage):
        membership = getattr(person, "membership", None)
        notices.append(
            notice_build(
                kind=kind,
                dedupe_key=f"{kind}:outage{outage.pk}:{change}:user{person.pk}",
                rendered=render_email(
                    kind,
                    {
                        **base,
                        **context,
                        "recipient_name": person.get_full_name() or person.username,
                        "organization_name": membership.organization.name if membership else "",
                    },
                    zone=user_timezone(person),
                    language=email_language(person),
                ),
                recipient=person,
                reference=service.name,
            )
        )
    return notices


def outage_extension_announce(
    *, outage: Outage, previous_end: datetime | None, now: datetime | None = None
) -> int:
    """Planned work that was announced and now ends later than it said: the people told of it are
    told the new end, once per new end (the dedupe key names it). Nothing when it was not announced
    yet (its announcement will carry the new end), is cancelled, or the new end is already past (a
    monitor closing it late tells nobody anything they can plan around). Returns the emails queued."""
    now = now or timezone.now()
    if outage.cause not in ANNOUNCED_CAUSES or outage.announced_at is None or outage.is_cancelled:
        return 0
    if previous_end is None or outage.end is None or outage.end <= previous_end or outage.end <= now:
        return 0
    outage = Outage.objects.select_related("service__vendor").get(pk=outage.pk)
    return notices_queue(
        notices=_change_notices(
            outage,
            kind=NoticeKind.MAINTENANCE_EXTENDED,
            change=f"end{int(outage.end.timestamp())}",
            context={"previous_end": previous_end},
        )
    )


def outage_move_announce(*, outage: Outage, previous_start: datetime, now: datetime | None = None) -> int:
    """Planned work that was announced and now starts at another time, earlier or later: the people
    told of it are told the new start (and its end), once per new start (the dedupe key names it),
    however close the new start is: work moved earlier than the announcement lead is still told.
    Nothing when it was not announced yet (its announcement will carry the new times), is
    cancelled, or the new start is already past. Returns the emails queued."""
    now = now or timezone.now()
    if outage.cause not in ANNOUNCED_CAUSES or outage.announced_at is None or outage.is_cancelled:
        return 0
    if outage.start == previous_start or outage.start <= now:
        return 0
    outage = Outage.objects.select_related("service__vendor").get(pk=outage.pk)
    return notices_queue(
        notices=_change_notices(
            outage,
            kind=NoticeKind.MAINTENANCE_MOVED,
            change=f"start{int(outage.start.timestamp())}",
            context={"previous_start": previous_start, "earlier": outage.start < previous_start},
        )
    )


def outage_changes_announce(
    *, outage: Outage, previous_start: datetime, previous_end: datetime | None, now: datetime | None = None
) -> int:
    """After planned work was edited: its announcement if the edit brought it into its notice
    period, else the change to those told of it: a new start (whose notice carries the end too),
    or a later end. Returns the emails queued."""
    now = now or timezone.now()
    if outage.announced_at is None:
        return outage_announce(outage=outage, now=now)
    if outage.start != previous_start:
        return outage_move_announce(outage=outage, previous_start=previous_start, now=now)
    return outage_extension_announce(outage=outage, previous_end=previous_end, now=now)


def outage_reschedule(
    *,
    outage: Outage,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> Outage:
    """Move planned work that has not begun (a new start, a new end, or both; None keeps the one
    recorded) and tell the change (outage_changes_announce). Rescheduling to the times it has is
    a no-op."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Outage.objects.select_for_update().get(pk=outage.pk)
        if locked.cause not in ANNOUNCED_CAUSES:
            raise ValidationError({"cause": NOT_PLANNED_MOVED})
        if locked.is_cancelled:
            raise ValidationError({"cancelled_at": CANCELLED_NOT_MOVED})
        if locked.start <= now:
            raise ValidationError({"start": BEGUN_NOT_MOVED})
        previous_start, previous_end = locked.start, locked.end
        locked.start = previous_start if start is None else start
        locked.end = previous_end if end is None else end
        if (locked.start, locked.end) == (previous_start, previous_end):
            return locked
        if locked.start <= now:
            raise ValidationError({"start": START_PAST})
        locked.full_clean()
        locked.save(update_fields=["start", "end"])
        outage_changes_announce(
            outage=locked, previous_start=previous_start, previous_end=previous_end, now=now
        )
    return locked


def outage_cancel(*, outage: Outage, by=None, now: datetime | None = None) -> int:
    """Call off planned work that has not begun: it stops being an outage (no downtime, no
    announcement due), and the people told of it are told, once. Cancelling it again does nothing.
    Returns the emails queued."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Outage.objects.select_for_update().select_related("service__vendor").get(pk=outage.pk)
        if locked.is_cancelled:
            return 0
        if locked.cause not in ANNOUNCED_CAUSES:
            raise ValidationError({"cause": NOT_PLANNED})
        if locked.start <= now:
            raise ValidationError({"start": ALREADY_BEGUN})
        locked.cancelled_at = outage.cancelled_at = now
        locked.cancelled_by = outage.cancelled_by = by
        locked.save(update_fields=["cancelled_at", "cancelled_by"])
        if locked.announced_at is None:
            return 0
        return notices_queue(
            notices=_change_notices(
                locked, kind=NoticeKind.MAINTENANCE_CANCELLED, change="cancelled", context={}
            )
        )
