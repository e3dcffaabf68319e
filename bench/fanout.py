"""Notices delivered per second against raw smtplib to the same SMTP server (issue 24, fan-out).

Run from the repo root: `.venv/bin/python bench/fanout.py` (`--notices 2000 --rounds 3`;
DATABASE_URL=postgres://… for PostgreSQL, else var/bench/fanout.sqlite3). An aiosmtpd sink runs
in a process of its own on 127.0.0.1 and writes the Message-ID of every message it accepts.

The fan-out (the issue's scenario: a policy change reaches every contract holder at once): each
round publishes a policy version of a seeded vendor whose N contract holders (seeded organizations
of 5 members, each with a contract with the vendor) are notified by the real path,
`lifecycle.notices.policy_change_notices_queue(build=True)` as the daily task runs it: rows built
per person, each message rendered in its recipient's language and zone, built and stored as it is
queued. Printed: the time that took (rows/s). The rows are then made due (off the clock) and
delivered in blocks of `--block` (200), each block two ways one after the other so both meet the
same host (it is shared and its speed swings 4x within a minute):

- raw: the block's messages (the stored bytes, another Message-ID) sent by `smtplib.SMTP.sendmail`
  on one connection: the wire's own cost here, the floor no delivery can beat;
- fan-out: the block delivered by `portal.outbox.notice_deliver` as the worker's task does:
  claimed in chunks, the stored bytes sent over one connection, marked sent in bulk.

Then the "case received" notices of seeded cases (rows as tickets.notices writes them when a case
opens, in a request: template and context, nothing rendered), three ways a block: raw, outbox
(rendered at delivery: claimed, rendered and built once, stored, sent, marked) and stored (the same
rows again, what a retry sends).

Printed per round: delivered/s of each, the ratios to raw, the SQL statements per chunk, and
whether the sink received every Message-ID exactly once per send (it must); then the best and
median ratio of the rounds (the goal: median fan-out / raw >= 0.5; exit status 1 if missed). A
host check (bench/tickets.py's fixed pure-Python work: 75-95 ms quiet) is printed before and after
with the load average.
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


def holders(vendor, count: int) -> None:
    """`count` contract holders of `vendor` (rounded up to whole organizations of 5): seeded
    organizations, each with a contract for a bench product of the vendor, current for a year."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from bench._seed import MEMBERS_PER_ORGANIZATION, _people
    from lifecycle.models import Contract, Deployment, Plan, Product
    from lifecycle.services import contract_create

    world = _people(-(-count // MEMBERS_PER_ORGANIZATION))
    product, _ = Product.objects.get_or_create(vendor=vendor, name="Bench fan-out product")
    today = timezone.localdate()
    held = set(Contract.objects.filter(product=product).values_list("organization_id", flat=True))
    for organization in world.organizations:
        if organization.pk not in held:
            contract_create(
                organization=organization,
                product=product,
                plan=Plan.STANDARD,
                start=today - timedelta(days=30),
                end=today + timedelta(days=365),
                deployment=Deployment.HOSTED,
                license_price=Decimal("0"),
            )


def policy_fan_out(vendor, round_no: int) -> tuple[list[int], float, object]:
    """One policy change's notices queued and built by the real fan-out path, timed; returns the
    rows (made due), the seconds the fan-out took, and the version (to delete after the round)."""
    from datetime import timedelta

    from django.utils import timezone

    from lifecycle.notices import policy_change_notices_queue
    from policies.models import PolicyVersion
    from policies.selectors import version_in_force
    from portal.models import Notice, NoticeKind

    now = timezone.now()
    current = version_in_force(vendor=vendor, at=now)
    version = PolicyVersion.objects.create(
        vendor=vendor,
        key=f"bench-{round_no}-{time.monotonic_ns()}",
        name=current.name,
        effective_from=now + timedelta(days=10),
        published_at=now,
        source_text=current.source_text,
    )
    started = time.perf_counter()
    queued = policy_change_notices_queue(version=version, now=now, build=True)
    spent = time.perf_counter() - started
    rows = Notice.objects.filter(kind=NoticeKind.POLICY_CHANGE, dedupe_key__contains=f":version{version.pk}:")
    assert queued == rows.count() and not rows.filter(message__isnull=True).exists(), queued
    rows.update(send_after=timezone.now())  # due now (off the clock): it waits a week otherwise
    return list(rows.order_by("pk").values_list("pk", flat=True)), spent, version


def raw_copies(notices: list) -> list[tuple[str, str, bytes]]:
    """What raw smtplib sends: each notice's built message, under a Message-ID of its own."""
    from django.conf import settings

    return [
        (settings.DEFAULT_FROM_EMAIL, n.to_email, bytes(n.message).replace(b"<notice.", b"<raw.", 1))
        for n in notices
    ]


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
    from policies.models import Vendor

    vendor = Vendor.objects.get(slug="alectrona")
    holders(vendor, args.notices)
    ratios, received_ratios, stored_ratios = [], [], []
    try:
        for round_no in range(1, args.rounds + 1):
            ids, spent, version = policy_fan_out(vendor, round_no)
            built = list(Notice.objects.filter(pk__in=ids).order_by("pk"))
            if round_no == 1:
                print(f"sample fan-out notice: {built[0].subject!r}, {len(bytes(built[0].message)):,} bytes")
            messages = raw_copies(built)
            times = {"raw": 0.0, "fan-out": 0.0}
            statements = 0
            before = sink.received()
            for start in range(0, len(ids), args.block):
                block, sending = ids[start : start + args.block], messages[start : start + args.block]
                times["raw"] += len(sending) / raw_round(sink.port, sending)
                rate, sent, count = outbox_round(block)
                assert sent == len(block), (sent, len(block))
                times["fan-out"] += len(block) / rate
                statements += count
            after = sink.received()
            exact = {
                "raw": once(after, [_mid(data).decode() for _, _, data in messages], before, 1),
                "fan-out": once(after, [n.message_id for n in built], before, 1),
            }
            Notice.objects.filter(pk__in=ids).delete()
            version.delete()
            chunks = -(-args.block // DELIVERY_CHUNK) * -(-len(ids) // args.block)
            rates = {name: len(ids) / took for name, took in times.items()}
            ratios.append(rates["fan-out"] / rates["raw"])
            print(
                f"round {round_no}: policy change fan-out queued and built {len(ids):,} notices in "
                f"{spent:.2f} s = {len(ids) / spent:,.0f} rows/s; delivered: raw smtplib "
                f"{rates['raw']:,.0f}/s, fan-out {rates['fan-out']:,.0f}/s = {ratios[-1]:.2f} x raw, "
                f"{statements / chunks:.1f} statements per chunk; received: raw {exact['raw']}, "
                f"fan-out {exact['fan-out']}"
            )

            ids = queue(tickets, round_no)
            # raw smtplib sends the bytes the outbox would send, built here, off the clock.
            from portal.outbox import notices_render

            probe = notices_render(list(Notice.objects.filter(pk__in=ids).select_related("recipient")))
            messages = raw_copies(probe)
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
            received_ratios.append(rates["outbox"] / rates["raw"])
            stored_ratios.append(rates["stored"] / rates["raw"])
            print(
                f"round {round_no}, case received (rendered at delivery): raw smtplib "
                f"{rates['raw']:,.0f}/s; outbox {rates['outbox']:,.0f}/s "
                f"= {received_ratios[-1]:.2f} x raw, "
                f"{statements['outbox'] / chunks:.1f} statements per chunk; "
                f"stored {rates['stored']:,.0f}/s = {stored_ratios[-1]:.2f} x raw, "
                f"{statements['stored'] / chunks:.1f} per chunk; received: raw {exact['raw']}, "
                f"outbox and stored {exact['outbox + stored']}"
            )
    finally:
        sink.stop()
    ratio, middle = max(ratios), sorted(ratios)[len(ratios) // 2]
    print(
        f"fan-out / raw smtplib: best round {ratio:.2f}, median {middle:.2f} (goal: median >= {GOAL}: "
        f"{'met' if middle >= GOAL else 'MISSED'}); case received (rendered at delivery) / raw: best "
        f"{max(received_ratios):.2f}, median {sorted(received_ratios)[len(received_ratios) // 2]:.2f}; "
        f"stored / raw: best {max(stored_ratios):.2f}, "
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
