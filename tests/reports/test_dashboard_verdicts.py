"""Issue 20 point 4 on the staff dashboard: both Service Level Failure verdicts (the met rate below
the policy's minimum, availability below target) per vendor for last month and this one, with the
period's state (closed months read their frozen verdicts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reports.models import MeasurementPeriod
from reports.periods import period_close
from tests.factories import PASSWORD
from tests.reports.factories import MonitoredServiceFactory, OutageFactory
from tickets.services import reply_add, ticket_open

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 12, 2, 12, tzinfo=LA)
URL = "/admin/reports/dashboard/"


@pytest.fixture
def november(customer, agent, vendors, organization):
    """Albert in November: one urgent case answered 2 days late (0 of 1 met, below Albert's 90 %),
    its platform down 10 h on a Tuesday (below 99 %); the period is closed on 1 December."""
    opened = datetime(2026, 11, 10, 9, tzinfo=LA)
    with time_machine.travel(opened, tick=False):
        ticket = ticket_open(
            organization=organization,
            requester=customer,
            vendor=vendors["albert"],
            priority="urgent",
            subject="Down",
            body="Down",
            at=opened,
        )
    with time_machine.travel(opened + timedelta(days=2), tick=False):
        reply_add(ticket=ticket, author=agent, body="Fixed", at=opened + timedelta(days=2))
    service = MonitoredServiceFactory(name="Albert Cloud")
    OutageFactory(service=service, start=opened, end=opened + timedelta(hours=10))
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=LA), tick=False):
        period = MeasurementPeriod(
            organization=organization, vendor=vendors["albert"], month=opened.date().replace(day=1)
        )
        period_close(period=period, by=agent)
    return ticket


def test_dashboard_shows_both_verdicts_per_vendor_and_month(client, agent, november):
    client.login(username=agent.username, password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        response = client.get(URL)
    assert response.status_code == HTTPStatus.OK
    [last, this] = response.context["verdicts"]
    assert (last["month"].month, this["month"].month) == (11, 12)
    [albert] = [row for row in last["vendors"] if row["row"].vendor == "Albert"]
    assert (albert["status"], albert["rate_failure"], albert["availability_failure"]) == (
        "closed",
        True,
        True,
    )
    assert all(row["status"] == "provisional" for row in this["vendors"])
    page = response.content.decode()
    assert "Service Level Failures" in page
    assert "November 2026" in page and "closed" in page


def test_the_frozen_verdict_stands_on_the_dashboard(client, agent, november):
    from reports.models import Outage

    Outage.objects.all().delete()  # after closing: the month's availability is frozen
    client.login(username=agent.username, password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        [last, _] = client.get(URL).context["verdicts"]
    [albert] = [row for row in last["vendors"] if row["row"].vendor == "Albert"]
    assert albert["availability_failure"] is True


def test_the_dashboard_is_refused_to_the_outsider(client, outsider):
    client.login(username=outsider.username, password=PASSWORD)
    assert client.get(URL).status_code == HTTPStatus.FOUND  # to the admin's sign-in
