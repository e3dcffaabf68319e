"""The ingestion service, message by message: what a new message opens, what a reply adds, what
goes back to the sender and what never does (SPEC §7)."""

from __future__ import annotations

import io
from datetime import timedelta
from email.header import Header

import pytest
from django.conf import settings
from django.core import mail

from mailroom.models import InboundMessage, Outcome
from portal.outbox import thread_id
from tests.mailroom.conftest import NOW, corpus
from tickets.models import Attachment, Reply, Status, Ticket, TicketChannel
from tickets.services import ticket_close, ticket_resolve, ticket_wait_on_customer

pytestmark = pytest.mark.django_db


def to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


# ---------------------------------------------------------------- new cases


def test_a_members_message_opens_a_case_at_the_time_the_desk_received_it(customer, deliver):
    message = deliver(corpus("new_gmail_plain.eml"))
    case = message.ticket
    assert (message.outcome, message.sender, message.from_address) == (
        Outcome.OPENED,
        customer,
        customer.email,
    )
    assert case.organization == customer.membership.organization and case.requester == customer
    assert case.channel == TicketChannel.EMAIL
    # Received at 16:00 UTC; the sender's Date header says 15:02 UTC: the desk's clock wins.
    assert case.opened_at == NOW
    assert case.priority.code == "medium"  # Alectrona's default for email until triage
    assert case.subject == "Nightly export stops at 80%"
    assert 'the nightly export stops at 80% with "pool exhausted"' in case.body
    assert "<li>open Reports</li>" in case.body_html


def test_the_acknowledgement_answers_in_the_senders_thread_with_number_and_deadline(customer, deliver):
    case = deliver(corpus("new_gmail_plain.eml")).ticket
    [ack] = to(customer)
    mime = ack.message()
    assert case.number in mime["Subject"]
    assert mime["In-Reply-To"] == "<CAF3kq9xZg1mN0p+Q8wQ5u_Tq3v@mail.gmail.com>"
    assert mime["References"].split() == [
        "<CAF3kq9xZg1mN0p+Q8wQ5u_Tq3v@mail.gmail.com>",
        thread_id(case.number),
    ]
    assert mime["From"] == "Alectrona Support <alectrona@support.portal.test>"
    # Medium: first response 4 business hours from Monday 11:00 New York, in Alice's zone (Chicago).
    assert "First response: by Mon 23 Nov 2026, 14:00 CST" in ack.body
    assert InboundMessage.objects.get().answered_at is not None


def test_html_only_mail_becomes_safe_text(customer, deliver):
    case = deliver(corpus("new_outlook_html_only.eml")).ticket
    assert "the login page shows “Error 500” since this morning. All users are affected." in case.body
    assert "our status page (https://status.example.test/incident/42)" in case.body
    assert "alert" not in case.body and "MsoNormal" not in case.body
    # A tag typed as text stays text: shown, never markup.
    assert "<config> is unchanged." in case.body
    assert "&lt;config&gt; is unchanged." in case.body_html and "<config>" not in case.body_html


@pytest.mark.parametrize(
    ("name", "vendor", "subject", "text"),
    [
        ("new_utf8_base64.eml", "alectrona", "Größe der Exportdatei – falsch 📦", "alles in Ordnung. ✓"),
        (
            "new_windows1251.eml",
            "secpod",
            "Сканер не запускается",
            "сканер не запускается: «Ошибка лицензии»",
        ),
        ("new_koi8r.eml", "albert", "Отчёт не открывается", "Отчёт о доступности за ноябрь не открывается."),
        (
            "new_latin1.eml",
            "alectrona",
            "Problème d'accès à l'API",
            "renvoie « 403 » depuis lundi. Grüße aus Köln.",
        ),
    ],
)
def test_charsets_and_encodings_are_read_as_written(customer, deliver, name, vendor, subject, text):
    message = deliver(corpus(name), vendor=vendor)
    assert message.outcome == Outcome.OPENED, message.reason
    assert message.ticket.subject == subject and message.subject == subject
    assert text in message.ticket.body


def test_a_forwarded_message_is_part_of_the_case(customer, deliver):
    case = deliver(corpus("new_forwarded.eml")).ticket
    assert "Our scheduler sent this overnight" in case.body
    assert "From: Scheduler <scheduler@example.test>" in case.body
    assert "Job 7781 (monthly export) failed at step 4" in case.body


