"""Reads behind every report: counts are GROUP BY aggregations in the database; only the
response-time percentiles of one month's answered targets are computed per row in Python,
because business time on a support calendar is not something SQL can measure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from lifecycle.models import Contract
from policies import clock
from policies.models import PriorityLevel, ResponseTarget, TargetKind, Vendor
from portal.models import Organization
from tickets.deadlines import breached_q, overdue_q
from tickets.models import OPEN_STATUSES, CaseExclusion, SlaTarget, TargetState, Ticket, Wait

from . import availability, stats
from .models import (
    MeasurementPeriod,
    MonitoredService,
    Outage,
    PeriodReview,
    ReviewDecision,
    ReviewItem,
    outage_excused,
)

# The database groups by these ids; names and priority ranks are attached afterwards, so
# the per-row work stays a join-free lookup (priorities of two policy versions with the same
# rank and name land in one row).
GROUP_FIELDS = ("ticket__vendor_id", "ticket__organization_id", "ticket__priority_id", "kind")
ALL_DIMENSIONS = ("vendor", "organization", "priority", "kind")
MET = Q(state=TargetState.MET)


def _disputed(item: str) -> Exists:
    return Exists(
        PeriodReview.objects.filter(item=item, object_id=OuterRef("pk"), decision=ReviewDecision.DISPUTED)
    )


def _exclusions_of_target() -> QuerySet[CaseExclusion]:
    """The exclusions on a target (OuterRef) of a case: its own and the whole case's."""
    return CaseExclusion.objects.filter(ticket_id=OuterRef("ticket_id")).filter(
        Q(target__isnull=True) | Q(target_id=OuterRef("pk"))
    )


# Issue 20: a target under an exclusion its customer has not disputed leaves met rates and
# statistics (its own column); a disputed exclusion or pause counts against the vendor until
# it is accepted (the disputed column counts those targets).
EXCLUDED = Exists(_exclusions_of_target().exclude(_disputed(ReviewItem.EXCLUSION)))
DISPUTED = Exists(_exclusions_of_target().filter(_disputed(ReviewItem.EXCLUSION))) | Exists(
    Wait.objects.filter(ticket_id=OuterRef("ticket_id")).filter(_disputed(ReviewItem.WAIT))
)


def breached(now: datetime) -> Q:
    """Breached, written down or not yet: a running target past its due time has breached
    even before the SLA sweep records it (tickets.deadlines, the one rule)."""
    return breached_q(now)


def report_zone() -> ZoneInfo:
    """Compliance months are calendar months in the desk's zone (settings.TIME_ZONE)."""
    return timezone.get_default_timezone()


def month_range(month: date) -> tuple[datetime, datetime]:
    return availability.month_bounds(month.year, month.month, report_zone())


@dataclass(frozen=True)
class ComplianceRow:
    vendor: str = ""
    organization: str = ""
    priority: str = ""
    priority_rank: int = 0
    kind: str = ""
    cases: int = 0
    met: int = 0
    breached: int = 0
    excluded: int = 0
    disputed: int = 0
    median_response: timedelta | None = None
    p90_response: timedelta | None = None
    # Issue 20 point 4: the policy's minimum met rate (percent) for this priority and target, and
    # whether one of the periods this row sums failed it.
    minimum_met_percent: Decimal | None = None
    any_rate_failure: bool = False

    @property
    def kind_label(self) -> str:
        return TargetKind(self.kind).label if self.kind else ""

    @property
    def pending(self) -> int:
        return self.cases - self.met - self.breached - self.excluded

    @property
    def met_rate(self) -> float | None:
        """Met among the settled targets: one still running in time has not failed yet."""
        settled = self.met + self.breached
        return self.met / settled if settled else None

    @property
    def rate_failure(self) -> bool:
        """A Service Level Failure on the met rate: a period below the policy's minimum met rate
        for its priority and target (exactly the minimum is not a failure)."""
        return self.any_rate_failure


