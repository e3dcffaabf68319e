"""Notices end to end with a real Celery worker, Redis, PostgreSQL and an SMTP server (SPEC §6):
each email arrives exactly once through crashes and broker outages, and beat drives the sweeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery import app
from portal.models import Notice, NoticeKind, NoticeState
from portal.outbox import thread_id
from tests.factories import MembershipFactory, OrganizationFactory
from tests.services.conftest import wait_for
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = pytest.mark.services


def open_case(vendor_slug: str = "secpod", priority: str = "normal", at=None) -> Ticket:
    from policies.models import Vendor

    organization = OrganizationFactory(slug="acme", name="Acme", timezone="Europe/Berlin")
    customer = MembershipFactory(user__username="alice", organization=organization).user
    return ticket_open(
        organization=organization,
        requester=customer,
        vendor=Vendor.objects.get(slug=vendor_slug),
        priority=priority,
        subject="Export fails",
        body="It fails",
        at=at,
    )


def received(ticket: Ticket) -> Notice:
    return Notice.objects.get(kind=NoticeKind.TICKET_RECEIVED, reference=ticket.number)


def sent(notice: Notice) -> bool:
    notice.refresh_from_db()
    return notice.state == NoticeState.SENT


def sweep_until_sent(notice: Notice, log) -> None:
    """What beat does every minute, faster: ask the worker to sweep until the notice is out."""

    def swept() -> bool:
        app.send_task("portal.tasks.notice_sweep_task")
        return wait_for_quietly(lambda: sent(notice), seconds=1.0)

    wait_for(swept, what=f"notice {notice.pk} to be swept out", log=log)


def wait_for_quietly(condition, *, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_opening_a_case_mails_the_requester_once(live, smtp, worker):
    ticket = open_case()
    notice = received(ticket)
    wait_for(lambda: sent(notice), what="the case received email", log=worker.log)
    [message] = smtp.with_header("Message-ID", notice.message_id)
    assert message["To"] == "alice@example.test"
    assert message["Subject"] == f"[{ticket.number}] We received your case: Export fails"
    assert message["References"] == thread_id(ticket.number)
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    assert notice.attempts == 1


def test_a_worker_killed_mid_delivery_still_sends_exactly_once(live, smtp, worker):
    smtp.hold.set()
    smtp.held.clear()
    smtp.release.clear()
    try:
        ticket = open_case()
        notice = received(ticket)
        wait_for(smtp.held.is_set, what="the worker to reach the SMTP server", log=worker.log)
        notice.refresh_from_db()
        assert notice.state == NoticeState.SENDING
        worker.kill()
    finally:
        smtp.hold.clear()
        smtp.release.set()
    assert smtp.with_header("Message-ID", notice.message_id) == []
    worker.start()
    sweep_until_sent(notice, worker.log)  # the lease (3 s here) expires, the sweep sends it again
    assert len(smtp.with_header("Message-ID", notice.message_id)) == 1
    notice.refresh_from_db()
    assert notice.attempts == 2


def test_a_case_opened_while_redis_is_down_is_saved_and_mailed_when_it_is_back(live, smtp, worker, redis):
    redis.stop()
    try:
        ticket = open_case()
        assert Ticket.objects.filter(number=ticket.number).exists()
        notice = received(ticket)
        assert notice.state == NoticeState.PENDING
    finally:
        redis.start()
    sweep_until_sent(notice, worker.log)
    assert len(smtp.with_header("Message-ID", notice.message_id)) == 1


def test_beat_fires_the_sla_sweep_and_the_warning_arrives(live, smtp, worker, beat, settings):
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="SLA sweep (test)", task="tickets.tasks.sla_sweep_task", interval=every_second
    )
    # SecPod Critical: 2 h on the 24×7 clock. Opened 1 h 40 min ago, so 75 % (1 h 30 min) is past.
    ticket = open_case(priority="critical", at=timezone.now() - timedelta(hours=1, minutes=40))
    beat.start()

    def warning():
        return Notice.objects.filter(kind=NoticeKind.SLA_WARNING, reference=ticket.number).first()

    notice = wait_for(warning, what="beat to run the SLA sweep", log=beat.log)
    wait_for(lambda: sent(notice), what="the SLA warning email", log=worker.log)
    [message] = smtp.with_header("Message-ID", notice.message_id)
    assert message["To"] == settings.SUPPORT_DESK_EMAIL
    assert message["Subject"].startswith(f"[{ticket.number}] SLA warning: first response due")
