"""A frozen Redis never hangs a request: with the broker stopped by SIGSTOP (it accepts TCP
connections into its backlog but never answers, like a hung server), each case opening answers
201 within two seconds, and its notices wait, pending, for the outbox sweep.

Our own redis-server on a spare port, so freezing it disturbs no other test or worker."""

from __future__ import annotations

import signal
import threading
import time
from http import HTTPStatus

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from portal.models import Notice, NoticeState
from tests.factories import MembershipFactory, OrganizationFactory
from tests.services.conftest import Redis, free_port
from tickets.models import Ticket

pytestmark = pytest.mark.services

CASE = {"vendor": "alectrona", "priority": "high", "kind": "incident", "subject": "Crash", "body": "Always."}
ANSWER_WITHIN = 2.0  # seconds


@pytest.fixture
def frozen_broker(services_available, transactional_db, settings, monkeypatch, tmp_path):
    """A private Redis this process publishes to (with the transport options the settings give
    a redis:// broker), connected once while it answers, then frozen."""
    from config.celery import app
    from portal.tasks import notice_deliver_task

    server = Redis(free_port(), tmp_path / "redis.log")
    server.start()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = server.url
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)  # Celery reads it before its settings
    app._after_fork()  # drop pooled connections to any previous broker
    notice_deliver_task.apply_async(args=[[]], retry=False)  # a pooled connection, as a web worker has
    server.process.send_signal(signal.SIGSTOP)
    yield server
    server.process.send_signal(signal.SIGCONT)
    app._after_fork()
    server.stop()


def answer_or_fail(send):
    """The request on a thread: a hung publish fails the test instead of hanging the suite (the
    thread finishes once the fixture thaws the broker)."""
    answers: list = []

    def run():
        try:
            answers.append(send())
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(ANSWER_WITHIN * 3)
    if not answers:
        pytest.fail(f"the opening had not answered after {ANSWER_WITHIN * 3:.0f} s: the publish hangs")
    return answers[0]


def test_openings_answer_quickly_while_the_broker_is_frozen(frozen_broker):
    customer = MembershipFactory(user__username="alice", organization=OrganizationFactory(slug="acme")).user
    client = APIClient()
    client.force_authenticate(customer)
    for _ in range(3):
        started = time.monotonic()
        response = answer_or_fail(lambda: client.post(reverse("api:ticket-list"), CASE, format="json"))
        took = time.monotonic() - started
        assert response.status_code == HTTPStatus.CREATED, response.content
        assert took < ANSWER_WITHIN, f"{took:.1f} s"
    assert Ticket.objects.count() == 3
    notices = Notice.objects.all()
    assert notices and {n.state for n in notices} == {NoticeState.PENDING}  # the sweep's to send
