"""Issue 20 point 1: the desk marks a case (or one of its targets) excluded with one of the
vendor's exclusion codes and evidence; the customer is told and sees it; a case out of scope is
declined in the policy's words. Through the API and the portal, the outsider refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from policies.models import TargetKind
from portal.models import Notice
from portal.outbox import notices_render
from tests.factories import PASSWORD
from tests.tickets.test_api import api, open_case
from tickets.models import CaseExclusion, Status, Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
OPENED = NOW - timedelta(hours=2)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _exclusions_url(ticket: Ticket) -> str:
    return reverse("api:ticket-exclusions", args=[ticket.number])


def test_staff_exclude_a_target_with_evidence_and_the_customer_sees_it(client, customer, agent, vendors):
    ticket = open_case(customer, vendors["albert"], priority="urgent")
    response = api(agent).post(
        _exclusions_url(ticket),
        {
            "code": "out-of-control",
            "target": "first_response",
            "reason": "AWS eu-west-1 outage, status page incident 4711.",
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["code"] == "out-of-control"
    exclusion = CaseExclusion.objects.get(ticket=ticket)
    assert exclusion.target.kind == TargetKind.FIRST_RESPONSE
    assert exclusion.recorded_by == agent
    # The customer is told, through the outbox.
    [notice] = notices_render([Notice.objects.get(kind="case_excluded")])  # what delivery renders
    assert notice.recipient == customer
    assert "AWS eu-west-1 outage" in notice.body_text
    # ...and sees it on the case page and in the API.
    client.login(username=customer.username, password=PASSWORD)
    page = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "Excluded from the measurement" in page
    assert "AWS eu-west-1 outage" in page
    listed = api(customer).get(_exclusions_url(ticket)).json()
    assert [item["target"] for item in listed] == ["first_response"]


def test_an_exclusion_code_must_be_the_vendors_and_a_reason_is_required(customer, agent, vendors):
    ticket = open_case(customer, vendors["albert"], priority="urgent")
    response = api(agent).post(_exclusions_url(ticket), {"code": "misuse", "reason": ""}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()) >= {"code", "reason"}
    assert not CaseExclusion.objects.exists()


def test_customers_cannot_exclude_and_the_outsider_sees_nothing(customer, outsider, agent, vendors):
    ticket = open_case(customer, vendors["albert"], priority="urgent")
    body = {"code": "out-of-control", "reason": "Not ours"}
    assert (
        api(customer).post(_exclusions_url(ticket), body, format="json").status_code == HTTPStatus.FORBIDDEN
    )
    assert (
        api(outsider).post(_exclusions_url(ticket), body, format="json").status_code == HTTPStatus.NOT_FOUND
    )
    api(agent).post(_exclusions_url(ticket), body, format="json")
    assert api(outsider).get(_exclusions_url(ticket)).status_code == HTTPStatus.NOT_FOUND
    assert CaseExclusion.objects.count() == 1


def test_declining_out_of_scope_resolves_the_case_in_the_policys_words(
    client, customer, outsider, agent, vendors
):
    ticket = open_case(customer, vendors["alectrona"], priority="medium")
    url = reverse("api:ticket-decline", args=[ticket.number])
    assert (
        api(outsider).post(url, {"code": "test-software"}, format="json").status_code == HTTPStatus.NOT_FOUND
    )
    assert (
        api(customer).post(url, {"code": "test-software"}, format="json").status_code == HTTPStatus.FORBIDDEN
    )
    response = api(agent).post(url, {"code": "test-software", "reason": "Beta build 9.0-rc1"}, format="json")
    assert response.status_code == HTTPStatus.OK, response.content
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    exclusion = CaseExclusion.objects.get(ticket=ticket)
    assert exclusion.declined and exclusion.target is None
    words = (
        "Alectrona has no obligation to provide Standard Technical Support Services for: Any Test Software."
    )
    assert words in ticket.replies.get().body
    [resolved] = notices_render([Notice.objects.get(kind="ticket_resolved")])
    assert resolved.recipient == customer and words in resolved.body_text
    client.login(username=customer.username, password=PASSWORD)
    page = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "Any Test Software" in page


def test_an_excluded_target_leaves_the_met_rate_and_shows_in_its_own_column(customer, agent, vendors):
    from reports.selectors import compliance_rows, month_range

    breached = open_case(customer, vendors["albert"], priority="urgent", at=NOW - timedelta(days=2))
    open_case(customer, vendors["albert"], priority="urgent", at=NOW - timedelta(days=2))
    api(agent).post(
        _exclusions_url(breached),
        {"code": "out-of-control", "target": "first_response", "reason": "AWS outage"},
        format="json",
    )
    start, end = month_range(NOW.date())
    (row,) = compliance_rows(start=start, end=end, now=NOW, group_by=("vendor",))
    assert (row.cases, row.excluded, row.breached, row.met) == (2, 1, 1, 0)
    assert row.met_rate == 0
    assert row.pending == 0
