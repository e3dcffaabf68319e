"""A storm of new cases: a vendor's service goes down and its customers write in at once.

Run from the repo root: `DATABASE_URL=postgres://… .venv/bin/python bench/storm.py` (2,000 cases
from 50 clients; `--cases 300 --clients 20` for a quick look). DATABASE_URL names a migrated
database with the policy catalog; it is only read: the whole desk runs on private servers, as
bench/faults.py runs it (bench/_faults.py: a PostgreSQL cluster of its own with the schema and the
catalog copied in, redis-server, gunicorn with 2 workers, a Celery worker with the Procfile's
prefork pool and the SMTP sink of tests/services/smtp_sink.py). Needs PostgreSQL's server programs
(/usr/lib/postgresql/*/bin), redis-server, gunicorn and aiosmtpd.

Each client is one customer with a portal session and an API token. The cases come, in turn, as:
- the portal's "Open a case" form (POST /tickets/new/, answered by a 302 to the new case);
- the API (POST /api/tickets/, 201);
- an email to Alectrona's support address, dropped into its Maildir and taken in by the mailroom
  (mailroom.tasks.maildir_poll_task on the Celery worker, sent every second as beat would every
  minute; the outbox sweep too).

Prints: the load average and a host check (bench.tickets.host_check_ms) before and after, cases
opened per second (from the first request to the last case saved), p50 / p95 / p99 of the answers
per channel (for email: from the drop to the case saved), the 5xx answers (the
script exits non-zero when there is one, or when a case is missing) and the time until every
"we received your case" acknowledgement of those cases had reached the SMTP server.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._faults import PYTHON, Desk, pg_available, wait_until  # noqa: E402
from bench.tickets import host_check_ms  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "mailroom" / "corpus" / "new_gmail_plain.eml"
CHANNELS = ("portal", "api", "email")
SUBJECT = "Storm"
API_VENDOR, API_PRIORITY = "secpod", "normal"
MAIL_VENDOR = "alectrona"
SETTLE_SECONDS = 600  # the most the acknowledgements may take after the last case


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class StormDesk(Desk):
    """bench/_faults.py's desk with a Maildir for the mailroom and a sender's answer rate that a
    storm does not exhaust."""

    def __init__(self, folder: Path, *, source_url: str, customers: int):
        super().__init__(folder, source_url=source_url, customers=customers)
        self.maildir_root = folder / "maildir"
        copy = self.pg.copy_from

        def copy_and_migrate(url: str) -> None:
            # The source may be a migration or two behind the code: the copy is brought up to it.
            copy(url)
            subprocess.run(
                [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env(), check=True
            )

        self.pg.copy_from = copy_and_migrate

    def env(self, **extra: str) -> dict:
        return super().env(MAILDIR_ROOT=str(self.maildir_root), MAIL_ANSWERS_PER_HOUR="1000000", **extra)

    def send(self, task: str) -> None:
        """A task as beat sends it: on this desk's own broker."""
        from celery import Celery
        from kombu import Connection

        url = f"redis://127.0.0.1:{self.redis_port}/0"
        with Connection(url, connect_timeout=2) as connection:
            Celery(broker=url, set_as_current=False).send_task(task, connection=connection, retry=False)


