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
from tickets.models import Follower, Reply, Ticket

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


# ---------------------------------------------------------------------------- every other portal write
# Each state-changing or CPU-heavy post counts on the same count (portal.throttles.counts_as_write).
# Past the rate a button (follow, split) says so and goes back to its page, as close and reopen do;
# a fragment endpoint answers 429 with the message as a fragment; the open page keeps the text.


def used_up(user) -> None:
    """Spend the person's whole budget (2 writes) through the API: one count for both."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    for _ in range(2):
        api.post(reverse("api:ticket-list"), {"vendor": "nobody"}, format="json")


def refused_back(response, page: str) -> None:
    """A refused button: back to its page with the message, as close and reopen answer."""
    assert response.redirect_chain[-1] == (page, HTTPStatus.FOUND)
    assert SLOW_DOWN in response.content.decode()


def test_close_past_the_rate_says_so_and_leaves_the_case_open(client, customer, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    used_up(customer)
    client.force_login(customer)
    response = client.post(reverse("tickets:close", args=[ticket.number]), follow=True)
    refused_back(response, reverse("tickets:detail", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.status != "closed"


def test_follow_and_unfollow_count(client, customer, colleague, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    client.force_login(colleague)
    follow, unfollow = (reverse(f"tickets:{name}", args=[ticket.number]) for name in ("follow", "unfollow"))
    assert client.post(follow).status_code == HTTPStatus.FOUND  # under the rate: followed
    assert Follower.objects.filter(ticket=ticket, user=colleague).exists()
    assert client.post(unfollow).status_code == HTTPStatus.FOUND
    assert not Follower.objects.filter(ticket=ticket, user=colleague).exists()
    refused_back(client.post(follow, follow=True), reverse("tickets:detail", args=[ticket.number]))
    assert not Follower.objects.filter(ticket=ticket, user=colleague).exists()


def test_a_split_past_the_rate_opens_no_case(client, customer, vendors):
    parent = a_case(customer, vendors["alectrona"])
    client.force_login(customer)
    url = reverse("tickets:split", args=[parent.number])
    data = {"subject": "Printing too", "body": "Printing fails as well.", "priority": "high"}
    assert client.post(url, data).status_code == HTTPStatus.FOUND  # under the rate: split
    client.post(url, data)
    refused_back(client.post(url, data, follow=True), reverse("tickets:detail", args=[parent.number]))
    assert Ticket.objects.filter(parent=parent).count() == 2


def test_the_markdown_preview_past_the_rate_answers_429_as_a_fragment(client, customer):
    client.force_login(customer)
    url = reverse("tickets:markdown_preview")
    for _ in range(2):  # under the rate: rendered
        assert client.post(url, {"body": "*hi*"}).content.decode() == "<p><em>hi</em></p>\n"
    refused = client.post(url, {"body": "*hi*"})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    html = refused.content.decode()
    assert html.startswith('<ul class="errorlist"><li>') and SLOW_DOWN in html and "<em>" not in html


def test_the_open_panel_past_the_rate_answers_429_as_a_fragment(client, customer):
    client.force_login(customer)
    url = reverse("tickets:open_panel")
    data = {"vendor": "alectrona", "priority": "high", "action": "refresh"}
    for _ in range(2):
        assert client.post(url, data).status_code == HTTPStatus.OK
    refused = client.post(url, data)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    html = refused.content.decode()
    assert html.startswith('<ul class="errorlist">') and SLOW_DOWN in html


def test_the_open_pages_preview_past_the_rate_keeps_the_text_and_renders_nothing(client, customer):
    client.force_login(customer)
    url = reverse("tickets:open")
    preview = open_data("open-token-0000", action="preview", body="Steps: *export*")
    assert "<em>export</em>" in client.post(url, preview).content.decode()  # under the rate
    client.post(url, preview)
    refused = client.post(url, preview)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    page = refused.content.decode()
    assert SLOW_DOWN in page and "Steps: *export*" in page and "<em>export</em>" not in page
