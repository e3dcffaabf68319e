"""The SLA sweep among 1,000,000 running targets, and notices delivered per second over SMTP.

Run from the repo root: `.venv/bin/python bench/sweep.py` (`--targets 200000` for a smaller
desk). The first run fills var/bench/sweep.sqlite3 (or the DATABASE_URL database) with running
SLA targets, two per ticket, written by INSERT … SELECT over a generated series in chunks, with
a progress line; later runs reuse them. 1,000 of them are past due; the rest are due in a month.

Prints: the sweep's wall time and SQL queries (it breaches the 1,000 due targets, records their
events, refreshes their tickets and queues 1,000 escalation notices), best of several rounds,
each round restoring the same 1,000 targets first; and the notices per second delivered by the
outbox (claim, send, mark sent) to an aiosmtpd server on 127.0.0.1 over one SMTP connection.
Delivery is timed with one worker process and with the Procfile's two (`--concurrency=2`), each
taking its share of the ids; the floor applies to the better of the two (on a two-core machine the
second process competes with the SMTP server and the database for the same cores).
Floors: sweep under 1 s, delivery at least 200 per second; the script exits non-zero below them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import free_port  # noqa: E402

SWEEP_FLOOR_SECONDS = 1.0
DELIVERY_FLOOR_PER_SECOND = 200
DUE = 1000
CHUNK = 100_000
ROUNDS = 3
WORKER_PROCESSES = 2  # the Procfile's worker: --concurrency=2
NOTICES = 2000
PREFIX = "SWB"


SMTP_SERVER = """
import signal, sys, threading
from aiosmtpd.controller import Controller

class Counter:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Counter.count += 1
        return "250 OK"

