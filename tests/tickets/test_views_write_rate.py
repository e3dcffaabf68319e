"""Portal form writes count against the API's write rate (API_WRITE_RATE, per person): a customer
cannot open thousands of cases or replies a minute through the browser either. Past the rate the
form comes back with 429, a message and what was typed; nothing is created (portal.throttles)."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from portal.services import api_token_create
from tests.tickets.test_views_submit_once import a_case, open_data
from tickets.models import Reply, Ticket

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
SLOW_DOWN = "You sent too many changes in a short time"


@pytest.fixture(autouse=True)
def _frozen_and_slow(settings):
    settings.API_WRITE_RATE = "2/min"
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_case_form_past_the_rate_answers_429_and_keeps_the_text(client, customer):
    client.force_login(customer)
    url = reverse("tickets:open")
    statuses = [client.post(url, open_data(f"open-token-{n:04}")).status_code for n in range(2)]
    refused = client.post(url, open_data("open-token-0002", subject="Export fails on Mondays"))

    assert statuses == [HTTPStatus.FOUND] * 2
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    page = refused.content.decode()
    assert SLOW_DOWN in page
    assert 'value="Export fails on Mondays"' in page and "1. Click *export*" in page
    assert 'value="open-token-0002"' in page  # unclaimed: sending it later opens the case once
    assert Ticket.objects.count() == 2


def test_the_reply_form_past_the_rate_answers_429_and_keeps_the_text(client, customer, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    client.force_login(customer)
    url = reverse("tickets:reply", args=[ticket.number])
    for n in range(2):
        client.post(url, {"body": f"Reply {n}", "submit_token": f"reply-token-{n:04}"})
    refused = client.post(url, {"body": "Any news on the export?", "submit_token": "reply-token-0002"})

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    page = refused.content.decode()
    assert SLOW_DOWN in page and "Any news on the export?" in page
    assert Reply.objects.filter(ticket=ticket).count() == 2


def test_the_rate_is_per_person(client, customer, colleague):
    client.force_login(customer)
    url = reverse("tickets:open")
    for n in range(3):
        client.post(url, open_data(f"open-token-{n:04}"))
    client.force_login(colleague)
    assert client.post(url, open_data("colleague-token")).status_code == HTTPStatus.FOUND


def test_the_browser_and_the_api_share_one_count(client, customer):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=customer)[1]}")
    for _ in range(2):
        api.post(reverse("api:ticket-list"), {"vendor": "nobody"}, format="json")
    client.force_login(customer)
    refused = client.post(reverse("tickets:open"), open_data("open-token-0000"))
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not Ticket.objects.exists()


def test_a_form_with_errors_is_no_write(client, customer):
    client.force_login(customer)
    url = reverse("tickets:open")
    for n in range(3):
        assert client.post(url, open_data(f"open-token-{n:04}", subject="")).status_code == HTTPStatus.OK
    assert client.post(url, open_data("open-token-0009")).status_code == HTTPStatus.FOUND
