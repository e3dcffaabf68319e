"""Measurement periods signed off (issue 20 point 3): per organization × vendor × calendar month
(the desk's zone), the review lists every pause and exclusion of the month's cases with its
evidence and its effect in minutes; the customer's organization admin accepts or disputes each
item; staff close the period, which freezes its figures and Service Level Failure verdicts
(`MeasurementPeriod.snapshot`): every report of the month reads them from then on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from policies.clock import business_time_between
from policies.models import Vendor
from portal.models import Organization, Role
from portal.selectors import user_membership
from tickets.models import CaseExclusion, SlaTarget, Ticket, Wait
from tickets.services.sla import clock_of

from . import selectors
from .models import MeasurementPeriod, PeriodReview, ReviewDecision, ReviewItem

PERIOD_CLOSED = gettext_lazy("This period is closed: its figures are frozen.")
ADMIN_ONLY = gettext_lazy("Only your organization's administrator accepts or disputes the month's items.")
DESK_ONLY = gettext_lazy("Only the support desk closes a period.")
NOT_AN_ITEM = gettext_lazy("No such pause or exclusion in this period.")


def period_get(*, organization: Organization, vendor: Vendor, month: date) -> MeasurementPeriod:
    """The period's row, or an unsaved open one (a month nobody reviewed yet)."""
    period = MeasurementPeriod.objects.filter(organization=organization, vendor=vendor, month=month).first()
    return period or MeasurementPeriod(organization=organization, vendor=vendor, month=month)


def _cases(period: MeasurementPeriod) -> list[Ticket]:
    """The cases measured in the month: those with a target whose clock started in it (the
    report's rule, reports.selectors._targets)."""
    start, end = selectors.month_range(period.month)
    started = SlaTarget.objects.filter(ticket=OuterRef("pk"), started_at__gte=start, started_at__lt=end)
    return list(
        Ticket.objects.filter(organization=period.organization, vendor=period.vendor)
        .filter(Exists(started))
        .prefetch_related("sla_targets")
        .order_by("opened_at", "pk")
    )


@dataclass
class Item:
    kind: str  # ReviewItem
    object_id: int
    ticket: Ticket
    title: str
    evidence: list[str]
    effect_minutes: int  # pause credited / measured time excluded, largest over the case's targets
    review: PeriodReview | None = None
    attachments: list = field(default_factory=list)

    @property
    def decision(self) -> str:
        return self.review.decision if self.review else ""

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.object_id}"


def _minutes(value: timedelta) -> int:
    return round(value.total_seconds() / 60)


def period_items(period: MeasurementPeriod, *, now: datetime | None = None) -> list[Item]:
    """Every pause and exclusion of the month's cases, with evidence, effect and the customer's word."""
    now = now or timezone.now()
    cases = _cases(period)
    by_id = {ticket.pk: ticket for ticket in cases}
    waits = list(Wait.objects.filter(ticket_id__in=by_id).prefetch_related("chases").order_by("started_at"))
    exclusions = list(
        CaseExclusion.objects.filter(ticket_id__in=by_id)
        .select_related("exclusion", "target", "recorded_by")
        .prefetch_related("attachments")
    )
    reviews = {
        (review.item, review.object_id): review
        for review in PeriodReview.objects.filter(
            Q(item=ReviewItem.WAIT, object_id__in=[w.pk for w in waits])
            | Q(item=ReviewItem.EXCLUSION, object_id__in=[e.pk for e in exclusions])
        ).select_related("by")
    }
    items = []
    for wait in waits:
        ticket = by_id[wait.ticket_id]
        targets = list(ticket.sla_targets.all())
        effect = max(
            (selectors.pause_effect(wait, target=t, calendar=clock_of(t), now=now) for t in targets),
            default=timedelta(0),
        )
        chases = [
            (
                gettext("Automatic reminder %(at)s")
                if chase.automatic
                else gettext("Reminder by the desk %(at)s")
            )
            % {"at": f"{timezone.localtime(chase.at):%Y-%m-%d %H:%M %Z}"}
            for chase in wait.chases.all()
        ]
        since = f"{timezone.localtime(wait.started_at):%Y-%m-%d %H:%M %Z}"
        if wait.ended_at:
            title = gettext("Waiting on the customer from %(since)s to %(until)s") % {
                "since": since,
                "until": f"{timezone.localtime(wait.ended_at):%Y-%m-%d %H:%M %Z}",
            }
        else:
            title = gettext("Waiting on the customer since %(since)s, still waiting") % {"since": since}
        items.append(
            Item(
                kind=ReviewItem.WAIT,
                object_id=wait.pk,
                ticket=ticket,
                title=title,
                evidence=chases or [gettext("No reminder recorded.")],
                effect_minutes=_minutes(effect),
                review=reviews.get((ReviewItem.WAIT, wait.pk)),
            )
        )
    for record in exclusions:
        ticket = by_id[record.ticket_id]
        targets = [record.target] if record.target_id else list(ticket.sla_targets.all())
        measured = max((_measured(t, now) for t in targets), default=timedelta(0))
        claim = (
            gettext("Out-of-control claim")
            if record.exclusion.code == "out-of-control"
            else gettext("Exclusion")
        )
        what = record.target.get_kind_display().lower() if record.target_id else gettext("whole case")
        items.append(
            Item(
                kind=ReviewItem.EXCLUSION,
                object_id=record.pk,
                ticket=ticket,
                title=f"{claim} ({what}): {record.exclusion.text}",
                evidence=[record.reason],
                effect_minutes=_minutes(measured),
                review=reviews.get((ReviewItem.EXCLUSION, record.pk)),
                attachments=list(record.attachments.all()),
            )
        )
    return items


