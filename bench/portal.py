"""How fast the customer portal answers with 100,000 tickets, through a real web server.

Run from the repo root: `.venv/bin/python bench/portal.py` (`--requests 200` for more samples).
The first run seeds var/bench/portal.sqlite3 (or the DATABASE_URL database) with 100,000 tickets
over 50 organizations, so each organization holds about 2,000 cases, and gives one open case 50
replies; later runs reuse it. The script then starts gunicorn bound to 127.0.0.1 only, requests
each page over HTTP as a signed-in customer, and stops the server at the end.

Prints, per page: median and p95 milliseconds per request (measured by the client, over HTTP) and
SQL queries per request (measured in-process with CaptureQueriesContext on the same page).
Floors: p95 < 150 ms and the same number of queries on every page of a list; the script exits
non-zero when one is missed.

Then the agent's pages beside the customer's for the same data (issue 24): the admin case page of
the same two cases and the admin changelist of the same organization's cases (50 rows a page)
beside My cases (25 rows), signed in as staff with password and TOTP code. Per pair: median ms over
HTTP (the compared pages requested in turns, one of each per round), Python function calls per
request (cProfile, in-process: deterministic, so a stand-in for instruction counts, which this VM's
perf cannot read), queries, and admin / portal for each, with a goal of <= 2. A host check
(bench.tickets.host_check_ms) before and after says whether the figures come from a quiet host.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import os
import pstats
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._seed import seed, setup_django, sign_in_note, verified_client  # noqa: E402
from bench._server import running_server  # noqa: E402
from bench.tickets import host_check_ms  # noqa: E402

P95_FLOOR_MS = 150
REPLIES = 50
AGENT_GOAL = 2.0  # the agent's page costs at most twice the customer's for the same data


@dataclass
class Page:
    name: str
    path: str
    times_ms: list[float]
    queries: int

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def busiest_organization():
    """The organization whose case count is closest to 2,000, and that count."""
    from django.db.models import Count

    from portal.models import Organization

    rows = Organization.objects.filter(slug__startswith="bench-").annotate(cases=Count("tickets"))
    best = min(rows, key=lambda o: abs(o.cases - 2000))
    return best, best.cases


def case_with_replies(organization, customer, staff, *, replies: int, nth: int = 0):
    """The `nth` oldest open case of `organization`, given `replies` public replies (written once,
    through the service so the SLA rows follow), alternating between the customer and the desk."""
    from tickets.models import Reply, Status, Ticket
    from tickets.services import reply_add

    ticket = Ticket.objects.filter(
        organization=organization, status=Status.OPEN, sla_targets__isnull=False
    ).order_by("opened_at")[nth]
    have = Reply.objects.filter(ticket=ticket).count()
    for n in range(have, replies):
        author = staff if n % 2 else customer
        at = ticket.opened_at + timedelta(minutes=10 * (n + 1))
        reply_add(ticket=ticket, author=author, body=f"Reply {n + 1}: *details* of step {n + 1}.", at=at)
    return ticket


def session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def fetch(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def count_queries(user, path: str, client=None) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if client is None:  # staff pass a client signed in with the second factor (verified_client)
        client = Client()
        client.force_login(user)
    client.get(path)  # warm caches (clock calendars, templates) as the server's are
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code} in-process")
    return len(captured)


def function_calls(client, path: str) -> int:
    """Python function calls of one request, in-process (cProfile): the same on every run for the
    same data, whatever else the host is doing."""
    client.get(path)
    profile = cProfile.Profile()
    profile.enable()
    client.get(path)
    profile.disable()
    return sum(calls for _primitive, calls, *_ in pstats.Stats(profile).stats.values())


def client_cookie(client) -> str:
    from django.conf import settings

    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


COMPARED = {f"Case page, {REPLIES} replies", "Case page, 2 replies", "My cases, page 1", "My cases, page 2"}


def measure_in_turns(pages: list[tuple], *, port: int, requests: int) -> list[Page]:
    """(name, path, cookie, user, client) pages timed one request of each per round."""
    for _name, path, cookie, _user, _client in pages:
        for _ in range(5):
            fetch(port, path, cookie)
    times: dict[str, list[float]] = {name: [] for name, *_ in pages}
    for _ in range(requests):
        for name, path, cookie, _user, _client in pages:
            started = time.perf_counter()
            status, _body = fetch(port, path, cookie)
            times[name].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"{name}: HTTP {status}")
    return [
        Page(name, path, times[name], count_queries(user, path, client))
        for name, path, _cookie, user, client in pages
    ]


def measure(name: str, path: str, *, port: int, cookie: str, user, requests: int, client=None) -> Page:
    for _ in range(5):  # warm-up: both workers import, connect and fill their caches
        fetch(port, path, cookie)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        status, _body = fetch(port, path, cookie)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"{name}: HTTP {status}")
    return Page(name, path, times, count_queries(user, path, client))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--organizations", type=int, default=50)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    args = parser.parse_args()

    setup_django("portal")
    from tickets.models import Ticket

    world = seed(tickets=args.tickets, organizations=args.organizations)
    organization, cases = busiest_organization()
    customer = world.members[organization.pk][0]
    ticket = case_with_replies(organization, customer, world.staff[0], replies=REPLIES)
    short = case_with_replies(organization, customer, world.staff[0], replies=2, nth=1)
    cookie = session_cookie(customer)
    pages = [
        ("My cases, page 1", "/tickets/"),
        ("My cases, page 2", "/tickets/?page=2"),
        ("My cases, page 40", "/tickets/?page=40"),
        ("My cases, open + search", "/tickets/?status=open&q=export"),
        (f"Case page, {REPLIES} replies", f"/tickets/{ticket.number}/"),
        ("Case page, 2 replies", f"/tickets/{short.number}/"),
    ]
    staff_client = verified_client(world.staff[0])
    staff_cookie = client_cookie(staff_client)
    admin_list = f"/admin/tickets/ticket/?organization__id__exact={organization.pk}"
    admin_pages = [
        ("Admin case page, 50 replies", f"/admin/tickets/ticket/{ticket.pk}/change/"),
        ("Admin case page, 2 replies", f"/admin/tickets/ticket/{short.pk}/change/"),
        ("Admin changelist, page 1", admin_list),
        ("Admin changelist, page 2", f"{admin_list}&p=2"),
    ]
    host_before = host_check_ms()
    with running_server() as port:
        results = [
            measure(name, path, port=port, cookie=cookie, user=customer, requests=args.requests)
            for name, path in pages
        ]
        # The pages the agent report compares, measured in turns (one request of each, round after
        # round) so that a busy spell of the shared host weighs on both sides alike.
        compared = [(name, path, cookie, customer, None) for name, path in pages if name in COMPARED] + [
            (name, path, staff_cookie, None, staff_client) for name, path in admin_pages
        ]
        both = measure_in_turns(compared, port=port, requests=args.requests)
        agent_results = [page for page in both if page.name.startswith("Admin")]
        compared_portal = [page for page in both if not page.name.startswith("Admin")]
    host_after = host_check_ms()

    print(
        f"\nPortal over HTTP (gunicorn, 2 workers, 127.0.0.1), {Ticket.objects.count():,} tickets; "
        f"{organization.name} has {cases:,}; {args.requests} requests per page"
    )
    print(f"{'page':<28} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    ok = True
    for page in results:
        print(f"{page.name:<28} {page.median:>10.1f} {page.p95:>8.1f} {page.queries:>8}")
        ok &= page.p95 < P95_FLOOR_MS
    list_queries = {p.queries for p in results if p.path.startswith("/tickets/?") or p.path == "/tickets/"}
    case_queries = {p.queries for p in results if p.name.startswith("Case page")}
    flat = len(list_queries) == 1 and len(case_queries) == 1
    print(
        f"floors: p95 < {P95_FLOOR_MS} ms: {'met' if ok else 'MISSED'}; queries constant per page kind: "
        f"{'yes' if flat else 'NO'} (lists {sorted(list_queries)}, case pages {sorted(case_queries)})"
    )
    agent_ok = agent_report(
        compared_portal,
        agent_results,
        customer_client=_signed_in(customer),
        staff_client=staff_client,
        host=(host_before, host_after),
    )
    print(sign_in_note())
    return 0 if ok and flat and agent_ok else 1


def _signed_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def agent_report(portal: list[Page], agent: list[Page], *, customer_client, staff_client, host) -> bool:
    """The agent's pages beside the customer's for the same data: time, function calls, queries.
    The changelist shows 50 cases a page and My cases 25, so the list is compared twice: page for
    page, and for the same 50 cases (My cases pages 1 and 2, summed), which the goal judges."""
    by_name = {page.name: page for page in portal + agent}
    pairs = [  # (label, the portal's pages, summed, the admin's page, judged by the goal: 1)
        ("Case page, 50 replies", [f"Case page, {REPLIES} replies"], "Admin case page, 50 replies", 1),
        ("Case page, 2 replies", ["Case page, 2 replies"], "Admin case page, 2 replies", 1),
        (
            "Case list, same 50 cases",
            ["My cases, page 1", "My cases, page 2"],
            "Admin changelist, page 1",
            True,
        ),
        ("Case list, page for page", ["My cases, page 1"], "Admin changelist, page 1", 0),
    ]
    print(
        f"\nAgent pages beside the portal's, same data, measured in turns (goal: admin / portal <= "
        f"{AGENT_GOAL:g} in time and function calls, constant queries)"
    )
    print(
        f"{'page':<26} {'portal ms':>9} {'admin ms':>9} {'ratio':>6}  {'portal calls':>12} "
        f"{'admin calls':>11} {'ratio':>6}  {'queries':>9}"
    )
    ok = True
    for label, portal_names, agent_name, judged in pairs:
        mine, theirs = [by_name[name] for name in portal_names], by_name[agent_name]
        portal_ms = sum(page.median for page in mine)
        portal_calls = sum(function_calls(customer_client, page.path) for page in mine)
        agent_calls = function_calls(staff_client, theirs.path)
        time_ratio, call_ratio = theirs.median / portal_ms, agent_calls / portal_calls
        if judged:
            ok &= time_ratio <= AGENT_GOAL and call_ratio <= AGENT_GOAL
        queries = "+".join(str(page.queries) for page in mine)
        print(
            f"{label:<26} {portal_ms:>9.1f} {theirs.median:>9.1f} {time_ratio:>5.2f}x  {portal_calls:>12,} "
            f"{agent_calls:>11,} {call_ratio:>5.2f}x  {queries:>5}/{theirs.queries:<4}"
            + ("" if judged else "  (not judged: 50 rows against 25)")
        )
    case_queries = {p.queries for p in agent if p.name.startswith("Admin case")}
    list_queries = {p.queries for p in agent if p.name.startswith("Admin changelist")}
    flat = len(case_queries) == 1 and len(list_queries) == 1
    print(
        f"goal admin / portal <= {AGENT_GOAL:g}: {'met' if ok else 'MISSED'}; admin queries constant: "
        f"{'yes' if flat else 'NO'} (case pages {sorted(case_queries)}, "
        f"changelist pages {sorted(list_queries)}); the changelist shows 50 rows a page, My cases 25"
    )
    print(
        f"host check: {host[0]:.0f} ms before, {host[1]:.0f} ms after (75-95 quiet, 140-175 busy); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    return ok and flat


if __name__ == "__main__":
    sys.exit(main())
