"""Real services for the notice tests: the PostgreSQL test database, our own redis-server on a
spare port (so stopping it disturbs nobody), an aiosmtpd SMTP server in this process, and a
Celery worker (and beat) as subprocesses pointed at all three.

The worker is another process, so it must see committed rows: these tests do not use the `db`
fixture's wrapping transaction. `transactional_db` (ours) unblocks the test database in autocommit mode and,
afterwards, empties it and reloads the policy catalog, leaving it as the other tests expect.

Skipped when PostgreSQL, redis-server or aiosmtpd is missing, unless PORTAL_REQUIRE_SERVICES=1
(CI), where a missing service is a failure."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
DEADLINE = 30.0  # seconds any one condition may take before the test fails


def unavailable(reason: str) -> None:
    if os.environ.get("PORTAL_REQUIRE_SERVICES") == "1":
        pytest.fail(f"PORTAL_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def wait_for(
    condition: Callable[[], object], *, what: str, timeout: float = DEADLINE, log: Path | None = None
):
    """Poll until `condition()` is truthy; fail with `what` (and the worker's log) at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}\n{tail}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def services_available(django_db_setup):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        unavailable("the tests run on SQLite: set DATABASE_URL=postgres://… for the service tests")
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        unavailable("aiosmtpd is not installed")


# ---------------------------------------------------------------------------- Redis


class Redis:
    def __init__(self, port: int, log: Path):
        self.port, self.log, self.process = port, log, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self.ping, what=f"redis-server on port {self.port}", log=self.log)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_for(lambda: not self.ping(), what="redis-server to stop")


@pytest.fixture(scope="module")
def redis(services_available, tmp_path_factory):
    server = Redis(free_port(), tmp_path_factory.mktemp("redis") / "redis.log")
    server.start()
    yield server
    server.stop()


# ---------------------------------------------------------------------------- SMTP


class Mailbox:
    """An aiosmtpd handler that keeps every accepted message; `hold` parks a delivery between
    RCPT and DATA (nothing accepted yet) so a test can kill the worker in mid-delivery."""

    def __init__(self):
        self.messages: list = []
        self.hold = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        import asyncio

        envelope.rcpt_tos.append(address)
        if self.hold.is_set():
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        from email import message_from_bytes

        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def with_header(self, name: str, value: str) -> list:
        return [m for m in self.messages if m[name] == value]


@pytest.fixture(scope="module")
def smtp(services_available):
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    mailbox.release.set()
    controller.stop()


# ---------------------------------------------------------------------------- Celery


class Process:
    """A `celery` subprocess (worker or beat) with its log file."""

    def __init__(self, args: list[str], env: dict, log: Path, ready: str):
        self.args, self.env, self.log, self.ready, self.process = args, env, log, ready, None

    def start(self) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(
            [CELERY, "-A", "config", *self.args],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: self.ready in self.log.read_text()[offset:], what=f"celery {self.args[0]}", log=self.log
        )

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, exactly like a crashed machine."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def celery_env(redis, smtp):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),  # the test database, where this process commits its rows
        "CELERY_BROKER_URL": redis.url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "NOTICE_LEASE_SECONDS": "3",  # a dead worker's notice is retried after 3 s, not 5 min
        "EMAIL_TIMEOUT": "1",  # the lease must outlast 3 SMTP timeouts (portal.checks)
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="module")
def worker(celery_env, tmp_path_factory):
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    process = Process(
        [
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        celery_env,
        log,
        ready="ready.",
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture
def beat(celery_env, tmp_path):
    """Beat on django-celery-beat's tables; the test starts it once its periodic tasks exist."""
    log = tmp_path / "beat.log"
    process = Process(
        [
            "beat",
            "--loglevel=DEBUG",
            "--max-interval=1",
            "--scheduler=django_celery_beat.schedulers:DatabaseScheduler",
        ],
        celery_env,
        log,
        ready="beat: Starting",
    )
    yield process
    process.stop()


@pytest.fixture
def transactional_db(services_available, django_db_blocker):
    """Committed rows the worker can read; emptied (and the catalog reloaded) afterwards.

    Overrides pytest-django's fixture of this name for these tests: its name is what tells
    pytest-django to create the test database, and unlike the original it leaves the policy
    catalog in place for the tests that run after these."""
    from policies.services import policy_catalog_load

    with django_db_blocker.unblock():
        yield
        empty_database()
        policy_catalog_load()


def empty_database() -> None:
    """What `manage.py flush` leaves (every table empty, its ids restarting at 1) in a fraction
    of its time: DELETE in one transaction, the foreign keys checked at commit (Django declares
    them deferrable), instead of a TRUNCATE of ~80 tables (a new file for each table and index:
    4-5 s a test on PostgreSQL) and the post_migrate that rebuilds the content types and
    permissions, which are kept here instead."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    keep = {"django_content_type", "auth_permission"}
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    sequences = [s for s in connection.introspection.sequence_list() if s["table"] not in keep]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in tables:
            if table not in keep:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        for statement in connection.ops.sequence_reset_by_name_sql(no_style(), sequences):
            cursor.execute(statement)


@pytest.fixture
def live(transactional_db, settings, monkeypatch, redis, worker, smtp):
    """This process enqueues to our Redis for real (not eagerly), like the web server does."""
    from django.db import connection

    from config.celery import app

    # The worker must see what this process commits: no test transaction may be open here.
    assert not connection.in_atomic_block, "an earlier test left a transaction open"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis.url
    # Celery reads CELERY_BROKER_URL from the environment before its settings (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
    app._after_fork()  # drop pooled connections to the previous broker
    smtp.messages.clear()
    yield
    app._after_fork()
