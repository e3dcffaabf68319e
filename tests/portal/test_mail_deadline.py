"""Exactly once, tighter (issue 17 point 4): the SMTP backend's deadline on the one ambiguous step,
against a real SMTP server (aiosmtpd, in this process) that answers late or never, and the
journal of acceptances the sweep reads before it re-sends an expired lease."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import Notice, NoticeState
from portal.outbox import (
    RenderedEmail,
    _journal_write,
    notice_build,
    notice_deliver,
    notice_save,
    notice_sweep,
)

aiosmtpd = pytest.importorskip("aiosmtpd")


class Slow:
    """Accepts every message, then waits `delay` seconds before its 250."""

    def __init__(self):
        self.delay, self.received = 0.0, []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        self.received.append(envelope.content)
        await asyncio.sleep(self.delay)
        return "250 OK"


@pytest.fixture
def server(settings, tmp_path):
    from aiosmtpd.controller import Controller

    from tests.services.conftest import free_port

    handler = Slow()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "portal.mail.SMTPBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT, settings.NOTICE_LEASE_SECONDS = 1, 3
    settings.NOTICE_JOURNAL_DIR = str(tmp_path / "journal")
    yield handler
    controller.stop()


def queued() -> Notice:
    rendered = RenderedEmail("Subject", "Text", "<p>Html</p>")
    return notice_save(
        notice_build(kind="ticket_received", dedupe_key="k1", rendered=rendered, to_email="a@x.test")
    )


@pytest.mark.django_db
def test_a_reply_after_email_timeout_but_within_the_lease_is_heard_and_nothing_is_sent_again(server):
    server.delay = 1.5  # EMAIL_TIMEOUT is 1 s: the old backend gave up and sent it again
    notice = queued()
    assert notice_deliver(notice_ids=[notice.pk]) == [notice.pk]
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT and notice.attempts == 1
    notice_sweep(now=timezone.now() + timedelta(minutes=5))
    assert len(server.received) == 1


@pytest.mark.django_db
def test_no_reply_within_the_lease_leaves_the_notice_sending_until_the_lease_is_over(server):
    server.delay = 4  # longer than the lease: the outcome is unknown
    notice = queued()
    assert notice_deliver(notice_ids=[notice.pk]) == []
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENDING  # not back to pending: the server may have it
    assert "DeliveryUncertain" in notice.last_error
    assert notice_sweep(now=timezone.now()).released == 0  # the lease still runs


@pytest.mark.django_db
def test_a_failure_before_the_end_of_the_message_goes_back_to_the_queue(server, settings):
    settings.NOTICE_LEASE_SECONDS = 1  # less than one EMAIL_TIMEOUT left: the end is never sent
    notice = queued()
    assert notice_deliver(notice_ids=[notice.pk]) == []
    notice.refresh_from_db()
    assert notice.state == NoticeState.PENDING and "NotSent" in notice.last_error
    assert server.received == []


@pytest.mark.django_db
def test_the_sweep_marks_a_journaled_acceptance_sent_instead_of_sending_it_again(server):
    notice = queued()
    Notice.objects.filter(pk=notice.pk).update(
        state=NoticeState.SENDING, claimed_at=timezone.now() - timedelta(minutes=10)
    )
    assert _journal_write(notice)  # what a worker writes when the database refused "sent"
    result = notice_sweep()
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT
    assert result.released == 0 and server.received == []
