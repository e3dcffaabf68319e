"""Audit sweep: another organization's customer reaches none of a case's API endpoints or pages
(404, nothing of the case in the answer), and hostile input — ids too large for the database, forged
cursors, unreadable form values, off-site `next` addresses — answers 400 naming the field, or 404,
never a 500 and never a redirect off the site."""

from __future__ import annotations

import base64
import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils.html import escape

from tests.tickets.test_api import api
from tests.tickets.test_api_security import case  # noqa: F401 - the case fixture
from tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db

TOO_BIG = "9" * 25  # past any database integer (SQLite's and PostgreSQL's bigint)


def _case_api_urls(number: str) -> list[str]:
    return [
        f"/api/tickets/{number}/{tail}"
        for tail in (
            "",
            "replies/",
            "exclusions/",
            "decline/",
            "chases/",
            "vendor/",
            "vendor/answered/",
            "attachments/",
            "merge/",
            "split/",
            "followers/",
            "followers/alice/",
            "work/",
            "expenses/",
            "remote-sessions/",
            "onsite/",
            "onsite/schedule/",
            "onsite/arrival/",
            "classification/",
            "quotes/",
            "quotes/1/accept/",
            "quotes/1/decline/",
        )
    ]


def _case_pages(number: str) -> list[str]:
    return [
        f"/tickets/{number}/{tail}"
        for tail in (
            "",
            "reply/",
            "close/",
            "reopen/",
            "follow/",
            "unfollow/",
            "split/",
            "onsite/",
            "quotes/1/accept/",
            "quotes/1/decline/",
            "emails/1/",
        )
    ]


def _hides_the_case(response, ticket: Ticket) -> bool:
    """Nothing of the case in the answer (a page's language switch does echo the address asked for)."""
    body = response.content.decode(errors="replace")
    return ticket.subject not in body and ticket.requester.email not in body


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_outsider_gets_404_on_every_case_endpoint_of_the_api(case, outsider, method):  # noqa: F811
    """404 where the method is served; a 405 where it is not, the same as for a number that does
    not exist, so that the answer tells nothing about the case."""
    client = api(outsider)
    for url, missing in zip(_case_api_urls(case.number), _case_api_urls("ALC-999999"), strict=True):
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code in (404, 405), (method, url, response.status_code)
        assert response.status_code == getattr(client, method)(missing, {}, format="json").status_code, url
        assert _hides_the_case(response, case), (method, url)


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_on_every_page_of_the_case(client, case, outsider, method):  # noqa: F811
    client.force_login(outsider)
    for url, missing in zip(_case_pages(case.number), _case_pages("ALC-999999"), strict=True):
        response = getattr(client, method)(url)
        assert response.status_code in (404, 405), (method, url, response.status_code)
        assert response.status_code == getattr(client, method)(missing).status_code, url
        assert _hides_the_case(response, case), (method, url)


def test_outsider_guessing_attachment_ids_under_their_own_case_reaches_none(case, outsider, vendors):  # noqa: F811
    from tests.tickets.test_api import open_case

    own = open_case(outsider, vendors["alectrona"], subject="Mine")
    client, page = api(outsider), Client()
    page.force_login(outsider)
    for attachment in Attachment.objects.filter(ticket=case):
        assert client.get(f"/api/tickets/{own.number}/attachments/{attachment.pk}/").status_code == 404
        assert page.get(f"/tickets/{own.number}/attachments/{attachment.pk}/").status_code == 404


def test_outsider_gets_404_for_the_organizations_period_page_and_api(outsider, organization):
    page = Client()
    page.force_login(outsider)
    for url in (
        "/reports/periods/acme/alectrona/2026-11/",
        "/api/periods/acme/alectrona/2026-11/",
        "/api/periods/acme/alectrona/2026-11/reviews/",
        "/api/periods/acme/alectrona/2026-11/close/",
    ):
        client = api(outsider) if url.startswith("/api/") else page
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (404, 405), (method, url)  # 405: detail takes no POST
            assert b"Acme" not in response.content, (method, url)