class Customer:
    """One client: a portal session (cookies and CSRF token) and an API token."""

    def __init__(self, desk: StormDesk, index: int, key: str):
        self.desk, self.index, self.key = desk, index, key
        self.username, self.email = f"faults{index}", f"faults{index}@example.test"
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, body: str = "", headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.desk.web_port, timeout=120)
        try:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            sent = {"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {}), **(headers or {})}
            connection.request(method, path, body=body.encode(), headers=sent)
            response = connection.getresponse()
            content = response.read()
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, content
        finally:
            connection.close()

    def _csrf_from(self, page: bytes) -> str:
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not found:
            raise SystemExit(f"{self.username}: no CSRF token on the page")
        return found[1].decode()

    def sign_in(self) -> None:
        status, page = self.request("GET", "/accounts/login/")
        form = {"username": self.username, "password": "x", "csrfmiddlewaretoken": self._csrf_from(page)}
        status, _ = self.request("POST", "/accounts/login/", urlencode(form), self._form_headers())
        if status != 302:
            raise SystemExit(f"{self.username}: sign-in answered HTTP {status}")
        status, page = self.request("GET", f"/tickets/new/?vendor={API_VENDOR}")
        if status != 200:
            raise SystemExit(f"{self.username}: the form answered HTTP {status}")
        self.csrf = self._csrf_from(page)

    @staticmethod
    def _form_headers() -> dict[str, str]:
        return {"Content-Type": "application/x-www-form-urlencoded"}

    def open_portal(self, subject: str) -> int:
        form = {
            "vendor": API_VENDOR,
            "priority": API_PRIORITY,
            "kind": "incident",
            "subject": subject,
            "body": "The service is down for everyone here.",
            "action": "open",
            "csrfmiddlewaretoken": self.csrf,
        }
        status, _ = self.request("POST", "/tickets/new/", urlencode(form), self._form_headers())
        return 201 if status == 302 else status  # the form's success is a redirect to the case

    def open_api(self, subject: str) -> int:
        import json

        body = json.dumps(
            {
                "vendor": API_VENDOR,
                "priority": API_PRIORITY,
                "kind": "incident",
                "subject": subject,
                "body": "The service is down for everyone here.",
            }
        )
        headers = {
            "Authorization": f"Token {self.key}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        return self.request("POST", "/api/tickets/", body, headers)[0]

    def write_email(self, subject: str, n: int) -> str:
        """A new-case email from this customer into Alectrona's Maildir (tmp/ then new/, as an MTA
        delivers); returns its Message-ID."""
        raw = CORPUS.read_bytes().replace(b"alice@example.test", self.email.encode())
        head, _, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
        newline = b"\r\n" if b"\r\n" in head else b"\n"
        message_id = f"<storm-{uuid.uuid4().hex}@example.test>"
        lines = [
            line for line in head.split(newline) if not line.lower().startswith((b"message-id:", b"subject:"))
        ]
        lines += [f"Message-ID: {message_id}".encode(), f"Subject: {subject}".encode()]
        folder = self.desk.maildir_root / MAIL_VENDOR
        name = f"{time.time():.6f}.storm_{n}.bench"
        (folder / "tmp" / name).write_bytes(newline.join(lines) + newline + newline + body)
        os.rename(folder / "tmp" / name, folder / "new" / name)
        return message_id


def storm(desk: StormDesk, customers: list[Customer], *, cases: int) -> dict:
    run = uuid.uuid4().hex[:6]
    subject = f"{SUBJECT} {run}"
    numbers = itertools.count()
    lock = threading.Lock()
    answers: dict[str, list[float]] = defaultdict(list)
    statuses: Counter = Counter()
    errors: list[str] = []
    dropped: dict[str, float] = {}  # Message-ID -> when the email was written

    def client(customer: Customer) -> None:
        while True:
            with lock:
                n = next(numbers)
            if n >= cases:
                return
            channel = CHANNELS[n % len(CHANNELS)]
            started = time.time()
            try:
                if channel == "portal":
                    status = customer.open_portal(f"{subject} #{n}")
                elif channel == "api":
                    status = customer.open_api(f"{subject} #{n}")
                else:
                    message_id = customer.write_email(f"{subject} #{n}", n)
                    with lock:
                        dropped[message_id] = started
                    continue
            except (OSError, http.client.HTTPException) as error:
                status = 0
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
            with lock:
                statuses[(channel, status)] += 1
                if status == 201:
                    answers[channel].append(time.time() - started)

    for folder in ("tmp", "new", "cur"):
        (desk.maildir_root / MAIL_VENDOR / folder).mkdir(parents=True, exist_ok=True)
    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in customers]
    beat_stop = threading.Event()

    def beat() -> None:  # what beat does every minute, every second: take in mail, sweep the outbox
        while not beat_stop.is_set():
            for task in ("mailroom.tasks.maildir_poll_task", "portal.tasks.notice_sweep_task"):
                try:
                    desk.send(task)
                except Exception as error:  # noqa: BLE001 - printed; the next second tries again
                    errors.append(f"beat: {type(error).__name__}: {error}")
            beat_stop.wait(1.0)

    load_before, host_before = os.getloadavg(), host_check_ms()
    started = time.time()
    ticker = threading.Thread(target=beat, daemon=True)
    ticker.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered = time.time()
    emails = len(dropped)
    pattern = f"{subject} #%"

    def saved() -> int:
        return desk.pg.query("SELECT count(*) FROM tickets_ticket WHERE subject LIKE %s", pattern)[0][0]

    http_opened = sum(n for (channel, status), n in statuses.items() if status == 201)
    try:
        wait_until(lambda: saved() >= http_opened + emails, timeout=SETTLE_SECONDS, what="the emails' cases")
    except TimeoutError as error:
        errors.append(str(error))
    # When each case was saved: its first history row's time (an email case's opened_at is the
    # message's arrival, the file's mtime).
    rows = desk.pg.query(
        "SELECT t.number, t.channel, extract(epoch FROM h.history_date), m.message_id FROM tickets_ticket t "
        "JOIN tickets_historicalticket h ON h.id = t.id AND h.history_type = '+' "
        "LEFT JOIN mailroom_inboundmessage m ON m.ticket_id = t.id AND m.outcome = 'opened' "
        "WHERE t.subject LIKE %s",
        pattern,
    )
    last_saved = max((float(at) for _, _, at, _ in rows), default=answered)
    for _, channel, at, message_id in rows:
        if channel == "email" and message_id in dropped:
            answers["email"].append(float(at) - dropped[message_id])

    def acknowledgements() -> set[str]:
        return {
            m
            for (m,) in desk.pg.query(
                "SELECT n.message_id FROM portal_notice n JOIN tickets_ticket t ON t.number = n.reference "
                "WHERE t.subject LIKE %s AND n.kind = 'ticket_received'",
                pattern,
            )
        }

    def all_acknowledged() -> bool:
        return acknowledgements() <= {m for _, m in desk.sink.received()}

    try:
        wait_until(all_acknowledged, timeout=SETTLE_SECONDS, what="every acknowledgement", step=0.5)
    except TimeoutError as error:
        errors.append(str(error))
    beat_stop.set()
    ticker.join(5)
    acks = acknowledgements()
    receipts = [at for at, m in desk.sink.received() if m in acks]
    return {
        "cases": cases,
        "saved": len(rows),
        "channels": Counter(channel for _, channel, _, _ in rows),
        "statuses": statuses,
        "answers": answers,
        "started": started,
        "answered": answered,
        "last_saved": last_saved,
        "acks": len(acks),
        "acks_received": len({m for _, m in desk.sink.received()} & acks),
        "last_ack": max(receipts, default=None),
        "errors": errors,
        "load_before": load_before,
        "host_before": host_before,
        "emails": emails,
    }


def report(result: dict, *, clients: int) -> int:
    load_after, host_after = os.getloadavg(), host_check_ms()
    elapsed = result["last_saved"] - result["started"]
    fivexx = sum(n for (_, status), n in result["statuses"].items() if status >= 500 or status == 0)
    other = {k: n for k, n in result["statuses"].items() if k[1] not in (201,) and k[1] < 500 and k[1]}
    print(
        f"\nStorm: {result['cases']:,} cases from {clients} clients (portal form, API, email in turn), "
        "PostgreSQL, gunicorn 2 workers, Celery prefork worker (2 processes)"
    )
    print(
        "load average before {:.1f} / {:.1f} / {:.1f}, after {:.1f} / {:.1f} / {:.1f} "
        "(1 / 5 / 15 min) on {} CPUs; host check {:.0f} ms before, {:.0f} ms after (the same Python "
        "work, bench.tickets.host_check_ms: 60-95 quiet, 140-175 busy)".format(
            *result["load_before"], *load_after, os.cpu_count(), result["host_before"], host_after
        )
    )
    channels = ", ".join(f"{c} {result['channels'].get(c, 0)}" for c in CHANNELS)
    print(
        f"cases saved {result['saved']:,} of {result['cases']:,} ({channels}) in {elapsed:.1f} s: "
        f"{result['saved'] / elapsed:,.1f} cases/s "
        f"(the last HTTP answer after {result['answered'] - result['started']:.1f} s)"
    )
    print(f"{'channel':<8} {'cases':>6} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7}")
    for channel in CHANNELS:
        times = result["answers"].get(channel, [])
        if times:
            print(
                f"{channel:<8} {len(times):>6} {statistics.median(times):>7.2f} "
                f"{percentile(times, 0.95):>7.2f} {percentile(times, 0.99):>7.2f}"
                + ("  (from the drop in the Maildir to the case saved)" if channel == "email" else "")
            )
    print(f"5xx answers (and refused connections): {fivexx}" + (f"; other answers: {other}" if other else ""))
    if result["last_ack"] is not None:
        print(
            f"acknowledgements at the SMTP server: {result['acks_received']:,} of {result['acks']:,}, "
            f"the last {result['last_ack'] - result['started']:.1f} s after the storm began "
            f"({result['last_ack'] - result['last_saved']:.1f} s after the last case was saved)"
        )
    for error in result["errors"][:10]:
        print("  " + error)
    failed = fivexx or result["saved"] < result["cases"] or result["acks_received"] < result["acks"]
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    options = parser.parse_args()
    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith("postgres") or not pg_available():
        sys.exit("bench/storm.py needs DATABASE_URL=postgres://… and PostgreSQL's server programs")
    desk = StormDesk(
        Path(tempfile.mkdtemp(prefix="bench-storm-")), source_url=source, customers=options.clients
    )
    try:
        print(f"Starting the desk in {desk.folder} ...", flush=True)
        desk.start()
        customers = [Customer(desk, i, key) for i, key in enumerate(desk.tokens)]
        signing = [threading.Thread(target=c.sign_in) for c in customers]
        for thread in signing:
            thread.start()
        for thread in signing:
            thread.join()
        if any(not c.csrf for c in customers):
            sys.exit("a customer could not sign in")
        print(f"{len(customers)} customers signed in; the storm begins", flush=True)
        result = storm(desk, customers, cases=options.cases)
    finally:
        desk.stop()
    return report(result, clients=options.clients)


if __name__ == "__main__":
    sys.exit(main())
