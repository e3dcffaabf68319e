"""Issue 17: a request whose transaction PostgreSQL aborts for a deadlock or a serialization
failure runs once more on the fresh state, at the outermost level. PATCH applies several changes in
one transaction, and a POST with an Idempotency-Key claims the key in the transaction of its
creation, so the services' own retry cannot act there: the API retries the whole transaction."""

from __future__ import annotations

from http import HTTPStatus

from django.db import OperationalError

from portal.models import IdempotencyKey
from tests.tickets.test_api import api, detail_url, open_case
from tickets import services
from tickets.models import Status, Ticket

KEY = "5b0c3c4e-3b1f-4d7e-9a55-2f4d7e0c9b11"


class Aborted(Exception):
    sqlstate = "40P01"  # deadlock_detected


def aborted_once(monkeypatch, name: str) -> list[int]:
    """tickets.services.<name> aborted by a deadlock on its first call, then itself."""
    original, calls = getattr(services, name), []

    def service(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from Aborted()
        return original(**kwargs)

    monkeypatch.setattr(services, name, service)
    return calls


def test_a_patch_aborted_by_a_deadlock_runs_all_its_changes_once_more(monkeypatch, customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"])
    calls = aborted_once(monkeypatch, "ticket_wait_on_customer")
    change = {"priority": "high", "status": Status.WAITING_ON_CUSTOMER}
    response = api(agent).patch(detail_url(case), change, format="json")
    assert response.status_code == HTTPStatus.OK, response.content
    assert len(calls) == 2  # the priority change, rolled back with it, was made once more too
    case.refresh_from_db()
    assert case.priority.code == "high" and case.status == Status.WAITING_ON_CUSTOMER


def test_an_idempotent_opening_aborted_by_a_deadlock_runs_once_more_and_claims_its_key_once(
    monkeypatch, customer, vendors
):
    calls = aborted_once(monkeypatch, "ticket_open")
    body = {"vendor": "alectrona", "priority": "high", "subject": "Crash on save", "body": "Each time."}
    response = api(customer).post("/api/tickets/", body, format="json", headers={"Idempotency-Key": KEY})
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert len(calls) == 2
    assert Ticket.objects.filter(subject="Crash on save").count() == 1
    assert IdempotencyKey.objects.filter(key=KEY).count() == 1


def test_a_second_deadlock_answers_503_and_changes_nothing(monkeypatch, customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"])

    def always(**kwargs):
        raise OperationalError("deadlock detected") from Aborted()

    monkeypatch.setattr(services, "ticket_wait_on_customer", always)
    change = {"priority": "high", "status": Status.WAITING_ON_CUSTOMER}
    response = api(agent).patch(detail_url(case), change, format="json")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    case.refresh_from_db()
    assert case.priority.code != "high" and case.status == Status.NEW
