"""/metrics moves when the outbox backs up (issue 23 point 3): a gunicorn node on a real Redis
with no worker running takes new cases; its notices pile up pending, the oldest one ages, and the
Celery queue grows. A worker then starts and drains them, and the gauges fall back to 0."""

from __future__ import annotations

import os
import time
import urllib.request
from http import HTTPStatus

import pytest
import requests

from portal.services import api_token_create
from tests.factories import MembershipFactory, OrganizationFactory
from tests.services.conftest import database_url, wait_for
from tests.services.nodes import WebNode

pytestmark = pytest.mark.services

CASE = {"vendor": "alectrona", "priority": "high", "kind": "incident", "subject": "Crash", "body": "Always."}
TOKEN = "scrape-secret"


def gauges(node: WebNode) -> dict[str, float]:
    request = urllib.request.Request(node.url("/metrics"), headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("desk_"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


PENDING = 'desk_notices{state="pending"}'
QUEUE = 'desk_celery_queue_length{queue="celery"}'
AGE = "desk_outbox_oldest_pending_age_seconds"


def test_the_gauges_rise_while_no_worker_sends_and_fall_once_one_does(
    transactional_db, redis, smtp, request, tmp_path
):
    node = WebNode(
        {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": redis.url,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "METRICS_TOKEN": TOKEN,
            "METRICS_ALLOWED_NETWORKS": "",  # the token only
        },
        tmp_path / "web.log",
    )
    node.start()
    try:
        before = gauges(node)
        assert (before[PENDING], before[QUEUE], before[AGE]) == (0, 0, 0)

        customer = MembershipFactory(organization=OrganizationFactory(slug="acme")).user
        auth = {"Authorization": f"Token {api_token_create(user=customer)[1]}"}
        for _ in range(3):
            opened = requests.post(node.url("/api/tickets/"), json=CASE, headers=auth, timeout=30)
            assert opened.status_code == HTTPStatus.CREATED, opened.text
        time.sleep(1.5)  # so that the oldest notice has visibly waited

        backed_up = gauges(node)
        assert backed_up[PENDING] >= 3  # each case's "received" email, and the desk's
        assert backed_up[QUEUE] >= 3
        assert backed_up[AGE] >= 1
        assert backed_up["desk_sla_targets_running"] >= 3

        request.getfixturevalue("worker")
        drained = wait_for(
            lambda: (values := gauges(node))[PENDING] == 0 and values[QUEUE] == 0 and values,
            what="the worker to drain the outbox",
        )
        assert drained[AGE] == 0
        assert drained['desk_notices{state="sent"}'] >= 3
    finally:
        node.stop()
