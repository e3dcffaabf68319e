"""Issue 20 point 7 by email: the mailroom opens cases through tickets.services.ticket_open, so a
contract naming its authorized contacts refuses anyone else's message, answering with whom to ask;
an authorized contact's message opens the case as from the portal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from lifecycle.entitlements import NOT_AUTHORIZED
from lifecycle.models import Deployment, Plan, Product
from lifecycle.services import contract_create
from mailroom.models import Outcome
from tests.mailroom.conftest import corpus
from tickets.models import Ticket, TicketChannel

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(organization, vendors):
    """Acme's Alectrona contract; the message of new_gmail_plain.eml names no product, so the
    entitlement check takes every Alectrona contract of the organization."""
    product = Product.objects.create(vendor=vendors["alectrona"], name="Alectrona Patch")
    return contract_create(
        organization=organization,
        product=product,
        plan=Plan.BASIC,
        start=date(2025, 1, 1),
        end=date(2027, 12, 31),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("0"),
        reference="ALC-7",
    )


def test_a_member_who_is_not_an_authorized_contact_is_refused_by_email(
    customer, colleague, contract, deliver
):
    colleague.first_name, colleague.last_name = "Bob", "Buyer"
    colleague.save()
    contract.authorized_contacts.add(colleague)
    message = deliver(corpus("new_gmail_plain.eml"))  # from alice@example.test, the customer
    assert message.outcome == Outcome.REFUSED and message.ticket is None
    assert not Ticket.objects.exists()
    expected = NOT_AUTHORIZED.format(contract="ALC-7", contacts=f"Bob Buyer <{colleague.email}>")
    assert expected in message.reason
    [answer] = [m for m in mail.outbox if customer.email in m.to]
    for text in (answer.body, answer.alternatives[0].content):
        assert "Bob Buyer" in text and "ALC-7" in text


def test_an_authorized_contact_opens_the_case_by_email(customer, contract, deliver):
    contract.authorized_contacts.add(customer)
    message = deliver(corpus("new_gmail_plain.eml"))
    assert message.outcome == Outcome.OPENED
    assert (message.ticket.requester, message.ticket.channel) == (customer, TicketChannel.EMAIL)
