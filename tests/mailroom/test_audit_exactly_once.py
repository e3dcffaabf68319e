"""An audit of the email channel's promises (SPEC §6, §7) at the edges the other files leave: every
message in and out handled exactly once, whatever the bytes of a second fetch; never a reply
added or an email sent for automatic mail, on the reply path too; another organization's case
never reached through its threading or its number; at most MAIL_ANSWERS_PER_HOUR emails back to
one address; and a message that fails half-way leaves nothing of its decision behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import default_storage

from mailroom.models import InboundMessage, Outcome
from portal.models import Notice, NoticeKind
from portal.outbox import message_bytes, thread_id
from tests.mailroom.conftest import NOW, case_placeholders, corpus
from tickets.models import Attachment, Reply, Status, Ticket
from tickets.services import ticket_open, ticket_wait_on_customer

pytestmark = pytest.mark.django_db


def to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def with_header(raw: bytes, header: bytes) -> bytes:
    return raw.replace(b"MIME-Version: 1.0", header + b"\r\nMIME-Version: 1.0", 1)


def without_header(raw: bytes, name: bytes) -> bytes:
    lines = raw.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.lower().startswith(name.lower() + b":"))


@pytest.fixture
def globex_case(outsider, vendors, django_capture_on_commit_callbacks):
    """Another organization's Alectrona case, with its acknowledgement sent, opened after `case`."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_open(
            organization=outsider.membership.organization,
            requester=outsider,
            vendor=vendors["alectrona"],
            priority="high",
            subject="Globex payroll export leaks salaries",
            body="Confidential to Globex.",
            at=NOW - timedelta(minutes=30),  # newer than `case`: first in -opened_at order
        )
    mail.outbox.clear()
    return ticket


# ---------------------------------------------------------------- fetched twice


def test_a_second_fetch_with_other_bytes_but_the_same_message_id_changes_nothing(customer, deliver):
    """IMAP gives CRLF, a Maildir file LF; a relay adds a trace header: still the one message."""
    raw = corpus("new_gmail_plain.eml")
    first = deliver(raw)
    again = raw.replace(b"\r\n", b"\n")
    again = b"Received: from relay.example.test by mx.portal.test; Mon, 23 Nov 2026 16:01:00 +0000\n" + again
    second = deliver(again, received_at=NOW + timedelta(minutes=5))
    assert (first.outcome, second.outcome) == (Outcome.OPENED, Outcome.DUPLICATE)
    assert second.ticket_id == first.ticket_id and second.original == first
    assert Ticket.objects.count() == 1 and InboundMessage.objects.get().times_seen == 2
    assert len(to(customer.email)) == 1


def test_a_reply_without_message_id_fetched_twice_is_one_reply(case, customer, answer, deliver):
    raw = without_header(answer("reply_gmail.eml"), b"Message-ID")
    assert b"Message-ID" not in raw
    first, second = deliver(raw), deliver(raw)
    assert (first.outcome, second.outcome) == (Outcome.REPLIED, Outcome.DUPLICATE)
    assert first.message_id.startswith("sha256:") and second.reply_id == first.reply_id
    assert Reply.objects.filter(ticket=case).count() == 1
    assert len([m for m in mail.outbox if customer.email not in m.to]) == 1  # the desk heard once


def test_an_oversized_message_without_message_id_fetched_twice_is_answered_once(customer, deliver, settings):
    settings.MAIL_MAX_BYTES = 10_000
    raw = corpus("new_no_message_id.eml") + b"x" * 50_000
    first, second = deliver(raw, size=len(raw)), deliver(raw, size=len(raw))
    assert (first.outcome, second.outcome) == (Outcome.REFUSED, Outcome.DUPLICATE)
    assert len(to(customer.email)) == 1 and InboundMessage.objects.count() == 1


# ---------------------------------------------------------------- never a loop, on the reply path too


