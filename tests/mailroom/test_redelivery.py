"""Exactly once when delivery itself repeats (SPEC §7): a message without a Message-ID delivered
again by the MTA, with other trace headers, is the same message; and a database that fails for a
moment (an OperationalError or InterfaceError while deciding) leaves the message where it was, for
the next poll or the MTA's next try, instead of quarantining it; unless it fails on that same message
more than MAIL_TRANSIENT_TRIES times, when it is quarantined and the transport moves on."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection

from mailroom.models import InboundMessage, Outcome
from mailroom.services import TransientError
from mailroom.services import ingest as ingest_module
from mailroom.services.tries import transient_tries
from mailroom.transports import maildir_path, maildir_poll
from tests.mailroom.conftest import NOW, case_insert_fails, corpus
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

RECEIVED = b"Received: from mx2.example.test (mx2.example.test [192.0.2.7])\r\n\tby mx.portal.test with ESMTPS id 4Zx9; Mon, 23 Nov 2026 16:05:00 +0000\r\n"  # noqa: E501 - one folded header

# What an MTA writes on a (second) delivery, in front of or among what the sender wrote.
REDELIVERED = {
    "another Received": lambda raw: RECEIVED + raw,
    "a folded Received among the headers": lambda raw: raw.replace(
        b"Subject:", RECEIVED.replace(b"\tby", b"    Subject: not a header\r\n\tby") + b"Subject:", 1
    ),
    "another Return-Path": lambda raw: raw.replace(
        b"Return-Path: <alice@example.test>", b"Return-Path: <SRS0=ab12=XY=example.test@relay.example.test>"
    ),
    "no Return-Path": lambda raw: raw.replace(b"Return-Path: <alice@example.test>\r\n", b""),
    "Delivered-To": lambda raw: b"Delivered-To: alectrona@support.portal.test\r\n" + raw,
    "X-Original-To": lambda raw: b"X-Original-To: alectrona@support.portal.test\r\n" + raw,
    "Envelope-To": lambda raw: b"Envelope-To: alectrona@support.portal.test\r\n" + raw,
    "X-Received": lambda raw: b"X-Received: by 2002:a05:6000:1 with SMTP id x; Mon, 23 Nov 2026\r\n" + raw,
    "an mbox From line": lambda raw: b"From alice@example.test Mon Nov 23 16:05:00 2026\r\n" + raw,
    "LF line ends (a Maildir file of what IMAP gave with CRLF)": lambda raw: raw.replace(b"\r\n", b"\n"),
}

# What the sender wrote: another of these is another message.
REWRITTEN = {
    "body": lambda raw: raw.replace(b"How many seats", b"How many users"),
    "Subject": lambda raw: raw.replace(b"Subject: Question about licences", b"Subject: Licences again"),
    "Date": lambda raw: raw.replace(b"13:00:00 -0500", b"13:30:00 -0500"),
    "DKIM-Signature": lambda raw: raw.replace(
        b"Subject:", b"DKIM-Signature: v=1; d=example.test\r\nSubject:"
    ),
}


def no_message_id() -> bytes:
    raw = corpus("new_no_message_id.eml")
    assert b"message-id" not in raw.lower() and b"Return-Path: <alice@example.test>\r\n" in raw
    return raw


# ---------------------------------------------------------------- delivered again


@pytest.mark.parametrize("redeliver", REDELIVERED.values(), ids=REDELIVERED.keys())
def test_a_message_without_message_id_delivered_again_is_one_case(customer, deliver, redeliver):
    raw = no_message_id()
    first = deliver(raw)
    again = redeliver(raw)
    assert again != raw
    second = deliver(again, received_at=NOW + timedelta(minutes=5))
    assert (first.outcome, second.outcome) == (Outcome.OPENED, Outcome.DUPLICATE), second.reason
    assert second.message_id == first.message_id and second.ticket_id == first.ticket_id
    assert Ticket.objects.count() == 1 and InboundMessage.objects.get().times_seen == 2
    assert len([m for m in mail.outbox if customer.email in m.to]) == 1


@pytest.mark.parametrize("rewrite", REWRITTEN.values(), ids=REWRITTEN.keys())
def test_a_message_without_message_id_that_the_sender_wrote_otherwise_is_another_case(
    customer, deliver, rewrite
):
    raw = no_message_id()
    first = deliver(raw)
    second = deliver(rewrite(raw), received_at=NOW + timedelta(minutes=5))
    assert (first.outcome, second.outcome) == (Outcome.OPENED, Outcome.OPENED), second.reason
    assert second.message_id.startswith("sha256:") and second.message_id != first.message_id
    assert Ticket.objects.count() == 2


def test_an_oversized_message_without_message_id_delivered_again_is_answered_once(
    customer, deliver, settings
):
    settings.MAIL_MAX_BYTES = 10_000
    raw = no_message_id() + b"x" * 50_000
    again = RECEIVED + raw
    first, second = deliver(raw, size=len(raw)), deliver(again, size=len(again))
    assert (first.outcome, second.outcome) == (Outcome.REFUSED, Outcome.DUPLICATE)
    # Its body is not read, but its size still tells one oversized message from another.
    third = deliver(raw + b"y", size=len(raw) + 1)
    assert third.outcome == Outcome.REFUSED and InboundMessage.objects.count() == 2


def test_a_message_stored_under_the_key_of_its_bytes_is_still_recognised(customer, deliver):
    """Before 5e25cf4 a message without a Message-ID was keyed by sha256 of its bytes and size as
    they came: one stored then and fetched again since (a re-poll after a crash between commit and
    mark, across an upgrade) is the same message, not a second case."""
    import hashlib

    raw = no_message_id()
    first = deliver(raw)
    old_key = f"sha256:{hashlib.sha256(raw + str(len(raw)).encode()).hexdigest()}"
    InboundMessage.objects.filter(pk=first.pk).update(message_id=old_key)
    second = deliver(raw, received_at=NOW + timedelta(minutes=5))
    assert second.outcome == Outcome.DUPLICATE, second.reason
    assert Ticket.objects.count() == 1 and InboundMessage.objects.get().times_seen == 2


# ---------------------------------------------------------------- the database fails for a moment


@pytest.fixture
def maildirs(settings, tmp_path):
    settings.MAILDIR_ROOT = tmp_path / "mail"
    return settings.MAILDIR_ROOT


def drop(vendor, name: str, raw: bytes) -> None:
    folder = maildir_path(vendor)
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "new" / name).write_bytes(raw)
    os.utime(folder / "new" / name, (NOW.timestamp(), NOW.timestamp()))


def fail_once(monkeypatch, error: Exception, name: str = "ticket_open") -> list:
    """The service the ingestion calls raises `error` the first time, then works."""
    real, calls = getattr(ingest_module, name), []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(ingest_module, name, flaky)
    return calls


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
    ],
    ids=["OperationalError", "InterfaceError"],
)
def test_a_transient_database_error_leaves_the_maildir_message_for_the_next_poll(
    customer, vendors, maildirs, monkeypatch, error
):
    alectrona = vendors["alectrona"]
    drop(alectrona, "1764000000.M1P1.mx", corpus("new_gmail_plain.eml"))
    drop(alectrona, "1764000001.M2P1.mx", corpus("unknown_sender.eml"))
    calls = fail_once(monkeypatch, error)
    # The message the database failed on is left; the next one is still taken in.
    assert [m.outcome for m in maildir_poll(vendor=alectrona)] == [Outcome.QUARANTINED]
    new = maildir_path(alectrona) / "new"
    assert os.listdir(new) == ["1764000000.M1P1.mx"] and len(calls) == 1
    assert InboundMessage.objects.get().from_address == "someone@unknown.example"
    assert Ticket.objects.count() == 0 and mail.outbox == []
    [message] = maildir_poll(vendor=alectrona)
    assert message.outcome == Outcome.OPENED and message.times_seen == 1
    assert os.listdir(new) == [] and Ticket.objects.count() == 1 and len(calls) == 2
    assert maildir_poll(vendor=alectrona) == []


def test_a_statement_the_database_fails_once_leaves_the_message_for_the_next_poll(
    customer, vendors, maildirs
):
    """The fault where the database raises it: the case's INSERT, under the ingestion's writes."""
    alectrona, failed = vendors["alectrona"], []
    drop(alectrona, "1764000000.M1P1.mx", corpus("new_gmail_plain.eml"))

    def lock_timeout(execute, sql, params, many, context):
        if not failed and sql.startswith(f'INSERT INTO "{Ticket._meta.db_table}"'):
            failed.append(sql)
            raise OperationalError("canceling statement due to lock timeout")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(lock_timeout):
        assert maildir_poll(vendor=alectrona) == []
    assert failed and InboundMessage.objects.count() == 0 and Ticket.objects.count() == 0
    assert os.listdir(maildir_path(alectrona) / "new") == ["1764000000.M1P1.mx"]
    [message] = maildir_poll(vendor=alectrona)
    assert message.outcome == Outcome.OPENED and Ticket.objects.count() == 1


def test_a_transient_database_error_is_not_a_reason_to_quarantine(customer, deliver, monkeypatch):
    fail_once(monkeypatch, OperationalError("lock timeout"))
    with pytest.raises(TransientError):
        deliver(corpus("new_gmail_plain.eml"))
    assert InboundMessage.objects.count() == 0 and Ticket.objects.count() == 0
    message = deliver(corpus("new_gmail_plain.eml"))
    assert message.outcome == Outcome.OPENED and InboundMessage.objects.get().times_seen == 1


def test_a_transient_database_error_on_a_reply_adds_nothing_until_the_next_try(
    case, answer, deliver, monkeypatch
):
    fail_once(monkeypatch, OperationalError("deadlock detected"), name="reply_add")
    with pytest.raises(TransientError):
        deliver(answer("reply_gmail.eml"))
    assert InboundMessage.objects.count() == 0 and case.replies.count() == 0
    assert deliver(answer("reply_gmail.eml")).outcome == Outcome.REPLIED and case.replies.count() == 1


def test_bad_input_is_still_quarantined(customer, deliver, monkeypatch):
    fail_once(monkeypatch, ValueError("not a date"))
    message = deliver(corpus("new_gmail_plain.eml"))
    assert message.outcome == Outcome.QUARANTINED and "ValueError: not a date" in message.reason


def test_ingestmail_exits_with_ex_tempfail_so_the_mta_tries_again(customer, monkeypatch, capsys):
    calls = fail_once(monkeypatch, OperationalError("the database system is starting up"))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(corpus("new_gmail_plain.eml"))))
    with pytest.raises(SystemExit) as exit_:
        call_command("ingestmail", "--vendor", "alectrona", "-")
    assert exit_.value.code == os.EX_TEMPFAIL == 75
    captured = capsys.readouterr()
    assert captured.out == "" and "try again" in captured.err
    assert InboundMessage.objects.count() == 0 and len(calls) == 1
    # The MTA delivers the same bytes again: taken in once.
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(corpus("new_gmail_plain.eml"))))
    call_command("ingestmail", "--vendor", "alectrona", "-")
    number = Ticket.objects.get().number
    assert capsys.readouterr().out == f"<CAF3kq9xZg1mN0p+Q8wQ5u_Tq3v@mail.gmail.com> opened {number}\n"


# ---------------------------------------------------------------- the database always fails on one message

EXPORT = "Nightly export stops at 80%"  # the subject of new_gmail_plain.eml
GAVE_UP = (
    "Could not be taken in after {tries} tries, the database failing on it each time (more than "
    "MAIL_TRANSIENT_TRIES); the last error: OperationalError: canceling statement due to statement "
    "timeout. Quarantined for staff: open it for an organization or discard it."
)


def test_a_message_failing_fewer_than_mail_transient_tries_times_is_taken_in_once_the_error_stops(
    customer, vendors, maildirs, settings
):
    settings.MAIL_TRANSIENT_TRIES = 3
    alectrona, name = vendors["alectrona"], "1764000000.M1P1.mx"
    drop(alectrona, name, corpus("new_gmail_plain.eml"))
    new = maildir_path(alectrona) / "new"
    fails, failures = case_insert_fails(EXPORT, times=3)
    with connection.execute_wrapper(fails):
        for _poll in range(3):
            assert maildir_poll(vendor=alectrona) == []
            assert os.listdir(new) == [name] and InboundMessage.objects.count() == 0
        [message] = maildir_poll(vendor=alectrona)
    assert len(failures) == 3 and message.outcome == Outcome.OPENED and Ticket.objects.count() == 1
    assert os.listdir(new) == [] and message.times_seen == 1
    assert transient_tries(vendor=alectrona, sha256=message.sha256) == 0  # the success cleared the count


def test_a_message_the_database_always_fails_on_is_quarantined_on_the_try_after_mail_transient_tries(
    customer, deliver, settings
):
    settings.MAIL_TRANSIENT_TRIES = 2
    raw = corpus("new_gmail_plain.eml")
    fails, failures = case_insert_fails(EXPORT)
    with connection.execute_wrapper(fails):
        for _try in range(2):
            with pytest.raises(TransientError):
                deliver(raw)
            assert InboundMessage.objects.count() == 0
        message = deliver(raw)
        again = deliver(raw, received_at=NOW + timedelta(minutes=5))
    assert len(failures) == 3
    message.refresh_from_db()
    assert message.outcome == Outcome.QUARANTINED and message.reason == GAVE_UP.format(tries=3)
    with message.raw.open("rb") as file:
        assert file.read() == raw
    assert (again.outcome, again.original) == (Outcome.DUPLICATE, message)
    assert InboundMessage.objects.get().times_seen == 2 and Ticket.objects.count() == 0 and mail.outbox == []
    assert transient_tries(vendor=message.vendor, sha256=message.sha256) == 0


def test_a_database_that_stays_down_quarantines_nothing(customer, deliver, settings):
    """Storing the quarantined row fails too: still TransientError, and nothing stored."""
    settings.MAIL_TRANSIENT_TRIES = 1
    raw = corpus("new_gmail_plain.eml")

    def down(execute, sql, params, many, context):
        if sql.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):  # the test's own transaction
            return execute(sql, params, many, context)
        raise OperationalError("could not connect to server")

    with connection.execute_wrapper(down):
        for _try in range(3):
            with pytest.raises(TransientError):
                deliver(raw)
    assert InboundMessage.objects.count() == 0
    assert deliver(raw).outcome == Outcome.OPENED and Ticket.objects.count() == 1


def test_a_maildir_message_the_database_always_fails_on_is_quarantined_and_moved_on(
    customer, vendors, maildirs, settings
):
    settings.MAIL_TRANSIENT_TRIES = 2
    alectrona = vendors["alectrona"]
    drop(alectrona, "1764000000.M1P1.mx", corpus("new_gmail_plain.eml"))
    drop(alectrona, "1764000001.M2P1.mx", corpus("new_koi8r.eml"))
    new, cur = maildir_path(alectrona) / "new", maildir_path(alectrona) / "cur"
    fails, failures = case_insert_fails(EXPORT)
    with connection.execute_wrapper(fails):
        assert [m.outcome for m in maildir_poll(vendor=alectrona)] == [Outcome.OPENED]
        assert maildir_poll(vendor=alectrona) == [] and os.listdir(new) == ["1764000000.M1P1.mx"]
        [message] = maildir_poll(vendor=alectrona)
        assert message.outcome == Outcome.QUARANTINED and message.reason == GAVE_UP.format(tries=3)
        assert os.listdir(new) == [] and len(os.listdir(cur)) == 2
        # The MTA delivers the same file again: a duplicate, never a second row.
        drop(alectrona, "1764000002.M3P1.mx", corpus("new_gmail_plain.eml"))
        assert [m.outcome for m in maildir_poll(vendor=alectrona)] == [Outcome.DUPLICATE]
    assert len(failures) == 3 and Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 2 and InboundMessage.objects.get(pk=message.pk).times_seen == 2


def test_ingestmail_exits_0_for_a_message_the_database_always_fails_on_once_it_is_quarantined(
    customer, settings, monkeypatch, capsys
):
    settings.MAIL_TRANSIENT_TRIES = 1
    fails, failures = case_insert_fails(EXPORT)

    def ingestmail():
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(corpus("new_gmail_plain.eml"))))
        call_command("ingestmail", "--vendor", "alectrona", "-")
        return capsys.readouterr().out

    with connection.execute_wrapper(fails):
        with pytest.raises(SystemExit) as exit_:
            ingestmail()
        assert exit_.value.code == os.EX_TEMPFAIL
        capsys.readouterr()
        assert ingestmail() == "<CAF3kq9xZg1mN0p+Q8wQ5u_Tq3v@mail.gmail.com> quarantined\n"  # exit status 0
        assert ingestmail() == "<CAF3kq9xZg1mN0p+Q8wQ5u_Tq3v@mail.gmail.com> duplicate\n"
    assert len(failures) == 2 and InboundMessage.objects.count() == 1 and Ticket.objects.count() == 0
