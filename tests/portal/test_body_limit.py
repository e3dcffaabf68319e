"""Request bodies are capped before any view reads them (issue 18 point 8): a Content-Length past
REQUEST_MAX_BYTES answers 413 without a byte read; only the attachment uploads take more."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

MIB = 1024 * 1024


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_declaring(client, url: str, length: int, **extra):
    return client.generic(
        "POST",
        url,
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": Unreadable()},
        **extra,
    )


def test_an_anonymous_100_mib_sign_in_is_refused_unread(client, db):
    response = post_declaring(client, reverse("login"), 100 * MIB)
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_the_api_refuses_a_large_body_unread(client, customer):
    client.force_login(customer)
    response = post_declaring(client, reverse("api:ticket-list"), 5 * MIB)
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_the_cap_is_the_setting(client, settings, db):
    settings.REQUEST_MAX_BYTES = 3 * MIB
    with pytest.raises(AssertionError, match="the body was read"):  # under the cap: read as usual
        post_declaring(client, reverse("login"), 2 * MIB)
    settings.REQUEST_MAX_BYTES = 1 * MIB
    refused = post_declaring(client, reverse("login"), 2 * MIB)
    assert refused.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_an_attachment_upload_may_be_larger_up_to_its_own_cap(client, settings, customer):
    settings.ATTACHMENT_MAX_BYTES = 10 * MIB
    client.force_login(customer)
    url = reverse("api:ticket-attachments", args=["ALC-000001"])
    allowed = client.generic("POST", url, b"", CONTENT_TYPE="multipart/form-data; boundary=x")
    assert allowed.status_code != HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    too_big = post_declaring(client, url, 100 * MIB)
    assert too_big.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


# The refusal speaks the reader's language (issue 22 point 1): the language middleware has run by the
# time the limit looks at the view, so the browser's choice (cookie, Accept-Language) is known.
def test_the_refusal_is_in_english_by_default(client, db):
    response = post_declaring(client, reverse("login"), 100 * MIB, HTTP_ACCEPT_LANGUAGE="en")
    assert response.content.decode().startswith("Request body too large")


def test_the_refusal_follows_accept_language(client, db):
    response = post_declaring(client, reverse("login"), 100 * MIB, HTTP_ACCEPT_LANGUAGE="ru")
    text = response.content.decode()
    assert "Слишком большой запрос" in text and "Request" not in text
    assert response["Content-Language"] == "ru"


def test_the_refusal_follows_the_language_cookie(client, settings, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = post_declaring(client, reverse("login"), 100 * MIB, HTTP_ACCEPT_LANGUAGE="en")
    assert "Слишком большой запрос" in response.content.decode()


@pytest.mark.parametrize("length", ["many", "12abc", "-5", " "])
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/tickets/", "/healthz", "/metrics"])
def test_a_length_that_is_no_number_is_a_400_never_a_500(client, db, path, length):
    # django-prometheus's last middleware reads the header as int(): a malformed one was a 500 on
    # every path, before any view or limit saw it.
    client.raise_request_exception = False
    response = client.generic(
        "POST", path, CONTENT_TYPE="text/plain", CONTENT_LENGTH=length, **{"wsgi.input": Unreadable()}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.content.decode() == "Bad Content-Length."


def test_a_bad_length_is_refused_in_the_readers_language(client, db):
    response = client.generic(
        "POST", reverse("login"), CONTENT_TYPE="text/plain", CONTENT_LENGTH="many", HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.content.decode() == "Неверный заголовок Content-Length."
