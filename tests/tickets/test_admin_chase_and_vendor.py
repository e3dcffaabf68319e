"""Issue 20 in the admin: the desk's manual reminder (point 2, tickets.services.chases.ticket_chase)
as an action on the triage list and the case, and the vendor's own case reference (point 6,
tickets.services.vendors) edited on the case page, handed to the vendor and answered. A customer
(the outsider included) never reaches these pages."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from portal.models import Notice, NoticeKind
from tests.factories import PASSWORD
from tests.tickets.test_api import open_case
from tickets.models import Chase, VendorHandoff
from tickets.services import ticket_wait_on_customer

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tickets/ticket/"


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


def _action(client, action: str, tickets, **data):
    return client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [t.pk for t in tickets], **data})


def test_the_chase_action_records_and_mails_a_reminder(staff_client, customer, agent, vendors):
    waiting = open_case(customer, vendors["albert"], priority="urgent")
    ticket_wait_on_customer(ticket=waiting, by=agent)
    running = open_case(customer, vendors["albert"], priority="urgent")
    form = _action(staff_client, "chase", [waiting])
    assert form.status_code == HTTPStatus.OK and b"Message to the customer" in form.content
    response = _action(
        staff_client, "chase", [waiting, running], apply="1", message="Please send the export log."
    )
    assert response.status_code == HTTPStatus.FOUND
    chase = Chase.objects.get()
    assert (chase.wait.ticket, chase.by, chase.message) == (waiting, agent, "Please send the export log.")
    assert Notice.objects.filter(kind=NoticeKind.CHASE, recipient=customer).count() == 1
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(running.number in m and "waiting on the customer" in m for m in messages)


def test_the_vendor_reference_is_edited_on_the_case_page(staff_client, customer, agent, vendors):
    ticket = open_case(customer, vendors["albert"], priority="urgent")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    page = staff_client.get(url)
    assert b'name="vendor_reference"' in page.content
    response = staff_client.post(url, {**_change_form(page), "vendor_reference": " ALB-77812 "})
    assert response.status_code == HTTPStatus.FOUND, response.content[:2000]
    ticket.refresh_from_db()
    assert ticket.vendor_reference == "ALB-77812"
    assert ticket.with_vendor_since is None  # only the reference: not handed over


def test_hand_to_the_vendor_and_record_its_answer(staff_client, customer, vendors):
    ticket = open_case(customer, vendors["albert"], priority="urgent")
    _action(staff_client, "hand_to_vendor", [ticket])
    ticket.refresh_from_db()
    assert ticket.with_vendor_since is not None
    again = _action(staff_client, "hand_to_vendor", [ticket])
    assert any("record its answer first" in str(m) for m in again.wsgi_request._messages)
    _action(staff_client, "vendor_answered", [ticket])
    ticket.refresh_from_db()
    handoff = VendorHandoff.objects.get()
    assert ticket.with_vendor_since is None and handoff.answered_at is not None


def test_the_outsider_reaches_none_of_it(client, outsider, customer, vendors):
    ticket = open_case(customer, vendors["albert"], priority="urgent")
    client.login(username=outsider.username, password=PASSWORD)
    assert _action(client, "chase", [ticket], apply="1").status_code == HTTPStatus.FOUND  # to sign-in
    response = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response.status_code == HTTPStatus.FOUND
    assert not Chase.objects.exists()


def _change_form(page) -> dict:
    """The case page's form as the browser would post it back (inlines' management forms)."""
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data