def _measured(target: SlaTarget, now: datetime) -> timedelta:
    """The time an exclusion takes out of the measurement: the target's open time from its
    start to its answer (or now), pauses excluded."""
    if target.response_business_time is not None:
        return target.response_business_time
    if target.started_at is None:
        return timedelta(0)
    end = target.fulfilled_at or target.met_at or target.breached_at or now
    return max(business_time_between(target.started_at, end, clock_of(target)) - target.paused, timedelta(0))


def _open_period(period: MeasurementPeriod) -> MeasurementPeriod:
    if period.pk is None:
        period, _ = MeasurementPeriod.objects.get_or_create(
            organization=period.organization, vendor=period.vendor, month=period.month
        )
    period = MeasurementPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_closed:
        raise ValidationError({"period": PERIOD_CLOSED})
    return period


@transaction.atomic
def period_review(
    *,
    period: MeasurementPeriod,
    by,
    item: str,
    object_id: int,
    decision: str,
    comment: str = "",
    at: datetime | None = None,
) -> PeriodReview:
    """The organization admin's word on one item; they may change it until the period closes
    (a dispute settled in the meeting becomes an acceptance)."""
    membership = user_membership(by)
    if (
        membership is None
        or membership.organization_id != period.organization_id
        or membership.role != Role.ADMIN
    ):
        raise PermissionDenied(ADMIN_ONLY)
    period = _open_period(period)
    if decision not in ReviewDecision.values:
        raise ValidationError(
            {
                "decision": gettext("Choose one of: %(choices)s.")
                % {"choices": ", ".join(ReviewDecision.values)}
            }
        )
    if (item, object_id) not in {(i.kind, i.object_id) for i in period_items(period)}:
        raise ValidationError({"item": NOT_AN_ITEM})
    review, _ = PeriodReview.objects.update_or_create(
        item=item,
        object_id=object_id,
        defaults={
            "period": period,
            "decision": decision,
            "comment": comment.strip(),
            "by": by,
            "at": at or timezone.now(),
        },
    )
    return review


def period_figures(period: MeasurementPeriod, *, now: datetime) -> dict:
    """The period's figures as the report computes them now, in the snapshot's shape."""
    start, end = selectors.month_range(period.month)
    targets = selectors._targets(start=start, end=end, organization=period.organization, vendor=period.vendor)
    counts = selectors.live_counts(targets=targets, now=now)
    times = selectors.first_response_times(targets=targets)
    services = list(selectors.services_for(period.organization).filter(vendor=period.vendor))
    table = selectors.availability_table(services=services, months=[period.month], now=now)
    rows = selectors.compliance_rows(
        start=start, end=end, now=now, organization=period.organization, vendor=period.vendor
    )
    return {
        "counts": [
            {
                "priority": c["ticket__priority_id"],
                "kind": c["kind"],
                **{f: c[f] for f in selectors.COUNT_FIELDS},
            }
            for c in counts
        ],
        "times": {
            str(priority_id): [value.total_seconds() for value in answered]
            for (_, _, priority_id), answered in times.items()
        },
        "response_rate_failure": any(row.rate_failure for row in rows),
        "availability_failure": any(entry.months[-1].is_failure for entry in table),
        # Each service's month whole (length, maintenance, excluded, downtime, target): the
        # organization's report, chart and availability CSV read it back (availability_table).
        "availability": {entry.service.slug: entry.months[-1].frozen() for entry in table},
    }


@transaction.atomic
def period_close(*, period: MeasurementPeriod, by, at: datetime | None = None) -> MeasurementPeriod:
    """Close and freeze: the figures and verdicts of now are the month's for good. Items the
    customer neither accepted nor disputed stand as recorded; disputed ones count against the
    vendor in the frozen figures. Closing a closed period changes nothing."""
    if not by.is_staff:
        raise PermissionDenied(DESK_ONLY)
    at = at or timezone.now()
    existing = MeasurementPeriod.objects.filter(
        organization=period.organization, vendor=period.vendor, month=period.month, closed_at__isnull=False
    ).first()
    if existing is not None:
        return existing
    period = _open_period(period)
    period.snapshot = period_figures(period, now=at)
    period.closed_at, period.closed_by = at, by
    period.save()
    return period
