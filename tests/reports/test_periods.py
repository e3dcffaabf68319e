"""Issue 20 point 3: measurement periods signed off. The review lists each pause and exclusion of
an organization × vendor × month with its evidence and effect; the organization admin accepts or
disputes each (portal and API); staff close the period; a closed month is frozen — its report, CSV
and verdicts stand when the cases change afterwards. The outsider persona is refused throughout."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from reports.models import MeasurementPeriod, PeriodReview
from tests.factories import PASSWORD
from tests.tickets.test_api import api
from tickets.models import CaseExclusion, SlaTarget, TargetState, Wait
from tickets.services import reply_add, ticket_open, ticket_resume, ticket_wait_on_customer
from tickets.services.exclusions import ticket_exclude

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 24, 12, tzinfo=LA)
MONTH = "2026-11"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _case(user, vendors, *, at, priority="urgent"):
    return ticket_open(
        organization=user.membership.organization,
        requester=user,
        vendor=vendors["albert"],
        priority=priority,
        subject="Platform down",
        body="It is down",
        at=at,
    )


@pytest.fixture
def month_cases(customer, agent, vendors):
    """Albert, November: one case answered after a 6 h pause (met only thanks to it), one breached
    case excluded as out of Albert's control, one met case."""
    opened = NOW - timedelta(days=3)
    paused = _case(customer, vendors, at=opened)
    ticket_wait_on_customer(ticket=paused, by=agent, at=opened + timedelta(hours=1))
    ticket_resume(ticket=paused, by=customer, at=opened + timedelta(hours=7))
    reply_add(ticket=paused, author=agent, body="Fixed", at=opened + timedelta(hours=12))  # 12 h - 6 h paused
    excluded = _case(customer, vendors, at=opened)
    ticket_exclude(
        ticket=excluded,
        by=agent,
        code="out-of-control",
        reason="AWS us-west-2 outage",
        target_kind="first_response",
    )
    met = _case(customer, vendors, at=opened)
    reply_add(ticket=met, author=agent, body="On it", at=opened + timedelta(hours=1))
    return paused, excluded, met


def _review_url(organization, vendor="albert", month=MONTH):
    return reverse("reports:period", args=[organization.slug, vendor, month])


def _api_url(organization, what="", vendor="albert", month=MONTH):
    name = {"": "period-detail", "reviews": "period-reviews", "close": "period-close"}[what]
    return reverse(f"api:{name}", args=[organization.slug, vendor, month])


def _login(client, user):
    client.login(username=user.username, password=PASSWORD)


def _albert_row(client, organization=None):
    query = {"month": MONTH} | ({"organization": organization.slug} if organization else {})
    rows = list(
        csv.DictReader(io.StringIO(client.get(reverse("reports:compliance-csv"), query).content.decode()))
    )
    return [row for row in rows if row["vendor"] == "Albert"]


def test_the_review_lists_each_pause_and_exclusion_with_evidence_and_effect(
    client, org_admin, organization, month_cases
):
    _login(client, org_admin)
    page = client.get(_review_url(organization)).content.decode()
    assert "Waiting on the customer" in page
    assert "360 min" in page  # the 6 h pause credited
    assert "Out-of-control claim" in page and "AWS us-west-2 outage" in page
    assert "Provisional" in page


def test_the_org_admin_disputes_in_the_portal_and_a_member_or_outsider_cannot(
    client, customer, org_admin, outsider, organization, month_cases
):
    exclusion = CaseExclusion.objects.get()
    body = {
        "item": "exclusion",
        "object_id": exclusion.pk,
        "decision": "disputed",
        "comment": "AWS is your pick",
    }
    _login(client, outsider)
    assert client.get(_review_url(organization)).status_code == HTTPStatus.NOT_FOUND
    assert client.post(_review_url(organization), body).status_code == HTTPStatus.NOT_FOUND
    _login(client, customer)
    assert client.post(_review_url(organization), body).status_code == HTTPStatus.FORBIDDEN
    assert not PeriodReview.objects.exists()
    _login(client, org_admin)
    response = client.post(_review_url(organization), body)
    assert response.status_code == HTTPStatus.FOUND
    review = PeriodReview.objects.get()
    assert (review.decision, review.comment, review.by) == ("disputed", "AWS is your pick", org_admin)


