"""The IMAP transport against a real IMAP server (tests/mailroom/dovecot.py: Debian's Dovecot on
a free port with its own configuration, user and mail folder). Messages appended over IMAP become
cases and replies, each once: a re-poll finds nothing new, flags set by another client change
nothing, a poll killed before or after its commit takes each message once, and a new UIDVALIDITY
rescans the folder without doubling anything."""

from __future__ import annotations

import ssl

import pytest
from django.db import OperationalError, connection

from mailroom.imap import imap_mailbox, imap_poll
from mailroom.models import ImapCursor, InboundMessage, Outcome, Transport
from mailroom.services import ingest
from mailroom.tasks import imap_poll_task
from tests.mailroom import dovecot as dovecot_server
from tests.mailroom.conftest import case_insert_fails, case_placeholders, corpus
from tickets.models import Reply, Ticket

dovecot = dovecot_server.dovecot  # the fixture, from its module


@pytest.fixture
def imap(dovecot):
    """An empty INBOX for each test."""
    connection = dovecot.connect()
    _, data = connection.search(None, "ALL")
    if data[0]:
        connection.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
        connection.expunge()
    connection.logout()
    return dovecot


def test_the_url_says_where_and_how_to_connect():
    box = imap_mailbox("imaps://desk%40example.test:p%3Ass@imap.example.test/Support%20Desk")
    assert (box.host, box.port, box.user, box.password, box.folder, box.security) == (
        "imap.example.test",
        993,
        "desk@example.test",
        "p:ss",
        "Support Desk",
        "tls",
    )
    assert imap_mailbox("imap://u:p@mail.example.test").security == "starttls"
    with pytest.raises(ValueError):
        imap_mailbox("pop3://u:p@mail.example.test")


@pytest.mark.django_db
def test_messages_appended_over_imap_become_a_case_and_a_reply_once(imap, case, customer, vendors):
    imap.append(corpus("new_gmail_plain.eml"), corpus("reply_gmail.eml", **case_placeholders(case)))
    messages = imap_poll(vendor=vendors["alectrona"], url=imap.url)
    assert [(m.outcome, m.transport) for m in messages] == [
        (Outcome.OPENED, Transport.IMAP),
        (Outcome.REPLIED, Transport.IMAP),
    ]
    assert messages[1].reply.ticket == case and messages[1].reply.body == "Thanks, 4.3 fixed the export."
    assert imap.unseen() == 0
    assert imap_poll(vendor=vendors["alectrona"], url=imap.url) == []
    assert (Ticket.objects.count(), Reply.objects.count(), InboundMessage.objects.count()) == (2, 1, 2)


@pytest.mark.django_db
def test_a_poll_killed_between_commit_and_mark_creates_nothing_twice(imap, customer, vendors, monkeypatch):
    imap.append(corpus("new_gmail_plain.eml"))

    def killed(connection, uid):
        raise KeyboardInterrupt("worker killed before marking the message seen")

    monkeypatch.setattr("mailroom.imap._mark_seen", killed)
    with pytest.raises(KeyboardInterrupt):
        imap_poll(vendor=vendors["alectrona"], url=imap.url)
    assert InboundMessage.objects.count() == 1 and imap.unseen() == 1
    monkeypatch.undo()
    # The mailbox's last UID committed with the message: still unseen, it is not fetched again.
    assert imap_poll(vendor=vendors["alectrona"], url=imap.url) == []
    assert Ticket.objects.count() == 1 and InboundMessage.objects.get().times_seen == 1


