"""A web node's readiness under a stopped broker (issue 23 point 2): gunicorn in production
settings, probed by address over plain HTTP as a load balancer does, answers /readyz 503 naming
the broker within the bound while Redis is down, /healthz 200 throughout, and ready again once
Redis is back."""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.request
from http import HTTPStatus

import pytest

from tests.services.conftest import Redis, database_url, free_port, wait_for
from tests.services.nodes import WebNode

pytestmark = pytest.mark.services


def probe(node: WebNode, path: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(node.url(path), timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body), time.monotonic() - started


def test_a_stopped_broker_makes_the_node_unready_but_alive(transactional_db, tmp_path):
    broker = Redis(free_port(), tmp_path / "redis.log")
    broker.start()
    node = WebNode(
        {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "support.example.com",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker.url,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "READYZ_TIMEOUT_SECONDS": "2",
        },
        tmp_path / "web.log",
    )
    try:
        node.start()
        status, body, _ = probe(node, "/readyz")
        assert (status, body["status"]) == (HTTPStatus.OK, "ok"), body

        broker.stop()
        status, body, took = probe(node, "/readyz")
        assert status == HTTPStatus.SERVICE_UNAVAILABLE
        assert body == {
            "status": "unavailable",
            "checks": {"database": "ok", "broker": "unavailable", "storage": "ok", "cache": "ok"},
        }
        assert took < 2 + 1.5, f"/readyz took {took:.1f} s with the broker down"
        assert probe(node, "/healthz")[:2] == (HTTPStatus.OK, {"status": "ok"})

        broker.start()
        wait_for(lambda: probe(node, "/readyz")[0] == HTTPStatus.OK, what="/readyz once Redis is back")
    finally:
        node.stop()
        broker.stop()
