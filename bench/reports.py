"""How fast the reports answer over a year of 100,000 tickets.

Run from the repo root: `.venv/bin/python bench/reports.py` (`--requests 5` for more samples,
`--tickets 20000` for a smaller desk, `--periods-only` for the closed and open month alone). The
first run seeds var/bench/reports.sqlite3 (or the DATABASE_URL database) through bench/_seed.py —
100,000 tickets over the last 365 days, 200 organizations, a progress bar — plus two Albert
monitored services with a year of outages; later runs reuse it. Requests go through Django's test
Client in-process.

Prints, per report page: median and worst milliseconds and SQL queries per request. The floor
(SPEC issue 8) is 1,000 ms per page with SQLite; the script exits non-zero when one is missed.
It also seeds an organization with 2,000 billable Infotecs cases this month (each with work and
an expense) and measures its monthly statement: page, CSV and JSON (issue 21). Last, it closes
every measurement period of last month (issue 20) and times the report and CSV of that closed
month beside the open month before it; the closed month's queries must not grow with the number
of its closed periods nor exceed the open month's (the script fails when they do).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._seed import seed, setup_django, sign_in_note, verified_client  # noqa: E402
from bench.tickets import host_check_ms  # noqa: E402

FLOOR_MS = 1000
OUTAGES_PER_MONTH = 6


def seed_outages() -> None:
    """Two Albert services, each with a few outages a month of every cause (idempotent)."""
    from django.utils import timezone

    from policies.models import Vendor
    from reports.models import MonitoredService, Outage, OutageCause, ServiceKind

    albert = Vendor.objects.get(slug="albert")
    rng = random.Random(8)
    now = timezone.now()
    for slug, name, kind in [
        ("albert-servers", "Albert servers", ServiceKind.SERVER_UPTIME),
        ("albert-app", "Albert application", ServiceKind.APPLICATION),
    ]:
        service, _ = MonitoredService.objects.get_or_create(
            slug=slug, defaults={"vendor": albert, "name": name, "kind": kind}
        )
        if service.outages.exists():
            continue
        outages = []
        for _ in range(12 * OUTAGES_PER_MONTH):
            start = now - timedelta(seconds=rng.randrange(365 * 86400))
            outages.append(
                Outage(
                    service=service,
                    start=start,
                    end=start + timedelta(minutes=rng.randrange(5, 240)),
                    cause=rng.choice(OutageCause.values),
                    notes="Seeded",
                )
            )
        Outage.objects.bulk_create(outages)


STATEMENT_CASES = 2_000


def seed_statement(now) -> tuple[object, object]:
    """An organization with STATEMENT_CASES billable Infotecs cases opened this month under one Basic
    contract, each with a work entry and an expense (idempotent). Returns (contract, its admin)."""
    from datetime import date
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from lifecycle.models import Deployment, Plan, Product
    from lifecycle.services import contract_create
    from policies.models import Vendor
    from policies.selectors import version_in_force
    from portal.models import Membership, Organization, Role
    from tickets.models import Expense, ExpenseKind, Ticket, WorkEntry

    organization, _ = Organization.objects.get_or_create(
        slug="bench-billing", defaults={"name": "Bench Billing", "timezone": "Europe/Moscow"}
    )
    infotecs = Vendor.objects.get(slug="infotecs")
    product, _ = Product.objects.get_or_create(vendor=infotecs, name="ViPNet Bench")
    admin, created = get_user_model().objects.get_or_create(username="bench-billing-admin")
    if created:
        Membership.objects.create(user=admin, organization=organization, role=Role.ADMIN)
    contract = organization.contracts.filter(product=product).first() or contract_create(
        organization=organization, product=product, plan=Plan.BASIC, start=date(2020, 1, 1),
        end=date(2099, 12, 31), deployment=Deployment.ON_PREMISE, license_price=Decimal("0"),
        reference="BENCH",
    )  # fmt: skip
    contract.hourly_rate = Decimal("80.00")
    contract.save()
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if Ticket.objects.filter(organization=organization, opened_at__gte=first).count() >= STATEMENT_CASES:
        return contract, admin
    version = version_in_force(vendor=infotecs)
    priority = version.priorities.get(code="normal")
    tag = f"{first:%Y%m}"
    tickets = Ticket.objects.bulk_create(
        Ticket(
            number=f"BIL{tag}-{i:05d}", vendor=infotecs, organization=organization, requester=admin,
            policy_version=version, priority=priority, product=product, subject=f"Billable {i}", body="x",
            body_html="<p>x</p>", billable=True, billable_reason="Support quota used up.",
            opened_at=first + timedelta(minutes=i), updated_at=first + timedelta(minutes=i),
        )
        for i in range(STATEMENT_CASES)
    )  # fmt: skip
    WorkEntry.objects.bulk_create(
        WorkEntry(ticket=t, started_at=t.opened_at, minutes=20 + i % 100, specialist=admin, recorded_at=now)
        for i, t in enumerate(tickets)
    )
    Expense.objects.bulk_create(
        Expense(
            ticket=t, kind=ExpenseKind.TRAVEL, incurred_on=t.opened_at.date(), amount=Decimal("12.50"),
            currency="EUR" if i % 3 else "RUB", recorded_by=admin, recorded_at=now,
        )
        for i, t in enumerate(tickets)
    )  # fmt: skip
    return contract, admin


def periods_close(month, organizations, by) -> int:
    """Close `month`'s measurement period of each organization × vendor with cases opened in it
    (issue 20 point 3; idempotent: a closed period is returned as it is). Returns how many."""
    from reports.models import MeasurementPeriod
    from reports.periods import period_close
    from reports.selectors import month_range
    from tickets.models import Ticket

    start, end = month_range(month)
    pairs = (
        Ticket.objects.filter(organization__in=organizations, opened_at__gte=start, opened_at__lt=end)
        .values_list("organization", "vendor")
        .order_by()
        .distinct()
    )
    done = 0
    for organization_id, vendor_id in pairs:
        period = MeasurementPeriod.objects.filter(
            organization_id=organization_id, vendor_id=vendor_id, month=month
        ).first() or MeasurementPeriod(organization_id=organization_id, vendor_id=vendor_id, month=month)
        period_close(period=period, by=by)
        done += 1
    return done


def closed_and_open(staff, customer, world, now, requests: int) -> bool:
    """Issue 20: the report of a closed month (every period of last month closed: the figures are
    read from the frozen snapshots) beside an open one (the month before, computed from the cases),
    and the queries of the closed month's report, which must not grow with its closed periods
    (measured with 10 organizations' periods closed, then all of them)."""
    first = now.replace(day=1).date()
    closed = (first - timedelta(days=1)).replace(day=1)
    opened = (closed - timedelta(days=1)).replace(day=1)
    by = world.staff[0]
    pages = lambda month: [  # noqa: E731
        (staff, f"report, all orgs, {month:%Y-%m}", f"/reports/?month={month:%Y-%m}"),
        (staff, f"compliance CSV, {month:%Y-%m}", f"/reports/compliance.csv?month={month:%Y-%m}"),
        (customer, f"report, customer, {month:%Y-%m}", f"/reports/?month={month:%Y-%m}"),
    ]
    started = time.perf_counter()
    periods_close(closed, world.organizations[:10], by)
    few = [measure(client, name, url, 1)[3] for client, name, url in pages(closed)]
    count = periods_close(closed, world.organizations, by)
    print(f"closed {count} periods of {closed:%Y-%m} in {time.perf_counter() - started:.0f} s")
    ok, results = True, []
    # The shared host's share of the CPU: the host check before and after, the load average, and
    # each page's own CPU time beside its wall time (SQLite runs in this process, so the CPU time
    # is the page's work, whatever else runs on the machine).
    host_before = host_check_ms()
    print(f"{'page':<40} {'median ms':>10} {'worst ms':>10} {'cpu ms':>8} {'queries':>8}")
    for month, state in [(closed, "closed"), (opened, "open")]:
        for client, name, url in pages(month):
            name, median, worst, queries, passed = measure(client, f"{name} ({state})", url, requests)
            ok &= passed
            results.append(queries)
            cpu = cpu_ms(client, url, requests)
            print(
                f"{name:<40} {median:>10.0f} {worst:>10.0f} {cpu:>8.0f} {queries:>8}"
                f"{'' if passed else '  OVER 1 s'}"
            )
    print(
        f"host check {host_before:.0f} / {host_check_ms():.0f} ms before / after, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    # Constant: closing more periods adds no query, and a closed month costs no more than an open one
    # (fewer where no period is left open: the live count has nothing to do).
    closed_queries, open_queries = results[:3], results[3:]
    constant = all(a <= b for a, b in zip(closed_queries, few, strict=True)) and all(
        a <= b for a, b in zip(closed_queries, open_queries, strict=True)
    )
    print(
        f"queries of the closed month with 10 organizations' periods closed / all / the open month: "
        f"{few} / {closed_queries} / {open_queries}: {'constant' if constant else 'NOT CONSTANT'}"
    )
    return ok and constant


def cpu_ms(client, url: str, requests: int) -> float:
    """The median CPU time of this process per request."""
    times = []
    for _ in range(requests):
        started = time.process_time()
        client.get(url)
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def measure(client, name: str, url: str, requests: int) -> tuple[str, float, float, int, bool]:
    from django.db import connection

    # Counted with an execute wrapper: the request_started signal resets connection.queries.
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    worst = max(times)
    return name, statistics.median(times), worst, len(queries), worst < FLOOR_MS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument(
        "--periods-only", action="store_true", help="only the closed and the open month (issue 20)"
    )
    args = parser.parse_args()

    setup_django("reports")
    world = seed(tickets=args.tickets)
    seed_outages()

    from django.test import Client
    from django.utils import timezone

    from portal.models import Organization
    from tickets.models import SlaTarget, Ticket

    staff, customer = verified_client(world.staff[0]), Client()  # password and TOTP code: STAFF_TWO_FACTOR
    organization = world.organizations[0]
    customer.force_login(world.members[organization.pk][0])
    now = timezone.now()
    this_month = f"{now:%Y-%m}"
    last_month = f"{(now.replace(day=1) - timedelta(days=1)):%Y-%m}"
    pages = [
        (staff, "report, all orgs, this month", f"/reports/?month={this_month}"),
        (staff, "report, all orgs, last month", f"/reports/?month={last_month}"),
        (staff, "report, one org (staff)", f"/reports/?month={this_month}&organization={organization.slug}"),
        (customer, "report, customer", f"/reports/?month={this_month}"),
        (customer, "printable report, customer", f"/reports/print/?month={this_month}"),
        (staff, "printable report, all orgs", f"/reports/print/?month={this_month}"),
        (staff, "compliance CSV, all orgs", f"/reports/compliance.csv?month={this_month}"),
        (staff, "availability CSV", f"/reports/availability.csv?month={this_month}"),
        (staff, "admin staff dashboard", "/admin/reports/dashboard/"),
    ]
    # Issue 21: a month's statement for an organization with 2,000 billable cases.
    contract, billing_admin = seed_statement(now)
    statement_reader = Client()
    statement_reader.force_login(billing_admin)
    statement = f"/reports/statements/{contract.pk}/{this_month}/"
    pages += [
        (statement_reader, f"statement, {STATEMENT_CASES:,} cases", statement),
        (statement_reader, "statement CSV", f"{statement}statement.csv"),
        (statement_reader, "statement JSON (API)", f"/api/statements/{contract.pk}/{this_month}/"),
    ]
    print(
        f"{Ticket.objects.count():,} tickets, {SlaTarget.objects.count():,} SLA targets, "
        f"{Organization.objects.count():,} organizations; {args.requests} timed requests per page; "
        f"{sign_in_note()}"
    )
    print(f"{'page':<32} {'median ms':>10} {'worst ms':>10} {'queries':>8}")
    ok = True
    for client, name, url in [] if args.periods_only else pages:
        name, median, worst, queries, passed = measure(client, name, url, args.requests)
        ok &= passed
        print(f"{name:<32} {median:>10.0f} {worst:>10.0f} {queries:>8}{'' if passed else '  OVER 1 s'}")
    ok &= closed_and_open(staff, customer, world, now, args.requests)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