LOOP_SIGNALS = [
    b"Auto-Submitted: auto-replied",
    b"Auto-Submitted: auto-generated",
    b"Auto-Submitted: auto-notified",
    b"Precedence: bulk",
    b"Precedence: junk",
    b"Precedence: list",
    b"Precedence: auto_reply",
    b"X-Autoreply: yes",
    b"X-Autorespond: vacation",
    b"X-Auto-Reply: true",
    b"List-Id: <ops.example.test>",
    b"List-Unsubscribe: <mailto:leave@lists.example.test>",
    b"List-Post: <mailto:ops@lists.example.test>",
]


@pytest.mark.parametrize("header", LOOP_SIGNALS, ids=lambda h: h.decode())
def test_automatic_mail_to_a_cases_reply_address_adds_no_reply_and_sends_nothing(
    header, case, agent, answer, deliver
):
    """An out-of-office to the Reply-To of a notice answers it (token and In-Reply-To both right):
    added, it would resume a waiting case and tell the desk; answered, it would loop."""
    ticket_wait_on_customer(ticket=case, by=agent, at=NOW - timedelta(minutes=30))
    mail.outbox.clear()
    message = deliver(with_header(answer("reply_gmail.eml"), header))
    assert message.outcome == Outcome.IGNORED, message.reason
    assert Reply.objects.filter(ticket=case).count() == 0 and mail.outbox == []
    case.refresh_from_db()
    assert case.status == Status.WAITING_ON_CUSTOMER
    assert message.answered_at is None


@pytest.mark.parametrize(
    "sender",
    [
        b"MAILER-DAEMON@mx.example.test (Mail Delivery System)",
        b"Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
        b"postmaster@example.test",
    ],
)
def test_a_plain_text_bounce_from_a_mail_robot_is_never_answered(customer, deliver, sender):
    # Not multipart/report, with a return path: only the robot's address says what it is.
    raw = corpus("new_gmail_plain.eml").replace(b"From: Alice Smith <alice@example.test>", b"From: " + sender)
    message = deliver(raw)
    assert (message.outcome, Ticket.objects.count(), mail.outbox) == (Outcome.IGNORED, 0, [])


def test_a_bounce_of_a_notice_to_the_reply_address_adds_nothing(case, answer, deliver):
    raw = answer("reply_gmail.eml").replace(b"Return-Path: <alice@example.test>", b"Return-Path: <>")
    message = deliver(raw)
    assert message.outcome == Outcome.IGNORED and Reply.objects.count() == 0 and mail.outbox == []


def test_the_desks_own_notice_coming_back_byte_for_byte_is_ignored(case, customer, deliver):
    """The acknowledgement as it left (portal.outbox.message_bytes), delivered to the mailbox: by a
    forwarding rule, or an alias pointing back at the desk."""
    notice = Notice.objects.get(kind=NoticeKind.TICKET_RECEIVED, reference=case.number)
    message = deliver(message_bytes(notice))
    assert message.outcome == Outcome.IGNORED, message.reason
    assert (Reply.objects.count(), Ticket.objects.count(), mail.outbox) == (0, 1, [])


def test_the_desks_notice_forwarded_back_without_its_auto_submitted_is_still_ours(case, customer, deliver):
    """A customer's server forwards the notice with their From and strips Auto-Submitted: its
    Message-ID is still one the desk sent."""
    notice = Notice.objects.get(kind=NoticeKind.TICKET_RECEIVED, reference=case.number)
    raw = without_header(message_bytes(notice), b"Auto-Submitted")
    raw = raw.replace(b"From: Alectrona Support <alectrona@support.portal.test>", b"From: alice@example.test")
    assert b"Auto-Submitted" not in raw and b"From: alice@example.test" in raw
    message = deliver(raw)
    assert message.outcome == Outcome.IGNORED, message.reason
    assert (Reply.objects.count(), Ticket.objects.count(), mail.outbox) == (0, 1, [])


def test_the_desks_answer_to_a_sender_coming_back_is_ignored(customer, deliver):
    """The mailroom's own answers (a refusal, Auto-Submitted: auto-replied) never start a second round."""
    deliver(corpus("infotecs_no_product.eml"), vendor="infotecs")
    refusal = Notice.objects.get(kind=NoticeKind.MAIL_REFUSED)
    mail.outbox.clear()
    message = deliver(message_bytes(refusal), vendor="infotecs", received_at=NOW + timedelta(minutes=1))
    assert message.outcome == Outcome.IGNORED and mail.outbox == []


