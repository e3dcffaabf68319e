"""Seeding shared by the benchmarks: a database of its own, the policy catalog, and a desk's worth
of organizations, people and tickets written in bulk (the services would take an hour): COPY on
PostgreSQL, bulk_create elsewhere.

Tickets look like a year of a real desk: opened over the last 365 days, statuses spread (recent
cases new or open, old ones resolved or closed), 1–2 SLA target rows each with due times computed
by the real clock, some breached, some paused while waiting on the customer. The ticket's
denormalised `next_due_at` / `sla_state` follow the same rule as tickets.services.sla.

Usage from a benchmark:

    from bench._seed import setup_django, seed
    setup_django("tickets")          # var/bench/tickets.sqlite3 unless DATABASE_URL is set
    world = seed(tickets=100_000, organizations=200)
"""

from __future__ import annotations

import os
import random
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
MEMBERS_PER_ORGANIZATION = 5
STAFF = 10
BATCH = 1000
RANDOM_SEED = 20261124  # fixed: two runs seed the same desk
PASSWORD = "bench-password"


def setup_django(name: str) -> None:
    """Point Django at the benchmark's own database and set it up (migrations included).
    DEBUG stays off so Django does not keep every query in memory, as in production."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DIR / f'{name}.sqlite3'}")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("EMAIL_URL", "memorymail://")
    os.environ.setdefault("MEDIA_ROOT", str(BENCH_DIR / "media"))
    # Requests stay in-process (Django's test Client): no TLS in front to redirect to.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.*")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from policies.services import policy_catalog_load

    policy_catalog_load()


def progress(label: str, done: int, total: int, started: float) -> None:
    """A one-line progress bar on stderr (no dependency needed for it)."""
    width = 30
    share = done / total if total else 1
    bar = "#" * int(share * width)
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(f"\r{label:<14} [{bar:<{width}}] {done:>7,}/{total:,} {rate:,.0f}/s")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


@dataclass
class World:
    """What a benchmark needs to know about the seeded desk."""

    organizations: list = field(default_factory=list)
    members: dict = field(default_factory=dict)  # organization id -> [users]
    staff: list = field(default_factory=list)
    vendors: list = field(default_factory=list)


def _people(organizations: int) -> World:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from policies.models import Vendor
    from portal.models import Membership, Organization

    User = get_user_model()
    password = make_password(PASSWORD)  # hashed once: hashing per user would dominate seeding
    existing = Organization.objects.filter(slug__startswith="bench-").count()
    if existing < organizations:
        Organization.objects.bulk_create(
            Organization(name=f"Bench Customer {i:03d}", slug=f"bench-{i:03d}", timezone="Europe/Berlin")
            for i in range(existing, organizations)
        )
    world = World(vendors=list(Vendor.objects.order_by("slug")))
    world.organizations = list(
        Organization.objects.filter(slug__startswith="bench-").order_by("slug")[:organizations]
    )
    if not User.objects.filter(username="bench-staff-0").exists():
        User.objects.bulk_create(
            User(
                username=f"bench-staff-{i}",
                email=f"staff{i}@desk.test",
                is_staff=True,
                is_superuser=True,
                password=password,
            )
            for i in range(STAFF)
        )
    world.staff = list(User.objects.filter(username__startswith="bench-staff-").order_by("id"))
    members: dict = {}
    with_members = set(Membership.objects.values_list("organization_id", flat=True).distinct())
    new_users = []
    for organization in world.organizations:
        if organization.pk in with_members:
            continue
        for j in range(MEMBERS_PER_ORGANIZATION):
            name = f"{organization.slug}-user{j}"
            new_users.append(
                (organization, User(username=name, email=f"{name}@customer.test", password=password))
            )
    User.objects.bulk_create([user for _, user in new_users], batch_size=BATCH)
    users = {u.username: u for u in User.objects.filter(username__in=[u.username for _, u in new_users])}
    Membership.objects.bulk_create(
        [Membership(user=users[user.username], organization=org) for org, user in new_users], batch_size=BATCH
    )
    for membership in Membership.objects.select_related("user").filter(organization__in=world.organizations):
        members.setdefault(membership.organization_id, []).append(membership.user)
    world.members = members
    return world


@dataclass(frozen=True)
class _Plan:
    """One vendor priority as the seeder uses it: the policy's targets, ready for the clock."""

    vendor: object
    version: object
    priority: object
    targets: tuple