def _ids_too_big(number: str) -> list[str]:
    return [
        f"/api/orders/{TOO_BIG}/",
        f"/api/orders/{TOO_BIG}/accept/",
        f"/api/products/{TOO_BIG}/",
        f"/api/outages/{TOO_BIG}/",
        f"/api/outages/{TOO_BIG}/end/",
        f"/api/statements/{TOO_BIG}/2026-01/",
        f"/api/tickets/{number}/attachments/{TOO_BIG}/",
        f"/api/tickets/{number}/quotes/{TOO_BIG}/accept/",
        f"/tickets/{number}/attachments/{TOO_BIG}/",
        f"/tickets/{number}/emails/{TOO_BIG}/",
        f"/tickets/{number}/quotes/{TOO_BIG}/accept/",
        f"/orders/{TOO_BIG}/accept/",
        f"/profile/tokens/{TOO_BIG}/revoke/",
        f"/reports/statements/{TOO_BIG}/2026-01/",
        f"/reports/statements/{TOO_BIG}/2026-01/statement.csv",
        "/api/periods/acme/alectrona/99999-01/",
        "/reports/periods/acme/alectrona/2026-00/",
    ]


@pytest.mark.parametrize("persona", ["customer", "agent"])
def test_an_id_too_large_for_the_database_is_not_found(case, persona, request):  # noqa: F811
    user = request.getfixturevalue(persona)
    client, page = api(user), Client()
    page.force_login(user)
    for url in _ids_too_big(case.number):
        for method in ("get", "post"):
            response = getattr(client if url.startswith("/api/") else page, method)(url)
            # 403: the staff-only outages API refuses a customer before it reads the id
            assert response.status_code in (403, 404, 405), (method, url, response.status_code)
            assert response.status_code != 403 or user.is_staff is False, url


def _cursor(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


CURSORS = [
    "!!!",
    "x" * 3000,
    _cursor(b"p=garbage"),
    _cursor(b"p=\x00"),
    _cursor(b"r=1&p=2026-99-99"),
    _cursor(b"o=99999999999999999999"),
    _cursor(b"o=-5"),
]


@pytest.mark.parametrize("cursor", CURSORS)
@pytest.mark.parametrize("ordering", [None, "next_due_at", "-opened_at"])
def test_a_forged_cursor_is_refused_not_a_500(case, customer, cursor, ordering):  # noqa: F811
    params = {"cursor": cursor, **({"ordering": ordering} if ordering else {})}
    response = api(customer).get("/api/tickets/", params)
    assert response.status_code in (200, 400, 404), response.status_code


@pytest.mark.parametrize("object_id", ["abc", "1.5", "\x00", "1" * 5000])
def test_an_unreadable_item_id_on_the_period_page_answers_400_naming_it(org_admin, organization, object_id):
    page = Client()
    page.force_login(org_admin)
    response = page.post(
        "/reports/periods/acme/alectrona/2026-11/",
        {"item": "wait", "object_id": object_id, "decision": "accepted"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"object_id" in response.content


OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " https://evil.example/",
    "http://testserver@evil.example/",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_never_sends_anyone_off_the_site(client, customer, target):
    for signed_in in (False, True):
        if signed_in:
            client.force_login(customer)
        response = client.post("/i18n/setlang/", {"language": "ru", "next": target})
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith("/") and not response["Location"].startswith(("//", "/\\"))


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_two_factor_pages_never_send_anyone_off_the_site(client, customer, verified_login, target):
    """Neither the pages' hidden `next` nor the redirect once the code is entered goes off-site."""
    from tests.conftest import sign_in, totp_code

    client.force_login(customer)
    for url in ("/accounts/two-factor/", "/accounts/two-factor/setup/"):
        response = client.get(url, {"next": target})
        assert response.status_code in (200, 302), url
        assert "evil.example" not in response.get("Location", ""), url
        # Every hidden `next` is an address on this site (the footer's language switch keeps the
        # page's own address, query and all).
        for value in re.findall(r'name="next" value="([^"]*)"', response.content.decode()):
            assert value.startswith("/") and not value.startswith(("//", "/\\")), (url, value)
        assert f'name="next" value="{escape(target)}"' not in response.content.decode(), url
    device = verified_login(client, customer)
    client.logout()
    sign_in(client, customer)
    device.last_t = -1  # the code just entered may be entered again, here only
    device.save(update_fields=["last_t"])
    response = client.post("/accounts/two-factor/", {"token": totp_code(device), "next": target})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/"
