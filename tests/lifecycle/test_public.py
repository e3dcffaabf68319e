"""The public lifecycle (issue 21 point 7): Infotecs' policy says the supported versions and their
timelines are "available on the company's web site", so `/lifecycle/` needs no sign-in."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from .conftest import NOW

pytestmark = pytest.mark.usefixtures("coordinator")


@time_machine.travel(NOW, tick=False)
def test_public_lifecycle_lists_every_version_with_milestones_and_phase_without_sign_in(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get(reverse("public-lifecycle"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "ViPNet Coordinator" in html and "Infotecs" in html
    # Version 3: GA 1 Jun 2020, EOS 15 Jan 2025, EOMS 15 Jan 2026 (EOS + 1 year), EOL 15 Jan 2027.
    assert "15 Jan 2025" in html and "15 Jan 2026" in html and "15 Jan 2027" in html
    assert "Extended support (vulnerabilities and critical bugs only)" in html
    assert "End of life (no support)" in html and "Not yet released" in html
    assert reverse("public-lifecycle-calendar") in html


def test_public_calendar_feed_lists_every_milestone_without_sign_in(client, versions):
    response = client.get(reverse("public-lifecycle-calendar"))
    assert response.status_code == HTTPStatus.OK and response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"].startswith("public")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    summaries = {str(e["SUMMARY"]) for e in events}
    assert "ViPNet Coordinator 3: End of life" in summaries
    assert "ViPNet Coordinator 5: General availability" in summaries


def test_my_products_stays_private(client):
    response = client.get(reverse("lifecycle:my-products"))
    assert response.status_code == HTTPStatus.FOUND
