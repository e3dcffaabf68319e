"""Who may reach a case through the API. A customer of another organization gets 404 on every
endpoint (never 403, never the data) and changes nothing; nobody signed in gets 401; colleagues
share their organization's cases; the desk sees all."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from tests.tickets.test_api import NOW, PNG, _frozen, api, open_case  # noqa: F401 - _frozen is an autouse fixture
from tickets.downloads import attachment_download
from tickets.models import Attachment, Reply, Status, Ticket
from tickets.services import attachment_add, reply_add


@pytest.fixture
def case(customer, agent, vendors) -> Ticket:
    """A case of the customer's organization with a public file, an internal note and its file."""
    ticket = open_case(customer, vendors["alectrona"], subject="Secret roadmap leak")
    attachment_add(ticket=ticket, uploaded_by=customer, upload=SimpleUploadedFile("screen.png", PNG))
    note = reply_add(ticket=ticket, author=agent, body="Internal: check licence", internal=True, at=NOW)
    attachment_add(
        ticket=ticket, uploaded_by=agent, upload=SimpleUploadedFile("licence.txt", b"key=42"), reply=note
    )
    return ticket


def endpoints(ticket: Ticket) -> list[tuple[str, str, dict]]:
    """(method, url, data) for every operation on one case."""
    number = ticket.number
    public_file = Attachment.objects.get(ticket=ticket, reply__isnull=True)
    return [
        ("get", reverse("api:ticket-detail", args=[number]), {}),
        ("patch", reverse("api:ticket-detail", args=[number]), {"status": "closed"}),
        ("get", reverse("api:ticket-replies", args=[number]), {}),
        ("post", reverse("api:ticket-replies", args=[number]), {"body": "Let me in"}),
        ("post", reverse("api:ticket-attachments", args=[number]), {"file": "PLACEHOLDER"}),
        ("get", reverse("api:ticket-attachment", args=[number, public_file.pk]), {}),
    ]


def call(client: APIClient, method: str, url: str, data: dict):
    if "file" in data:
        return client.post(url, {"file": SimpleUploadedFile("x.png", PNG)}, format="multipart")
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data, format="json")


def snapshot(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return ticket.status, ticket.updated_at, Reply.objects.count(), Attachment.objects.count()


def test_outsider_gets_404_on_every_endpoint_and_changes_nothing(case, outsider):
    before = snapshot(case)
    client = api(outsider)

    for method, url, data in endpoints(case):
        response = call(client, method, url, data)
        assert response.status_code == HTTPStatus.NOT_FOUND, (method, url)
        assert case.number not in response.content.decode(), (method, url)
        assert "Secret roadmap" not in response.content.decode(), (method, url)

    assert snapshot(case) == before


def test_outsider_gets_the_same_404_as_for_a_number_that_does_not_exist(case, outsider):
    client = api(outsider)

    theirs = client.get(reverse("api:ticket-detail", args=[case.number]))
    missing = client.get(reverse("api:ticket-detail", args=["ALC-999999"]))

    assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json())


def test_outsider_list_search_and_filters_never_show_the_case(case, outsider):
    client = api(outsider)

    for query in ["", f"?search={case.number}", "?organization=acme", "?vendor=alectrona"]:
        response = client.get(reverse("api:ticket-list") + query)
        assert response.status_code == HTTPStatus.OK
        assert response.json()["results"] == [], query


def test_outsider_cannot_open_a_case_for_another_organization(outsider, organization, vendors):
    response = api(outsider).post(
        reverse("api:ticket-list"),
        {"vendor": "alectrona", "priority": "low", "subject": "x", "body": "y", "organization": "acme"},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Ticket.objects.filter(organization=organization).exists()


def test_anonymous_gets_401_on_every_endpoint(case):
    before = snapshot(case)
    client = APIClient()
    everything = [
        ("get", reverse("api:ticket-list"), {}),
        ("post", reverse("api:ticket-list"), {"subject": "x"}),
    ]

    for method, url, data in everything + endpoints(case):
        response = call(client, method, url, data)
        assert response.status_code == HTTPStatus.UNAUTHORIZED, (method, url)
        assert "Secret roadmap" not in response.content.decode()

    assert snapshot(case) == before


def test_a_wrong_token_is_refused(case):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get(reverse("api:ticket-detail", args=[case.number]))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("persona", ["customer", "colleague", "agent"])
def test_people_who_may_see_the_case_reach_every_endpoint(case, persona, request):
    client = api(request.getfixturevalue(persona))

    for method, url, data in endpoints(case):
        if method == "patch":
            continue  # closing is tested on its own; here the case must stay open for the others
        response = call(client, method, url, data)
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.CREATED), (
            persona,
            method,
            url,
            response.content,
        )


def test_customer_never_reaches_the_file_of_an_internal_note(case, customer, colleague, agent):
    note_file = Attachment.objects.get(ticket=case, reply__internal=True)
    url = reverse("api:ticket-attachment", args=[case.number, note_file.pk])

    assert api(customer).get(url).status_code == HTTPStatus.NOT_FOUND
    assert api(colleague).get(url).status_code == HTTPStatus.NOT_FOUND
    assert api(agent).get(url).status_code == HTTPStatus.OK
    listed = api(customer).get(reverse("api:ticket-detail", args=[case.number])).json()["attachments"]
    assert [a["filename"] for a in listed] == ["screen.png"]


def test_an_attachment_id_under_another_cases_number_is_404(case, customer, vendors):
    mine = open_case(customer, vendors["secpod"], priority="low")
    other_file = Attachment.objects.get(ticket=case, reply__isnull=True)

    response = api(customer).get(reverse("api:ticket-attachment", args=[mine.number, other_file.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_portal_download_view_applies_the_same_rules(case, customer, outsider):

    public_file = Attachment.objects.get(ticket=case, reply__isnull=True)
    factory = RequestFactory()

    def fetch(user):
        request = factory.get("/")
        request.user = user
        return attachment_download(request, number=case.number, attachment_id=public_file.pk)

    response = fetch(customer)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    with pytest.raises(Http404):
        fetch(outsider)


def test_session_requests_need_the_csrf_token(case, customer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer)

    response = client.patch(
        reverse("api:ticket-detail", args=[case.number]), {"status": "closed"}, format="json"
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    case.refresh_from_db()
    assert case.status == Status.NEW
