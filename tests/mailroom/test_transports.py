"""Transports feed the one ingestion service, idempotently: each vendor's Maildir polled every
minute (new/ processed, then moved to cur/ as seen), and `manage.py ingestmail` for files and an
MTA's pipe."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from mailroom.models import InboundMessage, Outcome, Transport
from mailroom.tasks import maildir_poll_task
from mailroom.transports import maildir_path, maildir_poll
from tests.mailroom.conftest import NOW, corpus
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def maildirs(settings, tmp_path):
    settings.MAILDIR_ROOT = tmp_path / "mail"
    return settings.MAILDIR_ROOT


def drop(vendor, name: str, raw: bytes, *, at=NOW) -> str:
    """Deliver a message into the vendor's Maildir the way an MTA does (tmp/, then new/)."""
    folder = maildir_path(vendor)
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    path = folder / "new" / name
    path.write_bytes(raw)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return name


def test_a_poll_takes_in_new_messages_then_moves_them_to_cur_as_seen(customer, vendors, maildirs):
    alectrona = vendors["alectrona"]
    drop(alectrona, "1764000000.M1P1.mx", corpus("new_gmail_plain.eml"))
    drop(alectrona, "1764000001.M2P1.mx", corpus("unknown_sender.eml"), at=NOW + timedelta(seconds=30))
    messages = maildir_poll(vendor=alectrona)
    assert [(m.outcome, m.transport) for m in messages] == [
        (Outcome.OPENED, Transport.MAILDIR),
        (Outcome.QUARANTINED, Transport.MAILDIR),
    ]
    # The opening time is the delivery time of the file, not the poll's.
    assert messages[0].ticket.opened_at == NOW and messages[1].received_at == NOW + timedelta(seconds=30)
    folder = maildir_path(alectrona)
    assert os.listdir(folder / "new") == []
    assert sorted(os.listdir(folder / "cur")) == ["1764000000.M1P1.mx:2,S", "1764000001.M2P1.mx:2,S"]
    assert maildir_poll(vendor=alectrona) == []


def test_a_crash_between_commit_and_move_takes_the_message_in_once(customer, vendors, maildirs, monkeypatch):
    alectrona = vendors["alectrona"]
    drop(alectrona, "1764000000.M1P1.mx", corpus("new_gmail_plain.eml"))

    def crash(folder, name):
        raise KeyboardInterrupt("worker killed after the commit")

    monkeypatch.setattr("mailroom.transports._mark_seen", crash)
    with pytest.raises(KeyboardInterrupt):
        maildir_poll(vendor=alectrona)
    assert InboundMessage.objects.count() == 1 and os.listdir(maildir_path(alectrona) / "new")
    monkeypatch.undo()
    [again] = maildir_poll(vendor=alectrona)
    assert again.outcome == Outcome.DUPLICATE
    assert Ticket.objects.count() == 1 and InboundMessage.objects.get().times_seen == 2
    assert os.listdir(maildir_path(alectrona) / "new") == []


def test_old_messages_in_cur_are_not_read_again(customer, vendors, maildirs):
    alectrona = vendors["alectrona"]
    drop(alectrona, "1764000000.M1P1.mx", corpus("new_gmail_plain.eml"))
    maildir_poll(vendor=alectrona)
    (maildir_path(alectrona) / "cur" / "1764000000.M1P1.mx:2,S").write_bytes(b"changed")
    assert maildir_poll(vendor=alectrona) == []


def test_the_beat_task_polls_every_vendor_and_makes_the_folders(
    customer, vendors, maildirs, django_capture_on_commit_callbacks
):
    drop(vendors["secpod"], "1764000000.M1P1.mx", corpus("new_windows1251.eml"))
    with django_capture_on_commit_callbacks(execute=True):
        counts = maildir_poll_task()
    assert counts == {"opened": 1}
    for slug in ("alectrona", "secpod", "albert", "infotecs"):
        assert sorted(os.listdir(maildirs / slug)) == ["cur", "new", "tmp"]
    assert [m.to for m in mail.outbox if "We received" in m.subject] == [[customer.email]]


def test_setupschedule_runs_the_maildir_and_imap_polls_every_minute():
    call_command("setupschedule", stdout=io.StringIO())
    for name in ("mailroom.tasks.maildir_poll_task", "mailroom.tasks.imap_poll_task"):
        task = PeriodicTask.objects.get(task=name)
        assert task.enabled and (task.interval.every, task.interval.period) == (1, "minutes")


def test_makemaildirs_creates_a_maildir_per_vendor(maildirs, vendors):
    out = io.StringIO()
    call_command("makemaildirs", stdout=out)
    assert sorted(os.listdir(maildirs)) == ["albert", "alectrona", "infotecs", "secpod"]
    assert str(maildirs / "alectrona" / "new") in out.getvalue()


def test_ingestmail_prints_one_line_per_message_and_takes_each_once(customer, tmp_path, capsys):
    first, second = tmp_path / "a.eml", tmp_path / "b.eml"
    first.write_bytes(corpus("new_gmail_plain.eml"))
    second.write_bytes(corpus("bounce_dsn.eml"))
    call_command("ingestmail", "--vendor", "alectrona", str(first), str(second))
    number = Ticket.objects.get().number
    assert capsys.readouterr().out.splitlines() == [
        f"<CAF3kq9xZg1mN0p+Q8wQ5u_Tq3v@mail.gmail.com> opened {number}",
        "<20261123150100.0ABCD1234@mx.example.test> ignored",
    ]
    call_command("ingestmail", "--vendor", "alectrona", str(first))
    assert capsys.readouterr().out == f"<CAF3kq9xZg1mN0p+Q8wQ5u_Tq3v@mail.gmail.com> duplicate {number}\n"
    assert InboundMessage.objects.filter(transport=Transport.PIPE).count() == 2


def test_ingestmail_reads_one_message_from_standard_input(customer, monkeypatch, capsys):
    stdin = io.TextIOWrapper(io.BytesIO(corpus("unknown_sender.eml")))
    monkeypatch.setattr("sys.stdin", stdin)
    call_command("ingestmail", "--vendor", "alectrona", "-")
    assert capsys.readouterr().out == "<unknown-1@unknown.example> quarantined\n"


def test_ingestmail_exits_non_zero_only_for_a_message_it_could_not_read(customer, tmp_path, capsys):
    good = tmp_path / "good.eml"
    good.write_bytes(corpus("new_garbage_date.eml"))
    with pytest.raises(SystemExit) as exit_:
        call_command("ingestmail", "--vendor", "alectrona", str(tmp_path / "missing.eml"), str(good))
    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert "missing.eml" in captured.err
    assert captured.out.startswith("<garbage-date-1@example.test> opened ")
