"""The Basic ticket quota across three contract years (SPEC §4)."""

from __future__ import annotations

from datetime import date

from lifecycle.quota import contract_year, contract_year_at, quota_years


def _table(years):
    return [(y.year, y.carried_over, y.allowance, y.used, y.remaining, y.billable_count) for y in years]


def test_unused_allowance_carries_over_to_the_next_year_only():
    years = quota_years([10, 5, 50])
    assert _table(years) == [
        (1, 0, 40, 10, 30, 0),
        (2, 30, 70, 5, 65, 0),  # 40 − 10 carried in
        (3, 35, 75, 50, 25, 0),  # 40 − 5: year 1's carry-over does not compound
    ]


def test_cases_beyond_the_allowance_are_billable_and_carry_nothing():
    years = quota_years([45, 20, 0])
    assert _table(years) == [
        (1, 0, 40, 45, 0, 5),
        (2, 0, 40, 20, 20, 0),
        (3, 20, 60, 0, 60, 0),
    ]


def test_an_exchange_leaves_the_allowance_and_forfeits_the_carry_over():
    years = quota_years([10, 5, 0], [30, 0, 0])
    assert _table(years) == [
        (1, 0, 40, 10, 0, 0),  # 30 exchanged for Premium services, 10 used
        (2, 0, 40, 5, 35, 0),  # no carry-over after an exchange
        (3, 35, 75, 0, 75, 0),
    ]
    assert years[0].exchanged == 30


def test_used_after_an_exchange_is_billable_beyond_what_is_left():
    year = quota_years([12], [30])[0]
    assert (year.remaining, year.billable_count) == (0, 2)


def test_contract_years_run_anniversary_to_the_day_before():
    year = contract_year(date(2024, 2, 29), 2)
    assert (year.start, year.end) == (date(2025, 2, 28), date(2026, 2, 27))
    assert contract_year_at(date(2025, 3, 15), date(2026, 3, 14)).number == 1
    assert contract_year_at(date(2025, 3, 15), date(2026, 3, 15)).number == 2
    assert contract_year_at(date(2025, 3, 15), date(2028, 1, 1)).number == 3
