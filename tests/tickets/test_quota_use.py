"""A case under a Basic contract uses its quota through lifecycle's ledger (SPEC §4: "up to 40
resolved tickets per contract year"): tickets records each resolution with quota_use_record,
and the quota counts those rows, never the cases. The Infotecs line of tests/lifecycle/conftest.py:
a Basic contract 2025–2027 (contract year 2 is 2026) for the customer's organization."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lifecycle.models import LedgerKind, QuotaLedgerEntry
from lifecycle.selectors import contract_quota
from lifecycle.services import contract_create
from tickets.models import Status, Ticket
from tickets.services import ticket_close, ticket_open, ticket_reopen, ticket_resolve

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def _open(customer, infotecs, versions, at=NOW) -> Ticket:
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=infotecs,
        priority="normal",
        subject="VPN drops",
        body="Every night",
        major_version=versions[4],
        at=at,
    )


def _resolve(ticket: Ticket, agent, at: datetime) -> Ticket:
    return ticket_resolve(ticket=ticket, by=agent, resolution_code="answered", message="Fixed", at=at)


def used(contract, on: date = TODAY) -> int:
    return contract_quota(contract=contract, on=on).used


def test_a_resolved_case_uses_one_ticket(customer, agent, infotecs, versions, basic_contract):
    ticket = _open(customer, infotecs, versions)
    assert used(basic_contract) == 0
    _resolve(ticket, agent, NOW + timedelta(hours=2))
    assert used(basic_contract) == 1
    entry = QuotaLedgerEntry.objects.get(kind=LedgerKind.USE)
    assert (entry.contract, entry.ticket_number, entry.contract_year) == (basic_contract, ticket.number, 2)


def test_a_resolved_reopened_resolved_case_counts_once(customer, agent, infotecs, versions, basic_contract):
    ticket = _open(customer, infotecs, versions)
    _resolve(ticket, agent, NOW + timedelta(hours=2))
    ticket_reopen(ticket=ticket, by=customer, at=NOW + timedelta(hours=3))
    assert used(basic_contract) == 0  # reopened: not resolved now, as the quota counted before
    _resolve(ticket, agent, NOW + timedelta(hours=4))
    ticket_close(ticket=ticket, by=customer, at=NOW + timedelta(hours=5))
    assert used(basic_contract) == 1
    assert QuotaLedgerEntry.objects.filter(ticket_number=ticket.number).count() == 1


def test_a_case_reopened_into_the_next_contract_year_counts_there(
    customer, agent, infotecs, versions, basic_contract
):
    ticket = _open(customer, infotecs, versions, at=datetime(2026, 12, 30, 10, tzinfo=UTC))
    _resolve(ticket, agent, datetime(2026, 12, 30, 12, tzinfo=UTC))
    ticket_reopen(ticket=ticket, by=customer, at=datetime(2027, 1, 2, 9, tzinfo=UTC))
    _resolve(ticket, agent, datetime(2027, 1, 2, 12, tzinfo=UTC))
    assert used(basic_contract, date(2026, 12, 31)) == 0
    assert used(basic_contract, date(2027, 1, 2)) == 1


def test_a_customer_close_after_an_answer_counts_like_a_resolution(
    customer, agent, infotecs, versions, basic_contract
):
    # A closed case with its close as its resolution time, once the desk has answered.
    from tickets.services import reply_add

    ticket = _open(customer, infotecs, versions)
    reply_add(ticket=ticket, author=agent, body="Try 4.2", at=NOW + timedelta(minutes=10))
    ticket_close(ticket=ticket, by=customer, at=NOW + timedelta(minutes=20))
    assert used(basic_contract) == 1


def test_a_case_withdrawn_before_any_answer_uses_no_ticket(customer, infotecs, versions, basic_contract):
    # SPEC §4 counts resolved tickets; a case the customer closed unanswered was never worked.
    ticket = _open(customer, infotecs, versions)
    ticket_close(ticket=ticket, by=customer, at=NOW + timedelta(minutes=20))
    assert used(basic_contract) == 0


def test_the_quota_reads_the_ledger_not_the_cases(customer, agent, infotecs, versions, basic_contract):
    ticket = _open(customer, infotecs, versions)
    # A case marked resolved behind the services' back tells lifecycle nothing…
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.RESOLVED, resolved_at=NOW)
    assert used(basic_contract) == 0
    # …and a ledger row is what counts, whatever became of the case.
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.OPEN, resolved_at=None)
    _resolve(ticket, agent, NOW + timedelta(hours=1))
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.OPEN, resolved_at=None)
    assert used(basic_contract) == 1


def test_another_organizations_case_uses_none_of_this_contract(
    outsider, agent, infotecs, versions, basic_contract
):
    contract_create(
        organization=outsider.membership.organization,
        product=basic_contract.product,
        plan=basic_contract.plan,
        start=basic_contract.start,
        end=basic_contract.end,
        deployment=basic_contract.deployment,
        license_price=basic_contract.license_price,
    )
    _resolve(_open(outsider, infotecs, versions), agent, NOW + timedelta(hours=1))
    assert used(basic_contract) == 0
