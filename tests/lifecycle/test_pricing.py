"""Infotecs prices (SPEC §4): 12 % the first Basic year, 20 % later years, 30 % to upgrade."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lifecycle.pricing import basic_quote, basic_year_price, upgrade_price


def test_first_basic_year_costs_twelve_percent():
    assert basic_year_price(Decimal("10000.00"), 1) == Decimal("1200.00")


def test_later_basic_years_cost_twenty_percent():
    assert basic_year_price(Decimal("10000.00"), 2) == Decimal("2000.00")
    assert basic_year_price(Decimal("10000.00"), 7) == Decimal("2000.00")


def test_upgrade_costs_thirty_percent():
    assert upgrade_price(Decimal("10000.00")) == Decimal("3000.00")


def test_amounts_round_half_up_to_the_cent():
    assert basic_year_price(Decimal("0.125"), 1) == Decimal("0.02")  # 0.015 → 0.02
    assert upgrade_price(Decimal("33.35")) == Decimal("10.01")  # 10.005 → 10.01


def test_three_year_quote_for_a_new_customer():
    quote = basic_quote(Decimal("10000.00"), years=3)
    assert [(line.year, line.amount) for line in quote.lines] == [
        (1, Decimal("1200.00")),
        (2, Decimal("2000.00")),
        (3, Decimal("2000.00")),
    ]
    assert quote.total == Decimal("5200.00")


def test_renewal_quote_starts_at_the_later_year_rate():
    quote = basic_quote(Decimal("999.99"), years=2, first_year=3)
    assert quote.total == Decimal("400.00")  # 2 × 199.998 rounded per line


def test_quote_needs_a_year():
    with pytest.raises(ValueError):
        basic_quote(Decimal("1"), years=0)


# Issue 21: billable work at the contract's hourly rate.


def test_work_is_charged_per_entry_rounded_half_up_to_the_cent():
    from lifecycle.pricing import work_charge

    assert work_charge(90, Decimal("80.00")) == Decimal("120.00")
    assert work_charge(20, Decimal("100.00")) == Decimal("33.33")  # 33.333… rounds down
    assert work_charge(1, Decimal("0.30")) == Decimal("0.01")  # 0.005 rounds half up


def test_totals_keep_each_currency_and_add_rounded_lines():
    from lifecycle.pricing import totals_by_currency, work_charge

    lines = [(work_charge(20, Decimal("100.00")), "EUR")] * 3 + [(Decimal("15.50"), "RUB")]
    assert totals_by_currency(lines) == {"EUR": Decimal("99.99"), "RUB": Decimal("15.50")}
