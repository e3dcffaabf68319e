"""Notices delivered per second against raw smtplib to the same SMTP server (issue 24, fan-out).

Run from the repo root: `.venv/bin/python bench/fanout.py` (`--notices 2000 --rounds 3`;
DATABASE_URL=postgres://… for PostgreSQL, else var/bench/fanout.sqlite3). An aiosmtpd sink runs
in a process of its own on 127.0.0.1 and writes the Message-ID of every message it accepts. Each
round queues N notices, then takes them in blocks of `--block` (200), each block three ways one
after the other, so that all three meet the same host (it is shared and its speed swings 4x
within a minute):

- raw: the block's messages, already built, sent by `smtplib.SMTP.sendmail` on one connection:
  the wire's own cost here, the floor no delivery can beat;
- outbox: the block's notices as a fan-out queues them (template and context, nothing rendered)
  delivered by `portal.outbox.notice_deliver` as the worker's task does: claimed in chunks,
  rendered and built once, the messages stored, sent over one connection, marked sent in bulk;
- stored: the same rows again with their messages stored (what a retry sends): claims, sends
  and marks only.

Printed per round: delivered/s of each, the ratios outbox / raw and stored / raw,
the SQL statements per chunk, and whether the sink received every Message-ID exactly once per
send (it must); then the best and median ratio of the rounds (the goal: median outbox / raw >= 0.5).
The notices are "case received" emails of seeded cases, written as tickets.notices writes them
(one sample's subject and first sentence is printed: vendor and priority named). A host check
(bench/tickets.py's fixed pure-Python work: 75-95 ms quiet) is printed before and after with the
load average.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL = 0.5  # outbox delivered/s at least this share of raw smtplib's

SINK = r"""
import asyncio, sys
from aiosmtpd.controller import Controller