def test_a_forwarded_message_is_introduced_in_the_senders_language(customer, deliver):
    # issue 22: the separator and the header names the case shows are the sender's words.
    organization = customer.membership.organization
    organization.language = "ru"
    organization.save(update_fields=["language"])
    case = deliver(corpus("new_forwarded.eml")).ticket
    assert "Пересланное сообщение" in case.body and "От: Scheduler <scheduler@example.test>" in case.body
    assert "Forwarded message" not in case.body and "From:" not in case.body


def test_a_garbage_date_is_no_obstacle(customer, deliver):
    message = deliver(corpus("new_garbage_date.eml"))
    assert message.outcome == Outcome.OPENED and message.sent_at is None
    assert message.ticket.opened_at == NOW


def test_good_attachments_are_kept_and_refused_ones_listed_back(customer, deliver):
    message = deliver(corpus("new_attachments.eml"))
    case = message.ticket
    assert sorted(Attachment.objects.filter(ticket=case).values_list("filename", flat=True)) == [
        "crash-report.pdf",
        "screenshot.png",
    ]
    assert "fixtool.exe" in message.reason and "notes.pdf" in message.reason
    [ack, refused] = sorted(to(customer), key=lambda m: "could not" in m.subject)
    assert case.number in refused.subject
    for text in (refused.body, refused.alternatives[0].content):
        assert "fixtool.exe: only PDF, PNG, JPEG, GIF, ZIP" in text
        assert "notes.pdf: only PDF, PNG, JPEG, GIF, ZIP" in text  # not a PDF inside
        assert "crash-report.pdf" not in text
    assert refused.message()["In-Reply-To"] == "<A1B2C3D4-1111-2222-3333-444455556666@example.test>"


def test_an_inline_image_is_attached(customer, deliver):
    case = deliver(corpus("new_inline_image.eml")).ticket
    assert list(case.attachments.values_list("filename", "content_type")) == [("chart.png", "image/png")]


def test_a_refused_case_is_answered_in_the_portals_words(customer, deliver):
    message = deliver(corpus("infotecs_no_product.eml"), vendor="infotecs")
    assert message.outcome == Outcome.REFUSED and message.ticket is None
    assert "Choose the Infotecs product the case is about." in message.reason
    [answer] = to(customer)
    mime = answer.message()
    assert mime["Auto-Submitted"] == "auto-replied"
    assert mime["In-Reply-To"] == "<infotecs-1@example.test>"
    assert mime["From"] == "Infotecs Support <infotecs@support.portal.test>"
    for text in (answer.body, answer.alternatives[0].content):
        assert "Choose the Infotecs product the case is about." in text
        assert "http://127.0.0.1:8000/tickets/new/?vendor=infotecs" in text
    assert Ticket.objects.count() == 0


def test_a_case_that_would_be_charged_is_not_opened_by_email(customer, deliver, monkeypatch):
    """No surprise charges (SPEC §4): the charge is accepted in the portal, never by an email."""
    from lifecycle.entitlements import entitlement_check

    def billable_check(**kwargs):
        result = entitlement_check(**kwargs)
        result.charge("Cases beyond the quota are charged.")
        return result

    monkeypatch.setattr("tickets.services.tickets.entitlement_check", billable_check)
    message = deliver(corpus("new_gmail_plain.eml"))
    assert message.outcome == Outcome.REFUSED and Ticket.objects.count() == 0
    [answer] = to(customer)
    assert "This case will be charged: Cases beyond the quota are charged." in answer.body


# ---------------------------------------------------------------- replies


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("reply_outlook.eml", "It still fails with 4.3, same message."),
        ("reply_gmail.eml", "Thanks, 4.3 fixed the export."),
        ("reply_apple.eml", "Here is the log from this morning."),
        ("reply_thunderbird.eml", "The trace shows the pool size is 10; should it be larger?"),
    ],
)
def test_a_reply_adds_what_the_customer_wrote_without_quotes_or_signature(
    name, body, case, customer, answer, deliver
):
    message = deliver(answer(name))
    reply = message.reply
    assert (message.outcome, message.ticket, reply.ticket) == (Outcome.REPLIED, case, case)
    assert reply.author == customer and not reply.by_staff and not reply.internal
    assert reply.body == body
    assert reply.created_at == NOW
    # The desk hears of it, the customer gets nothing back.
    assert to(customer) == [] and [m.to for m in mail.outbox] == [[settings.SUPPORT_DESK_EMAIL]]


