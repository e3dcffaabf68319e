"""Migration tickets.0006 rewrites rows the old code stored so they tell the truth (issue 15).

Each test builds the state the old code left (a late answer the sweep had already breached, an
unanswered case "met" by its close, waits with no Wait rows), runs the migration's function on
it and asserts the rows a reader would check."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps

from tickets.models import Reply, SlaEvent, Status, TargetState, Ticket, Wait
from tickets.services import reply_add, ticket_open, ticket_wait_on_customer
from tickets.services.sweep import sla_sweep

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
migration = importlib.import_module("tickets.migrations.0006_truthful_targets")


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


def _open(customer, vendors, opened) -> Ticket:
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="urgent",
        subject="Export fails",
        body="x",
        at=opened,
    )


def first(ticket: Ticket):
    return ticket.sla_targets.get(kind="first_response")


def test_a_late_answer_after_the_breach_is_recorded(customer, agent, vendors):
    ticket = _open(customer, vendors, ny(2026, 12, 1, 10))
    sla_sweep(now=ny(2026, 12, 1, 11, 1))
    # What the old reply_add left: the reply and first_responded_at, the breach untouched.
    Reply.objects.create(ticket=ticket, author=agent, body="Here", body_html="Here", by_staff=True,
                         created_at=ny(2026, 12, 1, 11, 30))  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(first_responded_at=ny(2026, 12, 1, 11, 30), status=Status.OPEN)

    migration.forwards(apps, None)

    target = first(ticket)
    assert (target.state, target.fulfilled_at) == (TargetState.BREACHED, ny(2026, 12, 1, 11, 30))
    assert target.response_business_time == timedelta(hours=1, minutes=30)
    assert target.events.filter(kind=SlaEvent.Kind.ANSWERED_LATE).exists()


def _old_close(ticket: Ticket, closed: datetime) -> None:
    """The old ticket_close of an unanswered case: first response met at the close."""
    ticket.sla_targets.filter(kind="first_response").update(
        state=TargetState.MET, met_at=closed, fulfilled_at=closed, response_business_time=timedelta(0)
    )
    with time_machine.travel(closed, tick=False):
        ticket.status, ticket.closed_at, ticket.resolved_at = Status.CLOSED, closed, closed
        ticket.save()


def test_an_unanswered_close_becomes_withdrawn(customer, vendors):
    ticket = _open(customer, vendors, ny(2026, 12, 1, 10))
    _old_close(ticket, ny(2026, 12, 1, 10, 20))

    migration.forwards(apps, None)

    target = first(ticket)
    assert (target.state, target.met_at, target.fulfilled_at) == (TargetState.WITHDRAWN, None, None)
    assert target.response_business_time is None
    ticket.refresh_from_db()
    assert ticket.sla_state == TargetState.WITHDRAWN


def test_a_case_reopened_since_runs_again_from_the_reopening(customer, vendors):
    ticket = _open(customer, vendors, ny(2026, 12, 1, 10))
    _old_close(ticket, ny(2026, 12, 1, 10, 20))
    with time_machine.travel(ny(2026, 12, 1, 15), tick=False):
        ticket.status, ticket.closed_at, ticket.resolved_at = Status.OPEN, None, None
        ticket.save()

    migration.forwards(apps, None)

    target = first(ticket)
    assert (target.state, target.started_at) == (TargetState.RUNNING, ny(2026, 12, 1, 15))
    assert target.due_at == ny(2026, 12, 1, 16)  # a full business hour from the reopening
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.next_due_at) == (TargetState.RUNNING, ny(2026, 12, 1, 16))


def test_waits_are_rebuilt_from_the_pause_events(customer, agent, vendors):
    ticket = _open(customer, vendors, ny(2026, 12, 1, 10))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=ny(2026, 12, 1, 10, 10))
    reply_add(ticket=ticket, author=customer, body="Logs", at=ny(2026, 12, 2, 9))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=ny(2026, 12, 2, 9, 30))
    Wait.objects.all().delete()  # the old code kept no Wait rows

    migration.forwards(apps, None)

    assert list(Wait.objects.values_list("started_at", "ended_at")) == [
        (ny(2026, 12, 1, 10, 10), ny(2026, 12, 2, 9)),
        (ny(2026, 12, 2, 9, 30), None),
    ]


def test_bodies_are_rendered_again_so_pasted_tags_show(customer, agent, vendors):
    rerender = importlib.import_module("tickets.migrations.0007_rerender_bodies")
    ticket = _open(customer, vendors, ny(2026, 12, 1, 10))
    xml = '<configuration><add key="Timeout"/></configuration>'
    reply = reply_add(ticket=ticket, author=agent, body=xml, at=ny(2026, 12, 1, 10, 30))
    # What the old renderer stored: the tags dropped from the HTML, the text intact.
    Ticket.objects.filter(pk=ticket.pk).update(body=xml, body_html="")
    Reply.objects.filter(pk=reply.pk).update(body_html="")

    rerender.forwards(apps, None)

    ticket.refresh_from_db()
    reply.refresh_from_db()
    for html in (ticket.body_html, reply.body_html):
        assert "&lt;configuration&gt;" in html and "&lt;add key=" in html
