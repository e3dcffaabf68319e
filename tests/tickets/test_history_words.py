"""Issue 22 point 1: why a case changed, as its history records it (django-simple-history's change
reason), is a code and its values, worded in the reader's language when the admin's history page
shows it; a row written before the codes reads as it was stored. The desk's own notes of a decline
and a re-classification are notes (tickets.words.Note), worded for each reader too."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from portal.models import Notice, Profile
from portal.outbox import notices_render
from tests.factories import StaffFactory
from tickets.models import Ticket
from tickets.services import ticket_change_priority, ticket_merge, ticket_open, ticket_split
from tickets.services.billing import ticket_reclassify
from tickets.services.exclusions import ticket_decline
from tickets.words import Note, reason_words, stored_reason

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # a Monday, 12:00 in New York


@pytest.fixture(autouse=True)
def _frozen_and_english_after():
    with time_machine.travel(NOW, tick=False):
        yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def desks(agent):
    """The Russian agent and an English one."""
    Profile.objects.create(user=agent, language="ru")
    english = StaffFactory(username="agent-en")
    Profile.objects.create(user=english, language="en")
    return {"ru": agent, "en": english}


def _open(customer, vendor, subject: str = "Export fails", **kwargs) -> Ticket:
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendor,
        priority=kwargs.pop("priority", "medium"),
        subject=subject,
        body="The nightly export stops.",
        at=kwargs.pop("at", NOW - timedelta(hours=2)),
        **kwargs,
    )


def _history(client, user, ticket: Ticket) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:tickets_ticket_history", args=[ticket.pk]))
    assert response.status_code == HTTPStatus.OK
    return html.unescape(response.content.decode())


def _pages(client, desks, ticket: Ticket) -> tuple[str, str]:
    return _history(client, desks["ru"], ticket), _history(client, desks["en"], ticket)


def test_a_decline_in_each_agents_language(client, desks, customer, vendors):
    case = _open(customer, vendors["alectrona"])
    ticket_decline(ticket=case, by=desks["ru"], code="test-software", reason="Beta build 9.0-rc1")
    stored = case.history.first().history_change_reason
    assert stored == 'declined_out_of_scope:{"exclusion":"test-software"}'
    russian, english = _pages(client, desks, case)
    assert "Отклонено как не входящее в поддержку: test-software" in russian
    assert "Declined out of scope" not in russian and "declined_out_of_scope" not in russian
    assert "Declined out of scope: test-software" in english


def test_the_decline_reply_in_the_customers_language(client, desks, customer, colleague, vendors):
    """A policy without its own sentence: the lead is the portal's, in the customer's language; the
    exclusion stays in the policy's words."""
    Profile.objects.create(user=customer, language="ru")
    case = _open(customer, vendors["albert"], priority="urgent")
    ticket_decline(ticket=case, by=desks["en"], code="out-of-control", reason="AWS outage")
    reply = case.replies.get()
    assert reply.note == Note.DECLINED
    exclusion = "A ticket whose resolution was out of Albert's control."
    assert reply.body == f"Albert's support policy does not cover: {exclusion}\n\nAWS outage"
    with translation.override("ru"):
        russian = reply.shown_body
    assert russian == f"Политика поддержки Albert не распространяется на: {exclusion}\n\nAWS outage"
    [told] = notices_render([Notice.objects.get(kind="ticket_resolved")])
    assert "Политика поддержки Albert не распространяется на:" in told.body_text
    assert "does not cover" not in told.body_text


def test_the_decline_reply_in_the_vendors_own_translation(desks, customer, vendors):
    case = _open(customer, vendors["alectrona"])
    version = case.policy_version
    version.translations = {
        "ru": {"exclusions_preamble": "Alectrona не оказывает поддержку в отношении:",
               "exclusions": {"test-software": {"text": "Тестовые программы."}}},
    }  # fmt: skip
    version.save()
    ticket_decline(ticket=case, by=desks["en"], code="test-software")
    reply = case.replies.get()
    assert reply.body == (
        "Alectrona has no obligation to provide Standard Technical Support Services for: Any Test Software."
    )
    with translation.override("ru"):
        assert reply.shown_body == "Alectrona не оказывает поддержку в отношении: Тестовые программы."


def test_a_merge_in_each_agents_language(client, desks, customer, vendors):
    kept = _open(customer, vendors["alectrona"], "Export fails")
    duplicate = _open(customer, vendors["alectrona"], "Export broken")
    incident = ticket_split(
        parent=duplicate, by=desks["en"], subject="Second site", body="Also down.", priority="medium"
    )
    ticket_merge(duplicate=duplicate, into=kept, by=desks["en"])
    russian, english = _pages(client, desks, duplicate)
    assert f"Объединено с обращением {kept.number}" in russian
    assert f"Merged into {kept.number}" in english and "Объединено" not in english
    incident = Ticket.objects.get(pk=incident.pk)
    russian, english = _pages(client, desks, incident)
    assert f"Обращение {duplicate.number} объединено с {kept.number}" in russian
    assert f"{duplicate.number} merged into {kept.number}" in english


