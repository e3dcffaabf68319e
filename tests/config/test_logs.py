"""Structured logs (config.logs): every record of a request carries its request id, user id and
case number, JSON in production, and a task queued by the request carries them with its own id."""

from __future__ import annotations

import json
import logging
import logging.config
from types import SimpleNamespace

import pytest
from django.test import Client

from config import logs
from portal import logcontext
from portal.services import api_token_create
from tests.factories import MembershipFactory


@pytest.mark.django_db
def test_a_request_s_log_lines_carry_its_ids_and_case(caplog):
    customer = MembershipFactory().user
    client = Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=customer)[1]}")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/api/tickets/ALC-999999/", HTTP_X_REQUEST_ID="lb-7f3a2c1d9e")
    assert response["X-Request-ID"] == "lb-7f3a2c1d9e"
    [record] = [r for r in caplog.records if r.name == "django.request"]
    # Our console handler's filter ran on the record before caplog's handler saw it.
    assert (record.request_id, record.user_id, record.case) == (
        "lb-7f3a2c1d9e",
        str(customer.pk),
        "ALC-999999",
    )


@pytest.mark.django_db
def test_a_forged_request_id_is_replaced():
    response = Client().get("/", HTTP_X_REQUEST_ID='"><script>')
    assert len(response["X-Request-ID"]) == 32


def test_json_lines_name_every_field(settings):
    formatter = logging.config.dictConfigClass(settings.LOGGING).configure_formatter(
        settings.LOGGING["formatters"]["json"]
    )
    logcontext.bind(request_id="r-12345678", user_id=7, case="SEC-000042")
    try:
        record = logging.LogRecord("tickets", logging.ERROR, __file__, 1, "sweep failed", None, None)
        logs.ContextFilter().filter(record)
        line = json.loads(formatter.format(record))
    finally:
        logcontext.clear()
    assert {
        k: line[k] for k in ("level", "logger", "message", "request_id", "user_id", "case", "task_id")
    } == {
        "level": "ERROR",
        "logger": "tickets",
        "message": "sweep failed",
        "request_id": "r-12345678",
        "user_id": "7",
        "case": "SEC-000042",
        "task_id": None,
    }
    assert "time" in line


def test_a_task_carries_the_request_s_context_with_its_own_id():
    logcontext.bind(request_id="r-12345678", user_id=7, case="ALC-000001")
    headers: dict = {}
    logs._carry_context(headers=headers)
    logcontext.clear()  # the worker is another process

    task = SimpleNamespace(request=SimpleNamespace(**{logs.HEADER: headers[logs.HEADER]}))
    logs._bind_task(task_id="5b1c-task", task=task)
    try:
        assert logcontext.current() == {
            "request_id": "r-12345678",
            "user_id": "7",
            "case": "ALC-000001",
            "task_id": "5b1c-task",
        }
    finally:
        logs._unbind_task()
    assert logcontext.current() == {}


def test_errors_go_to_sentry_only_when_a_dsn_is_set():
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client();"
        "print(c.is_active(), c.options['send_default_pii'])"
    )

    def client_with(**env: str) -> str:
        environment = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"} | env
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=Path(__file__).resolve().parents[2],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert client_with()[0] == "False"
    assert client_with(SENTRY_DSN="https://public@o0.ingest.sentry.io/1") == ["True", "False"]