def _plans(vendors) -> list[_Plan]:
    from policies.selectors import version_in_force
    from tickets.services.sla import planned_targets

    plans = []
    for vendor in vendors:
        version = version_in_force(vendor=vendor)
        for priority in version.priorities.order_by("rank"):
            targets = planned_targets(version=version, priority=priority)
            plans.append(_Plan(vendor, version, priority, tuple(targets)))
    return plans


def _status_for(age: timedelta, rng: random.Random) -> str:
    """Young cases are mostly new or open; old ones mostly resolved or closed."""
    from tickets.models import Status

    roll = rng.random()
    if age < timedelta(days=2):
        return Status.NEW if roll < 0.5 else Status.OPEN if roll < 0.85 else Status.WAITING_ON_CUSTOMER
    if age < timedelta(days=30):
        choices = [
            (0.05, Status.NEW),
            (0.45, Status.OPEN),
            (0.6, Status.WAITING_ON_CUSTOMER),
            (0.9, Status.RESOLVED),
        ]
        return next((status for edge, status in choices if roll < edge), Status.CLOSED)
    return Status.RESOLVED if roll < 0.3 else Status.CLOSED if roll < 0.97 else Status.OPEN


class _Row:
    """One row's field values as attributes (attnames: `vendor_id`, not `vendor`), so that the
    ORM path makes a model of it (`Ticket(**vars(row))`) and the PostgreSQL path a COPY line, from
    the same values; `refresh_ticket_sla` reads and writes it as it does a model."""

    def __init__(self, **values):
        self.__dict__.update(values)


def _targets_for(ticket: _Row, plan: _Plan, now, rng: random.Random) -> list[_Row]:
    """The ticket's SLA rows in a state that fits its status, due times from the real clock."""
    from policies import clock
    from tickets.models import Status, TargetState
    from tickets.services.sla import _clock_for
    from tickets.words import in_english, source_words

    rows = []
    for planned in plan.targets:
        calendar_id = planned.calendar.pk if planned.calendar else None
        calendar = _clock_for(calendar_id)
        target = _Row(
            kind=planned.kind,
            duration=planned.duration,
            calendar_id=calendar_id,
            # As tickets.services.sla._set_source stores it: the code and its values, worded for each
            # reader, and the same in English words.
            source_code=planned.source_code,
            source_params=planned.source_params,
            source=in_english(source_words, planned.source_code, planned.source_params),
        )
        is_update = planned.kind == "update"
        start = ticket.opened_at
        if is_update:
            if ticket.status == Status.NEW:
                target.state = TargetState.NOT_APPLICABLE
                rows.append(target)
                continue
            # The update clock restarted at the desk's last reply, somewhere after the first one.
            start = ticket.opened_at + (min(now, ticket.updated_at) - ticket.opened_at) * rng.random()
        target.started_at = start
        target.due_at = clock.add_business_time(start, planned.duration, calendar)
        answered_at = start + (target.due_at - start) * rng.uniform(0.1, 1.3)
        fulfilled_at = None
        if ticket.status == Status.NEW or (is_update and ticket.status == Status.OPEN):
            # Still running; the SLA sweep writes down some of the overdue ones as breached.
            if target.due_at < now and rng.random() < 0.5:
                target.state, target.breached_at = TargetState.BREACHED, target.due_at
            else:
                target.state = TargetState.RUNNING
        elif ticket.status == Status.WAITING_ON_CUSTOMER and (is_update or answered_at > now):
            target.state, target.paused_since = TargetState.PAUSED, min(now, ticket.updated_at)
        elif answered_at <= target.due_at:
            target.state, target.met_at, fulfilled_at = TargetState.MET, answered_at, answered_at
        else:
            target.state, target.breached_at, fulfilled_at = TargetState.BREACHED, target.due_at, answered_at
        if fulfilled_at is not None:
            # As tickets.services.sla stores it when the desk answers (nothing paused here).
            target.fulfilled_at = fulfilled_at
            target.response_business_time = clock.business_time_between(start, fulfilled_at, calendar)
        rows.append(target)
    return rows


