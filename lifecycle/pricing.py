"""Infotecs support prices (SPEC §4): pure functions over `Decimal`, no Django.

Amounts are rounded to the cent, half up, once per line — the way an invoice line is
rounded — and totals are sums of rounded lines, so a quote always adds up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# SPEC §4: "Basic — year 1 costs 12 % of the license price, each later year 20 %".
BASIC_FIRST_YEAR_RATE = Decimal("0.12")
BASIC_LATER_YEAR_RATE = Decimal("0.20")
# SPEC §4: "upgrade to the next major version 30 %".
UPGRADE_RATE = Decimal("0.30")


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def basic_rate(year: int) -> Decimal:
    """The share of the license price that Basic support costs in contract year `year` (1-based)."""
    if year < 1:
        raise ValueError("Contract years count from 1.")
    return BASIC_FIRST_YEAR_RATE if year == 1 else BASIC_LATER_YEAR_RATE


def basic_year_price(license_price: Decimal, year: int) -> Decimal:
    return _money(license_price * basic_rate(year))


def upgrade_price(license_price: Decimal) -> Decimal:
    """The price of upgrading to the next major version."""
    return _money(license_price * UPGRADE_RATE)


@dataclass(frozen=True)
class QuoteLine:
    year: int
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    total: Decimal


def basic_quote(license_price: Decimal, *, years: int, first_year: int = 1) -> Quote:
    """Basic support for `years` consecutive contract years starting at contract year
    `first_year`: a new customer starts at 1 (12 %); a renewal after two years starts at 3 (20 %)."""
    if years < 1:
        raise ValueError("Quote at least one year.")
    lines = tuple(
        QuoteLine(year=year, rate=basic_rate(year), amount=basic_year_price(license_price, year))
        for year in range(first_year, first_year + years)
    )
    return Quote(lines=lines, total=sum((line.amount for line in lines), Decimal("0.00")))


# ---------------------------------------------------------------------------- billable work (issue 21)

MINUTES_PER_HOUR = Decimal(60)


def work_charge(minutes: int, hourly_rate: Decimal) -> Decimal:
    """One work entry at the contract's hourly rate: minutes × rate ÷ 60, rounded to the cent half
    up on the entry (so 20 min at 100.00 is 33.33, and three such entries bill 99.99, not 100.00:
    a statement is the sum of its rounded lines, as an invoice is)."""
    if minutes < 0:
        raise ValueError("Work lasts a positive number of minutes.")
    return _money(Decimal(minutes) * hourly_rate / MINUTES_PER_HOUR)


def hours(minutes: int) -> Decimal:
    """Minutes as hours to two decimals, for display (1 h 20 min is 1.33)."""
    return _money(Decimal(minutes) / MINUTES_PER_HOUR)


def totals_by_currency(lines: Iterable[tuple[Decimal, str]]) -> dict[str, Decimal]:
    """Amounts are never converted: one total per currency, currencies in alphabetical order."""
    totals: dict[str, Decimal] = {}
    for amount, currency in lines:
        totals[currency] = totals.get(currency, Decimal("0.00")) + _money(amount)
    return dict(sorted(totals.items()))
