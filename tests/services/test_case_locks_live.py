"""Case locks on PostgreSQL (issue 17 point 3): replies, staff changes and openings of one
vendor's cases, from many threads at once over the API, never deadlock and never answer 500; a
case held locked makes no write to another case of its vendor wait, checked with a lock_timeout
rather than a stopwatch. Real PostgreSQL row locks, committed transactions (each thread its own
connection), no mocks."""

from __future__ import annotations

import random
import threading
import time
from http import HTTPStatus

import pytest
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from policies.models import Vendor
from tests.factories import MembershipFactory, OrganizationFactory, StaffFactory
from tickets.services import ticket_open
from tickets.services.tickets import _lock

pytestmark = pytest.mark.services

CASE = {"vendor": "secpod", "priority": "normal", "kind": "incident", "subject": "Locks", "body": "Go."}


@pytest.fixture
def desk(transactional_db):
    organization = OrganizationFactory(slug="acme")
    customer = MembershipFactory(user__username="alice", organization=organization).user
    staff = StaffFactory(username="sam")
    secpod = Vendor.objects.get(slug="secpod")
    cases = [
        ticket_open(
            organization=organization,
            requester=customer,
            vendor=secpod,
            priority="normal",
            subject=f"c{i}",
            body="x",
        )
        for i in range(4)
    ]
    return customer, staff, cases


def deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def in_threads(work, count: int) -> list:
    """Run `work(i)` on `count` threads, each with its own database connection; collect what
    they raise (the test client re-raises a view's exception, a would-be 500)."""
    errors: list = []

    def run(i: int) -> None:
        try:
            work(i)
        except Exception as error:  # noqa: BLE001 - collected, the test reports them
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_concurrent_replies_changes_and_openings_of_one_vendor_never_deadlock(desk):
    customer, staff, cases = desk
    numbers = [case.number for case in cases]
    before = deadlocks()
    statuses: list[int] = []
    until = time.monotonic() + 6

    def work(i: int) -> None:
        client, chance = APIClient(), random.Random(i)
        client.force_authenticate(staff if i % 2 else customer)
        while time.monotonic() < until:
            number = chance.choice(numbers)
            action = chance.random()
            if action < 0.3:
                response = client.post(reverse("api:ticket-list"), CASE, format="json")
            elif action < 0.8 or i % 2 == 0:
                url = reverse("api:ticket-replies", args=[number])
                response = client.post(url, {"body": f"reply {i}"}, format="json")
            else:
                status = chance.choice(["waiting", "open"])
                response = client.patch(
                    reverse("api:ticket-detail", args=[number]), {"status": status}, format="json"
                )
            statuses.append(response.status_code)

    errors = in_threads(work, 6)
    assert errors == []
    assert statuses and all(s < 500 for s in statuses), sorted(set(statuses))
    assert deadlocks() == before
    assert {HTTPStatus.CREATED} <= set(statuses)


LOCK_TIMEOUT = "1s"  # a write that waits this long for a lock fails instead (55P03)


def test_a_case_held_locked_makes_no_write_to_another_case_of_its_vendor_wait(desk):
    """The case lock taken by every change (`_lock`), held open in a transaction on another
    connection: a reply to, a status change of and an opening beside another case of the same
    vendor must not wait for it at all. This connection fails any statement that waits
    LOCK_TIMEOUT for a lock, so the wide lock (`select_for_update()` without `of=("self",)`: the
    vendor's and policy version's rows too, which every write of the vendor's cases locks or
    references) turns each write red every time, on any host; the right lock waits for nothing."""
    customer, staff, (held, other, *_) = desk
    locked, release = threading.Event(), threading.Event()

    def hold(_: int) -> None:
        try:
            with transaction.atomic():
                _lock(held)  # as a long reply or transition holds it
                locked.set()
                release.wait(60)
        finally:
            locked.set()

    held_errors: list = []
    holder = threading.Thread(target=lambda: held_errors.extend(in_threads(hold, 1)))
    holder.start()
    outcomes: dict[str, object] = {}
    try:
        assert locked.wait(30) and holder.is_alive(), "the holder did not take the case lock"
        with connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        customers, desk_staff = APIClient(), APIClient()
        customers.force_authenticate(customer)
        desk_staff.force_authenticate(staff)
        writes = {
            "reply": lambda: customers.post(
                reverse("api:ticket-replies", args=[other.number]), {"body": "hi"}, format="json"
            ),
            "status change": lambda: desk_staff.patch(
                reverse("api:ticket-detail", args=[other.number]), {"status": "waiting"}, format="json"
            ),
            "opening": lambda: customers.post(reverse("api:ticket-list"), CASE, format="json"),
        }
        for name, write in writes.items():
            try:
                outcomes[name] = write().status_code
            except Exception as error:  # noqa: BLE001 - the test client re-raises a would-be 500
                outcomes[name] = f"{type(error).__name__}: {error}"
    finally:
        release.set()
        holder.join(60)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert held_errors == []
    assert outcomes == {
        "reply": HTTPStatus.CREATED,
        "status change": HTTPStatus.OK,
        "opening": HTTPStatus.CREATED,
    }, outcomes
