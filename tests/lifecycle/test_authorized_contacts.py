"""Issue 20 point 7 (Albert: "Request Resolution services are available to Authorized Users"):
a contract may name its authorized contacts; where it does, only they open cases under it (the
portal, the API and email all open through tickets.services.ticket_open, whose entitlement check
holds the rule), colleagues may still follow the cases; the refusal says whom to ask."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from lifecycle.entitlements import NOT_AUTHORIZED
from tests.tickets.test_api import api
from tests.tickets.test_views import infotecs_data
from tickets.models import Ticket
from tickets.services import ticket_open
from tickets.services.organize import follower_add

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def authorized(basic_contract, customer):
    customer.first_name, customer.last_name = "Alice", "Admin"
    customer.save()
    basic_contract.authorized_contacts.add(customer)
    return basic_contract


def _open(requester, contract, version, **kwargs):
    return ticket_open(
        organization=requester.membership.organization,
        requester=requester,
        vendor=contract.vendor,
        product=contract.product,
        major_version=version,
        priority="normal",
        subject="Tunnel drops",
        body="Every hour",
        **kwargs,
    )


def _api_body(contract, version):
    return {
        "vendor": "infotecs",
        "product": contract.product.pk,
        "major_version": version.pk,
        "priority": "normal",
        "subject": "Tunnel drops",
        "body": "Every hour",
    }


def test_an_authorized_contact_opens_and_a_colleague_is_told_whom_to_ask(
    customer, colleague, authorized, versions
):
    ticket = _open(customer, authorized, versions[4])
    assert ticket.pk
    with pytest.raises(ValidationError) as refused:
        _open(colleague, authorized, versions[4])
    message = " ".join(refused.value.messages)
    assert message == NOT_AUTHORIZED.format(contract="B-1", contacts=f"Alice Admin <{customer.email}>")
    assert "Alice Admin" in message
    # ...but the colleague may follow the authorized contact's case.
    assert follower_add(ticket=ticket, user=colleague, by=colleague) is not None


def test_without_named_contacts_every_member_opens(colleague, basic_contract, versions):
    assert _open(colleague, basic_contract, versions[4]).pk


def test_the_api_and_the_portal_refuse_the_colleague(client, customer, colleague, authorized, versions):
    response = api(colleague).post(
        reverse("api:ticket-list"), _api_body(authorized, versions[4]), format="json"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert "Alice Admin" in str(response.json())
    client.force_login(colleague)
    page = client.post(reverse("tickets:open"), infotecs_data(authorized.product, versions[4]))
    assert "Alice Admin" in page.content.decode()
    assert not Ticket.objects.exists()
    assert (
        api(customer)
        .post(reverse("api:ticket-list"), _api_body(authorized, versions[4]), format="json")
        .status_code
        == HTTPStatus.CREATED
    )


def test_staff_open_for_an_authorized_contact_only_and_the_outsider_is_refused(
    agent, customer, colleague, outsider, authorized, versions
):
    body = _api_body(authorized, versions[4]) | {"organization": "acme"}
    refused = api(agent).post(
        reverse("api:ticket-list"), body | {"requester": colleague.username}, format="json"
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    opened = api(agent).post(
        reverse("api:ticket-list"), body | {"requester": customer.username}, format="json"
    )
    assert opened.status_code == HTTPStatus.CREATED, opened.content
    outsider_answer = api(outsider).post(reverse("api:ticket-list"), body, format="json")
    assert outsider_answer.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN)
    assert Ticket.objects.count() == 1


def test_staff_name_the_contacts_in_admin_and_only_members_qualify(client, agent, outsider, authorized):
    from lifecycle.admin import ContractForm

    client.force_login(agent)
    page = client.get(reverse("admin:lifecycle_contract_change", args=[authorized.pk])).content.decode()
    assert "Authorized contacts" in page
    data = {
        field: getattr(authorized, field)
        for field in ("reference", "plan", "deployment", "start", "end", "license_price", "currency")
    }
    data |= {
        "organization": authorized.organization_id,
        "product": authorized.product_id,
        "authorized_contacts": [outsider.pk],
    }
    form = ContractForm(data=data, instance=authorized)
    assert not form.is_valid()
    assert "Not members of the organization: charlie." in form.errors["authorized_contacts"][0]
