"""Issue 21's portal posts count against the write rate (API_WRITE_RATE per person, on the API's
count): the on-site visit request, answering quotes and orders, ordering and asking for a pilot.
Past the rate a button says so and goes back to its page; the order and pilot forms come back
as sent with 429; nothing changes (portal.throttles.counts_as_write)."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from tests.lifecycle.conftest import NOW
from tests.tickets.test_views_billing import AT, _open
from tests.tickets.test_views_write_rate import SLOW_DOWN, refused_back
from tickets.models import OnsiteVisit, Order, OrderKind, OrderState, SessionOutcome
from tickets.services import billing


@pytest.fixture(autouse=True)
def _frozen_and_slow(settings):
    settings.API_WRITE_RATE = "1/min"
    with time_machine.travel(NOW, tick=False):
        yield


def spend(client) -> None:
    """One portal write (a preview) on the person's count: the budget of one used up."""
    client.post(reverse("tickets:markdown_preview"), {"body": "x"})


def test_a_visit_request_past_the_rate_asks_for_nothing(
    client, customer, agent, infotecs, versions, basic_contract
):
    ticket = _open(customer, infotecs, versions[4], priority="critical")
    billing.remote_session_record(
        ticket=ticket, by=agent, started_at=AT, minutes=40, outcome=SessionOutcome.FAILED
    )
    client.force_login(customer)
    url = reverse("services:onsite", args=[ticket.number])
    spend(client)
    response = client.post(url, {"confirm_billable": "on", "address": "1 Lenin St"}, follow=True)
    refused_back(response, reverse("tickets:detail", args=[ticket.number]))
    ticket.refresh_from_db()
    assert not OnsiteVisit.objects.exists() and not ticket.onsite_requested


def test_a_visit_request_under_the_rate_is_made(client, customer, agent, infotecs, versions, basic_contract):
    ticket = _open(customer, infotecs, versions[4], priority="critical")
    billing.remote_session_record(
        ticket=ticket, by=agent, started_at=AT, minutes=40, outcome=SessionOutcome.FAILED
    )
    client.force_login(customer)
    client.post(reverse("services:onsite", args=[ticket.number]), {"confirm_billable": "on", "address": "x"})
    ticket.refresh_from_db()
    assert ticket.onsite_requested


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_a_quote_answered_past_the_rate_stays_asked(
    client, customer, agent, infotecs, versions, basic_contract, answer
):
    ticket = _open(customer, infotecs, versions[3], confirm_billable=True)
    first, second = (
        billing.case_quote(ticket=ticket, by=agent, price=Decimal("10.00"), quote_text=text) for text in "ab"
    )
    client.force_login(customer)
    client.post(reverse(f"services:quote-{answer}", args=[ticket.number, first.pk]))  # under the rate
    response = client.post(reverse(f"services:quote-{answer}", args=[ticket.number, second.pk]), follow=True)
    refused_back(response, reverse("tickets:detail", args=[ticket.number]))
    first.refresh_from_db(), second.refresh_from_db()
    assert first.state != OrderState.QUOTED and second.state == OrderState.QUOTED


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_order_answered_past_the_rate_stays_asked(client, customer, agent, basic_contract, answer):
    orders = [
        billing.order_request(
            organization=customer.membership.organization, by=customer, kind=OrderKind.ADDITIONAL_SERVICE,
            contract=basic_contract, description=text,
        )
        for text in ("Audit", "Training")
    ]  # fmt: skip
    for order in orders:
        billing.order_quote(order=order, by=agent, price=Decimal("1500.00"), quote_text="Two days")
    client.force_login(customer)
    client.post(reverse(f"services:order-{answer}", args=[orders[0].pk]))  # under the rate
    refused_back(client.post(reverse(f"services:order-{answer}", args=[orders[1].pk]), follow=True),
                 reverse("services:orders"))  # fmt: skip
    states = [Order.objects.get(pk=order.pk).state for order in orders]
    assert states[0] != OrderState.QUOTED and states[1] == OrderState.QUOTED


def test_an_order_past_the_rate_comes_back_as_sent(client, customer, basic_contract):
    client.force_login(customer)
    url = reverse("services:order-new")
    body = {"kind": OrderKind.ADDITIONAL_SERVICE, "contract": basic_contract.pk, "description": "Audit"}
    assert client.post(url, body).status_code == HTTPStatus.FOUND  # under the rate
    refused = client.post(url, {**body, "description": "A second audit, on site"})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    page = refused.content.decode()
    assert SLOW_DOWN in page and "A second audit, on site" in page
    assert Order.objects.count() == 1


def test_a_pilot_past_the_rate_is_not_asked_for(client, customer, versions, basic_contract):
    client.force_login(customer)
    url = reverse("services:pilot-new")
    spend(client)
    refused = client.post(url, {"major_version": versions[5].pk})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS and SLOW_DOWN in refused.content.decode()
    assert not Order.objects.exists()


def test_a_pilot_under_the_rate_is_asked_for(client, customer, versions, basic_contract):
    client.force_login(customer)
    assert client.post(reverse("services:pilot-new"), {"major_version": versions[5].pk}).status_code == 302
    assert Order.objects.filter(kind=OrderKind.PILOT).exists()
