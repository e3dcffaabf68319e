"""The public vendor pages: policy in plain words and the SLA calculator."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_index_lists_every_vendor(client):
    response = client.get(reverse("policies:index"))
    assert response.status_code == HTTPStatus.OK
    for name in ("Alectrona", "SecPod", "Albert", "Infotecs"):
        assert name in response.content.decode()


def test_vendor_page_shows_priorities_targets_hours_and_holidays(client):
    page = client.get(reverse("policies:vendor", args=["albert"])).content.decode()
    assert "Incident with critical impact on the business" in page
    assert "10 business days (support hours)" in page
    assert "No contractual target" in page  # 4 - Low
    assert "Sunday 19:30 to Friday 19:30" in page
    assert "America/Los_Angeles" in page
    assert "US public holidays" in page


def test_calculator_uses_the_sla_service(client):
    # Alectrona Medium opened Fri 6 Mar 2026 16:00 New York: 1.5 h left that Friday, then
    # 2.5 h from Monday 09:00 → Monday 11:30 EDT (DST began Sunday 8 March) = 15:30 UTC.
    url = reverse("policies:vendor", args=["alectrona"])
    page = client.get(
        url, {"priority": "medium", "opened_at": "2026-03-06T16:00", "timezone": "America/New_York"}
    ).content.decode()
    assert "Mon 9 Mar 2026 11:30 EDT" in page
    assert "2026-03-09 15:30 UTC" in page


def test_calculator_rejects_a_missing_time_and_keeps_the_choice(client):
    url = reverse("policies:vendor", args=["secpod"])
    response = client.get(url, {"priority": "low", "opened_at": "", "timezone": "Asia/Kolkata"})
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "This field is required" in page
    assert 'value="low" selected' in page


def test_unknown_vendor_is_404(client):
    assert client.get(reverse("policies:vendor", args=["nobody"])).status_code == HTTPStatus.NOT_FOUND
