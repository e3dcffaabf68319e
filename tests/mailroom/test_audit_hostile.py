"""An audit of the email channel with hostile and unusual mail (SPEC §6, §7), kept for what it found:
auto-replies that carry none of RFC 3834's headers (Exchange's X-Auto-Response-Suppress alone, or only
an out-of-office subject) answering the desk's notice, which reopened a resolved case and kept a
two-responder ping-pong going; a Russian Outlook reply, whose header block ("От: … Отправлено: …")
quoted the desk's whole notice into the case; and attachments the portal refuses (an empty file, more
than its MAX_FILES at a time) that email took."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from mailroom.models import Outcome
from mailroom.replytext import reply_text
from tests.mailroom.conftest import NOW, case_placeholders
from tickets.models import Attachment, Reply, Status, Ticket
from tickets.services import MAX_FILES, ticket_resolve

pytestmark = pytest.mark.django_db


def email(
    *, to: str, subject: str, body: str, headers: str = "", content_type: str = "text/plain; charset=utf-8"
):
    return (
        f"From: Alice Smith <alice@example.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: Mon, 23 Nov 2026 15:55:00 +0000\r\nMessage-ID: <hostile-1@example.test>\r\n{headers}"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n{body}\r\n"
    ).encode()


def reply_to(case, *, subject: str, body: str, headers: str = "") -> bytes:
    """An email to the case's reply address that answers the desk's notice about it."""
    places = case_placeholders(case)
    threading = (
        f"In-Reply-To: {places['IN_REPLY_TO']}\r\nReferences: {places['THREAD']} {places['IN_REPLY_TO']}\r\n"
    )
    return email(to=places["REPLY_TO"], subject=subject, body=body, headers=threading + headers)


# ---------------------------------------------------------------- auto-replies without Auto-Submitted


@pytest.mark.parametrize(
    ("subject", "headers"),
    [
        ("Re: [{number}] Your case is resolved", "X-Auto-Response-Suppress: All\r\n"),
        ("Автоответ: [{number}] Your case is resolved", ""),
        ("Автоматический ответ: [{number}] Your case is resolved", ""),
        ("Out of Office: [{number}] Your case is resolved", ""),
        ("Automatic reply: [{number}] Your case is resolved", ""),
        ("AutoReply: [{number}] Your case is resolved", ""),
    ],
)
def test_an_auto_reply_without_auto_submitted_neither_reopens_a_resolved_case_nor_is_answered(
    case, agent, deliver, subject, headers
):
    """The "resolved" email draws the customer's out-of-office answer: added as their reply, it
    reopened the case, and the staff reply that followed drew the same answer again."""
    ticket_resolve(
        ticket=case, by=agent, resolution_code="workaround", message="Use 4.3", at=NOW - timedelta(minutes=5)
    )
    mail.outbox.clear()
    raw = reply_to(
        case, subject=subject.format(number=case.number), body="Я в отпуске до 30 ноября.", headers=headers
    )
    message = deliver(raw)
    case.refresh_from_db()
    assert (message.outcome, case.status, mail.outbox) == (Outcome.IGNORED, Status.RESOLVED, [])
    assert Reply.objects.filter(ticket=case, author__username="alice").count() == 0
    assert message.reason.startswith("Automatic mail, never answered")


def test_a_staff_members_auto_reply_to_a_staff_notice_adds_no_staff_reply_for_the_customer(
    case, agent, deliver
):
    """The other half of a ping-pong: the assignee's responder answering the "new case" notice was a
    staff public reply, emailed to the customer, whose responder answered that in turn."""
    places = case_placeholders(case, kind="new_case")
    raw = email(
        to=places["REPLY_TO"],
        subject=f"Автоответ: [{case.number}] New case from Acme Analytics: Export fails",
        body="Я в отпуске.",
        headers=f"In-Reply-To: {places['IN_REPLY_TO']}\r\nReferences: {places['IN_REPLY_TO']}\r\n",
    ).replace(b"Alice Smith <alice@example.test>", f"Dana Desk <{agent.email}>".encode())
    message = deliver(raw)
    assert (message.outcome, mail.outbox, Reply.objects.count()) == (Outcome.IGNORED, [], 0)


@pytest.mark.parametrize(
    "subject",
    ["Out of office hours the export fails", "Re: Автоответ не приходит", "Automatic replies are not sent"],
)
def test_a_person_writing_about_such_things_still_opens_a_case(customer, deliver, subject):
    message = deliver(email(to="alectrona@support.portal.test", subject=subject, body="The export fails."))
    assert message.outcome == Outcome.OPENED and Ticket.objects.get().subject == subject


# ---------------------------------------------------------------- quoted history


RUSSIAN_OUTLOOK = """Всё ещё не работает на 4.3.

