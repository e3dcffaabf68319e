"""A database outage answers 503 with Retry-After, never a 500: JSON on the API, a styled page
on the site (portal.api.exception_handler, portal.middleware.DatabaseUnavailable)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import InterfaceError, OperationalError
from django.urls import reverse

from portal.errors import DATABASE_UNAVAILABLE

pytestmark = pytest.mark.django_db

OUTAGES = [OperationalError("could not connect to server"), InterfaceError("connection already closed")]


def failing(error: Exception):
    def selector(*args, **kwargs):
        raise error

    return selector


@pytest.mark.parametrize("error", OUTAGES)
def test_the_api_answers_503_json_with_retry_after(client, monkeypatch, error):
    monkeypatch.setattr("policies.api.vendor_list", failing(error))
    response = client.get(reverse("api:vendor-list"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("error", OUTAGES)
def test_a_page_answers_the_styled_503_with_retry_after(client, customer, monkeypatch, error):
    client.force_login(customer)
    monkeypatch.setattr("policies.views.vendor_list", failing(error))
    response = client.get(reverse("policies:index"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert int(response["Retry-After"]) > 0
    assert "503.html" in [t.name for t in response.templates]
    assert str(DATABASE_UNAVAILABLE) in response.content.decode()


def test_other_errors_stay_errors(client, monkeypatch):
    monkeypatch.setattr("policies.views.vendor_list", failing(RuntimeError("a bug")))
    with pytest.raises(RuntimeError):
        client.get(reverse("policies:index"))