def test_disputed_items_count_against_the_vendor_until_accepted(
    client, org_admin, agent, organization, month_cases
):
    _login(client, org_admin)
    (row,) = _albert_row(client)
    assert (row["cases"], row["met"], row["breached"], row["excluded"], row["disputed"]) == (
        "3",
        "2",
        "0",
        "1",
        "0",
    )
    wait, exclusion = Wait.objects.get(), CaseExclusion.objects.get()
    for item, object_id in (("wait", wait.pk), ("exclusion", exclusion.pk)):
        response = api(org_admin).post(
            _api_url(organization, "reviews"),
            {"item": item, "object_id": object_id, "decision": "disputed", "comment": "no"},
            format="json",
        )
        assert response.status_code == HTTPStatus.OK, response.content
    (row,) = _albert_row(client)
    # The pause no longer credited: answered 12 h after opening, the 8 h target is breached;
    # the exclusion no longer applied: that case's target counts as breached too.
    assert (row["met"], row["breached"], row["excluded"], row["disputed"]) == ("1", "2", "0", "2")
    assert row["response_rate_failure"] == "yes"  # 1 of 3 met, below Albert's 90 %
    api(org_admin).post(
        _api_url(organization, "reviews"),
        {"item": "exclusion", "object_id": exclusion.pk, "decision": "accepted"},
        format="json",
    )
    (row,) = _albert_row(client)
    assert (row["met"], row["breached"], row["excluded"], row["disputed"]) == ("1", "1", "1", "1")


def test_the_api_refuses_the_outsider_and_a_plain_member(customer, outsider, organization, month_cases):
    body = {"item": "wait", "object_id": Wait.objects.get().pk, "decision": "accepted"}
    assert api(outsider).get(_api_url(organization)).status_code == HTTPStatus.NOT_FOUND
    assert api(outsider).post(_api_url(organization, "reviews"), body, format="json").status_code == 404
    assert api(customer).post(_api_url(organization, "reviews"), body, format="json").status_code == 403
    assert api(customer).post(_api_url(organization, "close"), {}, format="json").status_code == 403
    items = api(customer).get(_api_url(organization)).json()["items"]
    assert {item["kind"] for item in items} == {"wait", "exclusion"}


def test_a_closed_month_is_frozen(client, customer, org_admin, agent, organization, vendors, month_cases):
    paused, excluded, met = month_cases
    _login(client, org_admin)
    before = _albert_row(client)
    assert before[0]["period"] == "provisional"
    response = api(agent).post(_api_url(organization, "close"), {}, format="json")
    assert response.status_code == HTTPStatus.OK, response.content
    assert MeasurementPeriod.objects.get().is_closed
    closed = _albert_row(client)
    assert closed[0]["period"] == "closed"
    assert {k: v for k, v in closed[0].items() if k != "period"} == {
        k: v for k, v in before[0].items() if k != "period"
    }
    # Data moves under the frozen month: a met target rewritten as breached, the exclusion
    # deleted, a new case opened in the month, an outage-free month... the figures stand.
    SlaTarget.objects.filter(ticket=met).update(state=TargetState.BREACHED, breached_at=NOW)
    CaseExclusion.objects.all().delete()
    _case(customer, vendors, at=NOW - timedelta(days=1))
    assert _albert_row(client) == closed
    _login(client, agent)
    assert _albert_row(client, organization) == closed
    page = client.get(reverse("reports:report"), {"month": MONTH, "organization": organization.slug})
    assert "Closed" in page.content.decode()
    # A closed period takes no more reviews.
    response = api(org_admin).post(
        _api_url(organization, "reviews"),
        {"item": "wait", "object_id": Wait.objects.get().pk, "decision": "disputed"},
        format="json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