def _targets(*, start: datetime, end: datetime, organization=None, vendor=None) -> QuerySet[SlaTarget]:
    """The targets of a month: those whose clock started in [start, end). For first response
    that is the case's opening (a priority change keeps it); for the update clock, the start of
    its current cycle. Filtering on the target's own column spares a join to every ticket of
    the year; an index on SlaTarget.started_at would spare the scan too (see README)."""
    # A withdrawn target (closed by the customer before any answer) is neither met nor
    # breached: it leaves the met rates and the response-time statistics (SPEC §2).
    targets = SlaTarget.objects.filter(started_at__gte=start, started_at__lt=end).exclude(
        state__in=[TargetState.NOT_APPLICABLE, TargetState.WITHDRAWN]
    )
    if organization is not None:
        targets = targets.filter(ticket__organization=organization)
    if vendor is not None:
        targets = targets.filter(ticket__vendor=vendor)
    return targets


def compliance_rows(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    organization: Organization | None = None,
    vendor: Vendor | None = None,
    group_by: tuple[str, ...] = ALL_DIMENSIONS,
    month: date | None = None,
) -> list[ComplianceRow]:
    """SLA compliance of the targets of the cases opened in [start, end), one row per group."""
    return compliance_tables(
        start=start,
        end=end,
        now=now,
        organization=organization,
        vendor=vendor,
        groupings=[group_by],
        month=month,
    )[0]


COUNT_FIELDS = ("cases", "met", "breached", "excluded", "disputed")


def live_counts(
    *, targets: QuerySet[SlaTarget], now: datetime, fields: tuple[str, ...] = GROUP_FIELDS
) -> list[dict]:
    """One GROUP BY on `fields` (by default the report's vendor, organization, priority and kind;
    monthly_met_rates: the month alone, an annotation of `targets`): the targets, met, breached,
    excluded and disputed of each group. Excluded targets are neither met nor breached; a met
    target whose disputed pause made it so counts as breached (`_met_by_disputed_pause`)."""
    counts = list(
        targets.values(*fields)
        .annotate(
            cases=Count("pk"),
            met=Count("pk", filter=MET & ~EXCLUDED),
            breached=Count("pk", filter=breached(now) & ~EXCLUDED),
            excluded=Count("pk", filter=EXCLUDED),
            disputed=Count("pk", filter=DISPUTED),
        )
        .order_by()
    )
    shifted = _met_by_disputed_pause(targets=targets, now=now, fields=fields)
    if shifted:
        for group in counts:
            moved = shifted.get(tuple(group[field] for field in fields), 0)
            group["met"] -= moved
            group["breached"] += moved
    return counts


def _field_value(target: SlaTarget, field: str):
    """A target's value of a values() path: "ticket__vendor_id" is target.ticket.vendor_id."""
    value = target
    for name in field.split("__"):
        value = getattr(value, name)
    return value


def _met_by_disputed_pause(
    *, targets: QuerySet[SlaTarget], now: datetime, fields: tuple[str, ...] = GROUP_FIELDS
) -> dict[tuple, int]:
    """Met targets that a disputed pause kept in time: without its credit on the target's own
    clock, the answer came after the deadline; counted per group of `fields` (live_counts'). Few
    rows (disputes are rare), so the clock arithmetic runs here, per target; one query when there
    are none."""
    from tickets.services.sla import clock_of

    # The cases with a disputed pause, as one IN (a handful of tickets): the database looks their
    # targets up instead of probing the waits of every target in the range.
    disputed_cases = Wait.objects.filter(_disputed(ReviewItem.WAIT)).values("ticket_id")
    met = list(
        targets.filter(MET, ticket_id__in=disputed_cases)
        .exclude(EXCLUDED)
        .select_related("ticket")
        .order_by()
    )
    if not met:
        return {}
    waits = defaultdict(list)
    for wait in Wait.objects.filter(ticket_id__in={t.ticket_id for t in met}).filter(
        _disputed(ReviewItem.WAIT)
    ):
        waits[wait.ticket_id].append(wait)
    moved: dict[tuple, int] = defaultdict(int)
    for target in met:
        calendar = clock_of(target)
        answered = target.fulfilled_at or target.met_at or now
        effect = sum(
            (
                pause_effect(wait, target=target, calendar=calendar, now=now)
                for wait in waits[target.ticket_id]
            ),
            timedelta(0),
        )
        deadline = clock.add_business_time(
            target.started_at, target.duration + target.paused - effect, calendar
        )
        if answered > deadline:
            moved[tuple(_field_value(target, field) for field in fields)] += 1
    return moved


