"""The report's SVG charts speak the reader's language (issue 22): titles, month names, tooltips with
Russian plurals, decimal commas; the SVG's own coordinates keep the dot."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from django.utils import translation

from reports import charts
from reports.availability import MonthAvailability
from reports.selectors import MonthlyRate, ServiceAvailability
from tests.reports.factories import MonitoredServiceFactory

RATES = [
    MonthlyRate(month=date(2026, 9, 1), met=0, breached=0),
    MonthlyRate(month=date(2026, 10, 1), met=1, breached=1),
    MonthlyRate(month=date(2026, 11, 1), met=2, breached=5),
    MonthlyRate(month=date(2026, 12, 1), met=21, breached=0),
]


def test_the_met_rate_chart_in_russian():
    with translation.override("ru"):
        chart = str(charts.met_rate_chart(RATES))
    assert "<title>Доля выполненных целей по месяцам (%)</title>" in chart
    assert [label in chart for label in (">Сен<", ">Окт<", ">Ноя<", ">Дек<")] == [True] * 4
    assert "<title>Сен: нет данных</title>" in chart
    assert "<title>Октябрь 2026: 1 цель выполнена, 1 нарушена</title>" in chart
    assert "<title>Ноябрь 2026: 2 цели выполнены, 5 нарушено</title>" in chart
    assert "<title>Декабрь 2026: 21 цель выполнена, 0 нарушено</title>" in chart
    assert ">50,0<" in chart and ">28,6<" in chart  # 2 of 7
    assert " met" not in chart and "breached" not in chart and "no data" not in chart


def test_the_met_rate_chart_in_english():
    chart = str(charts.met_rate_chart(RATES))
    assert "<title>Targets met per month (%)</title>" in chart
    assert ">Sep<" in chart and "<title>Sep: no data</title>" in chart
    assert "<title>October 2026: 1 met, 1 breached</title>" in chart
    assert "<title>December 2026: 21 met, 0 breached</title>" in chart
    assert ">28.6<" in chart


@pytest.mark.django_db
def test_the_availability_chart_in_russian():
    service = MonitoredServiceFactory(name="Albert Cloud", target_percent=99)
    hour = timedelta(hours=1)
    months = [
        MonthAvailability(
            month=date(2026, 10, 1),
            period=720 * hour,
            maintenance=0 * hour,
            excluded=0 * hour,
            downtime=0 * hour,
        ),
        MonthAvailability(
            month=date(2026, 11, 1),
            period=720 * hour,
            maintenance=0 * hour,
            excluded=0 * hour,
            downtime=10 * hour,
            target=Fraction(99, 100),
        ),
    ]
    with translation.override("ru"):
        chart = str(charts.availability_chart(ServiceAvailability(service=service, months=months)))
    assert "<title>Albert Cloud: доступность по месяцам (%)</title>" in chart
    assert ">цель 99%<" in chart and ">Окт<" in chart
    assert "<title>Октябрь 2026: 100,000%</title>" in chart
    # 10 h down of 720 h: 98.611 %, below 99 %.
    assert "<title>Ноябрь 2026: 98,611% — нарушение уровня обслуживания</title>" in chart
    assert "availability" not in chart and "target" not in chart.replace('class="target"', "")
