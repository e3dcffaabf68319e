"""The outbox: one row per (event, recipient), claimed before sending, sent once, retried on
failure, released after a dead worker's lease, and never blocking the request on the broker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from kombu.exceptions import OperationalError

from portal.models import Notice, NoticeKind, NoticePreference, NoticeState
from portal.outbox import (
    BrokerPause,
    RenderedEmail,
    notice_build,
    notice_deliver,
    notice_queue,
    notice_sweep,
    notices_enqueue,
    notices_render,
    thread_id,
    thread_reference,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def queue(user, key="event-1", kind=NoticeKind.TICKET_RECEIVED, **fields) -> Notice | None:
    context = {
        "ticket": {"number": "ALC-000042", "subject": "Export & import fail", "targets": []},
        "recipient_name": "Alice",
        "ticket_url": "http://portal.test/tickets/ALC-000042/",
        "targets": [],
    }
    return notice_queue(
        kind=kind,
        dedupe_key=key,
        template="ticket_received",
        context=context,
        recipient=user,
        reference="ALC-000042",
        thread="ALC-000042",
        **fields,
    )


def test_queue_stores_the_context_and_delivery_renders_subject_text_and_html_with_threading_headers(customer):
    notice = queue(customer)
    assert notice.state == NoticeState.PENDING
    assert notice.to_email == customer.email
    assert (notice.template, notice.subject, notice.message) == ("ticket_received", "", None)
    assert notice.context["ticket"]["subject"] == "Export & import fail"
    [notice] = notices_render([Notice.objects.get(pk=notice.pk)])
    assert notice.subject == "[ALC-000042] We received your case: Export & import fail"
    assert "Export & import fail" in notice.body_text
    assert "Export &amp; import fail" in notice.body_html
    assert notice.headers == {"In-Reply-To": thread_id("ALC-000042"), "References": thread_id("ALC-000042")}


def test_queueing_the_same_event_twice_keeps_one_row(customer):
    first, second = queue(customer), queue(customer)
    assert first.pk == second.pk
    assert Notice.objects.count() == 1


def test_after_commit_the_notice_is_sent_once_with_its_message_id(
    customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = queue(customer)
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT and notice.attempts == 1 and notice.sent_at is not None
    [message] = mail.outbox
    assert message.to == [customer.email]
    assert message.extra_headers["Message-ID"] == notice.message_id
    assert message.extra_headers["References"] == thread_id("ALC-000042")
    assert message.alternatives[0].mimetype == "text/html"
    assert notice_deliver(notice_ids=[notice.pk]) == []
    assert len(mail.outbox) == 1


def test_a_row_another_worker_claimed_is_not_sent(customer):
    notice = queue(customer)
    Notice.objects.filter(pk=notice.pk).update(state=NoticeState.SENDING, claimed_at=NOW)
    assert notice_deliver(notice_ids=[notice.pk]) == []
    assert mail.outbox == []


def test_a_notice_not_yet_due_waits(customer):
    notice = queue(customer, send_after=datetime(2999, 1, 1, tzinfo=UTC))
    assert notice_deliver(notice_ids=[notice.pk]) == []
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.PENDING


def test_an_smtp_failure_goes_back_to_pending_with_backoff_then_fails(customer, settings):
    settings.NOTICE_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "tests.portal.test_outbox.BrokenBackend"
    with time_machine.travel(NOW, tick=False):
        notice = queue(customer)
        assert notice_deliver(notice_ids=[notice.pk]) == []
    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == (NoticeState.PENDING, 1)
    assert notice.send_after == NOW + timedelta(seconds=30)
    assert "SMTPServerDisconnected" in notice.last_error
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        notice_deliver(notice_ids=[notice.pk])
    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == (NoticeState.FAILED, 2)


def test_the_sweep_releases_an_expired_lease_and_sends_it(customer, settings):
    settings.NOTICE_LEASE_SECONDS = 300
    with time_machine.travel(NOW - timedelta(minutes=10), tick=False):
        dead = queue(customer, key="dead-worker")
        fresh = queue(customer, key="busy-worker")
    Notice.objects.filter(pk=dead.pk).update(state=NoticeState.SENDING, claimed_at=NOW - timedelta(minutes=6))
    Notice.objects.filter(pk=fresh.pk).update(
        state=NoticeState.SENDING, claimed_at=NOW - timedelta(minutes=1)
    )
    with time_machine.travel(NOW, tick=False):
        result = notice_sweep()
    assert (result.released, result.sent) == (1, 1)
    assert Notice.objects.get(pk=dead.pk).state == NoticeState.SENT
    assert Notice.objects.get(pk=fresh.pk).state == NoticeState.SENDING
    assert len(mail.outbox) == 1


def test_the_sweep_delivers_what_the_broker_never_got(customer):
    queue(customer, key="a")
    queue(customer, key="b")
    assert notice_sweep().sent == 2
    assert notice_sweep().sent == 0
    assert len(mail.outbox) == 2


def test_a_broker_outage_is_logged_not_raised(customer, caplog):
    with mock.patch("portal.tasks.notice_deliver_task.apply_async", side_effect=OperationalError("refused")):
        assert notices_enqueue([1, 2]) is False
    assert "left for the outbox sweep" in caplog.text


def test_a_muted_kind_is_not_queued_but_a_mandatory_one_is(customer):
    NoticePreference.objects.create(
        user=customer, muted_kinds=[NoticeKind.TICKET_RECEIVED, NoticeKind.POLICY_CHANGE]
    )
    assert queue(customer) is None
    assert queue(customer, key="policy", kind=NoticeKind.POLICY_CHANGE) is not None
    assert list(Notice.objects.values_list("kind", flat=True)) == [NoticeKind.POLICY_CHANGE]


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def build(key="case 7 : user 3"):
    rendered = RenderedEmail(subject="s", text="t\n", html="<p>t</p>")
    return notice_build(
        kind=NoticeKind.TICKET_RECEIVED, dedupe_key=key, rendered=rendered, to_email="a@x.test"
    )


def test_two_installations_never_share_a_message_id_or_a_case_thread(settings):
    # Two databases both have case pk 7 and user pk 3; a restore or a staging copy sends with
    # the same domain. Mail clients that drop repeated Message-IDs would hide real notices.
    settings.SECRET_KEY = "installation-a-secret-key-long-enough-for-django"
    first, thread_a = build(), thread_id("ALC-000042")
    settings.SECRET_KEY = "installation-b-secret-key-long-enough-for-django"
    second, thread_b = build(), thread_id("ALC-000042")
    assert first.message_id != second.message_id
    assert thread_a != thread_b
    assert thread_b == thread_id("ALC-000042")  # stable within one installation: notices thread
    assert "installation-b" not in thread_b  # an HMAC of the secret, never the secret


def test_the_message_id_is_random_per_row_not_derived_from_the_key():
    assert build().message_id != build().message_id


def test_a_re_send_carries_the_message_id_stored_on_the_row(customer, settings):
    notice = queue(customer)
    stored = notice.message_id
    notice_deliver(notice_ids=[notice.pk])
    # The worker died before marking it sent; after the lease it goes out again.
    Notice.objects.filter(pk=notice.pk).update(state=NoticeState.PENDING, claimed_at=None)
    notice_deliver(notice_ids=[notice.pk])
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [stored, stored]
    assert queue(customer).message_id == stored  # queued again: the first row, its id


def test_a_thread_id_names_its_case_only_in_the_installation_that_made_it(settings):
    ours = thread_id("ALC-000042")
    assert thread_reference(ours) == "ALC-000042"
    assert thread_reference("<case.ALC-000042.0000000000000000@portal.test>") == ""
    settings.SECRET_KEY = "another-installation-secret-key-long-enough"
    assert thread_reference(ours) == ""


def test_after_a_failed_publish_the_process_leaves_rows_to_the_sweep_for_a_while(customer):
    # A hung Redis costs one socket timeout, not one per notice of every request.
    with mock.patch("portal.tasks.notice_deliver_task.apply_async", side_effect=TimeoutError) as publish:
        assert notices_enqueue([1]) is False
        assert notices_enqueue([2]) is False
        assert publish.call_count == 1
        later = time.monotonic() + BrokerPause.seconds + 1
        with mock.patch("portal.outbox.time.monotonic", return_value=later):
            assert notices_enqueue([3]) is False
        assert publish.call_count == 2