def _ages(count: int, rng: random.Random) -> list[timedelta]:
    """How long ago each ticket was opened, oldest first: more recent cases than old ones, and
    inserted in time order as a live desk inserts them (so ids, numbers and opened_at rise
    together and the opened_at index follows the table, as it does in production)."""
    ages = [timedelta(seconds=int(365 * 86400 * rng.random() ** 2)) for _ in range(count)]
    return sorted(ages, reverse=True)


def _ticket(number: str, plan: _Plan, organization, requester, assignee, age, now, rng: random.Random):
    from tickets.models import Status

    opened_at = now - age
    status = _status_for(age, rng)
    updated_at = opened_at + (now - opened_at) * rng.random()
    resolved = status in (Status.RESOLVED, Status.CLOSED)
    return _Row(
        number=number,
        vendor_id=plan.vendor.pk,
        organization_id=organization.pk,
        requester_id=requester.pk,
        assignee_id=assignee.pk if status != Status.NEW else None,
        policy_version_id=plan.version.pk,
        priority_id=plan.priority.pk,
        kind="incident",
        channel=rng.choice(["portal", "email", "phone", "api"]),
        status=status,
        subject=f"{plan.priority.name} issue {number}: {rng.choice(SUBJECTS)}",
        body="Seeded case.",
        body_html="<p>Seeded case.</p>",
        opened_at=opened_at,
        updated_at=updated_at,
        first_responded_at=updated_at if status != Status.NEW else None,
        resolved_at=updated_at if resolved else None,
        closed_at=updated_at if status == Status.CLOSED else None,
    )


SUBJECTS = [
    "export fails",
    "login loop after upgrade",
    "licence not recognised",
    "slow dashboard",
    "scanner stopped",
    "report totals wrong",
    "API returns 500",
    "certificate expired",
    "sync stuck",
    "question about limits",
]


def seed(*, tickets: int = 100_000, organizations: int = 200, show_progress: bool = True) -> World:
    """Make sure the database holds at least `tickets` tickets over `organizations` organizations.
    Re-running tops up what is missing; it never duplicates.

    The rows are made once, as plain values (`_ticket`, `_targets_for`, `refresh_ticket_sla`), and
    written by one of two writers: on PostgreSQL `_write_copy` (COPY: a million cases in 9 minutes
    on a busy 2-core machine, where bulk_create took an hour and three quarters), elsewhere
    `_write_orm` (bulk_create). Both write the same rows from the same random seed."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tickets.models import Ticket, TicketCounter
    from tickets.services.sla import refresh_ticket_sla

    world = _people(organizations)
    have = Ticket.objects.count()
    if have >= tickets:
        return world
    rng = random.Random(RANDOM_SEED + have)
    plans = _plans(world.vendors)
    counters = {c.vendor_id: c for c in TicketCounter.objects.all()}
    for vendor in world.vendors:
        counters.setdefault(vendor.pk, TicketCounter.objects.get_or_create(vendor=vendor)[0])
    write, batch_size = (
        (_write_copy, COPY_BATCH) if connection.vendor == "postgresql" else (_write_orm, BATCH)
    )
    now, started, done = timezone.now(), time.perf_counter(), 0
    total = tickets - have
    ages = iter(_ages(total, rng))
    while done < total:
        size = min(batch_size, total - done)
        with transaction.atomic():
            batch = []
            for _ in range(size):
                plan = rng.choice(plans)
                organization = rng.choice(world.organizations)
                counter = counters[plan.vendor.pk]
                counter.last_number += 1
                number = f"{plan.vendor.ticket_prefix}-{counter.last_number:06d}"
                requester = rng.choice(world.members[organization.pk])
                assignee = rng.choice(world.staff)
                ticket = _ticket(number, plan, organization, requester, assignee, next(ages), now, rng)
                rows = _targets_for(ticket, plan, now, rng)
                refresh_ticket_sla(ticket, rows)  # the list columns, by the services' own rule
                batch.append((ticket, rows))
            write(batch)
            TicketCounter.objects.bulk_update(counters.values(), ["last_number"])
        done += size
        if show_progress:
            progress("Seeding tickets", done, total, started)
    return world


COPY_BATCH = 10_000  # cases per transaction on the COPY path


def _write_orm(batch: list[tuple[_Row, list[_Row]]]) -> None:
    """bulk_create: SQLite and PostgreSQL hand back the new keys, which the targets then pick up."""
    from tickets.models import SlaTarget, Ticket

    tickets = Ticket.objects.bulk_create(Ticket(**vars(ticket)) for ticket, _ in batch)
    SlaTarget.objects.bulk_create(
        SlaTarget(ticket=ticket, **vars(row))
        for ticket, (_, rows) in zip(tickets, batch, strict=True)
        for row in rows
    )


def _copy_columns(model) -> tuple[list[str], list, dict[str, int]]:
    """Every concrete column of `model` (the generated `search` column of tickets/0014 is no field,
    so PostgreSQL computes it for each copied row), each field's default as bulk_create would
    store it, and each attname's place in the row."""
    fields = model._meta.concrete_fields
    defaults = [_plain(field.get_default()) for field in fields]
    return [field.column for field in fields], defaults, {field.attname: i for i, field in enumerate(fields)}


