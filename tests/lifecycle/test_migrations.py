"""Migration lifecycle.0003 gives the cases resolved before the quota ledger their use rows, by
the rule the old count applied (issue 15.10), so no contract's quota moves on the upgrade."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime

import pytest
from django.apps import apps

from lifecycle.models import LedgerKind, QuotaLedgerEntry
from lifecycle.selectors import contract_quota_years
from lifecycle.services import quota_exchange_record
from policies.selectors import version_in_force
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db

migration = importlib.import_module("lifecycle.migrations.0003_quota_use_from_resolved_cases")


def _case(number: str, *, organization, product, requester, status: str, resolved: datetime | None) -> Ticket:
    """A case as the old code left it: rows only, no ledger."""
    version = version_in_force(vendor=product.vendor, at=datetime(2025, 1, 1, tzinfo=UTC))
    moment = resolved or datetime(2026, 1, 1, tzinfo=UTC)
    return Ticket.objects.create(
        number=number,
        vendor=product.vendor,
        organization=organization,
        requester=requester,
        policy_version=version,
        priority=version.priorities.order_by("rank").last(),
        product=product,
        subject="Old case",
        body="x",
        body_html="x",
        status=status,
        opened_at=moment,
        updated_at=moment,
        resolved_at=resolved,
    )


def test_resolved_and_closed_cases_get_their_use_in_the_year_they_were_resolved(
    basic_contract, premium_contract, customer, outsider
):
    common = {
        "organization": basic_contract.organization,
        "product": basic_contract.product,
        "requester": customer,
    }
    _case("INF-1", status=Status.RESOLVED, resolved=datetime(2025, 3, 1, 12, tzinfo=UTC), **common)
    _case("INF-2", status=Status.CLOSED, resolved=datetime(2026, 2, 1, 12, tzinfo=UTC), **common)
    _case("INF-3", status=Status.OPEN, resolved=None, **common)  # reopened or never resolved
    _case(
        "INF-4", status=Status.RESOLVED, resolved=datetime(2024, 6, 1, tzinfo=UTC), **common
    )  # before the term
    other = {**common, "organization": outsider.membership.organization, "requester": outsider}
    _case("INF-5", status=Status.RESOLVED, resolved=datetime(2025, 3, 1, tzinfo=UTC), **other)

    migration.forwards(apps, None)
    migration.forwards(apps, None)  # run again (a retried deploy): nothing twice

    uses = QuotaLedgerEntry.objects.filter(kind=LedgerKind.USE).order_by("ticket_number")
    assert [(u.contract, u.ticket_number, u.contract_year) for u in uses] == [
        (basic_contract, "INF-1", 1),
        (basic_contract, "INF-2", 2),
    ]  # the Premium contract has no quota; the other organization holds no contract
    years = contract_quota_years(contract=basic_contract, on=date(2026, 6, 1))
    assert [y.used for y in years] == [1, 1]


def test_backwards_removes_the_uses_and_keeps_the_exchanges(basic_contract, customer, agent):
    _case(
        "INF-1",
        organization=basic_contract.organization,
        product=basic_contract.product,
        requester=customer,
        status=Status.RESOLVED,
        resolved=datetime(2025, 3, 1, tzinfo=UTC),
    )
    migration.forwards(apps, None)
    quota_exchange_record(contract=basic_contract, contract_year=1, tickets=5, premium_service="Workshop")
    migration.backwards(apps, None)
    assert list(QuotaLedgerEntry.objects.values_list("kind", flat=True)) == [LedgerKind.EXCHANGE]
