"""Case locks on PostgreSQL (issue 17 point 3): replies, staff changes and openings of one
vendor's cases, from many threads at once over the API, never deadlock and never answer 500; a
case held locked delays nobody else's case. Real PostgreSQL row locks, committed transactions
(each thread its own connection), no mocks."""

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


def test_a_case_held_locked_delays_no_other_case_of_its_vendor(desk):
    customer, staff, cases = desk
    held, other = cases[0], cases[1]
    locked, release = threading.Event(), threading.Event()
    timings: dict[str, float] = {}

    def hold(_: int) -> None:
        with transaction.atomic():
            _lock(held)  # the lock every change of a case takes, as a long reply would hold it
            locked.set()
            release.wait(10)

    def others(_: int) -> None:
        locked.wait(10)
        client = APIClient()
        client.force_authenticate(customer)
        started = time.monotonic()
        response = client.post(
            reverse("api:ticket-replies", args=[other.number]), {"body": "hi"}, format="json"
        )
        timings["reply"] = time.monotonic() - started
        assert response.status_code == HTTPStatus.CREATED, response.content
        started = time.monotonic()
        response = client.post(reverse("api:ticket-list"), CASE, format="json")
        timings["opening"] = time.monotonic() - started
        assert response.status_code == HTTPStatus.CREATED, response.content
        release.set()

    errors = in_threads(lambda i: (hold if i == 0 else others)(i), 2)
    assert errors == []
    assert timings["reply"] < 2 and timings["opening"] < 2, timings  # the holder keeps 10 s
