"""Migration tickets.0018: rows written in English words before the codes existed are read back into
codes and values, so their readers get their own language; words it does not recognise stay as they
were and are shown as stored."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.utils import translation

from tickets.models import Reply, SlaEvent, SlaTarget, TargetKind
from tickets.services import ticket_open
from tickets.words import event_text, note_words, target_source

pytestmark = pytest.mark.django_db

migration = importlib.import_module("tickets.migrations.0018_stored_words_to_codes")
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("detail", "code", "params"),
    [
        ("Waiting on the customer", "waiting", {}),
        ("No answer from the desk by the deadline", "no_answer", {}),
        (
            "Resolved: Workaround provided (after the deadline)",
            "resolved",
            {"resolution": "Workaround provided", "late": True},
        ),
        (
            "The customer answered; 1 d 2 h 5 min of support time credited",
            "customer_answered",
            {"credited_seconds": 93900},
        ),
        ("Closed by the customer after the deadline, unanswered", "customer_closed", {"unanswered": True}),
        (
            "Merged into ALC-000007; 0 min of support time credited",
            "merged",
            {"number": "ALC-000007", "credited_seconds": 0},
        ),
        (
            "Priority changed from Low to Urgent (Emergency)",
            "priority_changed",
            {"old": "Low", "new": "Urgent (Emergency)"},
        ),
        (
            "Priority changed from Low to High: customer asked; the new priority has no such target",
            "priority_changed",
            {"old": "Low", "new": "High", "reason": "customer asked", "no_such_target": True},
        ),
        ("Declined: Third-party software", "declined", {"exclusion": "Third-party software"}),
    ],
)
def test_english_event_details_read_back(detail, code, params):
    assert migration.parse_event(detail) == (code, params)


def test_the_codes_read_back_word_the_original_english_exactly():
    for detail in (
        "Resolved: Workaround provided (after the deadline)",
        "The customer answered; 1 d 2 h 5 min of support time credited",
        "Priority changed from Low to High: customer asked; the new priority has no such target",
        "Closed by the customer after the deadline, unanswered",
    ):
        code, params = migration.parse_event(detail)
        event = SlaEvent(code=code, params=params, detail="")
        with translation.override("en"):
            assert event_text(event) == detail


@pytest.mark.parametrize(
    ("source", "code", "params"),
    [
        (
            "Contract B-1 (Basic), normal",
            "contract",
            {"reference": "B-1", "plan": "basic", "priority": "normal"},
        ),
        ("Emergency call: immediate reaction (Contract P-1)", "emergency_contract", {"reference": "P-1"}),
        ("Emergency call: immediate reaction (Infotecs policy)", "emergency_policy", {"vendor": "Infotecs"}),
        (
            "Alectrona Standard Policy (version 2022), priority High",
            "policy",
            {"vendor": "Alectrona", "name": "Standard Policy", "key": "2022", "priority": "High"},
        ),
        (
            "Alectrona, «Standard Policy» (версия 2022), приоритет «High»",
            "policy",
            {"vendor": "Alectrona", "name": "Standard Policy", "key": "2022", "priority": "High"},
        ),
        ("Someone Else's Policy (version 2022), priority High", None, None),
    ],
)
def test_sources_read_back(source, code, params):
    parsed = migration.parse_source(source, vendor="Alectrona", version="Standard Policy")
    assert parsed == ((code, params) if code else None)


def test_merge_notes_read_back():
    body = "**Merged from ALC-000002: Export broken**\n\nThe nightly **export** stops.\n\nAgain."
    assert migration.parse_note(body) == (
        "merged_from",
        {
            "number": "ALC-000002",
            "subject": "Export broken",
            "body": "The nightly **export** stops.\n\nAgain.",
        },
    )
    note = migration.parse_note(
        "This case was merged into ALC-000001, where the desk continues with it. Same bug."
    )
    assert note == ("merged_into", {"number": "ALC-000001", "message": "Same bug."})
    with translation.override("en"):
        assert note_words(*migration.parse_note(body)) == body


def test_the_migration_converts_old_rows_and_leaves_unknown_words_as_they_were(customer, agent, vendors):
    ticket = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        body="It fails",
        at=NOW,
    )
    target = ticket.sla_targets.get(kind=TargetKind.FIRST_RESPONSE)
    english_source = target.source
    # The rows as the code before the codes wrote them: English words only.
    SlaTarget.objects.filter(pk=target.pk).update(source_code="", source_params={})
    old = SlaEvent.objects.create(
        target=target, kind=SlaEvent.Kind.PAUSED, at=NOW, detail="Waiting on the customer"
    )
    odd = SlaEvent.objects.create(target=target, kind=SlaEvent.Kind.PAUSED, at=NOW, detail="Paused by hand")
    note = Reply.objects.create(
        ticket=ticket,
        author=agent,
        body="This case was merged into ALC-000009, where the desk continues with it.",
        body_html="<p>This case was merged into ALC-000009, where the desk continues with it.</p>",
        created_at=NOW + timedelta(minutes=1),
    )

    migration.forwards(apps, None)

    old.refresh_from_db(), odd.refresh_from_db(), note.refresh_from_db(), target.refresh_from_db()
    assert (old.code, odd.code, note.note, target.source_code) == ("waiting", "", "merged_into", "policy")
    with translation.override("ru"):
        assert event_text(old) == "Ждём ответа клиента"
        assert event_text(odd) == "Paused by hand"  # not recognised: shown as stored
        assert note.shown_body == "Это обращение объединено с ALC-000009, работа продолжается там."
        assert target_source(target).startswith("Alectrona, «")
    with translation.override("en"):
        assert target_source(target) == english_source