def pause_effect(wait: Wait, *, target: SlaTarget, calendar: clock.Calendar, now: datetime) -> timedelta:
    """The time a wait credited to one target, on the target's own clock: the part of the wait
    between the target's start and its answer (or now)."""
    if target.started_at is None:
        return timedelta(0)
    begin = max(wait.started_at, target.started_at)
    finish = min(wait.ended_at or now, target.fulfilled_at or target.met_at or target.breached_at or now)
    if finish <= begin:
        return timedelta(0)
    return clock.business_time_between(begin, finish, calendar)


def compliance_tables(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    groupings: list[tuple[str, ...]],
    organization: Organization | None = None,
    vendor: Vendor | None = None,
    month: date | None = None,
) -> list[list[ComplianceRow]]:
    """One table per grouping, from one GROUP BY query and one pass over the answered targets.
    With `month`, the organization × vendor periods of that month already closed answer with the
    figures frozen at their closing (issue 20 point 3), whatever the cases say now."""
    figures = month_figures(
        start=start, end=end, now=now, organization=organization, vendor=vendor, month=month
    )
    return [figures.table(group_by) for group_by in groupings]


class MonthFigures:
    """A month's counts and answered times per (vendor, organization, priority, target) group, each
    closed period's frozen ones in place of its cases', and the names to show them by. A table of
    one grouping is built from them only when asked: the page does not pay for the CSV's."""

    def __init__(self, *, counts: list[dict], times: dict, closed: dict[tuple[int, int], tuple]) -> None:
        self.counts, self.times = counts, times
        # (vendor id, organization id) of each closed period: (vendor name, organization name,
        # its frozen availability verdict).
        self.closed = closed
        self.labels = _Labels.for_groups(counts)

    def table(self, group_by: tuple[str, ...]) -> list[ComplianceRow]:
        return _table(group_by, self.counts, self.times, self.labels)

    @cached_property
    def pairs(self) -> set[tuple[str, str]]:
        """(vendor name, organization name) of every organization × vendor the month measures."""
        return {
            (
                self.labels.vendors[group["ticket__vendor_id"]],
                self.labels.organizations[group["ticket__organization_id"]],
            )
            for group in self.counts
        }


def month_figures(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    organization: Organization | None = None,
    vendor: Vendor | None = None,
    month: date | None = None,
    closed: list[tuple] | None = None,
) -> MonthFigures:
    """The figures of the targets whose clock started in [start, end); with `month`, the periods of
    that month already closed answer with their snapshots (compliance_tables). `closed`: those
    periods when the caller has read them already (closed_periods)."""
    targets = _targets(start=start, end=end, organization=organization, vendor=vendor)
    frozen = closed
    if frozen is None:
        frozen = closed_periods(month=month, organization=organization, vendor=vendor) if month else []
    if frozen:
        # A closed period's cases are not counted again only to be replaced: one NOT EXISTS on
        # the period's unique (organization, vendor, month), so a closed month costs no more.
        targets = targets.exclude(_in_closed_period(month))
    if frozen and not targets.exists():
        # Every period of the month with cases is closed: one probe instead of the three scans
        # of the month's targets (counts, disputed pauses, response times) that would find nothing.
        counts, times = [], {}
    else:
        counts = live_counts(targets=targets, now=now)
        times = first_response_times(targets=targets)
    counts, times = _with_frozen(counts, times, frozen)
    closed = {
        (vendor_id, organization_id): (
            vendor_name,
            organization_name,
            bool(snapshot and snapshot.get("availability_failure")),
        )
        for vendor_id, organization_id, vendor_name, organization_name, snapshot in frozen
    }
    return MonthFigures(counts=counts, times=times, closed=closed)


