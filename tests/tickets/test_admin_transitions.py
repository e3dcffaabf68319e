"""The desk's daily moves in Django admin besides waiting, resolving and priority: resume a case
waiting on the customer, close a resolved one, reopen a resolved or closed one. Each is a list
action and a button on the case page, through tickets.services (ticket_resume, ticket_close,
ticket_reopen), for staff who may change cases; what the service refuses is said in a message,
case by case, and changes nothing. Signed in as the desk signs in: password and second factor."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import StaffFactory
from tickets.models import SlaEvent, Status, Ticket
from tickets.services import (
    ticket_close,
    ticket_merge,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_wait_on_customer,
)
from tickets.words import Cause, Said

from .test_audit_channels import NOW, WAITED, open_case, snapshot

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tickets_ticket_changelist")
RESOLVING = {"resolution_code": "workaround", "message": "Use 4.3."}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(client, agent, settings, verified_login):
    settings.STAFF_TWO_FACTOR = True
    verified_login(client, agent)
    return client


@pytest.fixture
def cases(customer, vendors, django_capture_on_commit_callbacks):
    """`cases(n)`: n cases of the customer's opened at the same moment (a moved one and its twins)."""
    return lambda n=2: [open_case(customer, vendors, django_capture_on_commit_callbacks) for _ in range(n)]


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def action(client, name: str, tickets):
    payload = {"action": name, ACTION_CHECKBOX_NAME: [t.pk for t in tickets]}
    return client.post(CHANGELIST, payload, follow=True)


def button(client, name: str, ticket):
    return client.post(reverse(f"admin:tickets_ticket_{name}", args=[ticket.pk]), follow=True)


def case_page(client, ticket) -> str:
    response = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def resolved(ticket, agent):
    return ticket_resolve(ticket=ticket, by=agent, at=WAITED, **RESOLVING)


# ---------------------------------------------------------------------------- resume


@pytest.mark.parametrize("how", ["action", "button"])
def test_resume_a_waiting_case_as_the_service_does(desk, cases, agent, how):
    moved, twin = cases()
    for ticket in (moved, twin):
        ticket_wait_on_customer(ticket=ticket, by=agent, at=WAITED)

    response = (action if how == "action" else button)(desk, "resume", [moved] if how == "action" else moved)

    assert response.status_code == HTTPStatus.OK
    assert ("success", f"1 case back to open: {moved.number}.") in said(response)
    ticket_resume(ticket=twin, by=agent, at=NOW, cause=Said(Cause.DESK_RESUMED))
    assert snapshot(moved) == snapshot(twin)
    assert snapshot(moved)["status"] == Status.OPEN
    assert SlaEvent.objects.filter(target__ticket=moved, code=Cause.DESK_RESUMED).exists()
    if how == "button":
        assert response.redirect_chain[-1][0] == reverse("admin:tickets_ticket_change", args=[moved.pk])


def test_resume_reports_each_case_open_ones_unchanged_and_closed_ones_refused(desk, cases, agent, customer):
    waiting, already_open, closed = cases(3)
    ticket_wait_on_customer(ticket=waiting, by=agent, at=WAITED)
    ticket_close(ticket=resolved(closed, agent), by=customer, at=WAITED + timedelta(minutes=5))
    before = snapshot(closed)

    response = action(desk, "resume", [waiting, already_open, closed])

    messages = said(response)
    assert ("success", f"1 case back to open: {waiting.number}.") in messages
    assert ("info", f"1 case already so, nothing changed: {already_open.number}.") in messages
    assert ("error", f"{closed.number}: A case that is closed cannot be resumed.") in messages
    assert snapshot(closed) == before


# ---------------------------------------------------------------------------- close


@pytest.mark.parametrize("how", ["action", "button"])
def test_close_a_resolved_case_as_the_service_does(desk, cases, agent, how):
    moved, twin = cases()
    for ticket in (moved, twin):
        resolved(ticket, agent)

    response = (action if how == "action" else button)(desk, "close", [moved] if how == "action" else moved)

    assert ("success", f"1 case closed: {moved.number}.") in said(response)
    ticket_close(ticket=twin, by=agent, at=NOW)
    assert snapshot(moved) == snapshot(twin)
    assert snapshot(moved)["status"] == Status.CLOSED


@pytest.mark.parametrize("how", ["action", "button"])
def test_the_desk_closing_an_unresolved_case_is_told_to_resolve_it(desk, cases, how):
    [ticket] = cases(1)
    before = snapshot(ticket)

    response = (action if how == "action" else button)(desk, "close", [ticket] if how == "action" else ticket)

    assert response.status_code == HTTPStatus.OK
    assert (
        "error",
        f"{ticket.number}: Resolve the case with a message to the customer; "
        "the customer or the desk closes it then.",
    ) in said(response)
    assert snapshot(ticket) == before