@pytest.mark.django_db
def test_a_poll_killed_before_its_commit_takes_the_message_on_the_next_poll(
    imap, customer, vendors, monkeypatch
):
    imap.append(corpus("new_gmail_plain.eml"))

    def killed(**kwargs):
        raise KeyboardInterrupt("worker killed before the transaction committed")

    monkeypatch.setattr("mailroom.imap._cursor_advance", killed)
    with pytest.raises(KeyboardInterrupt):
        imap_poll(vendor=vendors["alectrona"], url=imap.url)
    assert InboundMessage.objects.count() == 0 and Ticket.objects.count() == 0  # rolled back whole
    monkeypatch.undo()
    [message] = imap_poll(vendor=vendors["alectrona"], url=imap.url)
    assert message.outcome == Outcome.OPENED and Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_transient_database_error_leaves_the_message_and_those_after_it_for_the_next_poll(
    imap, customer, vendors, monkeypatch
):
    imap.append(corpus("new_gmail_plain.eml"), corpus("new_koi8r.eml"))
    real, calls = ingest.ticket_open, []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(ingest, "ticket_open", flaky)
    # The cursor stays before the message, so the poll stops there (a later UID taken in would
    # move it past); nothing is stored or marked \Seen.
    assert imap_poll(vendor=vendors["alectrona"], url=imap.url) == []
    assert InboundMessage.objects.count() == 0 and Ticket.objects.count() == 0 and len(calls) == 1
    assert imap.unseen() == 2 and ImapCursor.objects.get().last_uid == imap.last_uid() - 2
    messages = imap_poll(vendor=vendors["alectrona"], url=imap.url)
    assert [m.outcome for m in messages] == [Outcome.OPENED, Outcome.OPENED] and len(calls) == 3
    assert imap.unseen() == 0 and ImapCursor.objects.get().last_uid == imap.last_uid()
    assert Ticket.objects.count() == 2 and imap_poll(vendor=vendors["alectrona"], url=imap.url) == []


@pytest.mark.django_db
def test_a_message_the_database_always_fails_on_is_quarantined_and_the_mailbox_moves_on(
    imap, customer, vendors, settings
):
    """Past MAIL_TRANSIENT_TRIES failures on the same message it is quarantined and the cursor passes
    it, so the customer emails behind it are taken in; delivered again, it is a duplicate."""
    settings.MAIL_TRANSIENT_TRIES = 2
    alectrona = vendors["alectrona"]
    imap.append(corpus("new_gmail_plain.eml"), corpus("new_koi8r.eml"))
    fails, failures = case_insert_fails("Nightly export stops at 80%")
    with connection.execute_wrapper(fails):
        for _poll in range(2):
            assert imap_poll(vendor=alectrona, url=imap.url) == []
            assert ImapCursor.objects.get().last_uid == imap.last_uid() - 2 and imap.unseen() == 2
        messages = imap_poll(vendor=alectrona, url=imap.url)
        assert [m.outcome for m in messages] == [Outcome.QUARANTINED, Outcome.OPENED]
        assert messages[0].reason.startswith("Could not be taken in after 3 tries")
        assert ImapCursor.objects.get().last_uid == imap.last_uid() and imap.unseen() == 0
        assert imap_poll(vendor=alectrona, url=imap.url) == []
        imap.append(corpus("new_gmail_plain.eml"))  # the same message in the folder again
        assert [m.outcome for m in imap_poll(vendor=alectrona, url=imap.url)] == [Outcome.DUPLICATE]
    assert len(failures) == 3 and Ticket.objects.count() == 1 and InboundMessage.objects.count() == 2


@pytest.mark.django_db
def test_another_client_changing_flags_neither_repeats_nor_hides_mail(imap, customer, vendors):
    alectrona = vendors["alectrona"]
    imap.append(corpus("new_gmail_plain.eml"))
    assert [m.outcome for m in imap_poll(vendor=alectrona, url=imap.url)] == [Outcome.OPENED]
    imap.flag_all("-FLAGS.SILENT")  # someone marks everything unread again
    assert imap_poll(vendor=alectrona, url=imap.url) == []
    imap.append(corpus("new_koi8r.eml"))
    imap.flag_all("+FLAGS.SILENT")  # someone reads the new message before the poll
    assert [m.outcome for m in imap_poll(vendor=alectrona, url=imap.url)] == [Outcome.OPENED]
    assert InboundMessage.objects.filter(times_seen=1).count() == 2 and Ticket.objects.count() == 2
    cursor = ImapCursor.objects.get()
    assert (cursor.vendor, cursor.uidvalidity) == (alectrona, imap.uidvalidity())
    assert cursor.mailbox == f"desk@127.0.0.1:{imap.port}/INBOX" and cursor.last_uid == imap.last_uid()


@pytest.mark.django_db
def test_a_mailbox_seen_for_the_first_time_starts_at_its_first_unseen_message(imap, customer, vendors):
    """Mail already read before the desk was pointed at the mailbox is its history, not new cases."""
    imap.append(corpus("new_gmail_plain.eml"), corpus("new_koi8r.eml"))
    imap.flag_all("+FLAGS.SILENT")
    imap.append(corpus("new_latin1.eml"))
    [message] = imap_poll(vendor=vendors["alectrona"], url=imap.url)
    assert (
        message.subject == "Problème d'accès à l'API" and ImapCursor.objects.get().last_uid == imap.last_uid()
    )