def _in_closed_period(month: date) -> Exists:
    """A target (its case's organization × vendor) in a period of `month` already closed: its figures
    are the period's snapshot (_with_frozen, _frozen_counts), not its own."""
    return Exists(
        MeasurementPeriod.objects.filter(
            month=month,
            closed_at__isnull=False,
            organization_id=OuterRef("ticket__organization_id"),
            vendor_id=OuterRef("ticket__vendor_id"),
        )
    )


def closed_periods(
    *, month: date, organization: Organization | None = None, vendor: Vendor | None = None
) -> list[tuple[int, int, str, str, dict | None]]:
    """(vendor id, organization id, vendor name, organization name, snapshot) of the month's closed
    periods, in one query: rows, not models (a closed month of every organization is hundreds)."""
    return closed_periods_of(months=[month], organization=organization, vendor=vendor).get(month, [])


def closed_periods_of(
    *, months: list[date], organization: Organization | None = None, vendor: Vendor | None = None
) -> dict[date, list[tuple[int, int, str, str, dict | None]]]:
    """closed_periods of several months, in one query, by month."""
    periods = MeasurementPeriod.objects.filter(month__in=months, closed_at__isnull=False)
    if organization is not None:
        periods = periods.filter(organization=organization)
    if vendor is not None:
        periods = periods.filter(vendor=vendor)
    by_month: dict[date, list[tuple]] = defaultdict(list)
    for month, *period in periods.order_by().values_list(
        "month", "vendor_id", "organization_id", "vendor__name", "organization__name", "snapshot"
    ):
        by_month[month].append(tuple(period))
    return dict(by_month)


def _with_frozen(counts: list[dict], times: dict, periods: list[tuple]):
    """The live figures with each closed period's replaced by its snapshot."""
    if not periods:
        return counts, times
    frozen = {
        (vendor_id, organization_id): snapshot for vendor_id, organization_id, _, _, snapshot in periods
    }
    counts = [c for c in counts if (c["ticket__vendor_id"], c["ticket__organization_id"]) not in frozen]
    counts.extend(_frozen_counts(periods))
    times = {key: value for key, value in times.items() if key[:2] not in frozen}
    for (vendor_id, organization_id), snapshot in frozen.items():
        snapshot = snapshot or {}
        for priority_id, seconds in snapshot.get("times", {}).items():
            times[vendor_id, organization_id, int(priority_id)] = [timedelta(seconds=s) for s in seconds]
    return counts, times


def _frozen_counts(periods: list[tuple]) -> list[dict]:
    """The counts the closed periods (closed_periods) froze, as live_counts' groups."""
    return [
        {
            "ticket__vendor_id": vendor_id,
            "ticket__organization_id": organization_id,
            "ticket__priority_id": group["priority"],
            "kind": group["kind"],
            **{field: group[field] for field in COUNT_FIELDS},
        }
        for vendor_id, organization_id, _, _, snapshot in periods
        for group in (snapshot or {}).get("counts", [])
    ]