def test_a_burst_of_auto_replies_opens_nothing_and_sends_nothing(customer, deliver):
    for n in range(25):
        raw = with_header(
            corpus("new_gmail_plain.eml").replace(b"<CAF3kq9x", f"<ooo{n}".encode()),
            LOOP_SIGNALS[n % len(LOOP_SIGNALS)],
        )
        deliver(raw, received_at=NOW + timedelta(minutes=n))
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {Outcome.IGNORED}
    assert InboundMessage.objects.count() == 25
    assert (Ticket.objects.count(), Notice.objects.count(), mail.outbox) == (0, 0, [])


def test_a_robot_that_strips_every_loop_header_gets_at_most_the_hourly_answers(customer, deliver, settings):
    """MAIL_ANSWERS_PER_HOUR counts the emails that go back to an address (README), whatever each
    message earns: a case opened with files refused earns two, its acknowledgement and the list
    of refused files."""
    settings.MAIL_ANSWERS_PER_HOUR = 3
    for n in range(5):
        raw = corpus("new_attachments.eml").replace(b"<A1B2C3D4", f"<robot{n}".encode())
        deliver(raw, received_at=NOW + timedelta(minutes=n))
    assert Ticket.objects.count() == 5  # each is a case: only the answers are bounded
    assert len(to(customer.email)) == 3, [m.subject for m in to(customer.email)]
    # An hour after the last answer the address is answered again, within the same bound.
    later = deliver(corpus("new_gmail_plain.eml"), received_at=NOW + timedelta(hours=2))
    assert later.answered_at is not None and len(to(customer.email)) == 4


def test_the_last_answer_left_goes_to_the_acknowledgement(customer, deliver, settings):
    settings.MAIL_ANSWERS_PER_HOUR = 1
    message = deliver(corpus("new_attachments.eml"))
    [ack] = to(customer.email)
    assert message.ticket.number in ack.subject and "could not" not in ack.subject
    assert "MAIL_ANSWERS_PER_HOUR" in message.reason and "fixtool.exe" in message.reason


# ---------------------------------------------------------------- another organization's case


def test_a_reply_threaded_to_another_organizations_notice_opens_the_senders_own_case(
    globex_case, customer, deliver
):
    """Alice answers (by a forward, a copy) a notice of Globex's case: nothing is added to it, the
    case opened is Acme's, and no email to Alice carries anything of Globex's case."""
    notice = Notice.objects.get(kind=NoticeKind.TICKET_RECEIVED, reference=globex_case.number)
    raw = corpus(
        "reply_gmail.eml",
        REPLY_TO="alectrona@support.portal.test",
        IN_REPLY_TO=notice.message_id,
        THREAD=thread_id(globex_case.number),
        CASE=globex_case.number,
    )
    message = deliver(raw)
    assert message.outcome == Outcome.OPENED and message.ticket != globex_case
    assert message.ticket.organization == customer.membership.organization
    assert Reply.objects.filter(ticket=globex_case).count() == 0
    for email in to(customer.email):
        text = email.body + email.alternatives[0].content + str(email.message())
        assert "payroll" not in text and "Confidential" not in text
        assert thread_id(globex_case.number) not in text


def test_a_reply_to_ones_own_case_threaded_to_another_organizations_notice_adds_nothing(
    case, globex_case, customer, answer, deliver
):
    globex_notice = Notice.objects.get(kind=NoticeKind.TICKET_RECEIVED, reference=globex_case.number)
    raw = answer("reply_gmail.eml", IN_REPLY_TO=globex_notice.message_id, THREAD=globex_notice.message_id)
    message = deliver(raw)
    assert message.outcome == Outcome.REFUSED and message.ticket == case
    assert Reply.objects.count() == 0
    [email] = to(customer.email)
    assert globex_case.number not in str(email.message()) and "payroll" not in email.body


