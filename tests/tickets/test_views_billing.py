"""Issue 21 in the portal: the case page shows the customer the desk's work, expenses, remote
sessions, the visit and the quotes, with accept/decline and "request an on-site visit" forms; the
opening form offers the vulnerability and emergency flags where the vendor's policy does; the
Orders page orders, quotes are answered and pilot versions asked for. The outsider gets 404."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from lifecycle.models import PremiumOptionKind
from lifecycle.services import premium_option_set
from tests.lifecycle.conftest import NOW
from tickets.models import ExpenseKind, OnsiteVisit, Order, OrderKind, OrderState, SessionOutcome, Ticket
from tickets.services import billing, ticket_open

AT = NOW - timedelta(hours=2)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _open(customer, infotecs, version, priority="normal", **kwargs) -> Ticket:
    return ticket_open(
        organization=customer.membership.organization, requester=customer, vendor=infotecs,
        priority=priority, subject="Tunnel drops", body="x", product=version.product,
        major_version=version, at=AT, **kwargs,
    )  # fmt: skip


def page(client, ticket) -> str:
    response = client.get(reverse("tickets:detail", args=[ticket.number]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_the_customer_sees_the_quote_accepts_it_then_sees_the_work_and_expenses(
    client, customer, outsider, agent, infotecs, versions, basic_contract
):
    """Point 1: work on an Extended Support bug waits for the customer's acceptance of a quote."""
    ticket = _open(customer, infotecs, versions[3], confirm_billable=True)
    quote = billing.case_quote(
        ticket=ticket, by=agent, price=Decimal("300.00"), quote_text="Backport the fix"
    )
    client.force_login(customer)
    html = page(client, ticket)
    assert "Quote 300.00 EUR" in html and "Backport the fix" in html and "Accept the quote" in html
    accept = reverse("services:quote-accept", args=[ticket.number, quote.pk])
    client.force_login(outsider)
    assert client.post(accept).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("tickets:detail", args=[ticket.number])).status_code == HTTPStatus.NOT_FOUND
    client.force_login(customer)
    assert client.post(accept).status_code == HTTPStatus.FOUND
    quote.refresh_from_db()
    assert (quote.state, quote.accepted_by, quote.accepted_at) == (OrderState.ACCEPTED, customer, NOW)
    billing.work_record(ticket=ticket, by=agent, started_at=AT, minutes=90)
    billing.expense_record(
        ticket=ticket, by=agent, kind=ExpenseKind.TRAVEL, incurred_on=AT.date(), amount=Decimal("45.50"),
        currency="EUR", description="Train",
    )  # fmt: skip
    html = page(client, ticket)
    assert "Accept the quote" not in html and "Accepted by" in html
    assert "<td>90</td>" in html and "Dana Desk" in html and "agent" not in html.split('id="services"')[1]
    assert "45.50 EUR" in html and "Travel: Train" in html


def test_a_declined_quote_says_so(client, customer, agent, infotecs, versions, basic_contract):
    ticket = _open(customer, infotecs, versions[3], confirm_billable=True)
    quote = billing.case_quote(ticket=ticket, by=agent, price=Decimal("10.00"), quote_text="x")
    client.force_login(customer)
    client.post(reverse("services:quote-decline", args=[ticket.number, quote.pk]))
    assert Order.objects.get(pk=quote.pk).state == OrderState.DECLINED
    assert "Declined" in page(client, ticket)