controller = Controller(Counter(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
signal.signal(signal.SIGTERM, lambda *_: (print(Counter.count, flush=True), controller.stop(), sys.exit(0)))
threading.Event().wait()
"""


class SmtpServer:
    """aiosmtpd in its own process (as a real mail server would be), counting what it accepts."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SMTP_SERVER, str(self.port)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self) -> int:
        """Stop the server; return how many messages it accepted."""
        self.process.terminate()
        count = int(self.process.stdout.readline() or 0)
        self.process.wait(timeout=10)
        return count


def progress(done: int, total: int, started: float, what: str) -> None:
    rate = done / max(time.monotonic() - started, 1e-9)
    print(f"\r  {what}: {done:>9,} / {total:,} ({rate:,.0f}/s)", end="", flush=True)


def _series(connection, lo: int, hi: int) -> tuple[str, str]:
    """(prefix, FROM clause) yielding n = lo..hi in the backend's dialect."""
    if connection.vendor == "postgresql":
        return "", f"FROM generate_series({lo}, {hi}) AS seq(n)"
    return (
        f"WITH RECURSIVE seq(n) AS (SELECT {lo} UNION ALL SELECT n + 1 FROM seq WHERE n < {hi}) ",
        "FROM seq",
    )


def _prep(model, name: str, value, connection):
    return model._meta.get_field(name).get_db_prep_value(value, connection, prepared=False)


def fill(total_targets: int, now) -> None:
    """Tickets and their two running targets, in chunks of INSERT … SELECT."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from policies.models import Vendor
    from policies.selectors import version_in_force
    from portal.models import Membership, Organization
    from tickets.models import SlaTarget, Ticket

    vendor = Vendor.objects.get(slug="secpod")
    version = version_in_force(vendor=vendor, at=now)
    priority = version.priorities.get(code="normal")
    organization, _ = Organization.objects.get_or_create(slug="sweep-bench", defaults={"name": "Sweep bench"})
    requester, _ = get_user_model().objects.get_or_create(
        username="sweep-bench", defaults={"email": "sweep-bench@example.test"}
    )
    Membership.objects.get_or_create(user=requester, defaults={"organization": organization})
    tickets = total_targets // 2
    due_tickets = DUE // 2
    fixed = {
        "vendor_id": vendor.pk,
        "organization_id": organization.pk,
        "requester_id": requester.pk,
        "policy_version_id": version.pk,
        "priority_id": priority.pk,
        "kind": "incident",
        "channel": "portal",
        "status": "open",
        "subject": "Bench case",
        "body": "x",
        "body_html": "<p>x</p>",
        "billable": False,
        "billable_reason": "",
        "opened_at": now - timedelta(days=1),
        "updated_at": now - timedelta(days=1),
        "sla_state": "running",
    }
    # Every other column takes its model default (or NULL), so new Ticket fields need no change here.
    ticket_fields = [
        f for f in Ticket._meta.concrete_fields if f.column not in ("id", "number", "next_due_at")
    ]
    for f in ticket_fields:
        fixed.setdefault(f.column, None if f.null else f.get_default())
    columns = ", ".join(["number", "next_due_at", *(f.column for f in ticket_fields)])
    started = time.monotonic()
    for lo in range(1, tickets + 1, CHUNK):
        hi = min(lo + CHUNK - 1, tickets)
        prefix, source = _series(connection, lo, hi)
        placeholders = ", ".join(["%s"] * len(ticket_fields))
        sql = (
            f"{prefix}INSERT INTO {Ticket._meta.db_table} ({columns}) "
            f"SELECT '{PREFIX}-' || n, CASE WHEN n <= {due_tickets} THEN %s ELSE %s END, {placeholders} "
            f"{source}"
        )
        params = [
            _prep(Ticket, "next_due_at", now - timedelta(minutes=5), connection),
            _prep(Ticket, "next_due_at", now + timedelta(days=30), connection),
        ]
        params += [f.get_db_prep_value(fixed[f.column], connection, prepared=False) for f in ticket_fields]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
        progress(hi, tickets, started, "tickets")
    print()
    ours = Ticket.objects.filter(number__startswith=f"{PREFIX}-").values_list("pk", flat=True)
    first, last = ours.order_by("pk")[0], ours.order_by("-pk")[0]
    started = time.monotonic()
    target_columns = (
        "ticket_id, kind, state, source, duration, started_at, due_at, warn_at, paused, explanation"
    )
    for lo in range(first, last + 1, CHUNK // 2):
        hi = min(lo + CHUNK // 2 - 1, last)
        for kind in ("first_response", "update"):
            sql = (
                f"INSERT INTO {SlaTarget._meta.db_table} ({target_columns}) "
                f"SELECT id, %s, 'running', 'bench', %s, %s, next_due_at, next_due_at, %s, '' "
                f"FROM {Ticket._meta.db_table} WHERE id BETWEEN %s AND %s"
            )
            params = [
                kind,
                _prep(SlaTarget, "duration", timedelta(hours=12), connection),
                _prep(SlaTarget, "started_at", now - timedelta(days=1), connection),
                _prep(SlaTarget, "paused", timedelta(0), connection),
                lo,
                hi,
            ]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
        progress((hi - first + 1) * 2, tickets * 2, started, "SLA targets")
    print()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Ticket._meta.db_table}; ANALYZE {SlaTarget._meta.db_table}")


def reset_due(now) -> None:
    """Put the same 1,000 targets back to running and past due, as before a sweep."""
    from portal.models import Notice
    from tickets.models import SlaEvent, SlaTarget, TargetState, Ticket

    due = SlaTarget.objects.filter(ticket__number__startswith=f"{PREFIX}-", due_at__lte=now)
    SlaEvent.objects.filter(target__in=due).delete()
    due.update(
        state=TargetState.RUNNING, breached_at=None, warned_at=None, warn_at=now - timedelta(minutes=5)
    )
    Ticket.objects.filter(pk__in=due.values("ticket_id")).update(
        sla_state="running", next_due_at=now - timedelta(minutes=5)
    )
    Notice.objects.all().delete()


def time_sweep(now) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.services.sweep import sla_sweep

    reset_due(now)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = sla_sweep(now=now)
        elapsed = time.perf_counter() - started
    assert result.breached == DUE, result
    return elapsed, len(queries), result.notices


def _deliver_slice(ids: list[int]) -> int:
    from django.db import connections

    from portal.outbox import notice_deliver

    connections.close_all()  # a forked child opens its own connection
    return len(notice_deliver(notice_ids=ids))


def time_delivery(processes: int) -> tuple[int, float]:
    """Deliver the pending notices in `processes` worker processes, each with its own SMTP
    connection and its share of the ids (as tasks carry their own ids), and time it."""
    import multiprocessing

    from django.db import connections

    from portal.models import Notice, NoticeState

    ids = list(Notice.objects.filter(state=NoticeState.PENDING).order_by("pk").values_list("pk", flat=True))
    connections.close_all()
    slices = [ids[i::processes] for i in range(processes)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        sent = sum(pool.map(_deliver_slice, slices))
    return sent, time.perf_counter() - started


def make_notices(count: int) -> None:
    """`count` pending case-received notices to distinct customers (rendered once: rendering is
    the services' cost, not delivery's)."""
    from django.urls import reverse

    from portal.models import Notice, NoticeKind
    from portal.outbox import notice_build, render_email
    from tickets.models import Ticket

    Notice.objects.all().delete()
    ticket = (
        Ticket.objects.filter(number__startswith=f"{PREFIX}-").select_related("vendor", "priority").first()
    )
    url = "http://127.0.0.1:8000" + reverse("tickets:detail", args=[ticket.number])
    targets = list(ticket.sla_targets.all())
    rendered = render_email(
        "ticket_received",
        {
            "ticket": ticket,
            "targets": targets,
            "recipient_name": "Bench",
            "ticket_url": url,
            "zone_name": "UTC",
        },
    )
    Notice.objects.bulk_create(
        [
            notice_build(
                kind=NoticeKind.TICKET_RECEIVED,
                dedupe_key=f"bench:{i}",
                rendered=rendered,
                to_email=f"customer{i}@example.test",
                reference=ticket.number,
                thread=ticket.number,
            )
            for i in range(count)
        ],
        batch_size=500,
    )


def reset_notices() -> None:
    from portal.models import Notice, NoticeState

    Notice.objects.update(state=NoticeState.PENDING, attempts=0, sent_at=None, claimed_at=None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1_000_000)
    args = parser.parse_args()
    smtp = SmtpServer()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp.port}"
    from bench._seed import setup_django

    setup_django("sweep")
    from django.utils import timezone

    from tickets.models import SlaTarget

    now = timezone.now()
    existing = SlaTarget.objects.filter(ticket__number__startswith=f"{PREFIX}-").count()
    if existing != args.targets:
        print(f"Filling {args.targets:,} running SLA targets ({DUE:,} past due) …")
        from tickets.models import Ticket

        if existing:
            Ticket.objects.filter(number__startswith=f"{PREFIX}-").delete()
        fill(args.targets, now)
    running = SlaTarget.objects.filter(state="running").count()
    print(f"Running SLA targets: {running:,}; coming due now: {DUE:,}")
    rounds = [time_sweep(now) for _ in range(ROUNDS)]
    best, queries, notices = min(rounds)
    each = ", ".join(f"{r[0] * 1000:,.0f}" for r in rounds)
    print(
        f"Sweep: {best * 1000:,.0f} ms best of {ROUNDS} ({each} ms), "
        f"{queries} SQL queries, {DUE:,} breaches, {notices:,} escalation digest(s) queued"
    )
    rates = {}
    make_notices(NOTICES)
    for processes in (1, WORKER_PROCESSES):
        reset_notices()
        sent, elapsed = time_delivery(processes)
        rates[processes] = sent / elapsed
        print(
            f"Delivery, {processes} worker process{'es' if processes > 1 else ''}: {sent:,} notices in "
            f"{elapsed:.2f} s = {rates[processes]:,.0f} per second"
        )
    print(f"The SMTP server accepted {smtp.stop():,} messages")
    rate = max(rates.values())
    ok = best < SWEEP_FLOOR_SECONDS and rate >= DELIVERY_FLOOR_PER_SECOND
    print(
        f"Floors: sweep < {SWEEP_FLOOR_SECONDS:.0f} s, delivery >= {DELIVERY_FLOOR_PER_SECOND}/s: "
        + ("met" if ok else "MISSED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
