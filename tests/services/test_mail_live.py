"""Email in, end to end (SPEC §7): a real Dovecot holds the vendor's mailbox, a real Celery worker
polls it (mailroom.tasks.imap_poll_task) into PostgreSQL and sends the acknowledgements through
Redis to the aiosmtpd server. Every message becomes one case and one acknowledgement, in its
sender's thread, through re-polls, another client's flags and a worker killed (SIGKILL) in the
middle of a poll; the customer's answer to that acknowledgement becomes one reply on the case.

The worker reaches Dovecot through a small TCP relay of this test's, which can hold the worker's
next IMAP command of a kind (here the STORE that marks a message seen, which follows the commit of
that message): the worker is then stopped exactly there, mid-poll, and killed."""

from __future__ import annotations

import socket
import threading
from email.utils import make_msgid, parseaddr

import pytest

from config.celery import app
from mailroom.models import InboundMessage, Outcome
from portal.models import Notice, NoticeKind, NoticeState
from portal.outbox import thread_id
from tests.factories import MembershipFactory, OrganizationFactory
from tests.mailroom import dovecot as dovecot_server
from tests.mailroom.conftest import corpus
from tests.services.conftest import Process, wait_for
from tickets.models import Reply, Ticket

dovecot = dovecot_server.dovecot  # the fixture, from its module

pytestmark = pytest.mark.services


