"""Lifecycle formula of SPEC §3, one branch per test, and the phase boundaries on the exact days."""

from __future__ import annotations

from datetime import date

import pytest

from lifecycle.dates import Phase, add_months, add_years, compute_milestones, notice_by, phase_at


def test_eoms_is_eos_plus_one_year_when_that_is_latest():
    m = compute_milestones(ga=date(2020, 3, 1), eos=date(2024, 6, 1), next_major_ga=date(2022, 1, 10))
    assert (m.eoms, m.eol, m.eoms_bound, m.eoms_provisional) == (
        date(2025, 6, 1),
        date(2026, 6, 1),
        "eos",
        False,
    )


def test_eoms_is_next_major_ga_plus_two_years_when_that_is_latest():
    m = compute_milestones(ga=date(2020, 3, 1), eos=date(2023, 1, 1), next_major_ga=date(2023, 5, 15))
    assert (m.eoms, m.eol, m.eoms_bound) == (date(2025, 5, 15), date(2026, 5, 15), "next_ga")


def test_eoms_is_ga_plus_four_years_so_support_lasts_five_years():
    m = compute_milestones(ga=date(2020, 3, 1), eos=date(2021, 1, 1), next_major_ga=date(2021, 6, 1))
    assert (m.eoms, m.eol, m.eoms_bound) == (date(2024, 3, 1), date(2025, 3, 1), "five_years")
    assert not m.eoms_provisional


def test_eoms_is_provisional_while_the_next_major_has_no_ga():
    m = compute_milestones(ga=date(2020, 3, 1), eos=date(2024, 6, 1), next_major_ga=None)
    assert (m.eoms, m.eoms_provisional) == (date(2025, 6, 1), True)


def test_version_still_on_sale_is_provisional_from_the_rules_it_can_apply():
    m = compute_milestones(ga=date(2020, 3, 1), eos=None, next_major_ga=date(2023, 1, 1))
    assert (m.eoms, m.eoms_bound, m.eoms_provisional) == (date(2025, 1, 1), "next_ga", True)


def test_override_replaces_the_rule_and_is_shown_as_such():
    m = compute_milestones(
        ga=date(2020, 3, 1), eos=date(2024, 6, 1), next_major_ga=None, eoms_override=date(2027, 1, 31)
    )
    assert (m.eoms, m.eol, m.eoms_bound, m.eoms_overridden, m.eoms_provisional) == (
        date(2027, 1, 31),
        date(2028, 1, 31),
        "override",
        True,
        False,
    )


def test_eol_override_alone_keeps_computed_eoms():
    m = compute_milestones(
        ga=date(2020, 3, 1),
        eos=date(2024, 6, 1),
        next_major_ga=date(2021, 1, 1),
        eol_override=date(2027, 1, 1),
    )
    assert (m.eoms, m.eol, m.eol_overridden, m.eoms_overridden) == (
        date(2025, 6, 1),
        date(2027, 1, 1),
        True,
        False,
    )


def test_no_ga_means_no_milestones():
    m = compute_milestones(ga=None, eos=None, next_major_ga=None)
    assert (m.eoms, m.eol, m.eoms_provisional) == (None, None, True)


def test_leap_day_plus_years_lands_on_28_february():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    m = compute_milestones(ga=date(2024, 2, 29), eos=date(2024, 3, 1), next_major_ga=None)
    assert (m.eoms, m.eol) == (date(2028, 2, 29), date(2029, 2, 28))


@pytest.mark.parametrize(
    ("milestone", "expected"),
    [
        (date(2027, 8, 31), date(2027, 2, 28)),
        (date(2026, 12, 15), date(2026, 6, 15)),
        (date(2028, 3, 1), date(2027, 9, 1)),
    ],
)
def test_notice_is_due_six_months_before_each_milestone(milestone, expected):
    assert notice_by(milestone) == expected


def test_add_months_crosses_years_both_ways():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 31), -2) == date(2025, 11, 30)


GA, EOMS, EOL = date(2021, 4, 1), date(2026, 3, 31), date(2027, 3, 31)


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        (date(2021, 3, 31), Phase.PRE_RELEASE),  # the day before GA
        (date(2021, 4, 1), Phase.MAINSTREAM),  # GA is the first supported day
        (date(2026, 3, 31), Phase.MAINSTREAM),  # EOMS is the last day of mainstream support
        (date(2026, 4, 1), Phase.EXTENDED),  # the day after EOMS
        (date(2027, 3, 31), Phase.EXTENDED),  # EOL is the last day of any support
        (date(2027, 4, 1), Phase.END_OF_LIFE),  # the day after EOL
    ],
)
def test_phase_boundaries_on_the_exact_days(day, phase):
    assert phase_at(day, ga=GA, eoms=EOMS, eol=EOL) == phase


def test_version_without_ga_is_pre_release():
    assert phase_at(date(2030, 1, 1), ga=None, eoms=None, eol=None) == Phase.PRE_RELEASE
