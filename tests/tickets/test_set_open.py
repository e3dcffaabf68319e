"""'Set the case open' decides under the case's lock: the desk resumes a waiting case and
reopens a resolved or closed one, whatever status the caller last read (issue 17 point 6: a
PATCH racing another change answered a wrong 400)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from tickets.models import Status, Ticket
from tickets.services import ticket_open, ticket_resolve, ticket_set_open, ticket_wait_on_customer

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
OPENED = datetime(2026, 11, 23, 10, tzinfo=NY)
LATER = datetime(2026, 11, 23, 11, tzinfo=NY)


@pytest.fixture
def case(customer, vendors) -> Ticket:
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        body="It fails",
        at=OPENED,
    )


def stale(ticket: Ticket, status: str) -> Ticket:
    """The case as a caller read it before another change committed."""
    copy = Ticket.objects.get(pk=ticket.pk)
    copy.status = status
    return copy


def test_a_waiting_case_the_caller_read_as_resolved_is_resumed(case, agent):
    ticket_wait_on_customer(ticket=case, by=agent, at=OPENED)
    opened = ticket_set_open(ticket=stale(case, Status.RESOLVED), by=agent, at=LATER)
    assert Ticket.objects.get(pk=case.pk).status == opened.status == Status.OPEN


def test_a_resolved_case_the_caller_read_as_waiting_is_reopened(case, agent):
    ticket_resolve(ticket=case, by=agent, resolution_code="workaround", message="Done", at=OPENED)
    ticket_set_open(ticket=stale(case, Status.WAITING_ON_CUSTOMER), by=agent, at=LATER)
    case.refresh_from_db()
    assert (case.status, case.resolved_at) == (Status.OPEN, None)


def test_an_open_case_stays_open(case, agent):
    assert ticket_set_open(ticket=stale(case, Status.RESOLVED), by=agent, at=LATER).status == Status.NEW


def test_a_customer_cannot_resume_a_waiting_case_by_status(case, customer, agent):
    # Customers answer by replying; "open" on a waiting case is the desk's to set.
    ticket_wait_on_customer(ticket=case, by=agent, at=OPENED)
    with pytest.raises(ValidationError):
        ticket_set_open(ticket=case, by=customer, at=LATER)
