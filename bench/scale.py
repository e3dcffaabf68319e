"""The desk on several nodes (issue 23 point 6): 2 gunicorn nodes behind a round-robin, 2 Celery
workers, PostgreSQL and Redis, over a seeded desk of --cases cases.

Run from the repo root on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale \
        .venv/bin/python bench/scale.py --cases 1000000

The first run seeds the database (bench/_seed.py: on PostgreSQL the rows go in by COPY, a million
cases in minutes; later runs top it up or reuse it).
It starts its own redis-server on a spare port as the broker, an aiosmtpd SMTP server (bench/sweep.py's,
in its own process), 2 gunicorn nodes (separate processes on separate ports, GUNICORN_WORKERS each,
--preload) behind ROUND_ROBIN (a small TCP proxy in this process handing each connection to the next
node), and 2 worker processes (`celery worker --pool=solo`, one per node). Then it prints:

- the case list through the round-robin (API, a customer's organization and staff's whole desk):
  median and p95 ms over --requests requests, and SQL queries per list (counted in-process);
- opening throughput: CLIENTS clients posting cases through the round-robin for --seconds, each as
  its own customer of its own organization (the write limit is per person), non-201 answers by status;
- the SLA sweep with 1,000 targets due, in-process, best of 3;
- the outbox drain rate: --notices pending notices queued to the 2 workers, until all are sent.

No floors: the figures describe this machine (see the README's "Running in production").
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._seed import seed, setup_django  # noqa: E402
from bench._server import free_port, server_command  # noqa: E402
from bench.sweep import SmtpServer  # noqa: E402
from bench.tickets import CREATION_VENDORS, host_check_ms  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_WORKERS = 2
CLIENTS = 4
DUE = 1000
CREATED_SUBJECT = "Scale bench case"


class RoundRobin:
    """Accepts on one port and pipes each connection to the next node in turn."""

    def __init__(self, ports: list[int]):
        self.ports, self.next = itertools.cycle(ports), threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            with self.next:
                port = next(self.ports)
            upstream = socket.create_connection(("127.0.0.1", port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def wait_port(port: int, process: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not answer within {timeout:.0f} s")


def start_cluster(env: dict, log_dir: Path, processes: list[subprocess.Popen]) -> RoundRobin:
    """Start the nodes, adding each process to `processes` as it starts (so the caller stops
    them even if a later one fails)."""
    ports = []
    for node in ("a", "b"):
        port = free_port()
        web = subprocess.Popen(
            server_command(port, workers=GUNICORN_WORKERS),
            cwd=ROOT,
            env=env,
            stdout=(log_dir / f"web-{node}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        processes.append(web)
        ports.append(port)
        worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--pool=solo",
                f"-n{node}@%h",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=(log_dir / f"worker-{node}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        processes.append(worker)
    for port, web in zip(ports, processes[::2], strict=True):
        wait_port(port, web, "a gunicorn node")
    return RoundRobin(ports)


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM, then SIGKILL for any still running after 20 s (gunicorn waits for the
    round-robin's idle connections up to its graceful timeout)."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + 20
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def get(port: int, path: str, key: str) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Authorization": f"Token {key}", "Host": "127.0.0.1"})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    return response.status, (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def case_lists(port: int, customer, staff, requests: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portal.services import api_token_create

    for who, user in (("customer (one organization)", customer), ("staff (every case)", staff)):
        key = api_token_create(user=user)[1]
        get(port, "/api/tickets/", key)  # warm
        times = []
        for _ in range(requests):
            status, ms = get(port, "/api/tickets/", key)
            assert status == 200, status
            times.append(ms)
        client = Client(HTTP_AUTHORIZATION=f"Token {key}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/tickets/").status_code == 200
        print(
            f"case list, API, {who}: median {statistics.median(times):.1f} ms, p95 {p95(times):.1f} ms, "
            f"{len(queries)} queries"
        )


def openings(port: int, customers: list, seconds: float) -> None:
    """CLIENTS clients opening cases, each as its own customer of its own organization with its own
    token: the API's write limit (API_WRITE_RATE) is per person, and one person for all clients
    measures the limit, not the desk. Answers other than 201 are counted by status."""
    from collections import Counter

    from portal.services import api_token_create

    keys = [api_token_create(user=customer)[1] for customer in customers]
    counter, statuses, lock = itertools.count(), Counter(), threading.Lock()
    until = time.monotonic() + seconds

    def client(key: str) -> None:
        while time.monotonic() < until:
            # Three vendors in turn, as bench/tickets.py: each vendor's case numbers are one
            # counter row, which an opening holds until it commits.
            number = next(counter)
            vendor = CREATION_VENDORS[number % len(CREATION_VENDORS)]
            body = json.dumps(
                {
                    "vendor": vendor,
                    "priority": "normal" if vendor == "secpod" else "high",
                    "kind": "incident",
                    "subject": f"{CREATED_SUBJECT} {number}",
                    "body": "Opened by bench/scale.py.",
                }
            )
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {
                "Authorization": f"Token {key}",
                "Content-Type": "application/json",
                "Host": "127.0.0.1",
            }
            connection.request("POST", "/api/tickets/", body=body, headers=headers)
            status = connection.getresponse().status
            connection.close()
            with lock:
                statuses[status] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    opened = statuses.pop(201, 0)
    refused = ", ".join(f"{count} × {status}" for status, count in sorted(statuses.items())) or "none"
    print(
        f"opening through the round-robin, {len(keys)} clients (one customer each, of "
        f"{len(keys)} organizations) for {elapsed:.0f} s: {opened / elapsed:.0f} cases/s, "
        f"{opened} opened; not 201: {refused}"
    )


def sweep_due() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tickets.models import SlaEvent, SlaTarget, TargetState, Ticket
    from tickets.services.sweep import sla_sweep

    # The same 1,000 targets, put back before each run to running and just past due (as
    # bench/sweep.py does): a seeded year has few targets still running, and a run settles them.
    ids = list(
        SlaTarget.objects.filter(state__in=[TargetState.BREACHED, TargetState.RUNNING], due_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:DUE]
    )
    timings, breached = [], []
    for _ in range(3):
        now = timezone.now()
        SlaEvent.objects.filter(target_id__in=ids).delete()
        due = SlaTarget.objects.filter(pk__in=ids)
        due.update(
            state=TargetState.RUNNING,
            breached_at=None,
            warned_at=None,
            due_at=now - timedelta(minutes=1),
            warn_at=now - timedelta(minutes=5),
        )
        Ticket.objects.filter(pk__in=due.values("ticket_id")).update(
            sla_state="running", next_due_at=now - timedelta(minutes=1)
        )
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = sla_sweep(now=timezone.now())
            timings.append(time.perf_counter() - started)
        breached.append(result.breached)
    print(
        f"SLA sweep, {DUE:,} due (breached per run: {', '.join(map(str, breached))}): "
        f"best {min(timings) * 1000:.0f} ms "
        f"of {', '.join(f'{t * 1000:.0f}' for t in timings)} ms, {len(queries)} queries"
    )


def drain(count: int) -> None:
    from portal.models import Notice, NoticeKind, NoticeState
    from portal.outbox import RenderedEmail, notice_build
    from portal.tasks import notice_deliver_task

    # Rendering is the services' cost, measured elsewhere; here one body for every notice.
    rendered = RenderedEmail(subject="Scale bench", text="Sent by bench/scale.py.\n", html="<p>Sent.</p>")
    stamp = time.time_ns()
    rows = Notice.objects.bulk_create(
        [
            notice_build(
                kind=NoticeKind.TICKET_RECEIVED,
                dedupe_key=f"scale:{stamp}:{i}",
                rendered=rendered,
                to_email=f"customer{i}@example.test",
                reference="SCALE",
                thread="SCALE",
            )
            for i in range(count)
        ],
        batch_size=500,
    )
    ids = [row.pk for row in rows]
    started = time.monotonic()
    for i in range(0, len(ids), 20):
        notice_deliver_task.delay(ids[i : i + 20])
    pending = Notice.objects.filter(pk__in=ids).exclude(state=NoticeState.SENT)
    while pending.exists() and time.monotonic() - started < 600:
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    sent = Notice.objects.filter(pk__in=ids, state=NoticeState.SENT).count()
    print(
        f"outbox drain, 2 workers: {sent:,} of {count:,} notices sent in {elapsed:.1f} s, "
        f"{sent / elapsed:.0f}/s"
    )


def main() -> int:  # noqa: PLR0915 - the run's steps, in order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--organizations", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--notices", type=int, default=2000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench/scale.py runs on PostgreSQL: set DATABASE_URL=postgres://…")
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed")

    log_dir = ROOT / "var" / "bench" / "scale"
    log_dir.mkdir(parents=True, exist_ok=True)
    redis_port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
        stdout=(log_dir / "redis.log").open("w"),
    )
    smtp = SmtpServer()
    os.environ.update(
        CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        EMAIL_TIMEOUT="10",
        NOTICE_LEASE_SECONDS="60",
    )
    setup_django("scale")
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores; host check before: "
        f"{host_check_ms():.0f} ms (75-95 quiet, 140-175 busy); load average {os.getloadavg()[0]:.1f}"
    )
    from django.db import connection

    from tickets.models import Ticket

    had, started = Ticket.objects.count(), time.monotonic()
    world = seed(tickets=args.cases, organizations=args.organizations)
    seeded, seconds = Ticket.objects.count() - had, time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rate = f", {seeded / seconds:,.0f} cases/s" if seeded else ""
    print(
        f"desk: {had + seeded:,} cases, {args.organizations} organizations "
        f"({seeded:,} seeded in {seconds:.0f} s{rate}; load average {os.getloadavg()[0]:.1f})"
    )

    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false", "LOG_LEVEL": "ERROR"}
    processes = []
    try:
        balancer = start_cluster(env, log_dir, processes)
        customer = world.members[world.organizations[0].pk][0]
        case_lists(balancer.port, customer, world.staff[0], args.requests)
        # One customer per client, each of another organization (the write limit is per person).
        openers = [world.members[organization.pk][0] for organization in world.organizations[1 : 1 + CLIENTS]]
        openings(balancer.port, openers, args.seconds)
        sweep_due()
        drain(args.notices)
    finally:
        stop(processes)
        smtp.stop()
        redis.terminate()
        redis.wait(timeout=30)
    print(f"host check after: {host_check_ms():.0f} ms; load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
