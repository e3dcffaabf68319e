"""The original email of a case, or of a reply, downloaded from the portal's case page by those who
may see the case (SPEC §7), checked exactly as attachments are: anyone else gets 404."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from mailroom.models import Outcome
from tests.mailroom.conftest import corpus

pytestmark = pytest.mark.django_db


def original_url(message) -> str:
    return reverse("mailroom:original", args=[message.ticket.number, message.pk])


def page(client, user, number: str) -> str:
    client.force_login(user)
    response = client.get(reverse("tickets:detail", args=[number]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def download(client, user, url: str):
    client.force_login(user)
    return client.get(url)


def test_the_case_page_links_the_email_that_opened_it_and_the_customer_downloads_it_whole(
    client, customer, deliver
):
    raw = corpus("new_gmail_plain.eml")
    message = deliver(raw)
    assert message.outcome == Outcome.OPENED
    html = page(client, customer, message.ticket.number)
    assert f'href="{original_url(message)}"' in html and "Original email" in html
    response = download(client, customer, original_url(message))
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content) == raw
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_a_reply_by_email_links_its_own_original(client, case, colleague, customer, answer, deliver):
    raw = answer("reply_gmail.eml")
    message = deliver(raw)
    assert message.outcome == Outcome.REPLIED
    html = page(client, colleague, case.number)
    reply_block = html.split(f'id="reply-{message.reply_id}"')[1].split("</article>")[0]
    assert f'href="{original_url(message)}"' in reply_block
    # Opened in the portal: the opening has no email behind it.
    assert html.count("Original email") == 1
    response = download(client, colleague, original_url(message))
    assert response.status_code == HTTPStatus.OK and b"".join(response.streaming_content) == raw


def test_the_outsider_gets_404_for_the_original_as_for_an_attachment(client, customer, outsider, deliver):
    message = deliver(corpus("new_gmail_plain.eml"))
    assert download(client, outsider, original_url(message)).status_code == HTTPStatus.NOT_FOUND
    # A real message id under a case number the outsider may see is no way round it either.
    own = deliver(
        corpus("new_gmail_plain.eml")
        .replace(b"alice@example.test", outsider.email.encode())
        .replace(b"CAF3kq9xZg1mN0p", b"CAF3kq9xOTHER")
    )
    assert own.outcome == Outcome.OPENED
    other = reverse("mailroom:original", args=[own.ticket.number, message.pk])
    assert download(client, outsider, other).status_code == HTTPStatus.NOT_FOUND


def test_signed_out_visitors_are_sent_to_sign_in(client, customer, deliver):
    message = deliver(corpus("new_gmail_plain.eml"))
    response = client.get(original_url(message))
    assert response.status_code == HTTPStatus.FOUND and reverse("login") in response["Location"]


def test_mail_that_joined_no_conversation_stays_with_the_staff(
    client, case, customer, outsider, answer, deliver
):
    """An outsider writing to the case's reply address is quarantined on the case: the customer
    neither sees nor downloads it; staff have it in admin."""
    message = deliver(answer("reply_outsider.eml"))
    assert message.outcome == Outcome.QUARANTINED and message.ticket == case
    assert "Original email" not in page(client, customer, case.number)
    assert download(client, customer, original_url(message)).status_code == HTTPStatus.NOT_FOUND


def test_a_missing_file_is_404_not_an_error(client, customer, deliver):
    message = deliver(corpus("new_gmail_plain.eml"))
    message.raw.storage.delete(message.raw.name)
    assert download(client, customer, original_url(message)).status_code == HTTPStatus.NOT_FOUND
