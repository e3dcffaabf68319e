"""A double submit in the portal creates once: the forms that create something carry a one-time
token, and a post whose token was used answers with the first post's page (portal.idempotency)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from portal.models import IdempotencyKey, Notice, NoticeKind
from tickets.models import Reply, Status, Ticket
from tickets.services import ticket_open

# A Tuesday inside Alectrona's business hours (10:00 New York).
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
TOKEN = re.compile(r'<input type="hidden" name="submit_token" value="([^"]+)">')


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def tokens(response) -> list[str]:
    return TOKEN.findall(response.content.decode())


def token_of(response) -> str:
    [token] = set(tokens(response))
    return token


def open_data(token: str, **overrides) -> dict:
    data = {
        "vendor": "alectrona",
        "priority": "high",
        "kind": "incident",
        "subject": "Export fails",
        "body": "Steps:\n\n1. Click *export*",
        "action": "open",
        "submit_token": token,
    }
    data.update(overrides)
    return data


def a_case(requester, vendor) -> Ticket:
    return ticket_open(
        organization=requester.membership.organization,
        requester=requester,
        vendor=vendor,
        priority="high",
        subject="Export fails",
        body="It fails.",
        at=NOW - timedelta(hours=1),
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------------------- open a case


def test_the_open_form_carries_a_new_unguessable_token_each_time(client, customer):
    client.force_login(customer)
    first, second = (token_of(client.get(reverse("tickets:open"))) for _ in range(2))
    assert first != second
    assert len(first) >= 32


def test_a_double_submit_opens_one_case_and_sends_one_email(
    client, customer, django_capture_on_commit_callbacks
):
    client.force_login(customer)
    token = token_of(client.get(reverse("tickets:open")))

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("tickets:open"), open_data(token))
        second = client.post(reverse("tickets:open"), open_data(token))

    ticket = Ticket.objects.get()
    assert first.status_code == second.status_code == HTTPStatus.FOUND
    assert first["Location"] == second["Location"] == reverse("tickets:detail", args=[ticket.number])
    assert Notice.objects.filter(kind=NoticeKind.TICKET_RECEIVED).count() == 1
    assert [m.to for m in mail.outbox].count([customer.email]) == 1
    assert len(mail.outbox) == Notice.objects.count()  # the desk's copy, if any, once too
    assert f"Your case {ticket.number} is open" in " ".join(messages_of(second))


def test_a_refused_form_keeps_a_token_that_still_opens_the_case_once(client, customer):
    client.force_login(customer)
    token = token_of(client.get(reverse("tickets:open")))

    refused = client.post(reverse("tickets:open"), open_data(token, subject=""))
    assert refused.status_code == HTTPStatus.OK and Ticket.objects.count() == 0
    assert token_of(refused) == token

    corrected = open_data(token, subject="Export fails on Mondays")
    client.post(reverse("tickets:open"), corrected)
    again = client.post(reverse("tickets:open"), corrected)

    ticket = Ticket.objects.get()
    assert ticket.subject == "Export fails on Mondays"
    assert again["Location"] == reverse("tickets:detail", args=[ticket.number])


def test_a_service_refusal_claims_nothing(client, customer):
    client.force_login(customer)
    token = token_of(client.get(reverse("tickets:open")))

    refused = client.post(reverse("tickets:open"), open_data(token, kind="request"))
    assert "kind" in refused.context["form"].errors
    assert token_of(refused) == token and not IdempotencyKey.objects.exists()

    assert client.post(reverse("tickets:open"), open_data(token)).status_code == HTTPStatus.FOUND
    assert Ticket.objects.count() == 1


def test_previewing_keeps_the_token(client, customer):
    client.force_login(customer)
    token = token_of(client.get(reverse("tickets:open")))
    preview = client.post(reverse("tickets:open"), open_data(token, action="preview"))
    assert token_of(preview) == token and Ticket.objects.count() == 0


def test_a_used_token_with_another_text_opens_nothing_and_keeps_the_text(client, customer):
    """The back button brings the sent form back; what is typed into it then is a new case the
    customer has not confirmed yet: nothing is opened, nothing typed is lost, a new token is
    given, and the first case is named."""
    client.force_login(customer)
    token = token_of(client.get(reverse("tickets:open")))
    client.post(reverse("tickets:open"), open_data(token))
    first = Ticket.objects.get()

    edited = client.post(reverse("tickets:open"), open_data(token, body="Another problem entirely"))

    assert edited.status_code == HTTPStatus.OK and Ticket.objects.count() == 1
    page = edited.content.decode()
    assert first.number in page and "Another problem entirely" in page
    assert token_of(edited) != token
    client.post(reverse("tickets:open"), open_data(token_of(edited), body="Another problem entirely"))
    assert Ticket.objects.count() == 2


def test_the_same_token_from_two_people_opens_two_cases(client, customer, colleague):
    for person in (customer, colleague):
        client.force_login(person)
        client.post(reverse("tickets:open"), open_data("the-same-token-for-both-of-them"))
    assert sorted(t.requester.username for t in Ticket.objects.all()) == ["alice", "bob"]


def test_a_post_without_a_token_still_opens_the_case(client, customer):
    client.force_login(customer)
    data = open_data("")
    del data["submit_token"]
    assert client.post(reverse("tickets:open"), data).status_code == HTTPStatus.FOUND
    assert Ticket.objects.count() == 1


def test_a_token_is_forgotten_after_a_day(client, customer):
    client.force_login(customer)
    client.post(reverse("tickets:open"), open_data("kept-for-a-day-only"))
    with time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False):
        client.post(reverse("tickets:open"), open_data("kept-for-a-day-only"))
    assert Ticket.objects.count() == 2


# ---------------------------------------------------------------------------- case page


def test_the_case_page_forms_carry_a_token(client, customer, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    client.force_login(customer)
    page = client.get(reverse("tickets:detail", args=[ticket.number]))
    assert len(tokens(page)) == 2  # reply and close (an open case cannot be reopened)


def test_a_double_reply_sends_one_reply_and_one_email(
    client, customer, agent, vendors, django_capture_on_commit_callbacks
):
    ticket = a_case(customer, vendors["alectrona"])
    client.force_login(agent)
    url = reverse("tickets:reply", args=[ticket.number])
    token = token_of(client.get(reverse("tickets:detail", args=[ticket.number])))

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"body": "Which version?", "submit_token": token})
        second = client.post(url, {"body": "Which version?", "submit_token": token})

    reply = Reply.objects.get()
    anchor = reverse("tickets:detail", args=[ticket.number]) + f"#reply-{reply.pk}"
    assert first["Location"] == second["Location"] == anchor
    assert Notice.objects.filter(kind=NoticeKind.STAFF_REPLY).count() == 1
    assert len([m for m in mail.outbox if m.to == [customer.email]]) == 1
    assert "Your reply is sent." in messages_of(second)


def test_a_customer_double_reply_is_one_reply(client, customer, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    client.force_login(customer)
    url = reverse("tickets:reply", args=[ticket.number])
    for _ in range(2):
        client.post(url, {"body": "Any news?", "submit_token": "reply-token-0001"})
    assert Reply.objects.filter(ticket=ticket).count() == 1


def test_a_refused_reply_keeps_its_token(client, customer, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    client.force_login(customer)
    url = reverse("tickets:reply", args=[ticket.number])
    refused = client.post(url, {"body": "   ", "submit_token": "reply-token-0002"})
    assert "reply-token-0002" in tokens(refused)
    client.post(url, {"body": "Now with words", "submit_token": "reply-token-0002"})
    assert Reply.objects.get().body == "Now with words"


def test_a_used_reply_token_with_another_text_sends_nothing_and_keeps_the_text(client, customer, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    client.force_login(customer)
    url = reverse("tickets:reply", args=[ticket.number])
    client.post(url, {"body": "First words", "submit_token": "reply-token-0003"})
    edited = client.post(url, {"body": "Second thoughts", "submit_token": "reply-token-0003"})
    assert edited.status_code == HTTPStatus.OK
    assert [r.body for r in Reply.objects.all()] == ["First words"]
    assert "Second thoughts" in edited.content.decode()
    assert "reply-token-0003" not in tokens(edited)


def test_a_double_close_closes_once_and_says_so_twice(client, customer, vendors):
    ticket = a_case(customer, vendors["secpod"])
    client.force_login(customer)
    url = reverse("tickets:close", args=[ticket.number])
    first = client.post(url, {"submit_token": "close-token-0001"}, follow=True)
    second = client.post(url, {"submit_token": "close-token-0001"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    for response in (first, second):
        assert "The case is closed." in response.content.decode()
        assert "cannot be" not in response.content.decode()


def test_a_double_reopen_reopens_once(client, customer, vendors):
    ticket = a_case(customer, vendors["secpod"])
    client.force_login(customer)
    client.post(reverse("tickets:close", args=[ticket.number]))
    url = reverse("tickets:reopen", args=[ticket.number])
    for _ in range(2):
        response = client.post(url, {"submit_token": "reopen-token-0001"}, follow=True)
        assert "The case is open again." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_an_outsider_cannot_use_a_case_page_with_a_token(client, customer, outsider, vendors):
    ticket = a_case(customer, vendors["alectrona"])
    client.force_login(outsider)
    url = reverse("tickets:reply", args=[ticket.number])
    assert client.post(url, {"body": "hi", "submit_token": "x" * 32}).status_code == HTTPStatus.NOT_FOUND
    assert not IdempotencyKey.objects.exists() and Reply.objects.count() == 0
