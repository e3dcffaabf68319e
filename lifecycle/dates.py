"""Product lifecycle dates (SPEC §3, Infotecs): pure functions over `datetime.date`, no Django.

The policy's milestones per major version are GA (start of sales), EOS (end of sales),
EOMS (end of mainstream support) and EOL (end of life). All dates are calendar days; a
milestone date is the *last* day of the period it ends (see `phase_at`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.utils.translation import gettext_lazy

# SPEC §3: "Customers with that product are emailed at least 6 months before each of EOS, EOMS and EOL".
NOTICE_MONTHS = 6
# SPEC §3: "EOL = EOMS + 1 year (Extended Support lasts 1 year)."
EXTENDED_SUPPORT_YEARS = 1
# The dates a lifecycle computation accepts. The milestones reach five years past the latest
# input and notices six months before the earliest; `date` ends at 9999 and starts at year 1, so
# without a range a far date has no milestone at all. Four centuries cover any real product.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


class Phase(StrEnum):
    PRE_RELEASE = "pre_release"
    MAINSTREAM = "mainstream"
    EXTENDED = "extended"
    END_OF_LIFE = "end_of_life"


PHASE_WORDS = {
    Phase.PRE_RELEASE: gettext_lazy("Not yet released"),
    Phase.MAINSTREAM: gettext_lazy("Mainstream support"),
    Phase.EXTENDED: gettext_lazy("Extended support (vulnerabilities and critical bugs only)"),
    Phase.END_OF_LIFE: gettext_lazy("End of life (no support)"),
}


def add_years(day: date, years: int) -> date:
    """`day` moved by whole years. 29 February lands on 28 February in a year that has no
    29 February: a milestone never slips into March, so the promised period is never longer
    than the calendar allows and never ends in the wrong month."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months (negative goes back), clamped to the last day of the
    target month: 31 August − 6 months = 28 (or 29) February."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def notice_by(milestone: date) -> date:
    """The last day a customer may be told about `milestone`: six months before it."""
    return add_months(milestone, -NOTICE_MONTHS)


@dataclass(frozen=True)
class Milestones:
    """The computed end of a major version's support. `eoms_bound` says which rule of SPEC §3
    set EOMS: "eos", "next_ga", "five_years" or "override"."""

    eoms: date | None
    eol: date | None
    eoms_provisional: bool
    eoms_bound: str
    eoms_overridden: bool = False
    eol_overridden: bool = False


def compute_milestones(
    *,
    ga: date | None,
    eos: date | None,
    next_major_ga: date | None,
    eoms_override: date | None = None,
    eol_override: date | None = None,
) -> Milestones:
    """EOMS and EOL of one major version.

    SPEC §3: "EOMS = the latest of: EOS + 1 year; GA of the next major version + 2 years;
    GA + 4 years (so that the whole support period is at least 5 years). While the next
    major version has no GA date, EOMS is *provisional*."
    SPEC §3: "EOL = EOMS + 1 year (Extended Support lasts 1 year)."
    SPEC §3: "Staff may record an explicit override ("stated otherwise in the product life
    cycle") with a reason; it is shown as such."

    A version without a GA date has no computable milestones. A version still on sale (no
    EOS yet) gets EOMS from the rules it can apply, and is provisional as well, since a
    later EOS can only move EOMS later.
    """
    if eoms_override is not None:
        eoms, bound, provisional = eoms_override, "override", False
    elif ga is None:
        return Milestones(
            eoms=None,
            eol=eol_override,
            eoms_provisional=True,
            eoms_bound="",
            eol_overridden=bool(eol_override),
        )
    else:
        candidates = [(add_years(ga, 4), "five_years")]  # GA + 4 years: support lasts ≥ 5 years in all
        if eos is not None:
            candidates.append((add_years(eos, 1), "eos"))  # EOS + 1 year
        if next_major_ga is not None:
            candidates.append((add_years(next_major_ga, 2), "next_ga"))  # next major's GA + 2 years
        # The latest date wins; on a tie the earlier-listed rule in this order names the bound:
        # eos, next_ga, five_years (the rule a reader of the policy would quote first).
        order = {"eos": 0, "next_ga": 1, "five_years": 2}
        eoms, bound = max(candidates, key=lambda c: (c[0], -order[c[1]]))
        provisional = next_major_ga is None or eos is None
    eol = eol_override if eol_override is not None else add_years(eoms, EXTENDED_SUPPORT_YEARS)
    return Milestones(
        eoms=eoms,
        eol=eol,
        eoms_provisional=provisional,
        eoms_bound=bound,
        eoms_overridden=eoms_override is not None,
        eol_overridden=eol_override is not None,
    )


def phase_at(day: date, *, ga: date | None, eoms: date | None, eol: date | None) -> Phase:
    """The phase of a version on `day`. Boundaries, each day inclusive where named:

    - pre-release: day < GA (GA itself is the first day of sales and of support), or no GA yet;
    - mainstream: GA ≤ day ≤ EOMS (EOMS is the last day of mainstream support);
    - extended: EOMS < day ≤ EOL (EOL is the last day of any support);
    - end of life: day > EOL.
    """
    if ga is None or day < ga:
        return Phase.PRE_RELEASE
    if eoms is None or day <= eoms:
        return Phase.MAINSTREAM
    if eol is None or day <= eol:
        return Phase.EXTENDED
    return Phase.END_OF_LIFE