def _plain(value):
    """A value as COPY takes it: a dict or list (a default, a target's `source_params`) as JSON;
    anything else as it is (choices members are str, which psycopg writes as their value)."""
    if isinstance(value, dict | list):
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


def _write_copy(batch: list[tuple[_Row, list[_Row]]]) -> None:
    """COPY the cases and their targets on Django's own connection (inside the caller's
    transaction). Keys come from the tables' own sequences, reserved in one statement, so the
    targets can name their case and later inserts go on from there."""
    from django.db import connection

    from tickets.models import SlaTarget, Ticket

    target_count = sum(len(rows) for _, rows in batch)
    with connection.cursor() as cursor:
        ticket_ids = _reserve(cursor, Ticket, len(batch))
        target_ids = iter(_reserve(cursor, SlaTarget, target_count))
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        columns, defaults, place = _copy_columns(Ticket)
        with raw.copy(f"COPY {Ticket._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            for pk, (ticket, _) in zip(ticket_ids, batch, strict=True):
                ticket.id = pk
                copy.write_row(_line(ticket, defaults, place))
        columns, defaults, place = _copy_columns(SlaTarget)
        with raw.copy(f"COPY {SlaTarget._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            for ticket, rows in batch:
                for row in rows:
                    row.id, row.ticket_id = next(target_ids), ticket.id
                    copy.write_row(_line(row, defaults, place))


def _reserve(cursor, model, count: int) -> list[int]:
    """`count` fresh keys from the model's id sequence, rising."""
    table = model._meta.db_table
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
    )
    return sorted(pk for (pk,) in cursor.fetchall())


def _line(row: _Row, defaults: list, place: dict[str, int]) -> list:
    line = defaults.copy()
    for name, value in row.__dict__.items():
        line[place[name]] = _plain(value)
    return line


def verified_client(user):
    """A test Client signed in as `user` the way a person signs in: the password on the sign-in page,
    then, for staff while STAFF_TWO_FACTOR is on (the default with DEBUG off, as here), a TOTP code
    on the verification page (portal.middleware.TwoFactorRequired sends an unverified staff session
    there from every page, the admin included). A staff member without an app is enrolled one, as
    tests/conftest.py's verified_login does. Customers without two-factor give the password only."""
    from django.conf import settings
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.twofactor import totp_device_confirm, totp_device_start

    def code(device) -> str:
        now = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        return f"{now:0{device.digits}d}"

    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"sign-in of {user.username} refused: HTTP {response.status_code}")
    if not (user.is_staff and settings.STAFF_TWO_FACTOR):
        return client
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = totp_device_start(user=user)
        if totp_device_confirm(device=device, token=code(device)) is None:
            raise SystemExit(f"enrolling {user.username}'s authenticator app failed")
        device.refresh_from_db()
    # A TOTP code is accepted once: a second sign-in of the same person within the same 30 s step
    # (two clients, or two runs) would be refused, so the benchmark's own device forgets the last one.
    device.last_t = -1
    device.save(update_fields=["last_t"])
    response = client.post("/accounts/two-factor/", {"token": code(device)})
    if response.status_code != 302:
        raise SystemExit(f"two-factor code of {user.username} refused: HTTP {response.status_code}")
    return client


def sign_in_note() -> str:
    """How the benchmark's staff signed in, for its output."""
    from django.conf import settings

    if settings.STAFF_TWO_FACTOR:
        return "staff signed in with password and TOTP code (STAFF_TWO_FACTOR on)"
    return "STAFF_TWO_FACTOR off: staff signed in with the password only"