class Handler:
    def __init__(self, path):
        self.out = open(path, "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break
            if line[:11].lower() == b"message-id:":
                self.out.write(line[11:].strip().decode() + "\n")
                break
        return "250 OK"

controller = Controller(Handler(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="fanout-sink-")[1])
        self.process = subprocess.Popen(
            [sys.executable, "-c", SINK, str(self.port), str(self.log)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def received(self) -> Counter:
        return Counter(self.log.read_text().split())

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.log.unlink(missing_ok=True)


def cases(count: int) -> list:
    """`count` cases of bench._seed's desk (real vendors, policy versions and priorities, targets due by
    the real clock), loaded with the relations `ticket_open` has on its case when it writes the
    notice (organization, requester, vendor, policy version, priority) and their targets."""
    from bench._seed import seed
    from tickets.models import SlaTarget, Ticket

    seed(tickets=count, organizations=max(1, count // 50), show_progress=False)
    tickets = list(
        Ticket.objects.select_related(
            "organization",
            "requester__profile",
            "requester__membership__organization",
            "requester__notice_preference",
            "vendor",
            "policy_version",
            "priority",
        ).order_by("pk")[:count]
    )
    targets: dict[int, list] = {}
    for target in SlaTarget.objects.filter(ticket__in=tickets).order_by("pk"):
        targets.setdefault(target.ticket_id, []).append(target)
    for ticket in tickets:
        ticket.opened_targets = targets.get(ticket.pk, [])
    return tickets


def queue(tickets: list, round_no: int) -> list[int]:
    """The "case received" rows of `tickets`, each written as tickets.notices.ticket_received writes
    it when the case opens (its targets all running then: a snapshot of the case with its vendor and
    priority, of the promised targets, the requester's zone, the vendor's sender), queued by one
    notices_queue as a fan-out's rows are."""
    from django.db import transaction

    from portal.models import Notice, NoticeKind
    from portal.outbox import context_snapshots, notices_queue
    from portal.selectors import user_timezone
    from tickets.models import TargetState
    from tickets.notices import _requester_rows

    tag = f"fanout:{round_no}:{time.monotonic_ns()}"
    rows = []
    for ticket in tickets:
        promised = sorted((t for t in ticket.opened_targets if t.due_at is not None), key=lambda t: t.due_at)
        for target in promised:
            target.state = TargetState.RUNNING  # as at opening, whatever the seeded case became since
        ticket_snapshot, promised_snapshot = context_snapshots(ticket, promised)
        rows += _requester_rows(
            ticket,
            kind=NoticeKind.TICKET_RECEIVED,
            key=f"{tag}:case{ticket.pk}",
            template="ticket_received",
            context={
                "ticket": ticket_snapshot,
                "targets": promised_snapshot,
                "zone_name": str(user_timezone(ticket.requester)),
            },
            people=[ticket.requester],
        )
    assert len(rows) == len(tickets), (len(rows), len(tickets))
    with transaction.atomic():
        notices_queue(notices=rows)
    return list(Notice.objects.filter(dedupe_key__startswith=tag).order_by("pk").values_list("pk", flat=True))


def raw_round(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for from_addr, to_addr, data in messages:
            smtp.sendmail(from_addr, [to_addr], data)
    return len(messages) / (time.perf_counter() - started)


class Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def outbox_round(ids: list[int]) -> tuple[float, int, int]:
    from django.db import connection

    from portal.outbox import notice_deliver

    counter = Statements()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        sent = notice_deliver(notice_ids=ids)
    return len(ids) / (time.perf_counter() - started), len(sent), counter.count


def once(after: Counter, message_ids: list[str], before: Counter, times: int) -> str:
    """Each Message-ID received `times` times since `before` (the outbox's rows go out twice: once
    built, once stored); anything else is named."""
    got = [after[m] - before[m] for m in message_ids]
    missing = sum(1 for n in got if n < times)
    doubled = sum(1 for n in got if n > times)
    return "each once" if not missing and not doubled else f"MISSING {missing}, DOUBLED {doubled}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--block", type=int, default=200, help="notices per interleaved block")
    args = parser.parse_args()

    sink = Sink()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{sink.port}"
    from bench._seed import setup_django

    setup_django("fanout")
    from django.conf import settings
    from django.db import connection

    from bench.tickets import host_check_ms
    from portal.models import Notice, NoticeState
    from portal.outbox import DELIVERY_CHUNK

    assert settings.EMAIL_BACKEND == "portal.mail.SMTPBackend", settings.EMAIL_BACKEND
    settings.NOTICE_JOURNAL_DIR = tempfile.mkdtemp(prefix="fanout-journal-")
    print(
        f"{args.notices:,} notices, {connection.vendor}, chunks of {DELIVERY_CHUNK}; host check "
        f"{host_check_ms():.0f} ms (75-95 quiet, 140-175 busy); load average "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    tickets = cases(args.notices)
    ratios, stored_ratios = [], []
    try:
        for round_no in range(1, args.rounds + 1):
            ids = queue(tickets, round_no)
            # raw smtplib sends the bytes the outbox would send, built here, off the clock.
            from portal.outbox import notices_render

            probe = notices_render(list(Notice.objects.filter(pk__in=ids).select_related("recipient")))
            messages = [
                (settings.DEFAULT_FROM_EMAIL, n.to_email, bytes(n.message).replace(b"<notice.", b"<raw.", 1))
                for n in probe
            ]
            if round_no == 1:
                sample = probe[0]
                line = next(x for x in sample.body_text.splitlines() if "(" in x)
                print(f"sample notice: {sample.subject!r}; {line.strip()!r}")
            Notice.objects.filter(pk__in=ids).update(message=None, subject="", body_text="", body_html="")
            # Interleaved in blocks, raw then outbox then stored, so all three meet the same host.
            times = {"raw": 0.0, "outbox": 0.0, "stored": 0.0}
            statements = {"outbox": 0, "stored": 0}
            before = sink.received()
            for start in range(0, len(ids), args.block):
                block, sending = ids[start : start + args.block], messages[start : start + args.block]
                times["raw"] += len(sending) / raw_round(sink.port, sending)
                rate, sent, count = outbox_round(block)
                assert sent == len(block), (sent, len(block))
                times["outbox"] += len(block) / rate
                statements["outbox"] += count
                Notice.objects.filter(pk__in=block).update(
                    state=NoticeState.PENDING, sent_at=None, attempts=0
                )
                rate, sent, count = outbox_round(block)
                times["stored"] += len(block) / rate
                statements["stored"] += count
            message_ids = list(Notice.objects.filter(pk__in=ids).values_list("message_id", flat=True))
            raw_ids = [_mid(data).decode() for _, _, data in messages]
            after = sink.received()
            exact = {
                "raw": once(after, raw_ids, before, 1),
                "outbox + stored": once(after, message_ids, before, 2),
            }
            Notice.objects.filter(pk__in=ids).delete()
            chunks = -(-args.block // DELIVERY_CHUNK) * -(-len(ids) // args.block)
            rates = {name: len(ids) / spent for name, spent in times.items()}
            ratios.append(rates["outbox"] / rates["raw"])
            stored_ratios.append(rates["stored"] / rates["raw"])
            print(
                f"round {round_no}: raw smtplib {rates['raw']:,.0f}/s; outbox {rates['outbox']:,.0f}/s "
                f"= {ratios[-1]:.2f} x raw, {statements['outbox'] / chunks:.1f} statements per chunk; "
                f"stored {rates['stored']:,.0f}/s = {stored_ratios[-1]:.2f} x raw, "
                f"{statements['stored'] / chunks:.1f} per chunk; received: raw {exact['raw']}, "
                f"outbox and stored {exact['outbox + stored']}"
            )
    finally:
        sink.stop()
    ratio, middle = max(ratios), sorted(ratios)[len(ratios) // 2]
    print(
        f"outbox / raw smtplib: best round {ratio:.2f}, median {middle:.2f} (goal: median >= {GOAL}: "
        f"{'met' if middle >= GOAL else 'MISSED'}); stored / raw: best {max(stored_ratios):.2f}, "
        f"median {sorted(stored_ratios)[len(stored_ratios) // 2]:.2f}"
    )
    print(f"host check after: {host_check_ms():.0f} ms; load average {os.getloadavg()[0]:.1f}")
    return 0 if middle >= GOAL else 1


def _mid(data: bytes) -> bytes:
    for line in data.split(b"\r\n"):
        if line[:11].lower() == b"message-id:":
            return line[11:].strip()
    return b""


if __name__ == "__main__":
    sys.exit(main())
