"""No customer sets a read's cost without bound: page numbers and sizes past any list answer 404
or are clamped, repeated or unknown filter values are refused, long searches cost a fixed number
of queries (portal list, tickets API, lifecycle API)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from portal.services import api_token_create


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return client


@pytest.mark.parametrize(
    ("page", "status"),
    [("-4", HTTPStatus.OK), ("abc", HTTPStatus.OK), ("1000001", HTTPStatus.NOT_FOUND), ("9" * 400, 404)],
)
def test_the_portal_list_page_number_is_bounded(client, customer, page, status):
    client.force_login(customer)
    assert client.get(reverse("tickets:list"), {"page": page}).status_code == status


def test_the_portal_list_refuses_thousands_of_repeated_parameters(client, customer):
    client.force_login(customer)
    response = client.get(reverse("tickets:list"), {"status": ["open"] * 5000})
    assert response.status_code == HTTPStatus.BAD_REQUEST  # DATA_UPLOAD_MAX_NUMBER_FIELDS


@pytest.mark.parametrize("text", ["a" * 100_000, "%_%" * 1000, "a " * 50_000])
def test_a_long_search_costs_what_a_short_one_does(customer, text):
    client = api(customer)
    client.get(reverse("api:ticket-list"))  # the token's first use writes when it was used
    with CaptureQueriesContext(connection) as short:
        client.get(reverse("api:ticket-list"), {"search": "export"})
    with CaptureQueriesContext(connection) as long:
        response = client.get(reverse("api:ticket-list"), {"search": text})
    assert response.status_code == HTTPStatus.OK
    assert len(long) == len(short)


@pytest.mark.parametrize("size", ["-1", "0", "100000000"])
def test_the_api_page_size_is_clamped(customer, size):
    response = api(customer).get(reverse("api:ticket-list"), {"page_size": size})
    assert response.status_code == HTTPStatus.OK


def test_the_api_orders_only_by_its_indexed_keys(customer):
    response = api(customer).get(reverse("api:ticket-list"), {"ordering": "body"})
    assert response.status_code == HTTPStatus.BAD_REQUEST and "ordering" in response.json()


@pytest.mark.parametrize("name", ["api:product-list", "api:contract-list"])
def test_a_lifecycle_page_past_the_end_is_404(customer, name):
    assert api(customer).get(reverse(name), {"page": "999999"}).status_code == HTTPStatus.NOT_FOUND