@dataclass(frozen=True)
class _Labels:
    vendors: dict[int, str]
    organizations: dict[int, str]
    priorities: dict[int, tuple[int, str]]
    minimums: dict[tuple[int, str], Decimal]

    @classmethod
    def for_groups(cls, counts: list[dict]) -> _Labels:
        def ids(field: str) -> set[int]:
            return {group[field] for group in counts}

        priority_ids = ids("ticket__priority_id")
        return cls(
            vendors=dict(Vendor.objects.filter(pk__in=ids("ticket__vendor_id")).values_list("pk", "name")),
            organizations=dict(
                Organization.objects.filter(pk__in=ids("ticket__organization_id")).values_list("pk", "name")
            ),
            priorities={
                pk: (rank, name)
                for pk, rank, name in PriorityLevel.objects.filter(pk__in=priority_ids).values_list(
                    "pk", "rank", "name"
                )
            },
            minimums={
                (priority_id, kind): minimum
                for priority_id, kind, minimum in ResponseTarget.objects.filter(
                    priority_id__in=priority_ids, minimum_met_percent__isnull=False
                ).values_list("priority_id", "kind", "minimum_met_percent")
            },
        )

    def key(
        self, group_by: tuple[str, ...], vendor_id: int, organization_id: int, priority_id: int, kind: str
    ):
        """(vendor, organization, priority rank, priority, kind) with the dimensions left out blank."""
        rank, priority = self.priorities[priority_id] if "priority" in group_by else (0, "")
        return (
            self.vendors[vendor_id] if "vendor" in group_by else "",
            self.organizations[organization_id] if "organization" in group_by else "",
            rank,
            priority,
            kind if "kind" in group_by else "",
        )


def _table(group_by, counts: list[dict], times: dict, labels: _Labels) -> list[ComplianceRow]:
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(COUNT_FIELDS))
    minimums: dict[tuple, Decimal] = {}
    failures: set[tuple] = set()
    for group in counts:
        ids = tuple(group[field] for field in GROUP_FIELDS)
        key = labels.key(group_by, *ids)
        total = totals[key]
        for index, field in enumerate(COUNT_FIELDS):
            total[index] += group[field]
        minimum = labels.minimums.get((ids[2], ids[3]))
        if minimum is not None:
            minimums.setdefault(key, minimum)
            # The verdict is per organization × vendor × priority × target (the period's);
            # a coarser row fails when one of its periods' rows does.
            settled = group["met"] + group["breached"]
            if settled and Fraction(group["met"], settled) * 100 < Fraction(minimum):
                failures.add(key)
    durations: dict[tuple, list[timedelta]] = defaultdict(list)
    for (vendor_id, organization_id, priority_id), answered in times.items():
        durations[
            labels.key(group_by, vendor_id, organization_id, priority_id, TargetKind.FIRST_RESPONSE)
        ].extend(answered)
    rows = []
    for key in sorted(totals):
        vendor, organization, rank, priority, kind = key
        answered = durations.get(key, [])
        rows.append(
            ComplianceRow(
                vendor=vendor,
                organization=organization,
                priority=priority,
                priority_rank=rank,
                kind=kind,
                **dict(zip(COUNT_FIELDS, totals[key], strict=True)),
                median_response=stats.median(answered),
                p90_response=stats.percentile(answered, 90),
                minimum_met_percent=minimums.get(key),
                any_rate_failure=key in failures,
            )
        )
    return rows


def first_response_times(*, targets: QuerySet[SlaTarget]) -> dict[tuple, list[timedelta]]:
    """Time to first response on each answered target's own clock, pauses excluded, keyed by
    (vendor id, organization id, priority id): the `response_business_time` that
    tickets.services.sla stores when the desk answers, so no clock arithmetic happens here."""
    answered = (
        targets.filter(kind=TargetKind.FIRST_RESPONSE, response_business_time__isnull=False)
        .exclude(EXCLUDED)
        .order_by()
        .values_list(*GROUP_FIELDS[:3], "response_business_time")
    )
    times: dict[tuple, list[timedelta]] = defaultdict(list)
    for vendor_id, organization_id, priority_id, response_time in answered:
        times[vendor_id, organization_id, priority_id].append(response_time)
    return times


@dataclass(frozen=True)
class MonthlyRate:
    month: date
    met: int
    breached: int

    @property
    def met_rate(self) -> float | None:
        settled = self.met + self.breached
        return self.met / settled if settled else None


