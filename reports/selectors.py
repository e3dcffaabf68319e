"""Reads behind every report: counts are GROUP BY aggregations in the database; only the
response-time percentiles of one month's answered targets are computed per row in Python,
because business time on a support calendar is not something SQL can measure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from policies import clock
from policies.models import TargetKind, Vendor
from portal.models import Organization
from tickets.models import OPEN_STATUSES, SlaTarget, TargetState, Ticket
from tickets.services.sla import clock_of

from . import availability, stats
from .models import EXCLUDED_CAUSES, MonitoredService, Outage

# The dimensions a compliance report can be grouped by, and the columns that carry them.
DIMENSIONS = {
    "vendor": ("ticket__vendor__name", "ticket__vendor_id"),
    "organization": ("ticket__organization__name", "ticket__organization_id"),
    "priority": ("ticket__priority__rank", "ticket__priority__name"),
    "kind": ("kind",),
}
ALL_DIMENSIONS = ("vendor", "organization", "priority", "kind")
MET = Q(state=TargetState.MET)


def breached(now: datetime) -> Q:
    """Breached, written down or not yet: a running target past its due time has breached
    even before the SLA sweep records it."""
    return Q(state=TargetState.BREACHED) | Q(state=TargetState.RUNNING, due_at__lt=now)


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
    targets = SlaTarget.objects.filter(ticket__opened_at__gte=start, ticket__opened_at__lt=end).exclude(
        state=TargetState.NOT_APPLICABLE
    )
    if organization is not None:
        targets = targets.filter(ticket__organization=organization)
    if vendor is not None:
        targets = targets.filter(ticket__vendor=vendor)
    return targets


def _fields(group_by: tuple[str, ...]) -> list[str]:
    return [name for dimension in group_by for name in DIMENSIONS[dimension]]


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
    """One table per grouping; the response times are measured once for all of them."""
    targets = _targets(start=start, end=end, organization=organization, vendor=vendor)
    all_fields = _fields(tuple(d for d in ALL_DIMENSIONS if any(d in g for g in groupings)))
    answered = first_response_times(targets=targets, fields=all_fields)
    return [_table(targets, group_by, all_fields, answered, now) for group_by in groupings]


def _table(targets, group_by, all_fields, answered, now) -> list[ComplianceRow]:
    fields = _fields(group_by)
    grouped = (
        targets.values(*fields)
        .annotate(cases=Count("pk"), met=Count("pk", filter=MET), breached=Count("pk", filter=breached(now)))
        .order_by(*fields)
    )
    positions = [all_fields.index(name) for name in fields]
    times: dict[tuple, list[timedelta]] = defaultdict(list)
    for key, durations in answered.items():
        times[tuple(key[i] for i in positions)].extend(durations)
    rows = []
    for group in grouped:
        durations = times.get(tuple(group[name] for name in fields), [])
        rows.append(
            ComplianceRow(
                **_row_labels(group),
                cases=group["cases"],
                met=group["met"],
                breached=group["breached"],
                median_response=stats.median(durations),
                p90_response=stats.percentile(durations, 90),
            )
        )
    return rows


def _row_labels(group: dict) -> dict:
    return {
        "vendor": group.get("ticket__vendor__name", ""),
        "organization": group.get("ticket__organization__name", ""),
        "priority": group.get("ticket__priority__name", ""),
        "priority_rank": group.get("ticket__priority__rank", 0),
        "kind": group.get("kind", ""),
    }


def first_response_times(*, targets: QuerySet[SlaTarget], fields: list[str]) -> dict[tuple, list[timedelta]]:
    """Time to first response on each answered target's own clock, pauses excluded, by group.

    Business time between start and answer minus the pause credit (which is business time
    on the same clock). The 24×7 clock is plain subtraction; a calendar clock needs
    `business_time_between` per row — the reason reports ask for one month at a time.
    When SlaTarget gains a stored `response_business_time`, read that column instead."""
    answered = targets.filter(kind=TargetKind.FIRST_RESPONSE, fulfilled_at__isnull=False).values_list(
        *fields, "started_at", "fulfilled_at", "paused", "calendar_id"
    )
    clocks: dict[int | None, clock.Calendar] = {}
    times: dict[tuple, list[timedelta]] = defaultdict(list)
    for *key, started_at, fulfilled_at, paused, calendar_id in answered.iterator(chunk_size=5000):
        if calendar_id is None:
            elapsed = fulfilled_at - started_at
        else:
            if calendar_id not in clocks:
                clocks[calendar_id] = clock_of(SlaTarget(calendar_id=calendar_id))
            elapsed = clock.business_time_between(started_at, fulfilled_at, clocks[calendar_id])
        times[tuple(key)].append(max(elapsed - paused, timedelta(0)))
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
    """Met and breached per month in ONE pass over the range: a conditional count per month."""
    ranges = [month_range(month) for month in months]
    targets = _targets(start=ranges[0][0], end=ranges[-1][1], organization=organization)
    aggregates = {}
    for index, (start, end) in enumerate(ranges):
        in_month = Q(ticket__opened_at__gte=start, ticket__opened_at__lt=end)
        aggregates[f"met_{index}"] = Count("pk", filter=in_month & MET)
        aggregates[f"breached_{index}"] = Count("pk", filter=in_month & breached(now))
    counts = targets.aggregate(**aggregates)
    return [
        MonthlyRate(month=month, met=counts[f"met_{i}"], breached=counts[f"breached_{i}"])
        for i, month in enumerate(months)
    ]


def services_for(organization: Organization | None) -> QuerySet[MonitoredService]:
    """Staff (organization None) see every service; a customer sees the services of the
    vendors their organization has a contract or a case with."""
    services = MonitoredService.objects.filter(active=True).select_related("vendor")
    if organization is None:
        return services
    vendors = Vendor.objects.filter(
        Q(contracts__organization=organization) | Q(tickets__organization=organization)
    )
    return services.filter(vendor__in=vendors.values("pk"))


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
        When(sla_state=TargetState.RUNNING, next_due_at__lt=now, then=Value(TargetState.BREACHED.value)),
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
    window = Q(state=TargetState.BREACHED, breached_at__gte=start, breached_at__lt=now) | Q(
        state=TargetState.RUNNING, due_at__gte=start, due_at__lt=now
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


@dataclass(frozen=True)
class MonthlyReport:
    """Everything on one month's page, its printout and its CSV files."""

    month: date
    organization: Organization | None  # None: every organization (staff)
    by_vendor: list[ComplianceRow]
    rows: list[ComplianceRow]
    met_rates: list[MonthlyRate]
    services: list[ServiceAvailability]

    @property
    def history(self) -> list[date]:
        return [rate.month for rate in self.met_rates]


def monthly_report(*, month: date, now: datetime, organization: Organization | None) -> MonthlyReport:
    start, end = month_range(month)
    months = availability.months_back(month, HISTORY_MONTHS)
    group_by = ("vendor", "priority", "kind") if organization is not None else ALL_DIMENSIONS
    by_vendor, rows = compliance_tables(
        start=start, end=end, now=now, organization=organization, groupings=[("vendor",), group_by]
    )
    return MonthlyReport(
        month=month,
        organization=organization,
        by_vendor=by_vendor,
        rows=rows,
        met_rates=monthly_met_rates(months=months, now=now, organization=organization),
        services=availability_table(services=list(services_for(organization)), months=months, now=now),
    )
