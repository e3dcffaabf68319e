"""Issue 21 in the staff admin: every service model lists and opens; a price given to a requested
order is its quote (who and when kept); a closed statement is read-only and links to its page."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from reports.statements import statement_close
from tests.factories import PASSWORD
from tests.lifecycle.conftest import NOW
from tickets.models import ExpenseKind, OrderKind, OrderState, SessionOutcome
from tickets.services import billing, ticket_open


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff_client(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    return client


@pytest.fixture
def services(customer, agent, infotecs, versions, basic_contract):
    at = NOW - timedelta(hours=3)
    ticket = ticket_open(
        organization=customer.membership.organization, requester=customer, vendor=infotecs,
        priority="critical", subject="Down", body="x", product=versions[4].product,
        major_version=versions[4], at=at,
    )  # fmt: skip
    billing.remote_session_record(
        ticket=ticket, by=agent, started_at=at, minutes=20, outcome=SessionOutcome.FAILED
    )
    billing.onsite_request(ticket=ticket, by=customer, confirm_billable=True, at=at)
    billing.visit_arrive(ticket=ticket, by=agent, at=at)
    billing.work_record(ticket=ticket, by=agent, started_at=at, minutes=60, location="onsite")
    billing.expense_record(
        ticket=ticket, by=agent, kind=ExpenseKind.TRAVEL, incurred_on=at.date(), amount=Decimal("12.00"),
        currency="EUR",
    )  # fmt: skip
    order = billing.order_request(
        organization=customer.membership.organization, by=customer, kind=OrderKind.ADDITIONAL_SERVICE,
        description="Audit", contract=basic_contract,
    )  # fmt: skip
    return {"ticket": ticket, "order": order}


@pytest.mark.parametrize("model", ["workentry", "expense", "remotesession", "onsitevisit", "order"])
def test_each_service_lists_and_opens(staff_client, services, model):
    listing = staff_client.get(reverse(f"admin:tickets_{model}_changelist"), {"q": services["ticket"].number})
    assert listing.status_code == HTTPStatus.OK
    from django.apps import apps

    row = apps.get_model("tickets", model).objects.first()
    assert staff_client.get(reverse(f"admin:tickets_{model}_change", args=[row.pk])).status_code == 200


def test_a_price_on_a_requested_order_is_its_quote(staff_client, services, agent):
    order = services["order"]
    url = reverse("admin:tickets_order_change", args=[order.pk])
    data = {"description": "Audit", "price": "900.00", "currency": "EUR", "quote_text": "Two days"}
    response = staff_client.post(url, {**data, "download_reference": ""})
    assert response.status_code == HTTPStatus.FOUND, response.content
    order.refresh_from_db()
    assert (order.state, order.price, order.quoted_by, order.quoted_at) == (
        OrderState.QUOTED,
        Decimal("900.00"),
        agent,
        NOW,
    )


def test_a_closed_statement_is_read_only_in_admin(staff_client, services, agent, basic_contract):
    statement = statement_close(contract=basic_contract, month=date(2026, 10, 1), by=agent)
    listing = staff_client.get(reverse("admin:reports_statement_changelist")).content.decode()
    assert reverse("reports:statement", args=[basic_contract.pk, "2026-10"]) in listing
    page = staff_client.get(reverse("admin:reports_statement_change", args=[statement.pk]))
    assert page.status_code == HTTPStatus.OK and 'type="submit" value="Save"' not in page.content.decode()


def test_the_arrived_now_action_records_an_arrival_once(
    staff_client, customer, agent, infotecs, versions, basic_contract
):
    at = NOW - timedelta(hours=1)
    ticket = ticket_open(
        organization=customer.membership.organization, requester=customer, vendor=infotecs,
        priority="critical", subject="Down again", body="x", product=versions[4].product,
        major_version=versions[4], at=at,
    )  # fmt: skip
    billing.remote_session_record(
        ticket=ticket, by=agent, started_at=at, minutes=20, outcome=SessionOutcome.FAILED
    )
    visit = billing.onsite_request(ticket=ticket, by=customer, confirm_billable=True, at=at)
    changelist = reverse("admin:tickets_onsitevisit_changelist")
    action = {"action": "arrived_now", "_selected_action": [visit.pk]}
    answer = staff_client.post(changelist, action, follow=True)
    assert "1 arrival recorded." in answer.content.decode()
    visit.refresh_from_db()
    assert visit.arrived_at == NOW
    staff_client.post(changelist, action)
    visit.refresh_from_db()
    assert visit.arrived_at == NOW
