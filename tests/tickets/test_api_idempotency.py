"""The API's Idempotency-Key: a repeated request creates nothing more and answers like the first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from portal.idempotency import KEY_REUSED
from portal.models import IdempotencyKey, Notice, NoticeKind
from portal.services import api_token_create
from tickets.models import Reply, Ticket
from tickets.services import ticket_open

# Mon 23 Nov 2026, 12:00 in New York: inside Alectrona's business hours.
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
CASE = {"vendor": "alectrona", "priority": "high", "subject": "Crash on save", "body": "**Every** time."}
KEY = "3f1c9a52-6a47-4c0e-9d7e-2b3f0f6b1a11"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def api(user) -> APIClient:
    client = APIClient()
    _, key = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def post(user, url, data, key: str | None = KEY):
    headers = {} if key is None else {"Idempotency-Key": key}
    return api(user).post(url, data, format="json", headers=headers)


def tickets_url() -> str:
    return reverse("api:ticket-list")


def replies_url(ticket: Ticket) -> str:
    return reverse("api:ticket-replies", args=[ticket.number])


def a_case(requester, vendor) -> Ticket:
    return ticket_open(
        organization=requester.membership.organization,
        requester=requester,
        vendor=vendor,
        priority="medium",
        subject="Export fails",
        body="The nightly export stops.",
        at=NOW - timedelta(hours=1),
    )


# ---------------------------------------------------------------------------- opening a case


def test_a_repeated_key_opens_one_case_and_answers_the_same(customer, vendors):
    first = post(customer, tickets_url(), CASE)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        second = post(customer, tickets_url(), CASE)

    assert first.status_code == second.status_code == HTTPStatus.CREATED
    assert second.json() == first.json()  # as first sent: remaining_seconds of 5 minutes ago
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Ticket.objects.get().number == first.json()["number"]
    assert Notice.objects.filter(kind=NoticeKind.TICKET_RECEIVED).count() == 1


def test_the_same_key_with_another_body_is_refused_with_422(customer, vendors):
    post(customer, tickets_url(), CASE)
    response = post(customer, tickets_url(), {**CASE, "subject": "Something else"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json() == {"Idempotency-Key": [KEY_REUSED]}
    assert Ticket.objects.count() == 1


def test_keys_are_per_user(customer, colleague, vendors):
    mine, theirs = (post(person, tickets_url(), CASE) for person in (customer, colleague))
    assert mine.status_code == theirs.status_code == HTTPStatus.CREATED
    assert mine.json()["number"] != theirs.json()["number"]
    assert {t.requester.username for t in Ticket.objects.all()} == {"alice", "bob"}


def test_a_refused_request_claims_nothing(customer, vendors):
    refused = post(customer, tickets_url(), {**CASE, "priority": "whenever"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST and not IdempotencyKey.objects.exists()
    assert post(customer, tickets_url(), CASE).status_code == HTTPStatus.CREATED
    assert Ticket.objects.count() == 1


def test_without_a_key_each_request_opens_a_case(customer, vendors):
    for _ in range(2):
        assert post(customer, tickets_url(), CASE, key=None).status_code == HTTPStatus.CREATED
    assert Ticket.objects.count() == 2


def test_a_key_is_kept_for_24_hours(customer, vendors):
    post(customer, tickets_url(), CASE)
    with time_machine.travel(NOW + timedelta(hours=23, minutes=59), tick=False):
        assert post(customer, tickets_url(), CASE)["Idempotent-Replayed"] == "true"
    with time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False):
        again = post(customer, tickets_url(), CASE)
    assert again.status_code == HTTPStatus.CREATED and "Idempotent-Replayed" not in again
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve"])
def test_a_malformed_key_is_refused(customer, vendors, key):
    response = post(customer, tickets_url(), CASE, key=key)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Idempotency-Key" in response.json()
    assert Ticket.objects.count() == 0


# ---------------------------------------------------------------------------- replies


def test_a_repeated_key_adds_one_reply(customer, agent, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    first = post(agent, replies_url(ticket), {"body": "Which version?"})
    second = post(agent, replies_url(ticket), {"body": "Which version?"})
    assert first.status_code == second.status_code == HTTPStatus.CREATED
    assert first.json() == second.json()
    assert Reply.objects.get().pk == first.json()["id"]
    assert Notice.objects.filter(kind=NoticeKind.STAFF_REPLY).count() == 1


def test_a_reply_key_reused_on_another_case_is_refused(customer, vendors):
    one, other = a_case(customer, vendors["alectrona"]), a_case(customer, vendors["albert"])
    post(customer, replies_url(one), {"body": "Any news?"})
    response = post(customer, replies_url(other), {"body": "Any news?"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(Reply.objects.values_list("ticket__number", flat=True)) == [one.number]


def test_the_same_key_opens_a_case_and_adds_a_reply(customer, vendors):
    """A key names one request of one operation: a client counting its own keys may reuse one
    across operations."""
    created = post(customer, tickets_url(), CASE)
    ticket = Ticket.objects.get(number=created.json()["number"])
    assert post(customer, replies_url(ticket), {"body": "More detail"}).status_code == HTTPStatus.CREATED


def test_an_outsider_with_a_key_still_gets_404(customer, outsider, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    assert post(outsider, replies_url(ticket), {"body": "hi"}).status_code == HTTPStatus.NOT_FOUND
    assert not IdempotencyKey.objects.exists()


# ---------------------------------------------------------------------------- schema


@pytest.mark.parametrize("operation", [("/api/tickets/", "post"), ("/api/tickets/{number}/replies/", "post")])
def test_the_schema_documents_the_header_and_the_422(db, operation):
    path, method = operation
    described = SchemaGenerator().get_schema(request=None, public=True)["paths"][path][method]
    [header] = [p for p in described["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and not header.get("required", False)
    assert "24 hours" in header["description"] and "422" in header["description"]
    assert "422" in described["responses"]