class Relay:
    """127.0.0.1:<port> → Dovecot, byte for byte; `hold_at(word, n)` stops passing the client's
    commands on from the n-th one containing `word` (until `release`)."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.word, self.count, self.seen = b"", 0, 0
        self.held, self.release = threading.Event(), threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def hold_at(self, word: bytes, count: int) -> None:
        self.word, self.count, self.seen = word, count, 0
        self.held.clear()
        self.release.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client and self.word and self.word in data:
                    self.seen += 1
                    if self.seen >= self.count:
                        self.held.set()
                        self.release.wait()
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.release.set()
        self.listener.close()


@pytest.fixture(scope="module")
def relay(dovecot):
    relay = Relay(dovecot.port)
    yield relay
    relay.close()


@pytest.fixture(scope="module")
def mail_worker(celery_env, dovecot, relay, tmp_path_factory):
    """The worker with Alectrona's mailbox configured (through the relay) and its own media."""
    root = tmp_path_factory.mktemp("mail-worker")
    url = f"imap+plain://desk:desk-secret@127.0.0.1:{relay.port}/INBOX"
    env = {**celery_env, "MAIL_IMAP_URLS": f"alectrona={url}", "MEDIA_ROOT": str(root / "media")}
    process = Process(
        [
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
        root / "worker.log",
        ready="ready.",
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture
def mail_live(transactional_db, settings, monkeypatch, redis, smtp, dovecot, mail_worker):
    """As conftest's `live`, with the mail worker: this process enqueues to our Redis for real."""
    from django.db import connection

    assert not connection.in_atomic_block, "an earlier test left a transaction open"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis.url
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    app._after_fork()
    dovecot.empty()
    smtp.messages.clear()
    organization = OrganizationFactory(slug="acme", name="Acme", timezone="Europe/Berlin")
    MembershipFactory(user__username="alice", user__email="alice@example.test", organization=organization)
    yield
    app._after_fork()


def new_case_mail(n: int) -> tuple[bytes, str]:
    message_id = make_msgid(f"case{n}", domain="mail.gmail.com")
    raw = corpus("new_gmail_plain.eml")
    raw = raw.replace(b"<CAF3kq9xZg1mN0p+Q8wQ5u_Tq3v@mail.gmail.com>", message_id.encode())
    raw = raw.replace(b"Subject: Nightly export stops at 80%", f"Subject: Export stops, report {n}".encode())
    return raw, message_id


def poll(worker: Process, *, task: str = "mailroom.tasks.imap_poll_task") -> None:
    """Ask the worker to poll now (what beat does every minute) and wait until that run is over."""
    result = app.send_task(task)
    wait_for(
        lambda: f"[{result.id}] succeeded" in worker.log.read_text(), what=f"{task} to run", log=worker.log
    )


def acknowledgements_sent(count: int) -> bool:
    notices = Notice.objects.filter(kind=NoticeKind.TICKET_RECEIVED)
    return notices.count() == count and not notices.exclude(state=NoticeState.SENT).exists()


def sweep_until_acknowledged(worker: Process, count: int) -> None:
    """Each acknowledgement queued when its case committed; one the killed worker had not sent yet
    waits for the outbox sweep (every minute under beat; asked for here)."""

    def swept() -> bool:
        if acknowledgements_sent(count):
            return True
        poll(worker, task="portal.tasks.notice_sweep_task")
        return acknowledgements_sent(count)

    wait_for(swept, what=f"{count} acknowledgements to be sent", log=worker.log)


def assert_each_acknowledged_once_in_its_thread(smtp, message_ids: list[str]) -> None:
    assert sorted(InboundMessage.objects.values_list("message_id", flat=True)) == sorted(message_ids)
    assert set(InboundMessage.objects.values_list("outcome", "times_seen")) == {(Outcome.OPENED, 1)}
    assert Ticket.objects.count() == len(message_ids)
    sent = [m for m in smtp.messages if m["To"] == "alice@example.test"]
    assert len(sent) == len(message_ids)  # nothing twice, nothing else
    assert len({m["Message-ID"] for m in sent}) == len(message_ids)
    for message_id in message_ids:
        [ack] = [m for m in sent if m["In-Reply-To"] == message_id]
        case = InboundMessage.objects.get(message_id=message_id).ticket
        assert case.number in ack["Subject"] and ack["References"].split()[0] == message_id


def test_a_message_is_acknowledged_once_in_its_thread_however_often_the_mailbox_is_polled(
    mail_live, dovecot, smtp, mail_worker
):
    raw, message_id = new_case_mail(1)
    dovecot.append(raw)
    poll(mail_worker)
    wait_for(lambda: acknowledgements_sent(1), what="the acknowledgement", log=mail_worker.log)
    wait_for(lambda: smtp.with_header("In-Reply-To", message_id), what="the acknowledgement by SMTP")
    poll(mail_worker)
    dovecot.flag_all("-FLAGS.SILENT")  # another client marks it unread: still nothing new
    poll(mail_worker)
    poll(mail_worker, task="portal.tasks.notice_sweep_task")
    assert_each_acknowledged_once_in_its_thread(smtp, [message_id])

    # The customer answers the acknowledgement from their mail client: a reply on the case.
    [ack] = smtp.with_header("In-Reply-To", message_id)
    case = Ticket.objects.get()
    answer = corpus(
        "reply_gmail.eml",
        REPLY_TO=parseaddr(ack["Reply-To"])[1],
        IN_REPLY_TO=ack["Message-ID"],
        THREAD=thread_id(case.number),
        CASE=case.number,
    )
    dovecot.append(answer)
    poll(mail_worker)
    reply = InboundMessage.objects.get(outcome=Outcome.REPLIED).reply
    assert (reply.ticket, reply.body) == (case, "Thanks, 4.3 fixed the export.")
    poll(mail_worker)
    assert Reply.objects.count() == 1 and InboundMessage.objects.count() == 2


def test_a_worker_killed_mid_poll_loses_nothing_and_doubles_nothing(
    mail_live,
    dovecot,
    smtp,
    mail_worker,
    relay,
):
    mails = [new_case_mail(n) for n in range(6)]
    dovecot.append(*(raw for raw, _ in mails))
    # Held when the worker marks the third message seen: three cases committed, three to go.
    relay.hold_at(b"STORE", 3)
    try:
        app.send_task("mailroom.tasks.imap_poll_task")
        wait_for(relay.held.is_set, what="the worker to reach the third message's mark", log=mail_worker.log)
        assert InboundMessage.objects.count() == 3
        mail_worker.kill()
    finally:
        relay.hold_at(b"", 0)
        relay.release.set()
    mail_worker.start()
    poll(mail_worker)
    sweep_until_acknowledged(mail_worker, len(mails))
    poll(mail_worker)  # and once more: nothing new
    wait_for(lambda: len(smtp.messages) >= len(mails), what="every acknowledgement at the SMTP server")
    assert_each_acknowledged_once_in_its_thread(smtp, [message_id for _, message_id in mails])
