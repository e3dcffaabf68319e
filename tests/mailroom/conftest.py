"""The mailroom's fixtures: the corpus of real-shaped messages, an open case with the notice its
requester got (what a reply answers), and `deliver`, which runs the ingestion the way a
transport does and sends what it queued, as the worker would after commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import OperationalError

from mailroom.services import message_ingest
from portal.models import Notice, NoticeKind
from portal.outbox import thread_id
from tickets.models import Ticket
from tickets.reply_address import reply_address
from tickets.services import ticket_open

CORPUS = Path(__file__).parent / "corpus"
# Monday 23 November 2026, 11:00 in New York: inside Alectrona's support hours.
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def corpus(name: str, **placeholders: str) -> bytes:
    """A corpus file with its @@PLACEHOLDERS@@ filled in (reply addresses and Message-IDs exist
    only once the case they answer does)."""
    raw = (CORPUS / name).read_bytes()
    for key, value in placeholders.items():
        raw = raw.replace(f"@@{key}@@".encode(), value.encode())
    return raw


def case_insert_fails(subject: str, times: int | None = None):
    """A wrapper for `connection.execute_wrapper` under which the database refuses to insert a case
    with this subject, as a statement that always times out on one message's content does: the
    first `times` times, or every time. Returns it and the list of the failures it raised."""
    failures: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if (
            sql.startswith(f'INSERT INTO "{Ticket._meta.db_table}"')
            and subject in (params or ())
            and (times is None or len(failures) < times)
        ):
            failures.append(sql)
            raise OperationalError("canceling statement due to statement timeout")
        return execute(sql, params, many, context)

    return wrapper, failures


@pytest.fixture
def deliver(django_capture_on_commit_callbacks, vendors):
    def run(raw: bytes, vendor: str = "alectrona", received_at: datetime = NOW, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return message_ingest(raw=raw, vendor=vendors[vendor], received_at=received_at, **kwargs)

    return run


@pytest.fixture
def case(customer, vendors, django_capture_on_commit_callbacks):
    """Alectrona case opened in the portal an hour ago; its emails are sent and cleared."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_open(
            organization=customer.membership.organization,
            requester=customer,
            vendor=vendors["alectrona"],
            priority="high",
            subject="Export fails",
            body="The export fails.",
            at=NOW - timedelta(hours=1),
        )
    mail.outbox.clear()
    return ticket


def case_placeholders(case, *, kind: str = NoticeKind.TICKET_RECEIVED) -> dict[str, str]:
    notice = Notice.objects.filter(reference=case.number, kind=kind).order_by("pk").first()
    return {
        "REPLY_TO": reply_address(case),
        "IN_REPLY_TO": notice.message_id,
        "THREAD": thread_id(case.number),
        "CASE": case.number,
        "CASE_LOWER": case.number.lower(),
        "NOTICE_ID": notice.message_id,
    }


@pytest.fixture
def answer(case):
    """The corpus file as a reply to `case`'s acknowledgement."""

    def fill(name: str, **overrides: str) -> bytes:
        return corpus(name, **{**case_placeholders(case), **overrides})

    return fill