@pytest.mark.parametrize("prefix", ["Re: ", "RE: ", "Отв: ", "Ответ: ", "Re[2]: ", ""])
def test_a_reply_is_threaded_whatever_its_subject_prefix(prefix, case, answer, deliver):
    # issue 22: the desk writes "Re:" in every language (Russian clients do too) and some Russian
    # clients answer "Отв:"; a reply is matched by its reply address and In-Reply-To/References,
    # never by its subject, so any prefix (or none) threads alike.
    subject = f"{prefix}[{case.number}] Reply from the desk: Export fails"
    encoded = Header(subject, "utf-8").encode()
    raw = answer("reply_gmail.eml").replace(
        f"Subject: Re: [{case.number}] Reply from the desk: Export fails".encode(),
        f"Subject: {encoded}".encode(),
    )
    message = deliver(raw)
    assert (message.outcome, message.ticket, message.subject) == (Outcome.REPLIED, case, subject)


def test_a_replys_attachment_joins_the_reply(case, customer, answer, deliver):
    reply = deliver(answer("reply_apple.eml")).reply
    [attachment] = reply.attachments.all()
    assert (attachment.filename, attachment.ticket, attachment.uploaded_by) == ("export.log", case, customer)


def test_staff_replying_to_a_staff_notice_add_a_staff_public_reply(case, agent, customer, answer, deliver):
    from tests.mailroom.conftest import case_placeholders

    staff_notice = case_placeholders(case, kind="new_case")["IN_REPLY_TO"]
    message = deliver(answer("reply_staff.eml", IN_REPLY_TO=staff_notice))
    reply = message.reply
    assert reply.author == agent and reply.by_staff and not reply.internal
    assert reply.body == "Please try version 4.3, it fixes the pool size."
    case.refresh_from_db()
    assert case.first_responded_at == NOW and case.status == Status.OPEN
    [email] = to(customer)
    assert "Please try version 4.3" in email.body


def test_a_reply_to_a_case_waiting_on_the_customer_resumes_it(case, agent, answer, deliver):
    ticket_wait_on_customer(ticket=case, by=agent, at=NOW - timedelta(minutes=30))
    deliver(answer("reply_gmail.eml"))
    case.refresh_from_db()
    assert case.status == Status.OPEN


def test_a_reply_to_a_resolved_case_reopens_it(case, agent, answer, deliver):
    ticket_resolve(
        ticket=case, by=agent, resolution_code="workaround", message="Use 4.3", at=NOW - timedelta(minutes=5)
    )
    deliver(answer("reply_gmail.eml"))
    case.refresh_from_db()
    assert case.status == Status.OPEN


def test_a_reply_to_a_closed_case_is_refused_with_how_to_go_on(case, customer, agent, answer, deliver):
    ticket_close(ticket=case, by=customer, at=NOW - timedelta(minutes=5))
    message = deliver(answer("reply_gmail.eml"))
    assert message.outcome == Outcome.REFUSED and Reply.objects.count() == 0
    [email] = to(customer)
    assert "This case is closed; reopen it to reply." in email.body
    assert f"http://127.0.0.1:8000/tickets/{case.number}/" in email.body


def test_a_colleague_may_reply_to_the_organizations_case(case, colleague, answer, deliver):
    raw = answer("reply_gmail.eml").replace(b"alice@example.test", b"bob@example.test")
    message = deliver(raw)
    assert message.outcome == Outcome.REPLIED and message.reply.author == colleague


def test_an_outsider_with_the_cases_reply_address_adds_nothing_and_hears_nothing(
    case, outsider, answer, deliver
):
    message = deliver(answer("reply_outsider.eml"))
    assert message.outcome == Outcome.QUARANTINED and message.reply is None
    assert "Globex" in message.reason
    assert Reply.objects.count() == 0 and mail.outbox == []


