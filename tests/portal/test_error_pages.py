"""The portal's own 404, 403 and 500 pages, as production (DEBUG off) shows them: the portal's
navigation and a way on, never Django's bare defaults (issue 22 point 4)."""

from __future__ import annotations

from http import HTTPStatus

import pytest


@pytest.fixture
def production(settings, client):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.portal.errors_urls"
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/no-such-page/", HTTPStatus.NOT_FOUND, "This page does not exist"),
        ("/forbidden/", HTTPStatus.FORBIDDEN, "not yours to see"),
        ("/broken/", HTTPStatus.INTERNAL_SERVER_ERROR, "Something went wrong on our side"),
    ],
)
def test_error_pages_are_the_portals_own(production, db, path, status, heading):
    response = production.get(path)
    assert response.status_code == status
    page = response.content.decode()
    assert heading in page
    assert 'aria-label="Main"' in page and "Support policies" in page  # the navigation
    assert 'href="/"' in page


def test_a_signed_in_person_keeps_their_navigation_on_a_404(production, customer):
    production.force_login(customer)
    page = production.get("/tickets/999999/").content.decode()
    assert "My cases" in page


def test_the_favicon_is_served(client, db):
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.svg")
    page = client.get("/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
