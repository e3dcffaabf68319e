"""Two submits in flight at once, on PostgreSQL: one case, and both answer with it.

The first request is held inside its transaction, after its claim and its case are written but
before they commit; the second then runs for real in another thread on its own connection and
must wait on the claim's unique index. Only when PostgreSQL shows it waiting is the first let go:
the second's INSERT then fails, and it answers with the first's case (portal.idempotency).
Committed rows (conftest's transactional_db), since each thread must see the other's commit;
SQLite cannot run this: its in-memory test database is one connection's."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from portal.models import IdempotencyKey, Notice, NoticeKind
from portal.services import api_token_create
from tests.factories import MembershipFactory, OrganizationFactory
from tests.services.conftest import DEADLINE, wait_for
from tickets import services, views
from tickets.models import Ticket

pytestmark = pytest.mark.services

CASE = {"vendor": "alectrona", "priority": "high", "kind": "incident", "subject": "Crash", "body": "Always."}
KEY = "both-requests-carry-this-key"


def portal_post(customer) -> object:
    client = Client()
    client.force_login(customer)
    return client.post(reverse("tickets:open"), {**CASE, "action": "open", "submit_token": KEY})


def api_post(customer) -> object:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=customer)[1]}")
    return client.post(reverse("api:ticket-list"), CASE, format="json", headers={"Idempotency-Key": KEY})


def waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


class InFlight(threading.Thread):
    """One request on its own thread (and so its own database connection)."""

    def __init__(self, send, customer):
        super().__init__(daemon=True)
        self.send, self.customer, self.response, self.error = send, customer, None, None

    def run(self):
        try:
            self.response = self.send(self.customer)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error
        finally:
            connection.close()

    def answer(self):
        self.join(DEADLINE)
        assert not self.is_alive(), "the request never finished"
        if self.error:
            raise self.error
        return self.response


@pytest.mark.parametrize(("channel", "send"), [("portal", portal_post), ("api", api_post)])
def test_two_submits_in_flight_open_one_case(transactional_db, monkeypatch, channel, send):
    customer = MembershipFactory(user__username="alice", organization=OrganizationFactory(slug="acme")).user
    created, release = threading.Event(), threading.Event()
    module = views if channel == "portal" else services
    real_open = module.ticket_open

    def held_open(**kwargs):
        ticket = real_open(**kwargs)
        if not created.is_set():  # only the first request is held, with its claim uncommitted
            created.set()
            release.wait(DEADLINE)
        return ticket

    monkeypatch.setattr(module, "ticket_open", held_open)

    first = InFlight(send, customer)
    first.start()
    wait_for(created.is_set, what="the first request to open its case")
    second = InFlight(send, customer)
    second.start()
    try:
        wait_for(waiting_on_a_lock, what="the second request to wait on the first's claim")
    finally:
        release.set()
    one, two = first.answer(), second.answer()

    ticket = Ticket.objects.get()
    if channel == "portal":
        assert one.status_code == two.status_code == HTTPStatus.FOUND
        assert one["Location"] == two["Location"] == reverse("tickets:detail", args=[ticket.number])
    else:
        assert one.status_code == two.status_code == HTTPStatus.CREATED
        assert one.json() == two.json() and two["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.objects.get().reference == ticket.number
    assert Notice.objects.filter(kind=NoticeKind.TICKET_RECEIVED).count() == 1
