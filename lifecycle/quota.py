"""The Basic plan's ticket quota (SPEC §4): pure functions over plain values, no Django.

SPEC §4: "Basic includes up to 40 resolved tickets per contract year. Unused allowance
carries over to the next year only (carry-over = 40 − resolved that year, never
compounding), or is exchanged for Premium services (then no carry-over). Beyond the
allowance a case is still accepted but marked billable."
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .dates import add_years

BASIC_TICKETS_PER_YEAR = 40


@dataclass(frozen=True)
class ContractYear:
    number: int  # 1-based
    start: date
    end: date  # inclusive: the day before the next contract year starts


def contract_year(contract_start: date, number: int) -> ContractYear:
    """Contract year `number` runs from the anniversary of the start to the day before the next one."""
    start = add_years(contract_start, number - 1)
    return ContractYear(number=number, start=start, end=add_years(contract_start, number) - timedelta(days=1))


def contract_year_at(contract_start: date, day: date) -> ContractYear:
    """The contract year containing `day` (year 1 for days before the start)."""
    number = max(1, day.year - contract_start.year + 1)
    while number > 1 and contract_year(contract_start, number).start > day:
        number -= 1
    return contract_year(contract_start, number)


@dataclass(frozen=True)
class QuotaYear:
    year: int
    carried_over: int  # unused part of the previous year's 40, brought into this year
    allowance: int  # 40 + carried_over
    used: int  # tickets resolved in this contract year
    exchanged: int  # allowance given up for Premium services this year
    remaining: int
    billable_count: int  # resolved tickets beyond the allowance

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0


def quota_years(
    resolved_per_year: Sequence[int],
    exchanged_per_year: Sequence[int] = (),
    *,
    per_year: int = BASIC_TICKETS_PER_YEAR,
) -> list[QuotaYear]:
    """The quota of each contract year, from the tickets resolved in each year (index 0 is
    year 1) and the allowance exchanged for Premium services in each year.

    - carry-over into year n+1 = max(0, 40 − resolved in year n): it is based on the plain
      40, never on the carried allowance, so unused tickets never compound;
    - an exchange recorded in year n forfeits the carry-over into year n+1;
    - the exchanged tickets leave this year's allowance at once;
    - a resolved ticket beyond what is left is billable.
    """
    years: list[QuotaYear] = []
    for index, used in enumerate(resolved_per_year):
        exchanged = exchanged_per_year[index] if index < len(exchanged_per_year) else 0
        carried = 0
        if index > 0:
            previous = years[-1]
            carried = 0 if previous.exchanged else max(0, per_year - previous.used)
        allowance = per_year + carried
        usable = max(0, allowance - exchanged)
        years.append(
            QuotaYear(
                year=index + 1,
                carried_over=carried,
                allowance=allowance,
                used=used,
                exchanged=exchanged,
                remaining=max(0, usable - used),
                billable_count=max(0, used - usable),
            )
        )
    return years
