"""Issue 20 point 6: a case carries the vendor's own case reference and a "with the vendor" marker
while the desk waits on the vendor; the desk's clocks keep running (the customer's promise is the
desk's); the triage list filters on the marker; a monthly vendor-responsiveness table shows how
long each vendor took to answer the desk. Through the API and the admin, the outsider refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from tests.tickets.test_api import api, open_case
from tickets.models import TargetState, Ticket, VendorHandoff
from tickets.services.vendors import ticket_hand_to_vendor, ticket_vendor_answered

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _url(ticket: Ticket, what: str = "") -> str:
    return reverse("api:ticket-vendor-answered" if what else "api:ticket-vendor", args=[ticket.number])


def test_staff_hand_a_case_to_the_vendor_and_its_clocks_keep_running(customer, agent, vendors):
    ticket = open_case(customer, vendors["albert"], priority="urgent", at=NOW - HOUR)
    due_before, status_before = ticket.next_due_at, ticket.status
    response = api(agent).post(_url(ticket), {"reference": "ALB-INC-99812"}, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["reference"] == "ALB-INC-99812"
    ticket.refresh_from_db()
    assert (ticket.vendor_reference, ticket.with_vendor_since) == ("ALB-INC-99812", NOW)
    assert ticket.status == status_before
    assert ticket.next_due_at == due_before
    assert set(ticket.sla_targets.values_list("state", flat=True)) == {TargetState.RUNNING}
    # Handed twice: refused, the vendor already has it.
    again = api(agent).post(_url(ticket), {}, format="json")
    assert again.status_code == HTTPStatus.BAD_REQUEST
    with time_machine.travel(NOW + 5 * HOUR, tick=False):
        answered = api(agent).post(_url(ticket, "answered"), {}, format="json")
    assert answered.status_code == HTTPStatus.OK, answered.content
    ticket.refresh_from_db()
    assert ticket.with_vendor_since is None and ticket.vendor_reference == "ALB-INC-99812"
    handoff = VendorHandoff.objects.get()
    assert (handoff.sent_at, handoff.answered_at, handoff.sent_by) == (NOW, NOW + 5 * HOUR, agent)
    listed = api(agent).get(_url(ticket)).json()
    assert [(h["reference"], h["minutes_to_answer"]) for h in listed] == [("ALB-INC-99812", 300)]


def test_customers_do_not_hand_cases_to_the_vendor_and_the_outsider_sees_nothing(
    customer, outsider, agent, vendors
):
    ticket = open_case(customer, vendors["albert"], priority="urgent", at=NOW - HOUR)
    assert api(customer).post(_url(ticket), {}, format="json").status_code == HTTPStatus.FORBIDDEN
    assert api(customer).get(_url(ticket)).status_code == HTTPStatus.FORBIDDEN
    assert api(outsider).post(_url(ticket), {}, format="json").status_code == HTTPStatus.NOT_FOUND
    assert api(outsider).get(_url(ticket)).status_code == HTTPStatus.NOT_FOUND
    answered = api(agent).post(_url(ticket, "answered"), {}, format="json")
    assert answered.status_code == HTTPStatus.BAD_REQUEST  # it is not with the vendor
    assert not VendorHandoff.objects.exists()


def test_the_triage_list_filters_on_with_the_vendor(client, customer, agent, vendors):
    with_vendor = open_case(customer, vendors["albert"], priority="urgent", at=NOW - HOUR)
    at_desk = open_case(customer, vendors["albert"], priority="urgent", at=NOW - HOUR)
    ticket_hand_to_vendor(ticket=with_vendor, by=agent, reference="ALB-1")
    client.force_login(agent)
    changelist = reverse("admin:tickets_ticket_changelist")
    listed = client.get(changelist, {"with_vendor": "yes"})
    assert listed.status_code == HTTPStatus.OK
    assert [t.number for t in listed.context["cl"].result_list] == [with_vendor.number]
    others = client.get(changelist, {"with_vendor": "no"})
    assert [t.number for t in others.context["cl"].result_list] == [at_desk.number]
    assert "With the vendor" in listed.content.decode()
    # The case page shows (and staff may edit) the vendor's reference.
    page = client.get(reverse("admin:tickets_ticket_change", args=[with_vendor.pk])).content.decode()
    assert "ALB-1" in page


def test_the_monthly_vendor_responsiveness_table(client, customer, outsider, agent, vendors):
    from reports.responsiveness import vendor_responsiveness

    cases = [open_case(customer, vendors["albert"], priority="urgent", at=NOW - 30 * HOUR) for _ in range(3)]
    for ticket, answer_after in zip(cases, (2, 10, None), strict=True):
        ticket_hand_to_vendor(ticket=ticket, by=agent, at=NOW - 24 * HOUR)
        if answer_after is not None:
            ticket_vendor_answered(ticket=ticket, by=agent, at=NOW - 24 * HOUR + answer_after * HOUR)
    alectrona = open_case(customer, vendors["alectrona"], priority="medium", at=NOW - 30 * HOUR)
    ticket_hand_to_vendor(ticket=alectrona, by=agent, at=NOW - 20 * HOUR)
    ticket_vendor_answered(ticket=alectrona, by=agent, at=NOW - 19 * HOUR)

    rows = {row.vendor.slug: row for row in vendor_responsiveness(month=NOW.date().replace(day=1), now=NOW)}
    albert = rows["albert"]
    assert (albert.handed, albert.answered, albert.waiting) == (3, 2, 1)
    assert (albert.median_minutes, albert.longest_minutes) == (360, 24 * 60)  # waiting 24 h and counting
    assert (rows["alectrona"].handed, rows["alectrona"].median_minutes) == (1, 60)

    url = reverse("reports:vendor-responsiveness")
    client.force_login(agent)
    page = client.get(url, {"month": "2026-11"})
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "Vendor responsiveness" in text and "Albert" in text and "6 h" in text
    for person in (customer, outsider):
        client.force_login(person)
        assert client.get(url, {"month": "2026-11"}).status_code == HTTPStatus.FORBIDDEN
