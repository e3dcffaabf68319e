"""CSV files of the reports: one row per table row, durations in plain numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import timedelta

from django.http import HttpResponse

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


def _hours(value: timedelta | None) -> str:
    return "" if value is None else decimal_hours(value)


def _seconds(value: timedelta) -> str:
    return f"{value.total_seconds():.0f}"


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
            "" if row.met_rate is None else f"{row.met_rate * 100:.1f}",
            _hours(row.median_response),
            _hours(row.p90_response),
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
                f"{month.uptime_percent:.4f}",
                f"{service.target_percent}",
                "yes" if month.is_failure else "no",
            ]


def csv_response(lines: Iterable[list], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(lines)
    return response