def test_the_case_number_in_the_subject_is_no_proof(case, customer, deliver):
    # Threaded to the case and its number in the subject, but sent to the vendor's plain address.
    raw = corpus(
        "reply_gmail.eml",
        REPLY_TO="alectrona@support.portal.test",
        IN_REPLY_TO=thread_id(case.number),
        THREAD=thread_id(case.number),
        CASE=case.number,
    )
    message = deliver(raw)
    assert message.outcome == Outcome.REFUSED and Reply.objects.count() == 0
    [email] = to(customer)
    assert "reply address" in email.body


def test_a_reply_address_that_answers_no_email_of_the_desk_is_refused(case, customer, answer, deliver):
    message = deliver(answer("reply_no_references.eml"))
    assert message.outcome == Outcome.REFUSED and Reply.objects.count() == 0
    [email] = to(customer)
    assert f"http://127.0.0.1:8000/tickets/{case.number}/" in email.body


def test_a_reply_address_of_another_vendors_case_is_quarantined(case, customer, answer, deliver):
    message = deliver(answer("reply_gmail.eml"), vendor="secpod")
    assert message.outcome == Outcome.QUARANTINED and Reply.objects.count() == 0


# ---------------------------------------------------------------- loops, strangers, abuse


def test_an_unknown_sender_opens_nothing_and_hears_nothing(deliver):
    message = deliver(corpus("unknown_sender.eml"))
    assert message.outcome == Outcome.QUARANTINED and message.sender is None
    assert "someone@unknown.example" in message.reason
    assert Ticket.objects.count() == 0 and mail.outbox == []


def test_a_dmarc_failure_is_quarantined_even_from_a_known_address(customer, deliver):
    message = deliver(corpus("dmarc_fail.eml"))
    assert message.outcome == Outcome.QUARANTINED and "DMARC" in message.reason
    assert Ticket.objects.count() == 0 and mail.outbox == []


def test_staff_writing_to_the_vendor_address_wait_in_the_quarantine_for_an_organization(agent, deliver):
    raw = corpus("new_gmail_plain.eml").replace(b"alice@example.test", b"agent@example.test")
    message = deliver(raw)
    assert message.outcome == Outcome.QUARANTINED and message.sender == agent
    assert mail.outbox == []


def test_answers_to_one_address_are_rate_limited(customer, deliver, settings):
    settings.MAIL_ANSWERS_PER_HOUR = 2
    messages = [
        deliver(
            corpus("new_gmail_plain.eml").replace(b"<CAF3kq9x", f"<n{n}".encode()),
            received_at=NOW + timedelta(minutes=n),
        )
        for n in range(3)
    ]
    assert [m.outcome for m in messages] == [Outcome.OPENED] * 3
    assert len(to(customer)) == 2
    assert messages[2].answered_at is None and "MAIL_ANSWERS_PER_HOUR" in messages[2].reason
    # An hour on, the address is answered again.
    later = deliver(
        corpus("infotecs_no_product.eml"), vendor="infotecs", received_at=NOW + timedelta(hours=2)
    )
    assert later.answered_at is not None and len(to(customer)) == 3