def test_remote_first_then_the_customer_requests_a_visit_from_the_case_page(
    client, customer, outsider, agent, infotecs, versions, basic_contract
):
    """Point 4: a critical Basic case may ask for a visit once remote diagnosis failed, under the
    opening's rules, with the charge confirmed; then the visit, its arrival and on-site work."""
    ticket = _open(customer, infotecs, versions[4], priority="critical")
    client.force_login(customer)
    html = page(client, ticket)
    assert "Request an on-site visit" not in html and "could not be solved by phone or remote" in html
    billing.remote_session_record(
        ticket=ticket, by=agent, started_at=AT, minutes=40, outcome=SessionOutcome.FAILED
    )
    html = page(client, ticket)
    assert "Request an on-site visit" in html and "Could not be solved remotely" in html
    onsite = reverse("services:onsite", args=[ticket.number])
    client.post(onsite, {"address": "1 Lenin St"})  # the charge not confirmed
    assert not OnsiteVisit.objects.exists()
    client.force_login(outsider)
    assert client.post(onsite, {"confirm_billable": "on"}).status_code == HTTPStatus.NOT_FOUND
    client.force_login(customer)
    assert client.post(onsite, {"confirm_billable": "on", "address": "1 Lenin St"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.billable and ticket.onsite_requested
    billing.visit_schedule(ticket=ticket, by=agent, scheduled_for=NOW + timedelta(days=1))
    assert "Scheduled for" in page(client, ticket)
    billing.visit_arrive(ticket=ticket, by=agent, at=NOW)
    billing.work_record(ticket=ticket, by=agent, started_at=NOW, minutes=120, location="onsite")
    html = page(client, ticket)
    assert "The specialist arrived" in html and "On site" in html


def test_the_open_form_offers_the_flags_where_the_vendor_does(client, customer, basic_contract):
    client.force_login(customer)
    infotecs = client.get(reverse("tickets:open"), {"vendor": "infotecs"}).content.decode()
    assert (
        'name="vulnerability"' in infotecs and 'name="cve_id"' in infotecs and 'name="emergency"' in infotecs
    )
    alectrona = client.get(reverse("tickets:open"), {"vendor": "alectrona"}).content.decode()
    assert 'name="vulnerability"' not in alectrona and 'name="emergency"' not in alectrona


def _form(versions, **extra) -> dict:
    return {
        "vendor": "infotecs", "product": versions[3].product_id, "major_version": versions[3].pk,
        "kind": "incident", "priority": "normal", "subject": "Heap overflow", "body": "In the parser.",
        "action": "open", **extra,
    }  # fmt: skip


def test_a_vulnerability_opened_in_the_portal_is_free_in_extended_support(
    client, customer, agent, versions, basic_contract
):
    """Point 3: free on an Extended Support version; re-classified by staff with a reason, it is charged."""
    client.force_login(customer)
    bad = client.post(reverse("tickets:open"), _form(versions, vulnerability="on", cve_id="CVE-26"))
    assert bad.status_code == HTTPStatus.OK and "cve_id" in bad.context["form"].errors
    response = client.post(
        reverse("tickets:open"), _form(versions, vulnerability="on", cve_id="cve-2026-4242")
    )
    assert response.status_code == HTTPStatus.FOUND, response.context and response.context["form"].errors
    ticket = Ticket.objects.get()
    assert (ticket.vulnerability, ticket.cve_id, ticket.billable) == (True, "CVE-2026-4242", False)
    assert "CVE-2026-4242" in page(client, ticket)
    billing.ticket_reclassify(ticket=ticket, by=agent, vulnerability=False, reason="A configuration bug")
    ticket.refresh_from_db()
    assert ticket.billable and ticket.agreement_required and ticket.cve_id == ""


def test_an_emergency_call_from_the_portal_is_priced_and_reacts_at_once(
    client, customer, versions, basic_contract, premium_contract
):
    """Point 5: a Premium emergency call, charged per call from the contract, with the contract's
    immediate-reaction target (else the catalog's 30 minutes)."""
    premium_option_set(
        contract=premium_contract, kind=PremiumOptionKind.EMERGENCY_ONSITE, price=Decimal("500")
    )
    premium_contract.emergency_reaction_minutes = 15
    premium_contract.save()
    client.force_login(customer)
    form = _form(versions, major_version=versions[4].pk, priority="critical", emergency="on")
    refused = client.post(reverse("tickets:open"), form)
    assert refused.status_code == HTTPStatus.OK and "500" in refused.content.decode()  # confirm the charge
    assert client.post(reverse("tickets:open"), {**form, "confirm_billable": "on"}).status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.emergency and ticket.billable and "500" in ticket.billable_reason
    assert ticket.sla_targets.get(kind="first_response").due_at == NOW + timedelta(minutes=15)


def test_emergency_calls_need_the_premium_option(client, customer, versions, basic_contract):
    client.force_login(customer)
    form = _form(versions, major_version=versions[4].pk, priority="critical", emergency="on")
    response = client.post(reverse("tickets:open"), {**form, "confirm_billable": "on"})
    assert "emergency" in response.context["form"].errors
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------------------- orders and pilots


def test_orders_page_orders_a_service_and_the_customer_accepts_its_quote(
    client, customer, outsider, agent, basic_contract
):
    """Point 6: ordered from the portal, quoted by staff, accepted by the customer, delivered."""
    client.force_login(customer)
    assert client.get(reverse("services:orders")).status_code == HTTPStatus.OK
    body = {"kind": OrderKind.ADDITIONAL_SERVICE, "contract": basic_contract.pk, "description": "Audit"}
    assert client.post(reverse("services:order-new"), body).status_code == HTTPStatus.FOUND
    order = Order.objects.get()
    refused = client.post(reverse("services:order-new"), {**body, "kind": OrderKind.FEATURE_REQUEST})
    assert refused.status_code == HTTPStatus.BAD_REQUEST and "Premium option" in refused.content.decode()
    billing.order_quote(order=order, by=agent, price=Decimal("1500.00"), quote_text="Two days")
    html = client.get(reverse("services:orders")).content.decode()
    assert "1500.00 EUR" in html and "Two days" in html
    client.force_login(outsider)
    assert client.post(reverse("services:order-accept", args=[order.pk])).status_code == HTTPStatus.NOT_FOUND
    assert "Audit" not in client.get(reverse("services:orders")).content.decode()
    client.force_login(customer)
    client.post(reverse("services:order-accept", args=[order.pk]))
    order.refresh_from_db()
    assert (order.state, order.accepted_by) == (OrderState.ACCEPTED, customer)
    billing.order_deliver(order=order, by=agent)
    assert "Delivered" in client.get(reverse("services:orders")).content.decode()


def test_a_pilot_version_is_asked_for_from_the_orders_page(client, customer, agent, versions, basic_contract):
    client.force_login(customer)
    html = client.get(reverse("services:orders")).content.decode()
    assert str(versions[5]) in html and "Ask for the pilot" in html
    assert client.post(reverse("services:pilot-new"), {"major_version": versions[5].pk}).status_code == 302
    pilot = Order.objects.get(kind=OrderKind.PILOT)
    refused = client.post(reverse("services:pilot-new"), {"major_version": versions[4].pk})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    billing.order_deliver(order=pilot, by=agent, download_reference="https://downloads.example/5-rc1")
    assert "https://downloads.example/5-rc1" in client.get(reverse("services:orders")).content.decode()


def test_the_desks_own_order_descriptions_are_in_the_organizations_language(
    customer, agent, infotecs, versions, basic_contract
):
    """The description the desk writes for a quote or a pilot (the customer may leave it blank) is
    worded in the organization's language, which its people read on the orders page and statements."""
    organization = customer.membership.organization
    organization.language = "ru"
    organization.save(update_fields=["language"])
    ticket = _open(customer, infotecs, versions[4])
    quote = billing.case_quote(ticket=ticket, by=agent, price=Decimal("10.00"), quote_text="x")
    assert quote.description == f"Платная работа по обращению {ticket.number}: Tunnel drops"
    pilot = billing.pilot_request(organization=organization, major_version=versions[5], by=customer, note="")
    assert pilot.description == f"Пилотная версия {versions[5]}"
