"""A new email address takes effect only once confirmed from that address (issue 22 point 4):
password reset links go to it, so a session left open must not be enough to redirect them."""

from __future__ import annotations

import re
from http import HTTPStatus

from django.core import mail
from django.urls import reverse

PROFILE = {"first_name": "Alice", "last_name": "", "timezone": ""}


def _ask(client, customer, new: str):
    client.force_login(customer)
    return client.post(reverse("profile"), {**PROFILE, "email": new}, follow=True)


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_a_changed_address_waits_for_its_confirmation(client, customer):
    old = customer.email
    page = _ask(client, customer, "alice.new@example.test").content.decode()
    customer.refresh_from_db()
    assert customer.email == old
    assert "alice.new@example.test" in page and "confirm" in page
    to_new, to_old = sorted(mail.outbox, key=lambda m: m.to[0] != "alice.new@example.test")
    assert to_new.to == ["alice.new@example.test"] and "/accounts/email/confirm/" in to_new.body
    assert to_old.to == [old] and "alice.new@example.test" in to_old.body
    assert "/accounts/email/confirm/" not in to_old.body  # the old address is told, not handed the link

    done = client.get(_link(to_new), follow=True)
    assert done.status_code == HTTPStatus.OK
    customer.refresh_from_db()
    assert customer.email == "alice.new@example.test"


def test_a_link_works_once_and_only_for_its_person(client, customer, outsider):
    _ask(client, customer, "alice.new@example.test")
    link = _link(next(m for m in mail.outbox if m.to == ["alice.new@example.test"]))
    client.force_login(outsider)
    refused = client.get(link)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    outsider.refresh_from_db()
    assert outsider.email != "alice.new@example.test"
    client.force_login(customer)
    assert client.get(link).status_code == HTTPStatus.FOUND
    again = client.get(link)  # the address it was issued against is gone: the link is spent
    assert again.status_code == HTTPStatus.BAD_REQUEST


def test_a_tampered_link_is_refused_without_a_500(client, customer):
    client.force_login(customer)
    response = client.get(reverse("email-confirm", args=["not-a-token"]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "link" in response.content.decode()


def test_an_unchanged_address_sends_nothing(client, customer):
    _ask(client, customer, customer.email)
    assert mail.outbox == []
