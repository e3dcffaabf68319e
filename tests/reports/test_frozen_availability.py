"""Issue 20 point 3 for availability: a closed organization × vendor month keeps, in that
organization's report, printout, availability CSV and availability chart, the figures its snapshot
froze (measured, downtime, excluded, uptime, verdict), whatever is recorded, extended or cancelled
under it afterwards; an open month shows the change. Staff across every organization see a
service's availability live (it is the service's, not one organization's) beside each
organization's frozen verdict."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from reports.models import MeasurementPeriod, Outage, OutageCause
from reports.periods import period_close
from reports.services import outage_end, outage_record
from tests.factories import PASSWORD
from tests.reports.factories import MonitoredServiceFactory
from tests.reports.test_frozen_history import NOVEMBER, NOW, _case

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
H = timedelta(hours=1)


@pytest.fixture
def service():
    return MonitoredServiceFactory(name="Albert Cloud", slug="albert-cloud")


@pytest.fixture
def closed_november(customer, agent, vendors, organization, service):
    """Albert Cloud in November: 2 h down on Tuesday the 10th, 1 h on Thursday the 12th, 1 h on
    Friday the 13th beyond Albert's control (excluded): above 99 %. Acme has a case with Albert that
    month (so the service is on its report) and its period is closed on 1 December."""
    _case(customer, vendors, at=datetime(2026, 11, 10, 9, tzinfo=LA), answered_after=H, agent=agent)
    tuesday, thursday = datetime(2026, 11, 10, 9, tzinfo=LA), datetime(2026, 11, 12, 9, tzinfo=LA)
    friday = datetime(2026, 11, 13, 9, tzinfo=LA)
    with time_machine.travel(datetime(2026, 11, 20, tzinfo=LA), tick=False):
        two_hours, _ = outage_record(service=service, start=tuesday, end=tuesday + 2 * H)
        one_hour, _ = outage_record(service=service, start=thursday, end=thursday + H)
        outage_record(
            service=service,
            start=friday,
            end=friday + H,
            cause=OutageCause.BEYOND_CONTROL,
            notes="AWS us-west-2",
        )
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=LA), tick=False):
        period_close(
            period=MeasurementPeriod(organization=organization, vendor=vendors["albert"], month=NOVEMBER),
            by=agent,
        )
    return {"two_hours": two_hours, "one_hour": one_hour}


def _move_outages(service, closed_november) -> None:
    """After closing: in November an outage extended, one recorded, one called off; in December
    (open) one recorded."""
    with time_machine.travel(NOW, tick=False):
        outage_end(outage=closed_november["two_hours"], end=closed_november["two_hours"].start + 5 * H)
        saturday = datetime(2026, 11, 14, 9, tzinfo=LA)
        outage_record(service=service, start=saturday, end=saturday + 9 * H)  # November now below 99 %
        # The service refuses to cancel work that has begun: the row moves under the month anyway.
        Outage.objects.filter(pk=closed_november["one_hour"].pk).update(cancelled_at=NOW)
        december = datetime(2026, 12, 1, 9, tzinfo=LA)
        outage_record(service=service, start=december, end=december + H)


def _page(client, user, month="2026-12", **query):
    client.login(username=user.username, password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("reports:report"), {"month": month, **query})
    assert response.status_code == HTTPStatus.OK
    return response


def _figures(month) -> tuple:
    return (month.month, month.measured, month.downtime, month.excluded, month.uptime, month.is_failure)


def _months(response) -> dict:
    """The report's availability of its one service: {month: figures}, and its chart."""
    [item] = response.context["availability"]
    return {m.month: _figures(m) for m in item["entry"].months}, str(item["chart"])


def _csv_lines(client, user, month="2026-12") -> dict[str, list[str]]:
    client.login(username=user.username, password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("reports:availability-csv"), {"month": month})
    assert response.status_code == HTTPStatus.OK
    return {line[3]: line for line in csv.reader(io.StringIO(response.content.decode()))}


def test_the_customers_report_chart_and_csv_keep_a_closed_months_availability(
    client, customer, service, closed_november
):
    before, chart_before = _months(_page(client, customer))
    lines_before = _csv_lines(client, customer)
    assert before[NOVEMBER][-1] is False and before[NOVEMBER][3] == H  # met; the excluded hour
    _move_outages(service, closed_november)
    after, chart = _months(_page(client, customer))
    lines = _csv_lines(client, customer)
    assert after[NOVEMBER] == before[NOVEMBER]
    assert lines["2026-11"] == lines_before["2026-11"] and lines["2026-11"][-1] == "no"
    november_bar = f"November 2026: {float(before[NOVEMBER][4] * 100):.3f}%"
    assert november_bar in chart_before and november_bar in chart
    # December is open: its hour of downtime shows in the figures, the CSV and the chart.
    december = after[NOW.date().replace(day=1)]
    assert december[2] == H and december != before[NOW.date().replace(day=1)]
    assert lines["2026-12"] != lines_before["2026-12"] and lines["2026-12"][8] == "3600"
    assert "December 2026: 100.000%" in chart_before and "December 2026: 100.000%" not in chart


def test_the_closed_months_own_report_and_printout_keep_its_table(client, customer, service, closed_november):
    before = _page(client, customer, month="2026-11").content.decode()
    _move_outages(service, closed_november)
    response = _page(client, customer, month="2026-11")
    [item] = response.context["availability"]
    assert item["month"].is_failure is False
    page = response.content.decode()
    table = lambda html: html.split("<h2>Availability</h2>", 1)[1].split("</table>", 1)[0]  # noqa: E731
    assert table(page) == table(before) and "Service Level Failure" not in table(page)
    with time_machine.travel(NOW, tick=False):
        printout = client.get(reverse("reports:print"), {"month": "2026-11"}).content.decode()
    assert "Service Level Failure" not in printout.split("Availability in", 1)[1].split("</table>", 1)[0]


def test_staff_see_the_service_live_and_each_organizations_verdict_frozen(
    client, agent, customer, organization, service, closed_november
):
    _move_outages(service, closed_november)
    # Every organization: the service's November as it is now (below 99 %) ...
    everyone = _page(client, agent, month="2026-11")
    [item] = everyone.context["availability"]
    assert item["month"].is_failure is True
    # ... and Acme's closed period with the verdict it was closed with.
    [albert] = [row for row in everyone.context["report"].vendor_summary if row["row"].vendor == "Albert"]
    assert (albert["status"], albert["availability_failure"]) == ("closed", False)
    # Acme's report, as the desk opens it, is Acme's: frozen.
    acme = _page(client, agent, month="2026-11", organization=organization.slug)
    [item] = acme.context["availability"]
    assert item["month"].is_failure is False


def test_a_closed_month_shows_the_target_it_was_closed_with(client, customer, service, closed_november):
    """The frozen verdict is judged on the target kept at closing: the month's "Target met" label,
    its chart's target line and its CSV line show that target, not one set on the service since."""
    service.target_percent = Decimal("99.90")  # November (about 99.7 %) would now fail
    service.save()
    response = _page(client, customer, month="2026-11")
    [item] = response.context["availability"]
    assert item["month"].is_failure is False
    table = response.content.decode().split("<h2>Availability</h2>", 1)[1].split("</table>", 1)[0]
    assert "Target met (99%)" in table and "99.9" not in table
    assert "target 99%" in str(item["chart"]) and "target 99.9%" not in str(item["chart"])
    assert _csv_lines(client, customer, month="2026-11")["2026-11"][10] == "99.00"
    # December is open: the service's target now.
    december = _csv_lines(client, customer)["2026-12"]
    assert december[10] == "99.90"
