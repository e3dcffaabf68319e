"""Lifecycle dates stored and recomputed, contract rules, the quota ledger (uses and exchanges),
the calendar token."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lifecycle.dates import Phase
from lifecycle.models import Contract, Deployment, LedgerKind, MajorVersion, Plan, QuotaLedgerEntry
from lifecycle.selectors import calendar_token_for, contract_quota, contract_quota_years
from lifecycle.services import (
    calendar_token_regenerate,
    contract_create,
    major_version_delete,
    major_version_save,
    quota_exchange_record,
    quota_use_record,
    quota_use_withdraw,
)

from .conftest import TODAY, resolve_tickets


def test_computed_dates_are_stored_for_every_version(versions):
    v3 = versions[3]
    assert (v3.eoms, v3.eol, v3.eoms_bound, v3.eoms_provisional) == (
        date(2026, 1, 15),
        date(2027, 1, 15),
        "eos",
        False,
    )
    assert versions[5].eoms_provisional  # the newest major has no successor
    assert [versions[n].phase_at(TODAY) for n in (2, 3, 4, 5)] == [
        Phase.END_OF_LIFE,
        Phase.EXTENDED,
        Phase.MAINSTREAM,
        Phase.PRE_RELEASE,
    ]


def test_moving_the_next_majors_ga_recomputes_the_previous_version_and_keeps_history(versions):
    v4 = versions[4]
    v4.ga = date(2024, 6, 1)  # v3's EOMS becomes 2026-06-01 (next GA + 2 years beats EOS + 1 year)
    major_version_save(version=v4)
    v3 = MajorVersion.objects.get(pk=versions[3].pk)
    assert (v3.eoms, v3.eol, v3.eoms_bound) == (date(2026, 6, 1), date(2027, 6, 1), "next_ga")
    assert list(v3.history.values_list("eoms", flat=True))[:2] == [date(2026, 6, 1), date(2026, 1, 15)]


def test_deleting_the_next_major_makes_the_previous_one_provisional(versions):
    major_version_delete(version=versions[5])
    assert MajorVersion.objects.get(pk=versions[4].pk).eoms_provisional


def test_override_needs_a_reason(versions):
    v3 = versions[3]
    v3.eoms_override = date(2027, 6, 30)
    with pytest.raises(ValidationError) as error:
        major_version_save(version=v3)
    assert "override_reason" in error.value.message_dict


def test_override_with_reason_is_stored_as_such(versions):
    v3 = versions[3]
    v3.eoms_override, v3.override_reason = date(2027, 6, 30), "Certified build"
    v3 = major_version_save(version=v3)
    assert (v3.eoms, v3.eol, v3.eoms_bound, v3.has_override) == (
        date(2027, 6, 30),
        date(2028, 6, 30),
        "override",
        True,
    )


def test_eos_before_ga_is_refused(coordinator):
    with pytest.raises(ValidationError) as error:
        major_version_save(
            version=MajorVersion(
                product=coordinator, number=9, name="9", ga=date(2026, 1, 2), eos=date(2026, 1, 1)
            )
        )
    assert "eos" in error.value.message_dict


def test_premium_needs_a_basic_contract_covering_its_term(organization, coordinator, basic_contract):
    with pytest.raises(ValidationError) as error:
        contract_create(
            organization=organization,
            product=coordinator,
            plan=Plan.PREMIUM,
            start=date(2025, 1, 1),
            end=date(2028, 12, 31),
            deployment=Deployment.ON_PREMISE,
            license_price=Decimal("0"),
        )
    assert "plan" in error.value.message_dict
    assert Contract.objects.filter(plan=Plan.PREMIUM).count() == 0


def test_premium_without_any_basic_is_refused(other_organization, coordinator):
    with pytest.raises(ValidationError):
        contract_create(
            organization=other_organization,
            product=coordinator,
            plan=Plan.PREMIUM,
            start=date(2026, 1, 1),
            end=date(2026, 12, 31),
            deployment=Deployment.HOSTED,
            license_price=Decimal("0"),
        )


@pytest.mark.parametrize("end", [date(2026, 6, 30), date(2026, 12, 31), date(2027, 1, 2)])
def test_on_premise_terms_come_in_twelve_month_steps(organization, coordinator, end):
    with pytest.raises(ValidationError) as error:
        contract_create(
            organization=organization,
            product=coordinator,
            plan=Plan.BASIC,
            start=date(2026, 1, 2),
            end=end,
            deployment=Deployment.ON_PREMISE,
            license_price=Decimal("100"),
        )
    assert "12-month steps" in error.value.message_dict["end"][0]


def test_hosted_terms_may_be_any_length(organization, coordinator):
    contract = contract_create(
        organization=organization,
        product=coordinator,
        plan=Plan.BASIC,
        start=date(2026, 1, 2),
        end=date(2026, 6, 30),
        deployment=Deployment.HOSTED,
        license_price=Decimal("100"),
    )
    assert contract.pk and contract.vendor.slug == "infotecs"


def test_two_year_on_premise_term_is_accepted(organization, coordinator):
    contract = contract_create(
        organization=organization,
        product=coordinator,
        plan=Plan.BASIC,
        start=date(2026, 1, 2),
        end=date(2028, 1, 1),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("100"),
    )
    assert contract.term_months == 24


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_quota_across_three_contract_years_with_carry_over(basic_contract, organization, infotecs, customer):
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=10,
        resolved_at=_at(date(2025, 3, 1)),
    )
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=45,
        resolved_at=_at(date(2026, 2, 1)),
    )
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=3,
        resolved_at=_at(date(2027, 1, 1)),
    )
    years = contract_quota_years(contract=basic_contract, on=date(2027, 6, 1))
    assert [(y.used, y.carried_over, y.allowance, y.remaining, y.billable_count) for y in years] == [
        (10, 0, 40, 30, 0),
        (45, 30, 70, 25, 0),
        (3, 0, 40, 37, 0),
    ]


def test_quota_exchange_forfeits_the_carry_over(basic_contract, organization, infotecs, customer, agent):
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=10,
        resolved_at=_at(date(2025, 3, 1)),
    )
    quota_exchange_record(
        contract=basic_contract,
        contract_year=1,
        tickets=20,
        premium_service="Security workshop",
        recorded_by=agent,
    )
    years = contract_quota_years(contract=basic_contract, on=date(2027, 6, 1))
    assert [(y.used, y.exchanged, y.carried_over, y.remaining) for y in years] == [
        (10, 20, 0, 10),
        (0, 0, 0, 40),
        (0, 0, 40, 80),
    ]
    assert QuotaLedgerEntry.objects.get(kind=LedgerKind.EXCHANGE).recorded_by == agent


def test_exchange_cannot_exceed_what_is_left(basic_contract, organization, infotecs, customer):
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=35,
        resolved_at=_at(date(2025, 3, 1)),
    )
    with pytest.raises(ValidationError) as error:
        quota_exchange_record(contract=basic_contract, contract_year=1, tickets=6, premium_service="Workshop")
    assert "tickets" in error.value.message_dict
    assert not QuotaLedgerEntry.objects.filter(kind=LedgerKind.EXCHANGE).exists()


def test_exchange_needs_a_basic_contract(premium_contract):
    with pytest.raises(ValidationError):
        quota_exchange_record(contract=premium_contract, contract_year=1, tickets=1, premium_service="x")


def test_other_organizations_cases_do_not_count(basic_contract, other_organization, infotecs, outsider):
    resolve_tickets(
        organization=other_organization,
        vendor=infotecs,
        requester=outsider,
        count=5,
        resolved_at=_at(date(2025, 3, 1)),
    )
    assert contract_quota(contract=basic_contract, on=date(2025, 6, 1)).used == 0


def _use(contract: Contract, number: str, day: date) -> list[QuotaLedgerEntry]:
    return quota_use_record(
        organization=contract.organization, product=contract.product, ticket_number=number, at=_at(day)
    )


def test_a_case_recorded_twice_uses_one_ticket(basic_contract):
    _use(basic_contract, "INF-000001", date(2026, 3, 1))
    _use(basic_contract, "INF-000001", date(2026, 4, 1))  # resolved again, or closed after
    _use(basic_contract, "INF-000002", date(2026, 4, 1))
    assert contract_quota(contract=basic_contract, on=date(2026, 6, 1)).used == 2
    entry = QuotaLedgerEntry.objects.get(ticket_number="INF-000001")
    assert (entry.kind, entry.contract_year, entry.tickets) == (LedgerKind.USE, 2, 1)


def test_a_withdrawn_use_gives_the_ticket_back(basic_contract):
    _use(basic_contract, "INF-000001", date(2026, 3, 1))
    assert quota_use_withdraw(ticket_number="INF-000001") == 1
    assert quota_use_withdraw(ticket_number="INF-000001") == 0
    assert contract_quota(contract=basic_contract, on=date(2026, 6, 1)).used == 0


def test_a_use_counts_in_the_contract_year_of_its_day(basic_contract):
    _use(basic_contract, "INF-000001", date(2025, 12, 31))
    _use(basic_contract, "INF-000002", date(2026, 1, 1))
    years = contract_quota_years(contract=basic_contract, on=date(2026, 6, 1))
    assert [(y.used, y.carried_over) for y in years] == [(1, 0), (1, 39)]


def test_only_a_basic_contract_in_force_that_day_counts_a_use(basic_contract, premium_contract):
    assert _use(basic_contract, "INF-000001", date(2024, 12, 31)) == []  # before the term
    assert _use(basic_contract, "INF-000002", date(2028, 1, 1)) == []  # after it
    [entry] = _use(basic_contract, "INF-000003", date(2026, 3, 1))
    assert entry.contract == basic_contract  # not the Premium contract on top of it
    no_product = quota_use_record(
        organization=basic_contract.organization, product=None, ticket_number="INF-000004", at=_at(TODAY)
    )
    assert no_product == []


def test_a_use_row_names_its_case_and_an_exchange_its_service(basic_contract):
    use = QuotaLedgerEntry(
        contract=basic_contract, contract_year=1, kind=LedgerKind.USE, tickets=1, recorded_at=_at(TODAY)
    )
    with pytest.raises(ValidationError) as error:
        use.full_clean()
    assert "ticket_number" in error.value.message_dict
    exchange = QuotaLedgerEntry(contract=basic_contract, contract_year=1, tickets=3, recorded_at=_at(TODAY))
    with pytest.raises(ValidationError) as error:
        exchange.full_clean()
    assert "premium_service" in error.value.message_dict


def test_regenerating_the_calendar_token_revokes_the_old_one(customer):
    old = calendar_token_for(customer).token
    new = calendar_token_regenerate(user=customer).token
    assert old != new and calendar_token_for(customer).token == new
