"""The fault harness of tests/services/test_faults_live.py and bench/faults.py: the whole desk on
private servers, so that stopping, freezing or restarting one disturbs nobody else.

`Desk` starts a PostgreSQL cluster of its own (initdb in a temporary folder, the schema and the
policy catalog copied from a source database), a redis-server, the SMTP sink of
tests/services/smtp_sink.py (its own process, so it can be frozen or killed), gunicorn and a
Celery worker with the Procfile's prefork pool. Customers open cases over HTTP; every 201 is a
case the desk promised to keep, and every notice row an email it promised to send. `run` injects
one fault while cases are being opened, ends it, sweeps the outbox every second (what beat does
every minute) and counts, by Message-ID at the sink, what was delivered once, twice or never.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_BIN = (
    Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
    if glob.glob("/usr/lib/postgresql/*/bin")
    else None
)
EMAIL_TIMEOUT = 1  # seconds
LEASE = 4  # at least the 3 × EMAIL_TIMEOUT the system check asks for; a slow reply is awaited 3 s


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


class Service:
    """A subprocess in its own session, so a kill reaches its children (a pool's processes)."""

    def __init__(self, name: str, command: list[str], log: Path, env: dict | None = None):
        self.name, self.command, self.log, self.env, self.process = name, command, log, env, None

    def start(self, ready: Callable[[], bool] | None = None) -> None:
        self.launch()
        if ready:
            self.wait_ready(ready)

    def launch(self) -> None:
        self.offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, ready: Callable[[], bool], timeout: float = 90) -> None:
        wait_until(lambda: ready() or self._died(), timeout=timeout, what=f"{self.name} to start")
        if not self.alive():
            raise RuntimeError(f"{self.name} exited at start:\n{self.tail()}")

    def _died(self) -> bool:
        return self.process.poll() is not None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def log_since_start(self) -> str:
        return self.log.read_text(errors="replace")[self.offset :] if self.log.exists() else ""

    def signal(self, sig: int) -> None:
        if self.alive():
            os.killpg(self.process.pid, sig)

    def freeze(self) -> None:
        self.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL to the whole group: a crashed machine, no cleanup, no acknowledgement."""
        if self.alive():
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class Postgres:
    """A private cluster: trust authentication on 127.0.0.1 and a socket in its own folder.
    PostgreSQL refuses to run as root: then its programs run as the `postgres` user, in a folder
    of their own (a pytest folder is private to root)."""

    def __init__(self):
        self.folder, self.port = Path(tempfile.mkdtemp(prefix="portal-faults-pg-")), free_port()
        self.data, self.log = self.folder / "data", self.folder / "postgres.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def url(self, database: str = "portal") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(PG_BIN / program), *args], check=True, capture_output=True)

    def _ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args)

    def init(self) -> None:
        # --no-sync: a throw-away cluster (it also runs with fsync=off) need not wait for the disk.
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )  # fmt: skip
        self.start()

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def discard(self) -> None:
        """The end of the harness: nothing in the cluster is kept, so no shutdown checkpoint."""
        self._ctl("-m", "immediate", "-w", "stop")

    def copy_from(self, source_url: str) -> None:
        """The source database's schema and rows (the policy catalog) into a new `portal`."""
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "portal"],
            check=True,
        )
        dump = subprocess.run(
            [str(PG_BIN / "pg_dump"), "--no-owner", "--no-acl", "-d", source_url],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(
            [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url()],
            input=dump,
            check=True,
            capture_output=True,
        )

    def query(self, sql: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url().replace("postgres://", "postgresql://"), connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()


class Sink(Service):
    def __init__(self, folder: Path):
        self.port = free_port()
        self.receipts, self.control = folder / "receipts", folder / "control"
        super().__init__(
            "smtp sink",
            [
                PYTHON,
                str(ROOT / "tests" / "services" / "smtp_sink.py"),
                str(self.port),
                str(self.receipts),
                str(self.control),
            ],
            folder / "sink.log",
        )

    def start(self, ready=None) -> None:
        super().start(lambda: listening(self.port))

    def mode(self, *words: object) -> None:
        self.control.write_text(" ".join(map(str, words)) or "ok")

    def received(self) -> list[tuple[float, str]]:
        if not self.receipts.exists():
            return []
        lines = [line.split(" ", 1) for line in self.receipts.read_text().splitlines() if " " in line]
        return [(float(at), message_id) for at, message_id in lines]


@dataclass
class Result:
    name: str
    opened: int = 0  # answered 201
    saved: int = 0  # case rows found afterwards, among those opened
    expected: int = 0  # notice rows written for those cases
    delivered: int = 0  # distinct Message-IDs of those notices at the sink
    doubled: int = 0  # receipts beyond the first, per Message-ID
    lost: int = 0  # expected but never received
    status_503: int = 0
    status_5xx: int = 0  # other 5xx: 500s, 502s, a timeout (counted as 504)
    slowest_answer_s: float = 0.0
    recovery_s: float | None = None  # from the fault's end to the last email
    fault_s: float = 0.0  # how long the fault lasted
    sent_retried: int = 0  # worker log lines: an accepted notice's "sent" retried through a DB error
    notes: list[str] = field(default_factory=list)


class Desk:
    """Everything a case and its emails pass through, on ports of its own."""

    def __init__(self, folder: Path, *, source_url: str, customers: int = 4):
        self.folder = folder
        self.pg = Postgres()
        self.redis = Service("redis", [], folder / "redis.log")
        self.redis_port = free_port()
        self.redis.command = [
            "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
        ]  # fmt: skip
        self.sink = Sink(folder)
        self.web_port = free_port()
        self.source_url, self.customers, self.tokens = source_url, customers, []
        self.web = self.worker = None

    # ------------------------------------------------------------------ set-up

    def env(self, **extra: str) -> dict:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "EMAIL_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.pg.url(),
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CACHE_URL": "locmemcache://",
            "EMAIL_URL": f"smtp://127.0.0.1:{self.sink.port}",
            "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT),
            "NOTICE_LEASE_SECONDS": str(LEASE),
            "NOTICE_RETRY_SECONDS": "1",
            "NOTICE_JOURNAL_DIR": str(self.folder / "journal"),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DEBUG": "false",
            "SECRET_KEY": "fault-harness-" + uuid.uuid4().hex,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "TRUST_X_FORWARDED_PROTO": "false",
            "STAFF_TWO_FACTOR": "false",
            "API_WRITE_RATE": "100000/min",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def start(self) -> None:
        self.pg.init()
        self.pg.copy_from(self.source_url)
        self.redis.start(lambda: listening(self.redis_port))
        self.sink.start()
        # Seeding, gunicorn's preload and the worker's start are each a Django start-up (10-20 s
        # on a busy host): side by side. gunicorn and the worker need no seeded row to start.
        seeding = self._seed_start()
        self.web = Service(
            "gunicorn",
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "config.wsgi:application",
                "--preload",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
                "--timeout",
                "30",
                "--log-level",
                "warning",
            ],  # fmt: skip
            self.folder / "web.log",
            self.env(),
        )
        self.web.launch()
        self.worker = self.worker_service()
        self.worker.launch()
        self.tokens = self._seed_finish(seeding)
        self.web.wait_ready(lambda: listening(self.web_port))
        self.worker.wait_ready(lambda: "ready." in self.worker.log_since_start())
        self.warm_up()

    def warm_up(self) -> None:
        """A case through each web worker and its emails through the worker, before any fault:
        a first request (connections, caches, templates) is not the fault's cost."""
        subject = "warm-up"
        openers = [
            threading.Thread(target=self.open_case, args=(key, subject), daemon=True)
            for key in self.tokens[:2]
        ]
        for thread in openers:
            thread.start()
        for thread in openers:
            thread.join(90)
        wait_until(
            lambda: (
                (notices := self.notices_of(subject)) and all(state == "sent" for state in notices.values())
            ),
            timeout=60,
            what="the warm-up case's emails",
            step=0.5,
        )

    def _seed_start(self) -> subprocess.Popen:
        script = (
            "import json\n"
            "from portal.models import Membership, Organization\n"
            "from django.contrib.auth import get_user_model\n"
            "from portal.services import api_token_create\n"
            "org = Organization.objects.create(slug='faults', name='Faults Ltd')\n"
            "keys = []\n"
            f"for i in range({self.customers}):\n"
            "    user = get_user_model().objects.create_user(f'faults{i}', f'faults{i}@example.test', 'x')\n"
            "    Membership.objects.create(user=user, organization=org)\n"
            "    keys.append(api_token_create(user=user)[1])\n"
            "print('KEYS ' + json.dumps(keys))\n"
        )
        return subprocess.Popen(
            [PYTHON, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def _seed_finish(self, seeding: subprocess.Popen) -> list[str]:
        stdout, stderr = seeding.communicate(timeout=120)
        line = [x for x in stdout.splitlines() if x.startswith("KEYS ")]
        if seeding.returncode or not line:
            raise RuntimeError(f"seeding failed:\n{stdout}\n{stderr}")
        return json.loads(line[0][5:])

    def worker_service(self, *, workaround: bool = True, **env: str) -> Service:
        args = [
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=INFO",
        ]
        if workaround:
            command = [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", *args]
        else:  # kombu as released, to show the crash config/celery.py works around
            command = [
                PYTHON,
                "-c",
                "import config.celery as c, kombu.transport.redis as r\n"
                "r.Channel._connparams = r.Channel._connparams.original\n"
                f"c.app.worker_main({['worker', *args[1:]]!r})\n",
            ]
        return Service("celery worker", command, self.folder / "worker.log", self.env(**env))

    def start_worker(self, **kwargs) -> Service:
        """A new worker in place of the current one (stopped first: two workers would share the
        queue, and a scenario would not know which one it disturbed)."""
        if self.worker is not None:
            self.worker.stop()
        self.worker = self.worker_service(**kwargs)
        self.worker.start(lambda: "ready." in self.worker.log_since_start())
        return self.worker

    def stop(self) -> None:
        """Everything killed, not shut down: the harness keeps nothing, and a warm shutdown of
        the worker, gunicorn and PostgreSQL took 6-9 s of each run on a busy host."""
        for service in (self.worker, self.web, self.sink, self.redis):
            if service is not None:
                service.kill()
        try:
            self.pg.discard()
        except subprocess.CalledProcessError:
            pass
        self.pg.remove()

    # ------------------------------------------------------------------ load

    def open_case(self, key: str, subject: str, *, patience: float = 30.0) -> tuple[int, float, list[int]]:
        """POST one case, retrying a 503 or a refused connection with the same Idempotency-Key as
        a careful client would; returns (final status, slowest answer in s, statuses seen)."""
        import http.client

        body = json.dumps(
            {
                "vendor": "secpod",
                "priority": "normal",
                "kind": "incident",
                "subject": subject,
                "body": "Faults.",
            }
        )
        headers = {
            "Authorization": f"Token {key}", "Content-Type": "application/json", "Host": "127.0.0.1",
            "Idempotency-Key": str(uuid.uuid4()),
        }  # fmt: skip
        seen, slowest, deadline = [], 0.0, time.monotonic() + patience
        while True:
            started = time.monotonic()
            connection = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=35)
            try:
                connection.request("POST", "/api/tickets/", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except TimeoutError:
                status = 504
            except OSError:
                status = 0  # refused or reset: the web server is restarting
            finally:
                connection.close()
            slowest = max(slowest, time.monotonic() - started)
            seen.append(status)
            if status in (201, 200) or time.monotonic() > deadline:
                return status, slowest, seen
            time.sleep(0.5)

    def sweep(self) -> None:
        """What beat sends every minute (here every second): the outbox sweep task."""
        from celery import Celery
        from kombu import Connection

        # The URL itself, not app.conf.broker_url: Celery prefers a CELERY_BROKER_URL in the
        # environment (CI sets the shared Redis there), and the sweep would go to that queue.
        url = f"redis://127.0.0.1:{self.redis_port}/0"
        options = {"socket_connect_timeout": 1, "socket_timeout": 1, "max_retries": 1}
        try:
            app = Celery(broker=url, set_as_current=False)
            with Connection(url, connect_timeout=1, transport_options=options) as connection:
                app.send_task("portal.tasks.notice_sweep_task", connection=connection, retry=False)
        except Exception as error:  # noqa: BLE001 - the broker may be the fault; the next second tries again
            self.sweep_error = f"{type(error).__name__}: {error}"

    def attempts_of(self, subject: str) -> list[tuple[str, int]]:
        """(state, attempts) of each notice about the cases with this subject."""
        return self.pg.query(
            "SELECT n.state, n.attempts FROM portal_notice n "
            "JOIN tickets_ticket t ON t.number = n.reference WHERE t.subject = %s",
            subject,
        )

    def each_notice_tried(self, subject: str, since: float | None) -> bool:
        """Every case answered and each of its notices tried at least once, that try over; or,
        where a try leaves no mark on the row (SMTP down or hung: the task fails at connecting,
        before its claim, and Celery retries it), 3 s since the last answer: the fault has met
        every delivery."""
        if since is None:
            return False
        rows = self.attempts_of(subject)
        tried = bool(rows) and all(attempts >= 1 and state != "sending" for state, attempts in rows)
        return tried or since >= 3.0

    def a_notice_in_flight(self, subject: str, since: float | None) -> bool:
        return any(state == "sending" for state, _ in self.attempts_of(subject))

    def a_notice_awaiting_its_reply(self, subject: str, since: float | None) -> bool:
        """A notice the sink has accepted (its receipt is written at the end of DATA) whose row
        is still "sending": the worker waits for the final reply. "sending" alone begins at the
        claim, before the message is built and stored, where a database stop fails the attempt
        before anything is sent and "mark sent" is never tried."""
        received = {message_id for _, message_id in self.sink.received()}
        return any(state == "sending" and m in received for m, state in self.notices_of(subject).items())

    def notice_inject(self) -> tuple[int, str]:
        """A copy of the warm-up's first notice as a new pending row with a Message-ID of its
        own, written straight into the database (no case, no other notice): (pk, Message-ID). Its
        stored message (which names the first notice's Message-ID) is dropped: built again."""
        message_id = f"<injected.{uuid.uuid4().hex}@faults.test>"
        import psycopg

        url = self.pg.url().replace("postgres://", "postgresql://")
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("CREATE TEMP TABLE copied AS SELECT * FROM portal_notice ORDER BY id LIMIT 1")
            row = conn.execute(
                "UPDATE copied SET id = nextval(pg_get_serial_sequence('portal_notice', 'id')),"
                " dedupe_key = %s, message_id = %s, state = 'pending', attempts = 0, claimed_at = NULL,"
                " sent_at = NULL, send_after = now(), created_at = now(), message = NULL RETURNING id",
                (f"injected:{message_id}", message_id),
            ).fetchone()
            conn.execute("INSERT INTO portal_notice SELECT * FROM copied")
        return row[0], message_id

    def publish_delivery(self, notice_id: int) -> None:
        """What the web does after commit: a delivery task for this one notice."""
        from celery import Celery
        from kombu import Connection

        url = f"redis://127.0.0.1:{self.redis_port}/0"
        with Connection(url, connect_timeout=2) as connection:
            Celery(broker=url, set_as_current=False).send_task(
                "portal.tasks.notice_deliver_task", args=[[notice_id]], connection=connection
            )

    def notices_of(self, subject: str) -> dict[str, str]:
        """{message_id: state} of the notices about the cases with this subject."""
        rows = self.pg.query(
            "SELECT n.message_id, n.state FROM portal_notice n "
            "JOIN tickets_ticket t ON t.number = n.reference WHERE t.subject = %s",
            subject,
        )
        return dict(rows)

    # ------------------------------------------------------------------ one scenario

    def run(
        self,
        name: str,
        *,
        begin: Callable[[], None],
        end: Callable[[], None],
        cases: int = 6,
        hold: float = 1.0,
        until: Callable[[str, float | None], bool] | None = None,
        hold_max: float = 30.0,
        settle: float = 60.0,
    ) -> Result:
        """Open `cases` cases (two clients) while the fault is on; end it once `hold` seconds have
        passed and `until(subject, seconds since the last case was answered, None before)` holds
        (by default: every case answered),
        or after `hold_max`; sweep until every notice of those cases is out (or `settle` seconds),
        then count. On a busy host one opening can take seconds: a fault ended by the clock alone
        would often meet no opening and no delivery at all."""
        result, subject, answers, lock = (
            Result(name),
            f"fault {name} {uuid.uuid4().hex[:8]}",
            [],
            threading.Lock(),
        )

        last_answer = [0.0]

        def client(index: int) -> None:
            for i in range(index, cases, 2):
                answer = self.open_case(self.tokens[i % len(self.tokens)], subject)
                with lock:
                    answers.append(answer)
                    last_answer[0] = time.monotonic()

        def since_answered() -> float | None:
            if any(thread.is_alive() for thread in clients):
                return None
            return time.monotonic() - last_answer[0]

        until = until or (lambda subject, since: since is not None)
        log_offset = self.worker.log.stat().st_size if self.worker.log.exists() else 0
        begin()
        started = time.monotonic()
        clients = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(2)]
        for thread in clients:
            thread.start()
        time.sleep(max(0.0, hold - (time.monotonic() - started)))
        try:
            wait_until(
                lambda: until(subject, since_answered()),
                timeout=max(0.0, hold_max - (time.monotonic() - started)),
                what="the fault to meet the openings and deliveries",
                step=0.2,
            )
        except TimeoutError as error:
            result.notes.append(str(error))
        result.fault_s = time.monotonic() - started
        end()
        ended = time.time()
        for thread in clients:
            thread.join(60)
        for status, slowest, seen in answers:
            result.opened += status in (200, 201)
            result.status_503 += sum(s == 503 for s in seen)
            result.status_5xx += sum(s >= 500 and s != 503 for s in seen)
            result.slowest_answer_s = max(result.slowest_answer_s, slowest)

        def all_out() -> bool:
            self.sweep()
            notices = self.notices_of(subject)
            received = {m for _, m in self.sink.received()}
            return notices and all(state == "sent" for state in notices.values()) and set(notices) <= received

        try:
            wait_until(all_out, timeout=settle, what="every notice", step=0.5)
        except TimeoutError:
            result.notes.append(f"not every notice was out after {settle:.0f} s")
        # Every row is "sent" now; a late duplicate would need an attempt still under way. Each
        # attempt claims its row first and sends nothing past the claim's lease, so one begun
        # before the last claim (a lease run out, then re-claimed) would have arrived by that
        # claim's lease; a frozen server reads what it holds as it thaws, at the fault's end.
        # A sweep first (one re-sending a "sent" row would land in the same wait), then wait
        # until the last claim's lease and the fault's end are both more than a second past.
        self.sweep()
        last_claim = self.pg.query(
            "SELECT extract(epoch FROM max(n.claimed_at)) FROM portal_notice n "
            "JOIN tickets_ticket t ON t.number = n.reference WHERE t.subject = %s",
            subject,
        )[0][0]
        quiet_from = max(ended + 1.0, float(last_claim or 0) + LEASE + 1.0, time.time() + 1.0)
        time.sleep(max(0.0, quiet_from - time.time()))
        result.saved = self.pg.query("SELECT count(*) FROM tickets_ticket WHERE subject = %s", subject)[0][0]
        notices = self.notices_of(subject)
        receipts = [(at, m) for at, m in self.sink.received() if m in notices]
        counts = Counter(m for _, m in receipts)
        result.expected = len(notices)
        result.delivered = len(counts)
        result.doubled = sum(n - 1 for n in counts.values())
        result.lost = len(set(notices) - set(counts))
        if receipts:
            result.recovery_s = max(0.0, max(at for at, _ in receipts) - ended)
        log = self.worker.log.read_text(errors="replace")[log_offset:] if self.worker.log.exists() else ""
        result.sent_retried = log.count("database unavailable: retrying 'sent'")
        return result


# ---------------------------------------------------------------------- the faults


def scenarios(desk: Desk) -> dict[str, dict]:
    """name → run() arguments: each fault's beginning and end."""
    sink = desk.sink

    def restart_worker_killed() -> None:
        desk.worker.kill()
        desk.start_worker()

    def pg_restart() -> None:
        """Stopped while a delivery waits for its 250 (the sink answers 2 s after the end of the
        message), so the server accepts it while "mark sent" cannot reach the database; openings
        still under way meet it down (503, retried by the client with its Idempotency-Key)."""
        desk.pg.stop()
        time.sleep(2.0)
        desk.pg.start()
        sink.mode("ok")

    tried, in_flight, awaiting_reply = (
        desk.each_notice_tried,
        desk.a_notice_in_flight,
        desk.a_notice_awaiting_its_reply,
    )

    return {
        "redis down": {
            "begin": desk.redis.stop,
            "end": lambda: desk.redis.start(lambda: listening(desk.redis_port)),
        },
        "redis hung (SIGSTOP)": {"begin": desk.redis.freeze, "end": desk.redis.thaw},
        "smtp down": {"begin": sink.stop, "end": sink.start, "until": tried},
        "smtp hung (SIGSTOP)": {"begin": sink.freeze, "end": sink.thaw, "until": tried},
        "smtp slow (answers after EMAIL_TIMEOUT)": {
            "begin": lambda: sink.mode("slow", EMAIL_TIMEOUT * 1.4),
            "end": lambda: sink.mode("ok"),
            "until": tried,
        },
        "smtp refusing (451)": {
            "begin": lambda: sink.mode("refuse"),
            "end": lambda: sink.mode("ok"),
            "until": tried,
        },
        "worker killed mid-send": {
            "begin": lambda: sink.mode("stall", 5),  # each delivery held at RCPT, nothing accepted yet
            "end": lambda: (restart_worker_killed(), sink.mode("ok")),
            "hold": 0.0,
            "until": in_flight,
        },
        "postgresql restarted": {
            "begin": lambda: sink.mode("slow", 2.0),
            "end": pg_restart,
            "hold": 0.0,
            "until": awaiting_reply,
        },
    }


def redis_outage_with_delivery_in_flight(desk: Desk, *, workaround: bool = True) -> dict:
    """Issue 17 point 1, as reproduced by hand: one notice inserted directly and its delivery
    task published, the SMTP sink frozen (SIGSTOP) so the `acks_late` task stays running and
    unacknowledged, Redis stopped 2 s later for 6 s. kombu 5.7.0 as released then kills the
    worker's main process. Returns whether the worker lived (its log has no "Unrecoverable
    error"), and how many times the sink received that notice and one opened after Redis came
    back."""
    worker = desk.start_worker(workaround=workaround, EMAIL_TIMEOUT="10", NOTICE_LEASE_SECONDS="30")
    pk, message_id = desk.notice_inject()
    desk.sink.freeze()
    try:
        desk.publish_delivery(pk)
        wait_until(
            lambda: f"[[{pk}]]" in worker.log_since_start(), timeout=20, what="the task to reach the worker"
        )
        time.sleep(2.0)  # the consumer is back in its BRPOP, the task waiting for the banner
        desk.redis.stop()
        time.sleep(6.0)
        desk.redis.start(lambda: listening(desk.redis_port))
    finally:
        desk.sink.thaw()
    time.sleep(2.0)
    alive = worker.alive() and "Unrecoverable error" not in worker.log_since_start()
    after = f"after {uuid.uuid4().hex[:8]}"
    if alive:
        desk.open_case(desk.tokens[1], after)
        try:
            wait_until(
                lambda: (
                    (desk.sweep() or True)
                    and {message_id, *desk.notices_of(after)} <= {m for _, m in desk.sink.received()}
                ),
                timeout=40,
                what="the emails",
                step=1.0,
            )
        except TimeoutError:
            pass
    received = Counter(m for _, m in desk.sink.received())
    return {
        "alive": alive,
        "log": worker.log_since_start(),
        "in_flight": {message_id: received[message_id]},
        "after": {m: received[m] for m in desk.notices_of(after)},
    }


def pg_available() -> bool:
    return PG_BIN is not None and (PG_BIN / "initdb").exists()


if __name__ == "__main__":  # pragma: no cover - a quick manual run
    sys.exit("run bench/faults.py")
