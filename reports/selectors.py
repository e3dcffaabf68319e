"""Reads behind every report: counts are GROUP BY aggregations in the database; only the
response-time percentiles of one month's answered targets are computed per row in Python,
because business time on a support calendar is not something SQL can measure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from lifecycle.models import Contract
from policies.models import PriorityLevel, TargetKind, Vendor
from portal.models import Organization
from tickets.deadlines import breached_q, overdue_q
from tickets.models import OPEN_STATUSES, SlaTarget, TargetState, Ticket

from . import availability, stats
from .models import EXCLUDED_CAUSES, MonitoredService, Outage

# The database groups by these ids; names and priority ranks are attached afterwards, so
# the per-row work stays a join-free lookup (priorities of two policy versions with the same
# rank and name land in one row).
GROUP_FIELDS = ("ticket__vendor_id", "ticket__organization_id", "ticket__priority_id", "kind")
ALL_DIMENSIONS = ("vendor", "organization", "priority", "kind")
MET = Q(state=TargetState.MET)


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
    median_response: timedelta | None = None
    p90_response: timedelta | None = None

    @property
    def kind_label(self) -> str:
        return TargetKind(self.kind).label if self.kind else ""

    @property
    def pending(self) -> int:
        return self.cases - self.met - self.breached

    @property
    def met_rate(self) -> float | None:
        """Met among the settled targets: one still running in time has not failed yet."""
        settled = self.met + self.breached
        return self.met / settled if settled else None


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
) -> list[ComplianceRow]:
    """SLA compliance of the targets of the cases opened in [start, end), one row per group."""
    return compliance_tables(
        start=start, end=end, now=now, organization=organization, vendor=vendor, groupings=[group_by]
    )[0]


def compliance_tables(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    groupings: list[tuple[str, ...]],
    organization: Organization | None = None,
    vendor: Vendor | None = None,
) -> list[list[ComplianceRow]]:
    """One table per grouping, from one GROUP BY query and one pass over the answered targets."""
    targets = _targets(start=start, end=end, organization=organization, vendor=vendor)
    counts = list(
        targets.values(*GROUP_FIELDS)
        .annotate(cases=Count("pk"), met=Count("pk", filter=MET), breached=Count("pk", filter=breached(now)))
        .order_by()
    )
    times = first_response_times(targets=targets)
    labels = _Labels.for_groups(counts)
    return [_table(group_by, counts, times, labels) for group_by in groupings]


@dataclass(frozen=True)
class _Labels:
    vendors: dict[int, str]
    organizations: dict[int, str]
    priorities: dict[int, tuple[int, str]]

    @classmethod
    def for_groups(cls, counts: list[dict]) -> _Labels:
        def ids(field: str) -> set[int]:
            return {group[field] for group in counts}

        return cls(
            vendors=dict(Vendor.objects.filter(pk__in=ids("ticket__vendor_id")).values_list("pk", "name")),
            organizations=dict(
                Organization.objects.filter(pk__in=ids("ticket__organization_id")).values_list("pk", "name")
            ),
            priorities={
                pk: (rank, name)
                for pk, rank, name in PriorityLevel.objects.filter(
                    pk__in=ids("ticket__priority_id")
                ).values_list("pk", "rank", "name")
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
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for group in counts:
        key = labels.key(group_by, *(group[field] for field in GROUP_FIELDS))
        total = totals[key]
        total[0] += group["cases"]
        total[1] += group["met"]
        total[2] += group["breached"]
    durations: dict[tuple, list[timedelta]] = defaultdict(list)
    for (vendor_id, organization_id, priority_id), answered in times.items():
        durations[
            labels.key(group_by, vendor_id, organization_id, priority_id, TargetKind.FIRST_RESPONSE)
        ].extend(answered)
    rows = []
    for key in sorted(totals):
        vendor, organization, rank, priority, kind = key
        cases, met, breached_ = totals[key]
        answered = durations.get(key, [])
        rows.append(
            ComplianceRow(
                vendor=vendor,
                organization=organization,
                priority=priority,
                priority_rank=rank,
                kind=kind,
                cases=cases,
                met=met,
                breached=breached_,
                median_response=stats.median(answered),
                p90_response=stats.percentile(answered, 90),
            )
        )
    return rows


def first_response_times(*, targets: QuerySet[SlaTarget]) -> dict[tuple, list[timedelta]]:
    """Time to first response on each answered target's own clock, pauses excluded, keyed by
    (vendor id, organization id, priority id): the `response_business_time` that
    tickets.services.sla stores when the desk answers, so no clock arithmetic happens here."""
    answered = (
        targets.filter(kind=TargetKind.FIRST_RESPONSE, response_business_time__isnull=False)
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
    *, months: list[date], now: datetime, organization: Organization | None = None
) -> list[MonthlyRate]:
    """Met and breached per month in one GROUP BY over the whole range. The month of a case is
    a CASE over the month boundaries (computed here, in the report zone), so the query is the
    same on SQLite and PostgreSQL and needs no per-row date function."""
    ranges = [month_range(month) for month in months]
    month_index = Case(
        *[When(started_at__lt=end, then=Value(index)) for index, (_, end) in enumerate(ranges)],
        output_field=IntegerField(),
    )
    counts = {
        row["month_index"]: row
        for row in _targets(start=ranges[0][0], end=ranges[-1][1], organization=organization)
        .annotate(month_index=month_index)
        .values("month_index")
        .annotate(met=Count("pk", filter=MET), breached=Count("pk", filter=breached(now)))
        .order_by()
    }
    empty = {"met": 0, "breached": 0}
    return [
        MonthlyRate(month=month, met=counts.get(i, empty)["met"], breached=counts.get(i, empty)["breached"])
        for i, month in enumerate(months)
    ]


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


@dataclass(frozen=True)
class ServiceAvailability:
    service: MonitoredService
    months: list[availability.MonthAvailability]


def availability_table(
    *, services: list[MonitoredService], months: list[date], now: datetime
) -> list[ServiceAvailability]:
    """Each service's availability per local month, from one query for all their outages."""
    if not services or not months:
        return []
    # A day of margin either side covers every service zone's month boundaries.
    first = month_range(months[0])[0] - timedelta(days=1)
    last = month_range(months[-1])[1] + timedelta(days=1)
    outages = Outage.objects.filter(service__in=services, start__lt=last).filter(
        Q(end__isnull=True) | Q(end__gt=first)
    )
    spans = defaultdict(list)
    for service_id, start, end, cause in outages.values_list("service_id", "start", "end", "cause"):
        spans[service_id].append(
            availability.OutageSpan(start, end or now, excluded=cause in EXCLUDED_CAUSES)
        )
    table = []
    for service in services:
        zone = ZoneInfo(service.timezone)
        target = Fraction(service.target_percent) / 100
        table.append(
            ServiceAvailability(
                service=service,
                months=[
                    availability.month_availability(
                        month=month, zone=zone, outages=spans[service.pk], now=now, target=target
                    )
                    for month in months
                ],
            )
        )
    return table


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
    def _tables(self) -> list[list[ComplianceRow]]:
        start, end = month_range(self.month)
        return compliance_tables(
            start=start,
            end=end,
            now=self.now,
            organization=self.organization,
            groupings=[("vendor",), PAGE_GROUPING, ALL_DIMENSIONS],
        )

    @property
    def by_vendor(self) -> list[ComplianceRow]:
        return self._tables[0]

    @property
    def rows(self) -> list[ComplianceRow]:
        return self._tables[1]

    @property
    def csv_rows(self) -> list[ComplianceRow]:
        return self._tables[2]

    @cached_property
    def met_rates(self) -> list[MonthlyRate]:
        return monthly_met_rates(months=self.history, now=self.now, organization=self.organization)

    @cached_property
    def services(self) -> list[ServiceAvailability]:
        services = list(services_for(self.organization))
        return availability_table(services=services, months=self.history, now=self.now)


def monthly_report(*, month: date, now: datetime, organization: Organization | None) -> MonthlyReport:
    return MonthlyReport(month=month, now=now, organization=organization)
