"""Issue 18 point 9 and the assignee filter: what a customer may set or ask through the API.

A customer records no intake channel but the API's own; the assignee filter is the desk's (a
customer trying usernames would learn who works there); no file joins a closed case."""

from __future__ import annotations

from http import HTTPStatus

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.tickets.test_api import PNG, _frozen, api, list_url, numbers, open_case  # noqa: F401 - _frozen: autouse
from tickets.models import Attachment, Status, Ticket, TicketChannel
from tickets.services import attachment_add, ticket_assign, ticket_close

OPENING = {"vendor": "alectrona", "priority": "high", "subject": "Export fails", "body": "It stops."}


def test_a_customer_cannot_record_another_intake_channel(customer, vendors):
    refused = api(customer).post(reverse("api:ticket-list"), {**OPENING, "channel": "phone"}, format="json")
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "channel" in refused.json()
    assert not Ticket.objects.exists()
    opened = api(customer).post(reverse("api:ticket-list"), {**OPENING, "channel": "api"}, format="json")
    assert opened.status_code == HTTPStatus.CREATED
    assert Ticket.objects.get().channel == TicketChannel.API


def test_staff_record_the_channel_a_case_came_by(agent, customer, organization, vendors):
    data = {**OPENING, "channel": "phone", "organization": organization.slug, "requester": customer.username}
    response = api(agent).post(reverse("api:ticket-list"), data, format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert Ticket.objects.get().channel == TicketChannel.PHONE


def test_the_assignee_filter_is_refused_to_customers(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"])
    ticket_assign(ticket=case, assignee=agent, by=agent)
    for username in ("agent", "nobody"):  # the same answer whether or not the username exists
        response = api(customer).get(list_url(assignee=username))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert list(response.json()) == ["assignee"]
    assert numbers(api(agent).get(list_url(assignee="agent"))) == [case.number]


def test_no_file_is_added_to_a_closed_case(customer, vendors):
    case = open_case(customer, vendors["alectrona"])
    ticket_close(ticket=case, by=customer)
    response = api(customer).post(
        reverse("api:ticket-attachments", args=[case.number]),
        {"file": SimpleUploadedFile("shot.png", PNG)},
        format="multipart",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "file" in response.json()
    assert not Attachment.objects.exists()


def test_the_service_refuses_a_file_on_a_closed_case_for_every_channel(customer, vendors):
    case = open_case(customer, vendors["alectrona"])
    ticket_close(ticket=case, by=customer)
    stale = Ticket.objects.get(pk=case.pk)
    stale.status = Status.OPEN  # a caller's copy read before the close: the service reads its own
    try:
        attachment_add(ticket=stale, uploaded_by=customer, upload=SimpleUploadedFile("a.png", PNG))
    except ValidationError as error:
        assert "file" in error.message_dict
    else:
        raise AssertionError("the file was added to a closed case")
    assert not Attachment.objects.exists()
