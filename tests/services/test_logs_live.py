"""A case followed across processes by its log lines (issue 23 point 5): a customer's reply through
a gunicorn node with `X-Request-ID` queues the desk's email; the worker (JSON logs) writes the
task's line with the same request id, the customer's user id, the case number and its own task id."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
import requests

from portal.services import api_token_create
from tests.factories import MembershipFactory, OrganizationFactory
from tests.services.conftest import Process, database_url, wait_for
from tests.services.nodes import WebNode

pytestmark = pytest.mark.services

CASE = {"vendor": "alectrona", "priority": "high", "kind": "incident", "subject": "Crash", "body": "Always."}
REQUEST_ID = "lb-reply-5e1f0c2a"


def json_lines(log) -> list[dict]:
    lines = []
    for line in log.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue  # Celery's banner
    return lines


def test_the_worker_logs_the_request_s_ids_and_case(transactional_db, redis, smtp, celery_env, tmp_path):
    worker = Process(
        [
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        {**celery_env, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"},
        tmp_path / "worker.log",
        ready="ready.",
    )
    node = WebNode(
        {**celery_env, "DATABASE_URL": database_url(), "MEDIA_ROOT": str(tmp_path / "media")},
        tmp_path / "web.log",
    )
    try:
        worker.start()
        node.start()
        customer = MembershipFactory(organization=OrganizationFactory(slug="acme")).user
        auth = {"Authorization": f"Token {api_token_create(user=customer)[1]}"}
        opened = requests.post(node.url("/api/tickets/"), json=CASE, headers=auth, timeout=30)
        assert opened.status_code == HTTPStatus.CREATED, opened.text
        number = opened.json()["number"]
        replied = requests.post(
            node.url(f"/api/tickets/{number}/replies/"),
            json={"body": "Logs attached."},
            headers={**auth, "X-Request-ID": REQUEST_ID},
            timeout=30,
        )
        assert replied.status_code == HTTPStatus.CREATED, replied.text
        assert replied.headers["X-Request-ID"] == REQUEST_ID

        def task_line():
            return [line for line in json_lines(worker.log) if line.get("request_id") == REQUEST_ID]

        [line, *_] = wait_for(task_line, what="the worker's line for the reply's task", log=worker.log)
        assert line["user_id"] == str(customer.pk)
        assert line["case"] == number
        assert line["task_id"] and line["task_id"] in line["message"]
    finally:
        node.stop()
        worker.stop()
