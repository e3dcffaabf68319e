"""Throttles that match the attacks of issue 18 point 2 and 6: sign-in locked per account across
addresses and per address across accounts, the client's address read behind a known number of
proxies, password-reset emails capped, API writes rate-limited, staff usernames kept from customers."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from portal.clientip import client_ip
from portal.services import api_token_create
from tests.factories import PASSWORD, MembershipFactory

LOCKED = HTTPStatus.TOO_MANY_REQUESTS


@pytest.fixture(autouse=True)
def _axes_and_empty_cache(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.TRUSTED_PROXY_COUNT = 0
    cache.clear()
    yield
    cache.clear()


def sign_in(client, username: str, password: str, address: str):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_one_account_is_locked_across_addresses(client, customer):
    for attempt in range(20):
        sign_in(client, "alice", "wrong", f"198.51.100.{attempt % 5 + 1}")
    response = sign_in(client, "alice", PASSWORD, "203.0.113.6")
    assert response.status_code == LOCKED
    assert "_auth_user_id" not in client.session


def test_one_address_is_locked_across_accounts(client, organization):
    users = [MembershipFactory(organization=organization).user for _ in range(30)]
    statuses = [sign_in(client, user.username, "wrong", "198.51.100.7").status_code for user in users]
    assert statuses[-1] == LOCKED and statuses.count(LOCKED) >= 20
    assert sign_in(client, users[0].username, PASSWORD, "198.51.100.7").status_code == LOCKED


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "remote", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.1", "10.0.0.1"),  # no proxy: a client's header is ignored
        (1, "6.6.6.6, 1.1.1.1", "10.0.0.1", "1.1.1.1"),  # the proxy appended the client; 6.6.6.6 is forged
        (2, "6.6.6.6, 1.1.1.1, 10.0.0.2", "10.0.0.1", "1.1.1.1"),
        (2, "1.1.1.1", "10.0.0.1", "10.0.0.1"),  # fewer hops than proxies: not through them
        (1, "", "10.0.0.1", "10.0.0.1"),
    ],
)
def test_the_client_address_is_read_from_the_right_of_x_forwarded_for(
    settings, proxies, forwarded_for, remote, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip(request) == expected


def test_behind_a_proxy_one_client_does_not_lock_out_another(client, settings, customer, colleague):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(10):
        client.post(
            reverse("login"),
            {"username": f"guess{_}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.9",
        )
    response = client.post(
        reverse("login"),
        {"username": "bob", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.10",
    )
    assert response.status_code == HTTPStatus.FOUND


def test_reset_emails_to_one_address_are_capped(client, settings, customer):
    settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR = 3
    for attempt in range(15):
        response = client.post(
            reverse("password_reset"), {"email": customer.email}, REMOTE_ADDR=f"198.51.100.{attempt + 1}"
        )
        assert response.status_code == HTTPStatus.FOUND  # the same answer: nothing told
    assert len(mail.outbox) == 3


def test_reset_requests_from_one_address_are_capped(client, settings, organization):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 5
    users = [MembershipFactory(organization=organization).user for _ in range(8)]
    statuses = [
        client.post(reverse("password_reset"), {"email": u.email}, REMOTE_ADDR="198.51.100.8").status_code
        for u in users
    ]
    assert statuses == [HTTPStatus.FOUND] * 5 + [LOCKED] * 3
    assert len(mail.outbox) == 5


def test_token_authenticated_writes_are_throttled(settings, customer):
    settings.API_WRITE_RATE = "3/min"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=customer)[1]}")
    url = reverse("api:ticket-list")
    statuses = [client.post(url, {"vendor": "nobody"}, format="json").status_code for _ in range(5)]
    assert statuses == [HTTPStatus.BAD_REQUEST] * 3 + [LOCKED] * 2
    assert client.get(url).status_code == HTTPStatus.OK  # reads are not writes
