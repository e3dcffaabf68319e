"""Issue 24, fan-out near the wire: the request stores a notice's template and context and renders
nothing; the delivery task renders each notice once, stores the built message (a retry sends the
same bytes), claims, stores and marks a chunk in a constant number of statements, and a worker
killed after the server accepted a chunk leaves a journal the sweep reads instead of re-sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal import outbox
from portal.models import Notice, NoticeKind, NoticeState
from portal.outbox import (
    DELIVERY_CHUNK,
    context_dump,
    context_load,
    notice_build,
    notice_deliver,
    notice_queue,
    notice_sweep,
    notices_queue,
)
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db


def rows(user, count: int, tag: str = "fan") -> list[int]:
    built = [
        notice_build(
            kind=NoticeKind.TICKET_RECEIVED,
            dedupe_key=f"{tag}:{i}",
            template="ticket_received",
            context={
                "ticket": {"number": f"ALC-{i:06d}", "subject": "Export fails", "targets": []},
                "recipient_name": "Alice",
                "ticket_url": "http://portal.test/t/",
                "targets": [],
            },
            recipient=user,
            reference=f"ALC-{i:06d}",
            thread=f"ALC-{i:06d}",
            from_email="Alectrona Support <alectrona@support.portal.test>",
            reply_to=f"alectrona+alc-{i:06d}.x@support.portal.test",
        )
        for i in range(count)
    ]
    notices_queue(notices=built)
    return list(
        Notice.objects.filter(dedupe_key__startswith=f"{tag}:").order_by("pk").values_list("pk", flat=True)
    )


def test_opening_a_case_renders_no_email_in_the_request(customer, vendors):
    with mock.patch("portal.outbox.render_email", side_effect=AssertionError("rendered in the request")):
        ticket = ticket_open(
            organization=customer.membership.organization,
            requester=customer,
            vendor=vendors["alectrona"],
            priority="high",
            subject="Export fails",
            body="It fails",
        )
    notice = Notice.objects.get(kind=NoticeKind.TICKET_RECEIVED, reference=ticket.number)
    assert (notice.template, notice.subject, notice.message) == ("ticket_received", "", None)
    assert notice.context["ticket"]["$model"] == "tickets.ticket"
    assert notice.zone  # the recipient's zone, stored beside the context
    [sent] = notice_deliver(notice_ids=[notice.pk])
    [message] = mail.outbox
    assert message.subject == f"[{ticket.number}] We received your case: Export fails"
    assert message.message()["Auto-Submitted"] == "auto-generated"
    assert message.message()["X-Auto-Response-Suppress"] == "OOF, AutoReply"


def test_a_retry_sends_the_bytes_built_the_first_time_and_renders_nothing(customer):
    [pk] = rows(customer, 1)
    assert notice_deliver(notice_ids=[pk]) == [pk]
    first = mail.outbox[0].message().as_bytes()
    # The worker died before "sent" reached the database; the lease ran out.
    Notice.objects.filter(pk=pk).update(state=NoticeState.PENDING, claimed_at=None)
    with mock.patch("portal.outbox.render_email", side_effect=AssertionError("rendered again")):
        assert notice_deliver(notice_ids=[pk]) == [pk]
    assert mail.outbox[1].message().as_bytes() == first
    assert bytes(Notice.objects.get(pk=pk).message) == first


def test_the_stored_message_carries_threading_reply_to_and_auto_submitted(customer):
    [pk] = rows(customer, 1)
    notice_deliver(notice_ids=[pk])
    notice = Notice.objects.get(pk=pk)
    mime = mail.outbox[0].message()
    assert mime["Message-ID"] == notice.message_id
    assert mime["References"] == mime["In-Reply-To"] == outbox.thread_id("ALC-000000")
    assert mime["Reply-To"] == "alectrona+alc-000000.x@support.portal.test"
    assert mime["From"] == "Alectrona Support <alectrona@support.portal.test>"
    assert mime["Auto-Submitted"] == "auto-generated"
    assert [part.get_content_type() for part in mime.walk()][1:] == ["text/plain", "text/html"]


def test_a_non_ascii_subject_and_sender_are_encoded(customer):
    notice = notice_build(
        kind=NoticeKind.TICKET_RECEIVED,
        dedupe_key="ru",
        rendered=outbox.RenderedEmail("Мы получили ваше обращение", "Текст\n", "<p>Текст</p>"),
        to_email="a@x.test",
        from_email="Инфотекс <infotecs@support.portal.test>",
    )
    data = outbox.message_bytes(notice)
    assert data.isascii()
    import email
    import email.policy

    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == "Мы получили ваше обращение"
    assert parsed["From"].addresses[0].display_name == "Инфотекс"
    assert parsed.get_body(("plain",)).get_content() == "Текст\n"


def test_a_chunk_costs_the_same_statements_whatever_its_size(customer):
    few, many = rows(customer, 3, "few"), rows(customer, DELIVERY_CHUNK, "many")
    with CaptureQueriesContext(connection) as small:
        assert len(notice_deliver(notice_ids=few)) == 3
    with CaptureQueriesContext(connection) as large:
        assert len(notice_deliver(notice_ids=many)) == DELIVERY_CHUNK
    # claim, read, store the built messages, mark sent (plus the savepoints around them)
    assert len(large.captured_queries) == len(small.captured_queries) <= 8
    assert Notice.objects.filter(state=NoticeState.SENT).count() == 3 + DELIVERY_CHUNK


def test_a_worker_killed_before_marking_a_chunk_sent_is_not_sent_again(customer, settings, tmp_path):
    settings.NOTICE_JOURNAL_DIR = str(tmp_path / "journal")
    ids = rows(customer, 4)

    class Killed(BaseException):
        pass

    with mock.patch("portal.outbox.notices_mark_sent", side_effect=Killed), pytest.raises(Killed):
        notice_deliver(notice_ids=ids)
    assert len(mail.outbox) == 4
    assert set(Notice.objects.values_list("state", flat=True)) == {NoticeState.SENDING}
    [journal] = Path(settings.NOTICE_JOURNAL_DIR).glob("accepted-*")
    assert len(journal.read_text().splitlines()) == 4
    result = notice_sweep(now=timezone.now() + timedelta(seconds=settings.NOTICE_LEASE_SECONDS + 1))
    assert result.released == 0 and result.sent == 0
    assert set(Notice.objects.values_list("state", flat=True)) == {NoticeState.SENT}
    assert len(mail.outbox) == 4  # none sent twice


def test_rows_the_lease_leaves_no_time_for_are_released_uncounted_and_sent_on_a_fresh_claim(customer):
    ids = rows(customer, 3)
    deadlines = iter([0.0, 0.0, 1e12, 1e12, 1e12])  # the first claim's lease "runs out" after one send
    with mock.patch("portal.outbox.send_deadline", side_effect=lambda started: next(deadlines)):
        sent = notice_deliver(notice_ids=ids)
    assert sorted(sent) == sorted(ids) and len(mail.outbox) == 3
    assert set(Notice.objects.values_list("attempts", flat=True)) == {1}  # the released try uncounted


def test_the_context_keeps_an_instance_as_it_was_without_its_password(customer):
    customer.last_login = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    stored = context_dump({"person": customer, "when": customer.last_login, "names": ("a", "b")})
    assert "password" not in str(stored)
    customer.first_name = "Changed later"
    with CaptureQueriesContext(connection) as queries:
        loaded = context_load(stored)
    assert queries.captured_queries == []
    assert loaded["person"].username == "alice" and loaded["person"].first_name != "Changed later"
    assert loaded["when"] == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert loaded["names"] == ["a", "b"]


def test_a_value_the_context_cannot_store_is_refused_in_the_request(customer):
    with pytest.raises(TypeError):
        notice_queue(
            kind=NoticeKind.TICKET_RECEIVED,
            dedupe_key="x",
            template="ticket_received",
            context={"ticket": object()},
            recipient=customer,
        )


def test_the_email_is_rendered_in_the_recipients_language(customer):
    [pk] = rows(customer, 1)
    with (
        mock.patch("portal.outbox.email_language", return_value="ru") as language,
        mock.patch("portal.outbox.render_email", wraps=outbox.render_email) as render,
    ):
        notice_deliver(notice_ids=[pk])
    language.assert_called_once()
    assert render.call_args.kwargs["language"] == "ru"


def test_a_case_notice_renders_from_the_snapshot_taken_when_it_happened(customer, vendors):
    ticket = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        body="It fails",
    )
    Ticket.objects.filter(pk=ticket.pk).update(subject="Renamed later")
    notice = Notice.objects.get(kind=NoticeKind.TICKET_RECEIVED, reference=ticket.number)
    notice_deliver(notice_ids=[notice.pk])
    assert mail.outbox[0].subject.endswith("Export fails")


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Plain ASCII\nsecond line\n", "<p>ascii</p>"),  # 7bit parts, no final newline in the HTML
        ("Hello Dana,\r\nbare\rreturns\n\n-- \nSupport Desk · settings\n", "<p>“quoted”</p>\n"),  # utf-8
        ("x" * 1200 + "\n", ""),  # a line over SMTP's limit: base64 even if ASCII; an empty part
    ],
)
def test_the_written_message_is_what_email_mime_flattens(text, html):
    """message_bytes writes the MIME bytes itself; they must be what email.mime's classes give
    flattened under the same compat32 CRLF policy (bar the drawn boundary and the Date)."""
    import re
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    notice = notice_build(
        kind=NoticeKind.TICKET_RECEIVED,
        dedupe_key="mime",
        rendered=outbox.RenderedEmail("[ALC-000001] Мы получили ваше обращение " + "long " * 12, text, html),
        to_email="Jörg <j@customer.test>",
        thread="ALC-000001",
        from_email="Инфотекс <infotecs@support.portal.test>",
        reply_to="alectrona+alc-000001.x@support.portal.test",
    )
    data = outbox.message_bytes(notice)
    boundary = re.search(rb'boundary="([^"]+)"', data).group(1).decode()
    date = re.search(rb"\r\nDate: ([^\r]+)", data).group(1).decode()
    reference = MIMEMultipart("alternative", boundary=boundary)
    reference["Subject"] = outbox._header(notice.subject)
    reference["From"] = outbox._address(notice.headers["From"])
    reference["To"] = outbox._address(notice.to_email)
    reference["Date"] = date
    reference["Message-ID"] = notice.message_id
    reference["Reply-To"] = notice.headers["Reply-To"]
    reference["In-Reply-To"] = reference["References"] = outbox.thread_id("ALC-000001")
    reference["Auto-Submitted"] = "auto-generated"
    reference["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    for body, subtype in ((notice.body_text, "plain"), (notice.body_html, "html")):
        plain = body.isascii() and all(len(line) < 990 for line in body.splitlines())
        reference.attach(MIMEText(body, subtype, "us-ascii" if plain else "utf-8"))
    expected = reference.as_bytes(policy=outbox._WIRE)
    # compat32 folds the long Content-Type line the boundary makes; ours is short enough for one.
    expected = expected.replace(b";\r\n boundary=", b"; boundary=", 1)
    assert data == expected


def test_equal_snapshots_of_a_chunk_are_loaded_once_and_a_different_one_apart(customer, vendors):
    """context_load's memo (a delivery chunk's): a vendor two rows name alike is one instance, a
    vendor whose snapshot differs (renamed between the two events) is its own."""
    vendor = vendors["alectrona"]
    first = context_dump({"vendor": vendor, "person": customer})
    second = context_dump({"vendor": vendor, "person": customer})
    vendor.name = "Alectrona renamed"
    third = context_dump({"vendor": vendor})
    memo: dict = {}
    a, b, c = (context_load(stored, memo=memo) for stored in (first, second, third))
    assert a["vendor"] is b["vendor"] and a["person"] is b["person"]
    assert c["vendor"] is not a["vendor"] and c["vendor"].name == "Alectrona renamed"
    assert a["vendor"].name == first["vendor"]["fields"]["name"] != "Alectrona renamed"
    assert context_load(first)["vendor"] is not a["vendor"]  # no memo, no sharing


def test_a_chunk_in_two_languages_is_rendered_each_in_its_own(customer, colleague):
    """The rows of one chunk grouped by language, each group's translations remembered: a
    remembered answer never crosses into the other language's rows, nor outlives the delivery."""
    from django.utils.translation import trans_real

    from portal.models import Profile

    Profile.objects.create(user=customer, language="ru")
    Profile.objects.create(user=colleague, language="en")
    ids = rows(customer, 2, tag="ru") + rows(colleague, 2, tag="en")
    Notice.objects.filter(pk__in=ids[2:]).update(recipient=colleague)
    ordered = [ids[0], ids[2], ids[1], ids[3]]  # the languages alternate in the chunk
    notice_deliver(notice_ids=ordered)
    bodies = {m.to[0]: [] for m in mail.outbox}
    for message in mail.outbox:
        bodies[message.to[0]].append(message.body)
    assert len(mail.outbox) == 4
    assert all("Здравствуйте" in body for body in bodies[customer.email])
    assert all("Hello" in body and "Здравствуйте" not in body for body in bodies[colleague.email])
    assert not isinstance(getattr(trans_real._active, "value", None), outbox._RememberedTranslation)
