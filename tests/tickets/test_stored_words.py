"""Issue 22 point 1: what the desk stores for later — an SLA event's cause, where a target's time comes
from, the explanation of a deadline, a merge's notes — is a code and its values, worded for each reader
when read. A Russian and an English reader of the same stored rows each read their own language on the
case page, in admin, in the API and in the email (tickets.words)."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from portal.models import Notice, Profile
from portal.outbox import notices_render
from tests.factories import StaffFactory
from tickets.explain import target_explanation
from tickets.models import Reply, SlaEvent, TargetKind, Ticket
from tickets.services import ticket_change_priority, ticket_merge, ticket_open
from tickets.words import Cause, Note, event_text, source_words

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York: Alectrona's hours


@pytest.fixture(autouse=True)
def _frozen_and_english_after():
    with time_machine.travel(NOW, tick=False):
        yield
    translation.activate(settings.LANGUAGE_CODE)


def _open(requester, vendor, subject: str, *, priority: str = "low", minutes_ago: int = 60) -> Ticket:
    return ticket_open(
        organization=requester.membership.organization,
        requester=requester,
        vendor=vendor,
        priority=priority,
        subject=subject,
        body="The nightly export stops.",
        at=NOW - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def readers(customer, colleague, agent):
    """The same organization's Russian reader (alice) and English one (bob); the desk's likewise."""
    Profile.objects.create(user=customer, language="ru")
    Profile.objects.create(user=colleague, language="en")
    Profile.objects.create(user=agent, language="ru")
    english_agent = StaffFactory(username="agent-en")
    Profile.objects.create(user=english_agent, language="en")
    return {"ru": customer, "en": colleague, "desk-ru": agent, "desk-en": english_agent}


@pytest.fixture
def case(readers, vendors):
    """A case raised from Low to Urgent with a reason, and a duplicate of each reader merged into it."""
    agent = readers["desk-ru"]
    kept = _open(readers["ru"], vendors["alectrona"], "Export fails", minutes_ago=60)
    ticket_change_priority(ticket=kept, priority="urgent", by=agent, reason="Production down")
    for reader, minutes in (("ru", 30), ("en", 20)):
        duplicate = _open(
            readers[reader], vendors["alectrona"], f"Export broken ({reader})", minutes_ago=minutes
        )
        ticket_merge(duplicate=duplicate, into=kept, by=agent, message="Same export bug.")
    kept.refresh_from_db()
    return kept


def _page(client, user, url: str, **headers) -> str:
    client.force_login(user)
    response = client.get(url, **headers)
    assert response.status_code == HTTPStatus.OK
    return html.unescape(response.content.decode())


RU_CHANGE = "Приоритет изменён с «Low» на «Urgent (Emergency)»: Production down"
EN_CHANGE = "Priority changed from Low to Urgent (Emergency): Production down"
RU_SOURCE = (
    "Alectrona, «Standard Technical Support Policy» (версия 2022-06-15), приоритет «Urgent (Emergency)»"
)
EN_SOURCE = "Alectrona Standard Technical Support Policy (version 2022-06-15), priority Urgent (Emergency)"
RU_MERGED_FROM = "Перенесено из обращения"
EN_MERGED_FROM = "Merged from"


def test_the_rows_store_codes_and_keep_their_english_words(case):
    first = case.sla_targets.get(kind=TargetKind.FIRST_RESPONSE)
    change = first.events.get(kind=SlaEvent.Kind.RECOMPUTED)
    assert (change.code, change.params) == (
        Cause.PRIORITY_CHANGED,
        {"old": "Low", "new": "Urgent (Emergency)", "reason": "Production down"},
    )
    assert change.detail == EN_CHANGE
    assert first.source_code == "policy" and first.source.startswith(EN_SOURCE)
    notes = Reply.objects.filter(ticket=case).exclude(note="")
    assert {n.note for n in notes} == {Note.MERGED_FROM}
    assert all(n.body.startswith(f"**{EN_MERGED_FROM}") for n in notes)


def test_one_stored_event_source_and_explanation_in_each_readers_words(case):
    first = case.sla_targets.get(kind=TargetKind.FIRST_RESPONSE)
    change = first.events.get(kind=SlaEvent.Kind.RECOMPUTED)
    with translation.override("ru"):
        assert event_text(change) == RU_CHANGE
        assert source_words(first.source_code, first.source_params).startswith(RU_SOURCE)
        assert RU_CHANGE in target_explanation(first)
    with translation.override("en"):
        assert event_text(change) == EN_CHANGE
        assert EN_CHANGE in target_explanation(first)


def test_the_case_page_in_each_readers_language(client, readers, case):
    url = reverse("tickets:detail", args=[case.number])
    russian, english = _page(client, readers["ru"], url), _page(client, readers["en"], url)
    assert RU_CHANGE in russian and RU_SOURCE in russian and RU_MERGED_FROM in russian
    assert EN_CHANGE not in russian and EN_MERGED_FROM not in russian
    assert EN_CHANGE in english and EN_SOURCE in english and EN_MERGED_FROM in english
    assert RU_CHANGE not in english


def test_the_duplicates_page_tells_of_the_merge_in_each_readers_language(client, readers, case):
    duplicate = Ticket.objects.get(subject="Export broken (en)")
    url = reverse("tickets:detail", args=[duplicate.number])
    russian, english = _page(client, readers["ru"], url), _page(client, readers["en"], url)
    assert f"Это обращение объединено с {case.number}, работа продолжается там. Same export bug." in russian
    assert f"This case was merged into {case.number}, where the desk continues with it." in english


def test_the_admin_case_page_in_each_agents_language(client, readers, case):
    url = reverse("admin:tickets_ticket_change", args=[case.pk])
    russian, english = _page(client, readers["desk-ru"], url), _page(client, readers["desk-en"], url)
    assert RU_CHANGE in russian and RU_MERGED_FROM in russian
    assert EN_CHANGE in english and EN_MERGED_FROM in english and RU_CHANGE not in english


@pytest.mark.parametrize(
    ("language", "change", "merged_from"),
    [("ru", RU_CHANGE, RU_MERGED_FROM), ("en", EN_CHANGE, EN_MERGED_FROM)],
)
def test_the_api_in_the_callers_language(readers, case, language, change, merged_from):
    client = APIClient()
    client.force_authenticate(readers["desk-en"])
    detail = client.get(reverse("api:ticket-detail", args=[case.number]), HTTP_ACCEPT_LANGUAGE=language)
    explanations = {row["kind"]: row["explanation"] for row in detail.json()["sla"]}
    assert change in explanations[TargetKind.FIRST_RESPONSE]
    replies = client.get(reverse("api:ticket-replies", args=[case.number]), HTTP_ACCEPT_LANGUAGE=language)
    bodies = [row["body"] for row in replies.json()]
    assert any(body.startswith(f"**{merged_from}") for body in bodies)


def test_the_api_follows_the_profiles_language_without_accept_language(readers, case):
    client = APIClient()
    client.force_login(readers["ru"])
    detail = client.get(reverse("api:ticket-detail", args=[case.number]))
    first = next(row for row in detail.json()["sla"] if row["kind"] == TargetKind.FIRST_RESPONSE)
    assert RU_CHANGE in first["explanation"]


def test_each_merged_requester_is_told_in_their_language(readers, case):
    notices_render(list(Notice.objects.filter(message__isnull=True)))
    told = {
        n.to_email: n.body_text
        for n in Notice.objects.filter(subject__contains=case.number).exclude(reference=case.number)
    }
    assert f"Это обращение объединено с {case.number}, работа продолжается там." in told[readers["ru"].email]
    english = told[readers["en"].email]
    assert f"This case was merged into {case.number}, where the desk continues with it." in english
    assert "объединено" not in english