class HeadOnly(io.BytesIO):
    """A stream that fails the test if more than its headers are read."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit

    def read(self, size: int = -1) -> bytes:
        assert 0 <= size and self.tell() + size <= self.limit, "read the whole oversized message"
        return super().read(size)


def test_a_message_over_the_limit_is_refused_from_its_headers_alone(customer, deliver, settings):
    settings.MAIL_MAX_BYTES = 10_000
    raw = corpus("new_gmail_plain.eml") + b"x" * 200_000
    message = deliver(HeadOnly(raw, limit=70_000), size=len(raw))
    assert message.outcome == Outcome.REFUSED and message.size == len(raw)
    assert "10,000" in message.reason and Ticket.objects.count() == 0
    with message.raw.open("rb") as file:
        assert file.read().endswith(b"\r\n\r\n")  # the headers are kept, not the body
    [answer] = to(customer)
    assert "10,000 bytes" in answer.body


LONG_TEXT = ("The job log says: pool exhausted at step 4411, retrying. " * 400).strip()  # 22,799


def plain_mail(*, text: str, message_id: str, headers: str = "") -> bytes:
    return (
        "From: Alice Smith <alice@example.test>\r\nTo: alectrona@support.portal.test\r\n"
        f"Subject: Export log\r\nMessage-ID: {message_id}\r\n{headers}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
    ).encode()


def test_a_text_over_the_cap_is_refused_with_what_to_do_instead(customer, deliver):
    """A pasted log past the 20,000-character cap of a case's text (portal.markdown.MAX_LENGTH):
    the sender learns how long it came out, the limit, and how to send it so it is taken."""
    message = deliver(plain_mail(text=LONG_TEXT, message_id="<long-1@example.test>"))
    assert message.outcome == Outcome.REFUSED and Ticket.objects.count() == 0
    [answer] = to(customer)
    for text in (answer.body, answer.alternatives[0].content):
        assert "could not be opened as a case" in text
        assert f"The text of your email is {len(LONG_TEXT):,} characters long" in text
        assert "a case takes at most 20,000 characters of text" in text
        assert "Send it again with a shorter text and attach the long logs or documents as files" in text
        assert "(each up to 10,485,760 bytes)" in text
        assert "http://127.0.0.1:8000/tickets/new/?vendor=alectrona" in text
        assert "choose the product and version" not in text  # the advice for a refused opening
    assert "Keep it to" not in answer.body  # the form's words, which name no email
    assert f"{len(LONG_TEXT):,} characters" in message.reason


def test_a_reply_over_the_cap_is_refused_with_what_to_do_instead(case, customer, answer, deliver):
    placeholders = answer("reply_gmail.eml").decode()
    in_reply_to = placeholders.split("In-Reply-To: ")[1].split("\n")[0].strip()
    reply_to = placeholders.split("To: Alectrona Support <")[1].split(">")[0]
    raw = plain_mail(
        text=LONG_TEXT, message_id="<long-reply-1@example.test>", headers=f"In-Reply-To: {in_reply_to}\r\n"
    ).replace(b"To: alectrona@support.portal.test", f"To: {reply_to}".encode())
    message = deliver(raw)
    assert message.outcome == Outcome.REFUSED and message.ticket == case
    assert Reply.objects.count() == 0
    [answer_mail] = to(customer)
    assert f"could not be added to case {case.number}" in answer_mail.body
    assert "a reply takes at most 20,000 characters of text" in answer_mail.body
    assert (
        "Reply again with a shorter text and attach the long logs or documents as files" in answer_mail.body
    )


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (b"Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
        (b"Precedence: bulk", "Precedence: bulk"),
        (b"Precedence: junk", "Precedence: junk"),
        (b"Precedence: list", "Precedence: list"),
        (b"List-Id: <ops.example.test>", "list mail (list-id)"),
    ],
)
def test_each_loop_signal_alone_keeps_a_members_message_unanswered(customer, deliver, header, why):
    raw = corpus("new_gmail_plain.eml").replace(b"MIME-Version: 1.0", header + b"\r\nMIME-Version: 1.0", 1)
    message = deliver(raw)
    assert (message.outcome, Ticket.objects.count(), mail.outbox) == (Outcome.IGNORED, 0, [])
    assert why in message.reason and message.raw.read() == raw


def test_a_null_return_path_alone_keeps_a_members_message_unanswered(customer, deliver):
    raw = corpus("new_gmail_plain.eml").replace(b"Return-Path: <alice@example.test>", b"Return-Path: <>", 1)
    message = deliver(raw)
    assert (message.outcome, Ticket.objects.count(), mail.outbox) == (Outcome.IGNORED, 0, [])
    assert "null return path" in message.reason


def test_a_message_without_a_date_opens_at_the_time_the_desk_received_it(customer, deliver):
    raw = corpus("new_gmail_plain.eml").replace(b"Date: Mon, 23 Nov 2026 10:02:03 -0500\r\n", b"", 1)
    assert b"\nDate:" not in raw
    message = deliver(raw)
    assert message.outcome == Outcome.OPENED and message.sent_at is None
    assert message.ticket.opened_at == NOW


def test_nothing_raises_out_of_the_service(customer, deliver, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("mailroom.services.ingest.ticket_open", broken)
    message = deliver(corpus("new_gmail_plain.eml"))
    assert message.outcome == Outcome.QUARANTINED and "database on fire" in message.reason
    assert InboundMessage.objects.get().pk == message.pk and Ticket.objects.count() == 0


def test_the_desks_own_address_is_never_answered(deliver):
    raw = corpus("unknown_sender.eml").replace(b"someone@unknown.example", b"secpod@support.portal.test")
    message = deliver(raw)
    assert message.outcome == Outcome.IGNORED and mail.outbox == []
