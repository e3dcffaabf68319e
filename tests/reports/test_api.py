"""POST /api/outages/: a monitor records outages with a token."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from portal.services import api_token_create
from reports.models import END_BEFORE_START, Outage, OutageCause
from tests.factories import UserFactory
from tests.reports.factories import MonitoredServiceFactory

pytestmark = pytest.mark.django_db

URL = "/api/outages/"


@pytest.fixture
def service(db):
    return MonitoredServiceFactory(slug="albert-cloud")


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return client


@pytest.fixture
def monitor(db):
    """A dedicated, non-staff monitor user holding only the permission to add outages."""
    user = UserFactory(username="monitor")
    user.user_permissions.add(Permission.objects.get(codename="add_outage"))
    return user


def test_url_is_named():
    assert reverse("api:outage-create") == URL


def test_without_token_is_401(service):
    response = APIClient().post(URL, {"service": "albert-cloud", "start": "2026-11-02T10:00:00-08:00"})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not Outage.objects.exists()


def test_session_login_is_not_enough(client, agent, service):
    client.force_login(agent)
    response = client.post(URL, {"service": "albert-cloud", "start": "2026-11-02T10:00:00-08:00"})
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_customer_token_is_refused(customer, service):
    response = _client(customer).post(URL, {"service": "albert-cloud", "start": "2026-11-02T10:00:00-08:00"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Outage.objects.exists()


def test_monitor_records_an_outage(monitor, service):
    response = _client(monitor).post(
        URL,
        {
            "service": "albert-cloud",
            "start": "2026-11-02T10:00:00-08:00",
            "end": "2026-11-02T11:30:00-08:00",
            "cause": "beyond_control",
            "notes": "AWS us-west-2 outage",
            "reference": "pingdom-42",
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED
    outage = Outage.objects.get()
    assert (outage.service, outage.cause, outage.recorded_by) == (
        service,
        OutageCause.BEYOND_CONTROL,
        monitor,
    )
    assert (outage.end - outage.start).total_seconds() == 5400
    assert response.json()["counts_as_downtime"] is False
    assert response.json()["start"] == "2026-11-02T18:00:00+00:00"


def test_retry_with_the_same_reference_does_not_duplicate(agent, service):
    client = _client(agent)
    body = {"service": "albert-cloud", "start": "2026-11-02T10:00:00-08:00", "reference": "uptime-7"}
    first = client.post(URL, body, format="json")
    again = client.post(URL, body, format="json")
    assert (first.status_code, again.status_code) == (HTTPStatus.CREATED, HTTPStatus.OK)
    assert first.json()["id"] == again.json()["id"]
    assert Outage.objects.count() == 1


def test_end_before_start_is_400_naming_end(agent, service):
    response = _client(agent).post(
        URL,
        {"service": "albert-cloud", "start": "2026-11-02T10:00:00-08:00", "end": "2026-11-02T09:00:00-08:00"},
        format="json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"end": [END_BEFORE_START]}
    assert not Outage.objects.exists()


def test_unknown_service_and_naive_time_name_their_fields(agent, service):
    response = _client(agent).post(URL, {"service": "nope", "start": "2026-11-02T10:00:00"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()) == {"service", "start"}


def test_monitor_ends_an_ongoing_outage(monitor, service):
    client = _client(monitor)
    created = client.post(
        URL, {"service": "albert-cloud", "start": "2026-11-02T10:00:00-08:00"}, format="json"
    )
    outage_id = created.json()["id"]
    assert Outage.objects.get().end is None
    url = reverse("api:outage-end", args=[outage_id])
    early = client.post(url, {"end": "2026-11-02T09:00:00-08:00"}, format="json")
    assert (early.status_code, list(early.json())) == (HTTPStatus.BAD_REQUEST, ["end"])
    ended = client.post(url, {"end": "2026-11-02T10:45:00-08:00"}, format="json")
    assert ended.status_code == HTTPStatus.OK
    assert Outage.objects.get().end.isoformat() == "2026-11-02T18:45:00+00:00"