def test_another_organizations_case_number_in_the_subject_reaches_nothing(globex_case, customer, deliver):
    raw = corpus("new_gmail_plain.eml").replace(
        b"Subject: Nightly export stops at 80%",
        f"Subject: Re: [{globex_case.number}] Nightly export stops at 80%".encode(),
    )
    message = deliver(raw)
    assert message.outcome == Outcome.OPENED and message.ticket != globex_case
    assert message.ticket.organization == customer.membership.organization
    assert Reply.objects.filter(ticket=globex_case).count() == 0
    assert to("charlie@example.test") == []


def test_a_case_number_of_another_vendor_in_the_subject_opens_a_case_with_this_one(case, customer, deliver):
    raw = corpus("new_windows1251.eml").replace(b"Subject: ", f"Subject: [{case.number}] ".encode(), 1)
    message = deliver(raw, vendor="secpod")
    assert message.outcome == Outcome.OPENED and message.ticket.vendor.slug == "secpod"
    assert Reply.objects.filter(ticket=case).count() == 0


def test_threaded_to_both_another_organizations_notice_and_ones_own_the_own_case_is_named(
    case, globex_case, customer, deliver
):
    """Without the reply address, a message answering one's own case is refused with how to
    reply; a reference to another organization's notice beside it must not turn it into a second
    case of the same question."""
    own = case_placeholders(case)["NOTICE_ID"]
    theirs = Notice.objects.get(kind=NoticeKind.TICKET_RECEIVED, reference=globex_case.number).message_id
    raw = corpus(
        "reply_gmail.eml", REPLY_TO="alectrona@support.portal.test", IN_REPLY_TO=own, THREAD=theirs, CASE=""
    )
    message = deliver(raw)
    assert (message.outcome, message.ticket) == (Outcome.REFUSED, case), message.reason
    assert Ticket.objects.count() == 2 and Reply.objects.count() == 0


# ---------------------------------------------------------------- strangers


def test_a_stranger_holding_a_cases_reply_address_and_thread_adds_nothing_and_hears_nothing(
    case, answer, deliver
):
    raw = answer("reply_gmail.eml").replace(b"alice@example.test", b"alice.private@home.example")
    message = deliver(raw)
    assert (message.outcome, message.ticket, message.sender) == (Outcome.QUARANTINED, case, None)
    assert "alice.private@home.example" in message.reason
    assert (Reply.objects.count(), mail.outbox) == (0, [])


def test_a_deactivated_persons_address_is_a_stranger(customer, deliver):
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    message = deliver(corpus("new_gmail_plain.eml"))
    assert (message.outcome, Ticket.objects.count(), mail.outbox) == (Outcome.QUARANTINED, 0, [])


# ---------------------------------------------------------------- nothing half-saved


def test_a_failure_after_part_of_a_case_was_written_leaves_only_the_message_and_its_reason(
    customer, deliver, monkeypatch
):
    from tickets.services import attachment_add

    calls = []

    def second_fails(**kwargs):
        calls.append(kwargs["upload"].name)
        if len(calls) == 2:
            raise OSError("storage unavailable")
        return attachment_add(**kwargs)

    monkeypatch.setattr("mailroom.services.ingest.attachment_add", second_fails)
    raw = corpus("new_attachments.eml")
    message = deliver(raw)
    assert len(calls) == 2
    assert message.outcome == Outcome.QUARANTINED and "storage unavailable" in message.reason
    assert (Ticket.objects.count(), Attachment.objects.count(), Notice.objects.count()) == (0, 0, 0)
    assert mail.outbox == [] and message.answered_at is None and message.ticket is None
    stored = InboundMessage.objects.get()
    assert stored.outcome == Outcome.QUARANTINED and default_storage.open(stored.raw.name).read() == raw
    # Fetched again, it stays the one message waiting for staff.
    monkeypatch.undo()
    assert deliver(raw).outcome == Outcome.DUPLICATE and Ticket.objects.count() == 0
