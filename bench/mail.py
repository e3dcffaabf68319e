"""Messages per second taken in from a vendor's Maildir, and the cost of a poll that finds nothing.

Run from the repo root: `.venv/bin/python bench/mail.py` (`--messages 200` for a quick look;
DATABASE_URL=postgres://… for PostgreSQL). Each run writes a Maildir of mixed messages under
var/bench/mail/ built from the test corpus (tests/mailroom/corpus/): new cases in every charset
of the corpus, HTML-only and with attachments, replies from Outlook, Gmail, Apple Mail and
Thunderbird to open cases, bounces and list mail; each with a Message-ID of its own. It prints:
- the Maildir poll over all of them (store raw, parse, decide, open or reply, outbox rows, move
  to cur/): messages per second and SQL queries per message, with the outcomes;
- a poll that finds nothing new, with those messages and with 10,000 old messages in cur/, best
  of 5: it lists new/ only, so the second must not cost more than the first;
- the same from a real IMAP server (Dovecot on 127.0.0.1, started as the tests start it, which
  needs root and dovecot-imapd): the same mix appended to its INBOX, polled by
  mailroom.imap.imap_poll, and an empty poll (connect, log in, SELECT, log out) with those
  messages and with 10,000 old ones in the folder (the cursor's last UID is past them), split
  into the time spent waiting on Dovecot, per command, and the desk's own work (its SQL too).
No floor: the figures are printed, not judged.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import pwd
import random
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "mailroom" / "corpus"
MAILDIR_ROOT = ROOT / "var" / "bench" / "mail"
NEW_CASES = [
    "new_gmail_plain.eml",
    "new_outlook_html_only.eml",
    "new_utf8_base64.eml",
    "new_windows1251.eml",
    "new_koi8r.eml",
    "new_latin1.eml",
    "new_attachments.eml",
    "new_forwarded.eml",
    "new_inline_image.eml",
]
REPLIES = ["reply_outlook.eml", "reply_gmail.eml", "reply_apple.eml", "reply_thunderbird.eml"]
AUTOMATIC = ["bounce_dsn.eml", "list_mail.eml"]
MEMBERS = 20
OLD_MESSAGES = 10_000
WARM_UP = 20  # messages taken in before the clock starts


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


# The IMAP client calls whose time is the server's (and the loopback's), not the desk's: the
# connection (greeting and CAPABILITY), LOGIN, SELECT, any UID command (SEARCH, FETCH, STORE), LOGOUT.
IMAP_CALLS = {"__init__": "connect", "login": "LOGIN", "select": "SELECT", "uid": "UID", "logout": "LOGOUT"}


@contextmanager
def imap_round_trips():
    """Time spent waiting on the IMAP server, per command, while the block runs."""
    spent: Counter = Counter()
    originals = {name: getattr(imaplib.IMAP4, name) for name in IMAP_CALLS}

    def timed(name, method):
        def call(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                spent[IMAP_CALLS[name]] += time.perf_counter() - started

        return call

    for name, method in originals.items():
        setattr(imaplib.IMAP4, name, timed(name, method))
    try:
        yield spent
    finally:
        for name, method in originals.items():
            setattr(imaplib.IMAP4, name, method)


def _with_id(raw: bytes, sender: str, run: str, n: int) -> bytes:
    """The corpus message from `sender` with a Message-ID of its own (or one added)."""
    raw = raw.replace(b"alice@example.test", sender.encode())
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"message-id:")]
    lines.append(f"Message-ID: <bench-{run}-{n}@example.test>".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def build(count: int, run: str, people: list, cases: list) -> list[bytes]:
    from tests.mailroom.conftest import case_placeholders, corpus

    rng = random.Random(count)
    messages = []
    for n in range(count):
        person = people[n % len(people)]
        roll = rng.random()
        if roll < 0.55:
            raw = corpus(rng.choice(NEW_CASES))
        elif roll < 0.9:
            case = rng.choice(cases)
            raw = corpus(rng.choice(REPLIES), **case_placeholders(case)).replace(
                b"alice@example.test", case.requester.email.encode()
            )
        else:
            raw = corpus(rng.choice(AUTOMATIC))
        messages.append(_with_id(raw, person.email, run, n))
    return messages


def drop(folder: Path, messages: list[bytes], run: str) -> None:
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for n, raw in enumerate(messages):
        (folder / "new" / f"{int(time.time())}.{run}_{n}.bench").write_bytes(raw)


def world(run: str):
    from django.utils import timezone

    from portal.models import Membership, Organization
    from tests.factories import UserFactory
    from tickets.services import ticket_open

    organization, _ = Organization.objects.get_or_create(
        slug="bench-mail", defaults={"name": "Bench Mail Ltd"}
    )
    people = []
    for n in range(MEMBERS):
        user = UserFactory(username=f"benchmail{n}", email=f"benchmail{n}@example.test")
        Membership.objects.get_or_create(user=user, defaults={"organization": organization})
        people.append(user)
    from policies.models import Vendor

    alectrona = Vendor.objects.get(slug="alectrona")
    at = timezone.now() - timedelta(hours=1)
    cases = [
        ticket_open(
            organization=organization,
            requester=person,
            vendor=alectrona,
            priority="high",
            subject=f"Bench case {run}",
            body="x",
            at=at,
        )
        for person in people
    ]
    return alectrona, people, cases


def time_empty_poll(vendor, folder: Path, old: int) -> float:
    from mailroom.transports import maildir_poll

    cur = folder / "cur"
    present = len(os.listdir(cur))
    for n in range(present, old):
        (cur / f"{n}.old.bench:2,S").write_bytes(b"Subject: old\r\n\r\nold\r\n")
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        assert maildir_poll(vendor=vendor) == []
        rounds.append(time.perf_counter() - started)
    return min(rounds)


def imap_figures(vendor, people: list, cases: list, run: str, count: int) -> None:
    from django.db import connection

    from mailroom.imap import imap_mailbox, imap_poll
    from mailroom.models import ImapCursor
    from tests.mailroom.dovecot import running_dovecot, unavailable

    reason = unavailable()
    if reason:
        print(f"IMAP: not measured ({reason})")
        return
    with running_dovecot() as server:
        client = server.connect()
        for raw in build(count + WARM_UP, f"{run}-imap", people, cases):
            client.append("INBOX", None, None, raw)
        client.logout()
        imap_poll(vendor=vendor, url=server.url, limit=WARM_UP)
        counter = QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            messages = imap_poll(vendor=vendor, url=server.url, limit=count)
        elapsed = time.perf_counter() - started
        print(
            f"IMAP poll ({connection.vendor}, Dovecot on 127.0.0.1): {len(messages):,} messages in "
            f"{elapsed:.2f} s = {len(messages) / elapsed:,.0f} per second, "
            f"{counter.count / len(messages):.1f} SQL queries per message"
        )
        outcomes = Counter(m.outcome for m in messages)
        print("  outcomes: " + ", ".join(f"{outcome} {n}" for outcome, n in sorted(outcomes.items())))
        cursor = ImapCursor.objects.filter(mailbox=imap_mailbox(server.url).key)
        for old in (count + WARM_UP, OLD_MESSAGES):
            # Delivered straight into the server's Maildir (thousands of APPENDs take minutes on a
            # busy host); Dovecot gives them UIDs when the folder is next looked at.
            cur = server.home / "Maildir" / "cur"
            nobody = pwd.getpwnam("nobody")
            for n in range(server.last_uid(), old):
                path = cur / f"{run}.{n}.old:2,S"
                path.write_bytes(f"Subject: old {n}\r\n\r\nold\r\n".encode())
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            cursor.update(last_uid=server.last_uid())  # taken in long ago
            rounds = []
            for _ in range(5):
                counter = QueryCounter()
                with imap_round_trips() as spent, connection.execute_wrapper(counter):
                    started = time.perf_counter()
                    assert imap_poll(vendor=vendor, url=server.url) == []
                    total = time.perf_counter() - started
                rounds.append((total, spent, counter.count))
            total, spent, queries = min(rounds, key=lambda r: r[0])
            server_share = sum(spent.values())
            desk_shares = sorted((t - sum(s.values())) * 1000 for t, s, _ in rounds)
            print(
                f"An IMAP poll that finds nothing new, {old:,} old messages in the folder: "
                f"{total * 1000:.2f} ms (best of 5): waiting on Dovecot {server_share * 1000:.2f} ms ("
                + ", ".join(f"{name} {t * 1000:.2f}" for name, t in spent.items())
                + f"), the desk's own work {(total - server_share) * 1000:.2f} ms with {queries} SQL "
                f"queries (its least of 5: {desk_shares[0]:.2f} ms, median {desk_shares[2]:.2f} ms)"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--no-imap", action="store_true", help="the Maildir figures only")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    folder_root = MAILDIR_ROOT / run
    os.environ["MAILDIR_ROOT"] = str(folder_root)
    os.environ.setdefault("MAIL_ANSWERS_PER_HOUR", "1000000")  # a bench sender writes a lot
    os.environ.setdefault("MAIL_REPLIES_PER_HOUR", "1000000")  # ~18 replies to each of its cases in the hour
    from bench._seed import setup_django

    setup_django("mail")
    from django.db import connection

    from mailroom.transports import maildir_path, maildir_poll

    vendor, people, cases = world(run)
    folder = maildir_path(vendor)
    drop(folder, build(args.messages + WARM_UP, run, people, cases), run)
    # A worker is warm: URLs, templates and the policy memos are loaded by its first messages.
    maildir_poll(vendor=vendor, limit=WARM_UP)
    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        messages = maildir_poll(vendor=vendor, limit=args.messages)
    elapsed = time.perf_counter() - started
    outcomes = Counter(m.outcome for m in messages)
    engine = connection.vendor
    print(
        f"Maildir poll ({engine}): {len(messages):,} messages in {elapsed:.2f} s = "
        f"{len(messages) / elapsed:,.0f} per second, "
        f"{counter.count / len(messages):.1f} SQL queries per message"
    )
    print("  outcomes: " + ", ".join(f"{outcome} {count}" for outcome, count in sorted(outcomes.items())))
    # The messages just taken in are now in cur/: the same mailbox, then grown to 10,000.
    for old in (len(messages) + WARM_UP, OLD_MESSAGES):
        best = time_empty_poll(vendor, folder, old)
        print(
            f"A poll that finds nothing new, {old:,} old messages in cur/: {best * 1000:.2f} ms (best of 5)"
        )
    if not args.no_imap:
        imap_figures(vendor, people, cases, run, args.messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