def test_a_priority_change_in_each_agents_language(client, desks, customer, vendors):
    case = _open(customer, vendors["alectrona"], priority="low")
    ticket_change_priority(ticket=case, priority="urgent", by=desks["en"], reason="Production down")
    russian, english = _pages(client, desks, case)
    assert "Приоритет изменён с «Low» на «Urgent (Emergency)»: Production down" in russian
    assert "Priority changed from Low to Urgent (Emergency): Production down" in english


def test_a_reclassification_in_each_agents_language(client, desks, extended_case):
    ticket_reclassify(
        ticket=extended_case, by=desks["en"], vulnerability=True, cve_id="cve-2026-4321", reason="RCE"
    )
    russian, english = _pages(client, desks, extended_case)
    assert "Переклассифицировано как уязвимость: RCE" in russian
    assert "Re-classified as a vulnerability: RCE" in english
    note = extended_case.replies.get(internal=True)
    assert note.note == Note.RECLASSIFIED
    assert note.body == "Re-classified as a vulnerability (CVE-2026-4321): RCE"
    with translation.override("ru"):
        assert note.shown_body == "Переклассифицировано как уязвимость (CVE-2026-4321): RCE"
    ticket_reclassify(ticket=extended_case, by=desks["en"], vulnerability=False, reason="Not exploitable")
    russian, english = _pages(client, desks, extended_case)
    assert "Переклассифицировано: не уязвимость: Not exploitable" in russian
    assert "Re-classified as not a vulnerability: Not exploitable" in english


@pytest.fixture
def extended_case(customer, infotecs, versions, basic_contract):
    return ticket_open(
        organization=customer.membership.organization, requester=customer, vendor=infotecs,
        priority="normal", subject="Tunnel drops", body="x", product=versions[3].product,
        major_version=versions[3], at=NOW - timedelta(hours=2), confirm_billable=True,
    )  # fmt: skip


def test_a_long_reason_is_cut_to_fit_the_column_and_says_so(desks, extended_case):
    reason = "Ржавчина " * 40  # 360 characters, Cyrillic
    ticket_reclassify(ticket=extended_case, by=desks["en"], vulnerability=True, reason=reason)
    stored = extended_case.history.first().history_change_reason
    assert len(stored) <= 100
    worded = reason_words(stored)
    assert worded.startswith("Re-classified as a vulnerability: Ржавчина Ржавчина") and worded.endswith("…")
    assert extended_case.replies.get(internal=True).note_params["reason"] == reason.strip()  # all of it


def test_a_reason_stored_as_text_before_the_codes_reads_as_it_was(client, desks, customer, vendors):
    case = _open(customer, vendors["alectrona"])
    record = case.history.first()
    record.history_change_reason = "Merged into ALC-000042"
    record.save()
    assert "Merged into ALC-000042" in _history(client, desks["ru"], case)
    assert reason_words("Merged into ALC-000042") == "Merged into ALC-000042"
    assert reason_words("no_such_code:{}") == "no_such_code:{}"
    assert reason_words("reclassified:{not json}") == "reclassified:{not json}"
    assert reason_words('reclassified:{"reason":"x"}') == 'reclassified:{"reason":"x"}'  # a value missing
    assert reason_words("") == ""


def test_every_stored_reason_fits_the_column():
    long = stored_reason("reclassified", {"vulnerability": False, "reason": "x" * 500})
    code, params = long.split(":", 1)
    assert len(long) == 100 and code == "reclassified" and json.loads(params)["reason"].endswith("…")
    assert stored_reason("merged", {"number": "ALC-000001"}) == 'merged:{"number":"ALC-000001"}'
    change = {"old": "Low", "new": "Urgent (Emergency)", "reason": "Production down"}
    assert json.loads(stored_reason("priority_changed", change).split(":", 1)[1]) == change  # uncut


def test_a_reason_that_json_escapes_keeps_as_much_as_fits():
    """The cut was reckoned in the reason's characters against the JSON's, which escapes quotes and
    backslashes: a quoted reason lost all of its text though a part of it fitted."""
    stored = stored_reason("reclassified", {"vulnerability": True, "reason": 'He wrote "' + 'x"' * 60})
    reason = json.loads(stored.split(":", 1)[1])["reason"]
    assert len(stored) in (99, 100) and reason.startswith('He wrote "x"') and reason.endswith("…")
