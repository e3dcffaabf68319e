"""The period review's posts count against the write rate (API_WRITE_RATE per person, on the
API's count): past it a decision is not recorded, and the page says so (portal.throttles)."""

from __future__ import annotations

import pytest
import time_machine

from reports.models import PeriodReview
from tests.reports.test_periods import NOW, _login, _review_url, month_cases  # noqa: F401
from tests.tickets.test_views_write_rate import refused_back
from tickets.models import CaseExclusion, Wait

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_and_slow(settings):
    settings.API_WRITE_RATE = "1/min"
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_decision_past_the_rate_is_not_recorded(client, org_admin, organization, month_cases):  # noqa: F811
    url = _review_url(organization)
    _login(client, org_admin)
    exclusion, wait = CaseExclusion.objects.get(), Wait.objects.get()
    client.post(url, {"item": "exclusion", "object_id": exclusion.pk, "decision": "disputed"})  # under
    assert PeriodReview.objects.count() == 1
    refused = client.post(url, {"item": "wait", "object_id": wait.pk, "decision": "accepted"}, follow=True)
    refused_back(refused, url)
    assert PeriodReview.objects.count() == 1