def monthly_met_rates(
    *,
    months: list[date],
    now: datetime,
    organization: Organization | None = None,
    closed: dict[date, list[tuple]] | None = None,
) -> list[MonthlyRate]:
    """Met and breached per month, counted as the month's report counts them (live_counts): each
    organization × vendor period already closed from its snapshot (issue 20 point 3), the others
    live, in one GROUP BY over the whole range. The month of a case is a CASE over the month
    boundaries (computed here, in the report zone), so the query is the same on SQLite and
    PostgreSQL and needs no per-row date function. `closed`: the months' closed periods when the
    caller has read them already (closed_periods_of)."""
    ranges = [month_range(month) for month in months]
    month_index = Case(
        *[When(started_at__lt=end, then=Value(index)) for index, (_, end) in enumerate(ranges)],
        output_field=IntegerField(),
    )
    targets = _targets(start=ranges[0][0], end=ranges[-1][1], organization=organization).annotate(
        month_index=month_index
    )
    frozen = closed_periods_of(months=months, organization=organization) if closed is None else closed
    # As in month_figures: the closed periods' cases are not counted only to be replaced (one NOT
    # EXISTS on the period's unique organization × vendor × month), probed only for the targets of
    # a month with closed periods: the months without any cost no probe per target.
    in_closed = Q()
    for month, (start, end) in zip(months, ranges, strict=True):
        if frozen.get(month):
            in_closed |= Q(started_at__gte=start, started_at__lt=end) & _in_closed_period(month)
    if in_closed:
        targets = targets.exclude(in_closed)
    # The chart needs a month's totals only: grouped by the month alone, the query returns a row
    # per month, not one per organization × vendor × priority × target × month (tens of thousands
    # over every organization's year), and the closed periods, already left out above, are added
    # from their snapshots as the month's report reads them (_frozen_counts).
    live = {
        group["month_index"]: group
        for group in live_counts(targets=targets, now=now, fields=("month_index",))
    }
    rates = []
    for index, month in enumerate(months):
        groups = _frozen_counts(frozen.get(month, []))
        if index in live:
            groups.append(live[index])
        rates.append(
            MonthlyRate(
                month=month,
                met=sum(group["met"] for group in groups),
                breached=sum(group["breached"] for group in groups),
            )
        )
    return rates


def services_for(organization: Organization | None) -> QuerySet[MonitoredService]:
    """Staff (organization None) see every service; a customer sees the services of the
    vendors their organization has a contract or a case with."""
    services = MonitoredService.objects.filter(active=True).select_related("vendor")
    if organization is None:
        return services
    # Two EXISTS probes per service, on (organization, …) indexes; an OR across joins would scan.
    has_case = Ticket.objects.filter(organization=organization, vendor=OuterRef("vendor"))
    has_contract = Contract.objects.filter(organization=organization, vendor=OuterRef("vendor"))
    return services.filter(Exists(has_case) | Exists(has_contract))


def service_audience(service: MonitoredService) -> QuerySet:
    """The people a service's planned work is announced to: the active members, with an address,
    of the organizations whose report shows the service (services_for's rule, read the other way:
    a contract or a case with its vendor)."""
    from django.contrib.auth import get_user_model

    organization = OuterRef("membership__organization")
    has_case = Ticket.objects.filter(organization=organization, vendor_id=service.vendor_id)
    has_contract = Contract.objects.filter(organization=organization, vendor_id=service.vendor_id)
    return (
        get_user_model()
        .objects.filter(is_active=True, membership__isnull=False)
        .exclude(email="")
        .filter(Exists(has_case) | Exists(has_contract))
        .select_related("membership__organization", "profile")
        .order_by("pk")
    )


@dataclass(frozen=True)
class ServiceAvailability:
    service: MonitoredService
    months: list[availability.MonthAvailability]