С уважением,
Алиса
{separator}
От: Alectrona Support <alectrona@support.portal.test>
Отправлено: 23 ноября 2026 г. 11:05
Кому: Смит Алиса <alice@example.test>
Тема: [ALC-000001] Reply from the desk: Export fails

Dana Desk of the support desk replied to your case ALC-000001:

Please try 4.3.
"""


@pytest.mark.parametrize("separator", ["", "________________________________"])
def test_a_russian_outlook_reply_is_cut_at_its_header_block(separator):
    """Outlook in Russian quotes nothing with ">" and writes no "wrote:" line: its header block
    (От / Отправлено / Кому / Тема) is where the history starts."""
    text = reply_text(RUSSIAN_OUTLOOK.format(separator=separator))
    assert "Please try 4.3" not in text and "От:" not in text and "____" not in text
    assert text.startswith("Всё ещё не работает на 4.3.")


def test_a_russian_outlook_reply_adds_only_what_was_written(case, deliver):
    raw = reply_to(
        case,
        subject=f"RE: [{case.number}] Reply from the desk: Export fails",
        body=RUSSIAN_OUTLOOK.format(separator="").replace("\n", "\r\n"),
    )
    message = deliver(raw)
    assert message.outcome == Outcome.REPLIED
    assert "Всё ещё не работает на 4.3." in message.reply.body
    assert "Please try 4.3" not in message.reply.body and "Отправлено" not in message.reply.body


# ---------------------------------------------------------------- attachments the portal refuses


def with_files(files: list[tuple[str, str]]) -> bytes:
    parts = "".join(
        f"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename={name}\r\n"
        f"\r\n{content}\r\n"
        for name, content in files
    )
    body = "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLogs attached.\r\n" + parts + "--B--"
    return email(
        to="alectrona@support.portal.test",
        subject="Export logs",
        body=body,
        content_type="multipart/mixed; boundary=B",
    )


def test_an_empty_file_is_refused_and_listed_back_as_the_portal_refuses_it(customer, deliver):
    message = deliver(with_files([("empty.log", ""), ("export.log", "ERROR 42")]))
    assert message.outcome == Outcome.OPENED
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["export.log"]
    [refused] = [m for m in mail.outbox if "could not be added" in m.subject]
    assert "empty.log is empty." in refused.body and "export.log" not in refused.body


def test_more_files_than_the_portal_takes_at_a_time_are_listed_back_and_the_first_kept(customer, deliver):
    files = [(f"part{index:02}.log", f"line {index}") for index in range(MAX_FILES + 7)]
    message = deliver(with_files(files))
    assert message.outcome == Outcome.OPENED
    kept = sorted(Attachment.objects.values_list("filename", flat=True))
    assert kept == [name for name, _content in files[:MAX_FILES]]
    [refused] = [m for m in mail.outbox if "could not be added" in m.subject]
    assert "7 more files were not added (part05.log, part06.log, part07.log" in refused.body
    assert f"an email adds at most {MAX_FILES} files" in refused.body
    assert refused.body.count("\n- ") == 1  # one line, however many files
