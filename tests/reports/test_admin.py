"""Admin smoke tests (changelist, search, add) and the staff dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from reports.models import MonitoredService, Outage
from tests.factories import PASSWORD
from tests.reports.factories import MonitoredServiceFactory, OutageFactory
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 18, tzinfo=UTC)


@pytest.fixture
def staff_client(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("model", ["monitoredservice", "outage"])
def test_changelist_search_and_add_render(staff_client, model):
    MonitoredServiceFactory(name="Albert Cloud")
    changelist = reverse(f"admin:reports_{model}_changelist")
    assert staff_client.get(changelist).status_code == HTTPStatus.OK
    assert staff_client.get(changelist, {"q": "Albert"}).status_code == HTTPStatus.OK
    assert staff_client.get(reverse(f"admin:reports_{model}_add")).status_code == HTTPStatus.OK


def test_add_service_and_outage_through_admin(staff_client, agent, vendors):
    response = staff_client.post(
        reverse("admin:reports_monitoredservice_add"),
        {
            "vendor": vendors["albert"].pk,
            "slug": "albert-servers",
            "name": "Albert servers",
            "kind": "server_uptime",
            "timezone": "America/Los_Angeles",
            "target_percent": "99.00",
            "active": "on",
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].errors
    service = MonitoredService.objects.get(slug="albert-servers")
    response = staff_client.post(
        reverse("admin:reports_outage_add"),
        {
            "service": service.pk,
            "start_0": "2026-11-02",
            "start_1": "10:00:00",
            "end_0": "2026-11-02",
            "end_1": "11:00:00",
            "cause": "unplanned",
            "notes": "Disk full",
            "reference": "",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    outage = Outage.objects.get()
    assert (outage.recorded_by, outage.notes, outage.end - outage.start) == (
        agent,
        "Disk full",
        timedelta(hours=1),
    )


def test_admin_refuses_an_outage_ending_before_it_starts(staff_client):
    service = MonitoredServiceFactory()
    response = staff_client.post(
        reverse("admin:reports_outage_add"),
        {
            "service": service.pk,
            "start_0": "2026-11-02",
            "start_1": "10:00:00",
            "end_0": "2026-11-02",
            "end_1": "09:00:00",
            "cause": "unplanned",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert "end" in response.context["adminform"].form.errors
    assert not Outage.objects.exists()


def test_dashboard_is_linked_from_the_admin_index(staff_client):
    index = staff_client.get(reverse("admin:index"))
    assert reverse("admin:reports_dashboard_changelist").encode() in index.content
    assert reverse("admin:reports_dashboard_changelist") == "/admin/reports/dashboard/"


def test_dashboard_shows_states_breaches_charts_and_next_due(staff_client, customer, vendors):
    with time_machine.travel(NOW, tick=False):
        for hours_ago in (3, 1):  # SecPod Critical, 2 h: the first is overdue, the second due in 1 h
            ticket_open(
                organization=customer.membership.organization,
                requester=customer,
                vendor=vendors["secpod"],
                priority="critical",
                subject="Down",
                body="Down",
                at=NOW - timedelta(hours=hours_ago),
            )
        service = MonitoredServiceFactory(name="Albert Cloud")
        OutageFactory(service=service, start=NOW - timedelta(days=3), end=NOW - timedelta(days=2))
        response = staff_client.get(reverse("admin:reports_dashboard_changelist"))
    assert response.status_code == HTTPStatus.OK
    context = response.context
    assert dict(context["open_by_state"]) == {"Breached": 1, "Running": 1}
    assert context["breaches_total"] == 1
    assert [item["target"].due_at for item in context["next_to_breach"]] == [NOW + timedelta(hours=1)]
    assert b"(in 1 h)" in response.content  # the case page's duration words, not Django's timeuntil
    assert response.content.count(b'<svg class="chart"') == 2
    assert b"Service Level Failure" in response.content


def test_dashboard_is_staff_only(client, customer):
    client.login(username=customer.username, password=PASSWORD)
    response = client.get(reverse("admin:reports_dashboard_changelist"))
    assert response.status_code == HTTPStatus.FOUND  # to the admin login


def test_service_changelist_shows_this_months_uptime(staff_client):
    with time_machine.travel(NOW, tick=False):
        service = MonitoredServiceFactory(name="Albert Cloud")
        OutageFactory(service=service, start=NOW - timedelta(days=3), end=NOW - timedelta(days=2))
        response = staff_client.get(reverse("admin:reports_monitoredservice_changelist"))
    assert b"Service Level Failure" in response.content


def test_chart_escapes_service_names(staff_client):
    MonitoredServiceFactory(name="<script>alert(1)</script>")
    response = staff_client.get(reverse("admin:reports_dashboard_changelist"))
    assert b"<script>alert(1)" not in response.content
    assert b"&lt;script&gt;alert(1)" in response.content