def availability_table(
    *,
    services: list[MonitoredService],
    months: list[date],
    now: datetime,
    closed: dict[date, list[tuple]] | None = None,
) -> list[ServiceAvailability]:
    """Each service's availability per local month, from one query for all their outages. With
    `closed`, one organization's closed periods by month (closed_periods_of with that
    organization): a service's month in a closed period of its vendor is the month the period
    froze (issue 20 point 3), whatever the outages say now."""
    if not services or not months:
        return []
    kept = _kept_availability(closed or {})
    # A day of margin either side covers every service zone's month boundaries.
    first = month_range(months[0])[0] - timedelta(days=1)
    last = month_range(months[-1])[1] + timedelta(days=1)
    outages = Outage.objects.filter(service__in=services, start__lt=last, cancelled_at__isnull=True).filter(
        Q(end__isnull=True) | Q(end__gt=first)
    )
    spans = defaultdict(list)
    rows = outages.values_list("service_id", "start", "end", "cause", "announced_at")
    for service_id, start, end, cause, announced_at in rows:
        excused = outage_excused(cause=cause, start=start, announced_at=announced_at)
        spans[service_id].append(availability.OutageSpan(start, end or now, excluded=excused))
    table = []
    for service in services:
        zone = ZoneInfo(service.timezone)
        target = Fraction(service.target_percent) / 100
        table.append(
            ServiceAvailability(
                service=service,
                months=[
                    kept.get((service.vendor_id, month, service.slug))
                    or availability.month_availability(
                        month=month, zone=zone, outages=spans[service.pk], now=now, target=target
                    )
                    for month in months
                ],
            )
        )
    return table


def _kept_availability(
    closed: dict[date, list[tuple]],
) -> dict[tuple[int, date, str], availability.MonthAvailability]:
    """The services' months the closed periods froze, by (vendor id, month, service slug). A
    service the period did not measure (not on the organization's report when it closed) has
    none, nor has a period closed before the whole month was kept (its uptime alone)."""
    kept = {}
    for month, periods in closed.items():
        for vendor_id, _, _, _, snapshot in periods:
            for slug, frozen in ((snapshot or {}).get("availability") or {}).items():
                if isinstance(frozen, dict):
                    kept[vendor_id, month, slug] = availability.MonthAvailability.thawed(month, frozen)
    return kept


def open_cases_by_state(*, now: datetime) -> dict[str, int]:
    """Open cases by their worst SLA state; a running one past its deadline is breached."""
    state = Case(
        When(
            Q(sla_state=TargetState.RUNNING) & overdue_q(now, "next_due_at"),
            then=Value(TargetState.BREACHED.value),
        ),
        default=F("sla_state"),
    )
    rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .annotate(report_state=state)
        .values("report_state")
        .annotate(cases=Count("pk"))
        .order_by("report_state")
    )
    return {row["report_state"]: row["cases"] for row in rows}


def breaches_between(*, start: datetime, now: datetime) -> list[dict]:
    """Targets whose deadline passed unmet in [start, now), per vendor."""
    window = Q(state=TargetState.BREACHED, breached_at__gte=start, breached_at__lt=now) | (
        Q(state=TargetState.RUNNING, due_at__gte=start) & overdue_q(now)
    )
    return list(
        SlaTarget.objects.filter(window)
        .values("ticket__vendor__name")
        .annotate(breaches=Count("pk"))
        .order_by("ticket__vendor__name")
    )


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the current week in the desk's zone."""
    local = now.astimezone(report_zone())
    monday = local.date() - timedelta(days=local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=report_zone())


def next_to_breach(*, now: datetime, limit: int = 10) -> list[SlaTarget]:
    """The running targets that come due next (index sla_target_running_due)."""
    return list(
        SlaTarget.objects.filter(state=TargetState.RUNNING, due_at__gte=now)
        .select_related("ticket", "ticket__vendor", "ticket__organization", "ticket__priority")
        .order_by("due_at")[:limit]
    )


HISTORY_MONTHS = 12


PAGE_GROUPING = ("vendor", "priority", "kind")