@pytest.mark.django_db
def test_a_new_uidvalidity_rescans_the_folder_and_takes_only_what_is_new(imap, customer, vendors):
    alectrona = vendors["alectrona"]
    imap.recreate("Support")
    url = imap.folder_url("Support")
    imap.append_to("Support", corpus("new_gmail_plain.eml"), corpus("new_no_message_id.eml"))
    assert [m.outcome for m in imap_poll(vendor=alectrona, url=url)] == [Outcome.OPENED, Outcome.OPENED]
    before = imap.uidvalidity("Support")
    # The server renumbers the folder (restored from a backup, rebuilt): every UID is new.
    imap.recreate("Support")
    assert imap.uidvalidity("Support") != before
    imap.append_to(
        "Support", corpus("new_gmail_plain.eml"), corpus("new_no_message_id.eml"), corpus("new_koi8r.eml")
    )
    imap.flag_all_in("Support", "+FLAGS.SILENT")  # flags are no guide after a renumbering either
    again = imap_poll(vendor=alectrona, url=url)
    assert [m.outcome for m in again] == [Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.OPENED]
    assert Ticket.objects.count() == 3
    assert ImapCursor.objects.get(mailbox__endswith="/Support").uidvalidity == imap.uidvalidity("Support")
    assert imap_poll(vendor=alectrona, url=url) == []


@pytest.mark.django_db
def test_an_oversized_message_is_fetched_only_as_far_as_its_header(imap, customer, vendors, settings):
    settings.MAIL_MAX_BYTES = 5_000
    imap.append(corpus("new_gmail_plain.eml") + b"x" * 20_000)
    [message] = imap_poll(vendor=vendors["alectrona"], url=imap.url)
    assert message.outcome == Outcome.REFUSED and message.size > 20_000
    assert message.raw.size < 5_000


@pytest.mark.django_db
def test_the_beat_task_polls_each_configured_mailbox(
    imap, customer, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_IMAP_URLS = {"secpod": imap.url}
    imap.append(corpus("new_windows1251.eml"))
    with django_capture_on_commit_callbacks(execute=True):
        assert imap_poll_task() == {"opened": 1}
    assert Ticket.objects.get().vendor.slug == "secpod"


@pytest.mark.django_db
def test_imaps_and_starttls_take_mail_from_a_server_they_can_verify(dovecot, customer, vendors, monkeypatch):
    """A real mailbox is reached over TLS (imaps://) or STARTTLS (imap://), and only when the
    server's certificate checks out: one the client does not trust is refused before log-in."""
    alectrona = vendors["alectrona"]
    with dovecot_server.running_dovecot(tls=True) as server:
        where = "desk:desk-secret@127.0.0.1"
        server.append(corpus("new_gmail_plain.eml"))
        with pytest.raises(ssl.SSLCertVerificationError):
            imap_poll(vendor=alectrona, url=f"imaps://{where}:{server.tls_port}/INBOX")
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))  # as if signed by a trusted CA
        [tls] = imap_poll(vendor=alectrona, url=f"imaps://{where}:{server.tls_port}/INBOX")
        server.append(corpus("new_koi8r.eml"))
        [starttls] = imap_poll(vendor=alectrona, url=f"imap://{where}:{server.port}/INBOX")
    assert (tls.outcome, starttls.outcome) == (Outcome.OPENED, Outcome.OPENED)
    assert Ticket.objects.count() == 2


@pytest.mark.django_db
def test_a_database_error_in_one_mailbox_does_not_keep_the_others_from_being_polled(
    vendors, settings, monkeypatch
):
    """A lock or statement timeout while one vendor's mailbox is polled (its cursor, its heartbeat)
    is logged like an unreachable server: the other mailboxes are still polled that minute."""
    settings.MAIL_IMAP_URLS = {
        "alectrona": "imap://u:p@a.example.test",
        "secpod": "imap://u:p@s.example.test",
    }
    polled = []

    def poll(*, vendor, url):
        polled.append(vendor.slug)
        if vendor.slug == "alectrona":
            raise OperationalError("canceling statement due to lock timeout")
        return []

    monkeypatch.setattr("mailroom.imap.imap_poll", poll)
    assert imap_poll_task() == {}
    assert polled == ["alectrona", "secpod"]
