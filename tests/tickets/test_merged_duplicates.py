"""A duplicate merged into another case stays closed: its conversation continues on the case it was
merged into (tickets.services.organize.ticket_merge). Reopening it is refused, naming that case, by
the one transition check of tickets.services (`_reopen_locked`), whichever channel asks: the portal,
the API, an email reply (which, as any reply to a closed case, is refused, with the same words) or
admin. Nothing is half-done: status, times and SLA events stay as the merge left them."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from tickets.models import Reply, SlaEvent, Status, Ticket
from tickets.services import reply_add, ticket_close, ticket_merge, ticket_reopen, ticket_set_open

from .test_audit_channels import NOW, api_patch, api_reply, email_answer, email_reply, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def merged(customer, agent, vendors, django_capture_on_commit_callbacks) -> tuple[Ticket, Ticket]:
    """(duplicate, kept): two cases of the customer's, the second merged into the first."""
    kept = open_case(customer, vendors, django_capture_on_commit_callbacks)
    duplicate = open_case(customer, vendors, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_merge(duplicate=duplicate, into=kept, by=agent, message="Same export bug.")
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == (Status.CLOSED, kept.pk)
    return duplicate, kept


def words(kept: Ticket) -> str:
    return f"This case was merged into {kept.number}, where the desk continues with it"


def state(ticket: Ticket) -> tuple:
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        ticket.status,
        ticket.merged_into_id,
        ticket.resolved_at,
        ticket.closed_at,
        ticket.updated_at,
        SlaEvent.objects.filter(target__ticket=ticket).count(),
        Reply.objects.filter(ticket=ticket).count(),
    )


@pytest.mark.parametrize("service", [ticket_reopen, ticket_set_open])
@pytest.mark.parametrize("who", ["customer", "agent"])
def test_the_service_refuses_to_reopen_a_merged_duplicate_naming_the_kept_case(
    merged, customer, agent, service, who
):
    duplicate, kept = merged
    before = state(duplicate)
    with pytest.raises(ValidationError) as refused:
        service(ticket=duplicate, by={"customer": customer, "agent": agent}[who])
    [message] = refused.value.message_dict["status"]
    assert words(kept) in message
    assert state(duplicate) == before


def test_the_portal_refuses_to_reopen_a_merged_duplicate(client, merged, customer):
    duplicate, kept = merged
    before = state(duplicate)
    client.force_login(customer)
    page = client.get(reverse("tickets:detail", args=[duplicate.number])).content.decode()
    assert reverse("tickets:reopen", args=[duplicate.number]) not in page  # no button to press

    response = client.post(reverse("tickets:reopen", args=[duplicate.number]), follow=True)

    assert response.status_code == HTTPStatus.OK
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(words(kept) in m for m in said), said
    assert not any("open again" in m for m in said)
    assert state(duplicate) == before


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_the_api_refuses_to_reopen_a_merged_duplicate(merged, customer, agent, who):
    duplicate, kept = merged
    before = state(duplicate)
    answer = api_patch({"customer": customer, "agent": agent}[who], duplicate, {"status": "open"})
    assert not answer.done and words(kept) in answer.said
    assert state(duplicate) == before


def test_an_email_reply_to_a_merged_duplicate_is_refused_naming_the_kept_case(
    merged, vendors, django_capture_on_commit_callbacks
):
    duplicate, kept = merged
    before, kept_replies = state(duplicate), kept.replies.count()
    answer = email_answer(email_reply(duplicate, "customer", vendors, django_capture_on_commit_callbacks))
    assert not answer.done and words(kept) in answer.said
    assert state(duplicate) == before and kept.replies.count() == kept_replies


def test_a_reply_to_a_merged_duplicate_is_refused_naming_the_kept_case(merged, customer, agent):
    duplicate, kept = merged
    before = state(duplicate)
    answer = api_reply(customer, duplicate, "Any news?")
    assert not answer.done and words(kept) in answer.said
    with pytest.raises(ValidationError) as refused:
        reply_add(ticket=duplicate, author=agent, body="Moved on.")
    assert words(kept) in " ".join(refused.value.message_dict["body"])
    assert state(duplicate) == before


def test_the_kept_case_is_reopened_as_any_other(merged, customer, agent):
    _, kept = merged
    ticket_close(ticket=kept, by=customer)
    assert ticket_reopen(ticket=kept, by=customer).status == Status.OPEN


def test_the_refusal_is_in_the_readers_language(merged, customer):
    duplicate, kept = merged
    with translation.override("ru"), pytest.raises(ValidationError) as refused:
        ticket_reopen(ticket=duplicate, by=customer)
    assert refused.value.message_dict["status"] == [
        f"Это обращение объединено с {kept.number}, работа продолжается там: пишите в {kept.number}."
    ]