class MonthlyReport:
    """One month's report for one organization (None: all of them, for staff). Each part is
    computed when first read, so a CSV of one part does not pay for the others.

    `rows` is the page's table (vendor × priority × target; an organization's own report is
    that organization only); `csv_rows` adds the organization dimension for the export."""

    def __init__(self, *, month: date, now: datetime, organization: Organization | None) -> None:
        self.month, self.now, self.organization = month, now, organization

    @cached_property
    def history(self) -> list[date]:
        return availability.months_back(self.month, HISTORY_MONTHS)

    @cached_property
    def _closed_history(self) -> dict[date, list[tuple]]:
        """The closed periods of the 12 months (the report's month last), one query for the
        month's figures, the met-rate chart and the availability."""
        return closed_periods_of(months=self.history, organization=self.organization)

    @cached_property
    def _figures(self) -> MonthFigures:
        start, end = month_range(self.month)
        return month_figures(
            start=start,
            end=end,
            now=self.now,
            organization=self.organization,
            month=self.month,
            closed=self._closed_history.get(self.month, []),
        )

    @cached_property
    def closed(self) -> dict[tuple[str, str], bool]:
        """The month's closed periods by (vendor name, organization name), each with its frozen
        availability verdict (issue 20 point 3), from the same query as their figures."""
        return {
            (vendor, organization): failure for vendor, organization, failure in self._figures.closed.values()
        }

    def period_status(self, vendor: str, organization: str) -> str:
        return "closed" if (vendor, organization) in self.closed else "provisional"

    def _organizations_of(self, vendor: str) -> set[str]:
        """The organizations the month measures for a vendor (the CSV's rows of that vendor), from
        the grouped counts: no table is built for it."""
        return {organization for name, organization in self._figures.pairs if name == vendor}

    def vendor_closed(self, vendor: str) -> bool:
        """Every organization's period of the vendor this month is closed."""
        organizations = self._organizations_of(vendor)
        return bool(organizations) and all((vendor, o) in self.closed for o in organizations)

    def vendor_status(self, vendor: str) -> str:
        return "closed" if self.vendor_closed(vendor) else "provisional"

    def availability_failure(self, vendor: str, organization: str = "") -> bool:
        """The month's availability verdict for a vendor: frozen in a closed period, else live."""
        frozen = self.closed.get((vendor, organization))
        if frozen is not None:
            return frozen
        return any(
            entry.months[-1].is_failure for entry in self.services if entry.service.vendor.name == vendor
        )

    @cached_property
    def vendor_slugs(self) -> list[tuple[str, str]]:
        return list(Vendor.objects.order_by("name").values_list("slug", "name"))

    @property
    def vendor_summary(self) -> list[dict]:
        """Per vendor: the period's state, excluded and disputed counts and both verdicts."""
        return [
            {
                "row": row,
                "status": self.vendor_status(row.vendor),
                "closed": self.vendor_closed(row.vendor),
                "rate_failure": row.rate_failure,
                "availability_failure": any(
                    self.availability_failure(row.vendor, organization)
                    for organization in self._organizations_of(row.vendor)
                ),
            }
            for row in self.by_vendor
        ]

    @cached_property
    def by_vendor(self) -> list[ComplianceRow]:
        return self._figures.table(("vendor",))

    @cached_property
    def rows(self) -> list[ComplianceRow]:
        return self._figures.table(PAGE_GROUPING)

    @cached_property
    def csv_rows(self) -> list[ComplianceRow]:
        return self._figures.table(ALL_DIMENSIONS)

    @cached_property
    def met_rates(self) -> list[MonthlyRate]:
        return monthly_met_rates(
            months=self.history, now=self.now, organization=self.organization, closed=self._closed_history
        )

    @cached_property
    def services(self) -> list[ServiceAvailability]:
        """One organization's report shows each closed month as its period froze it. Across every
        organization a service's availability is live: it is the service's, and organizations
        close at different times; each one's frozen verdict stands where verdicts are listed
        (availability_failure)."""
        services = list(services_for(self.organization))
        closed = self._closed_history if self.organization is not None else None
        return availability_table(services=services, months=self.history, now=self.now, closed=closed)


def monthly_report(*, month: date, now: datetime, organization: Organization | None) -> MonthlyReport:
    return MonthlyReport(month=month, now=now, organization=organization)
