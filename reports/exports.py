"""CSV files of the reports: one row per table row, durations in plain numbers. Numeric columns
are numbers (Decimal, int), not formatted text, so portal.exports writes them as they are and
quotes only text that a spreadsheet would run as a formula."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from policies.words import decimal_hours

from .selectors import MonthlyReport

COMPLIANCE_HEADER = [
    "month",
    "vendor",
    "organization",
    "priority",
    "target",
    "cases",
    "met",
    "breached",
    "pending",
    "met_rate_percent",
    "median_first_response_hours",
    "p90_first_response_hours",
    "excluded",
    "disputed",
    "period",
    "minimum_met_rate_percent",
    "response_rate_failure",
    "availability_failure",
]
AVAILABILITY_HEADER = [
    "service",
    "vendor",
    "kind",
    "month",
    "month_seconds",
    "maintenance_seconds",
    "excluded_seconds",
    "measured_seconds",
    "downtime_seconds",
    "uptime_percent",
    "target_percent",
    "service_level_failure",
]


def _hours(value: timedelta | None) -> Decimal | None:
    return None if value is None else Decimal(decimal_hours(value))


def _seconds(value: timedelta) -> int:
    return round(value.total_seconds())


def compliance_lines(report: MonthlyReport) -> Iterable[list]:
    yield COMPLIANCE_HEADER
    for row in report.csv_rows:
        yield [
            f"{report.month:%Y-%m}",
            row.vendor,
            row.organization,
            row.priority,
            row.kind_label,
            row.cases,
            row.met,
            row.breached,
            row.pending,
            None if row.met_rate is None else Decimal(f"{row.met_rate * 100:.1f}"),
            _hours(row.median_response),
            _hours(row.p90_response),
            row.excluded,
            row.disputed,
            report.period_status(row.vendor, row.organization),
            row.minimum_met_percent,
            "yes" if row.rate_failure else "no",
            "yes" if report.availability_failure(row.vendor, row.organization) else "no",
        ]


def availability_lines(report: MonthlyReport) -> Iterable[list]:
    yield AVAILABILITY_HEADER
    for entry in report.services:
        service = entry.service
        for month in entry.months:
            yield [
                service.name,
                service.vendor.name,
                service.get_kind_display(),
                f"{month.month:%Y-%m}",
                _seconds(month.period),
                _seconds(month.maintenance),
                _seconds(month.excluded),
                _seconds(month.measured),
                _seconds(month.downtime),
                Decimal(f"{month.uptime_percent:.4f}"),
                month.target_percent,
                "yes" if month.is_failure else "no",
            ]