# ---------------------------------------------------------------------------- reopen


@pytest.mark.parametrize("how", ["action", "button"])
@pytest.mark.parametrize("closed", [False, True])
def test_reopen_a_resolved_or_closed_case_as_the_service_does(desk, cases, agent, customer, how, closed):
    moved, twin = cases()
    for ticket in (moved, twin):
        resolved(ticket, agent)
        if closed:
            ticket_close(ticket=ticket, by=customer, at=WAITED + timedelta(minutes=5))

    response = (action if how == "action" else button)(desk, "reopen", [moved] if how == "action" else moved)

    assert ("success", f"1 case reopened: {moved.number}.") in said(response)
    ticket_reopen(ticket=twin, by=agent, at=NOW)
    assert snapshot(moved) == snapshot(twin)
    assert snapshot(moved)["status"] == Status.OPEN


def test_reopening_a_waiting_case_is_refused(desk, cases, agent):
    [ticket] = cases(1)
    ticket_wait_on_customer(ticket=ticket, by=agent, at=WAITED)
    before = snapshot(ticket)
    response = action(desk, "reopen", [ticket])
    assert ("error", f"{ticket.number}: A case that is waiting on customer cannot be reopened.") in said(
        response
    )
    assert snapshot(ticket) == before


@pytest.mark.parametrize("how", ["action", "button"])
def test_a_merged_duplicate_is_not_reopened_and_the_kept_case_is_named(desk, cases, agent, how):
    kept, duplicate = cases()
    ticket_merge(duplicate=duplicate, into=kept, by=agent, at=WAITED)
    before = snapshot(duplicate)
    assert reverse("admin:tickets_ticket_reopen", args=[duplicate.pk]) not in case_page(desk, duplicate)

    response = (action if how == "action" else button)(
        desk, "reopen", [duplicate] if how == "action" else duplicate
    )

    assert response.status_code == HTTPStatus.OK
    assert (
        "error",
        f"{duplicate.number}: This case was merged into {kept.number}, where the desk continues with it: "
        f"write on {kept.number} instead.",
    ) in said(response)
    assert snapshot(duplicate) == before
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == kept.pk


# ---------------------------------------------------------------------------- the case page and who may


def test_the_case_page_offers_the_moves_the_case_can_make(desk, cases, agent, customer):
    waiting, done, closed = cases(3)
    ticket_wait_on_customer(ticket=waiting, by=agent, at=WAITED)
    resolved(done, agent)
    ticket_close(ticket=resolved(closed, agent), by=customer, at=WAITED + timedelta(minutes=5))
    offered = {
        ticket.number: {
            name
            for name in ("resume", "close", "reopen")
            if reverse(f"admin:tickets_ticket_{name}", args=[ticket.pk]) in case_page(desk, ticket)
        }
        for ticket in (waiting, done, closed)
    }
    assert offered == {
        waiting.number: {"resume"},
        done.number: {"close", "reopen"},
        closed.number: {"reopen"},
    }


def test_a_button_answers_only_a_post(desk, cases, agent):
    [ticket] = cases(1)
    ticket_wait_on_customer(ticket=ticket, by=agent, at=WAITED)
    before = snapshot(ticket)
    response = desk.get(reverse("admin:tickets_ticket_resume", args=[ticket.pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert snapshot(ticket) == before


def test_staff_who_may_only_view_cases_cannot_move_them(client, cases, agent, settings, verified_login):
    settings.STAFF_TWO_FACTOR = True
    viewer = StaffFactory(username="viewer", is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    [ticket] = cases(1)
    ticket_wait_on_customer(ticket=ticket, by=agent, at=WAITED)
    before = snapshot(ticket)
    verified_login(client, viewer)

    page = case_page(client, ticket)
    assert reverse("admin:tickets_ticket_resume", args=[ticket.pk]) not in page
    assert 'value="resume"' not in client.get(CHANGELIST).content.decode()
    assert button(client, "resume", ticket).status_code == HTTPStatus.FORBIDDEN
    action(client, "resume", [ticket])
    assert snapshot(ticket) == before


def test_the_case_page_costs_the_same_in_every_status(desk, cases, agent, customer):
    waiting, closed = cases()
    ticket_wait_on_customer(ticket=waiting, by=agent, at=WAITED)
    ticket_close(ticket=resolved(closed, agent), by=customer, at=WAITED + timedelta(minutes=5))
    case_page(desk, waiting)  # warm per-process caches
    counts = []
    for ticket in (waiting, closed):
        with CaptureQueriesContext(connection) as queries:
            case_page(desk, ticket)
        counts.append(len(queries))
    assert counts[0] == counts[1]
