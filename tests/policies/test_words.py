"""One wording for durations, promised times and support hours (policies.words), pure."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest

from policies.clock import WeeklyWindow
from policies.words import (
    decimal_hours,
    due_words,
    duration_words,
    overdue_words,
    promise_words,
    support_hours_words,
    window_words,
    windows_words,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(hours=3, minutes=20), "3 h 20 min"),
        (timedelta(days=2, hours=4), "2 d 4 h"),
        (timedelta(minutes=12, seconds=40), "12 min"),  # seconds dropped, not rounded up
        (timedelta(hours=21), "21 h"),
        # The case page once said "1 d 3 h" here and the explanation "1 d 3 h 20 min": one wording now.
        (timedelta(days=1, hours=3, minutes=20), "1 d 3 h 20 min"),
        (timedelta(days=1, minutes=30), "1 d 30 min"),
        (timedelta(0), "0 min"),
        (timedelta(seconds=-90), "0 min"),  # the explanation once printed "-1 d 23 h 58 min"
    ],
)
def test_duration_words(value, expected):
    assert duration_words(value) == expected


def test_decimal_hours_has_two_decimals():
    assert [decimal_hours(timedelta(minutes=m)) for m in (90, 20, 0)] == ["1.50", "0.33", "0.00"]


@pytest.mark.parametrize(
    ("amount", "unit", "around_the_clock", "expected"),
    [
        ("2", "hours", True, "2 hours (24×7)"),
        ("1", "hours", False, "1 hour (support hours)"),
        ("1.00", "business days", False, "1 business day (support hours)"),
        ("10", "business days", False, "10 business days (support hours)"),
        ("0.5", "hours", True, "0.5 hours (24×7)"),
    ],
)
def test_promise_words(amount, unit, around_the_clock, expected):
    assert promise_words(Decimal(amount), unit, around_the_clock=around_the_clock) == expected


ALECTRONA = tuple(WeeklyWindow(day, time(9), day, time(17, 30)) for day in range(5))
SECPOD = (WeeklyWindow(0, time(0), 5, time(0)),)
ALBERT = (WeeklyWindow(6, time(19, 30), 4, time(19, 30)),)


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        (ALECTRONA, "Monday to Friday, 09:00–17:30"),
        (SECPOD, "Monday to Friday, all day"),
        (ALBERT, "Sunday 19:30 to Friday 19:30"),
        ((WeeklyWindow(2, time(0), 3, time(0)),), "Wednesday, all day"),
        ((WeeklyWindow(4, time(18), 6, time(0)),), "Friday 18:00 to Saturday midnight"),
        (
            ALECTRONA[:1] + (WeeklyWindow(5, time(10), 5, time(12)),),
            "Monday 09:00–17:30; Saturday 10:00–12:00",
        ),
        ((), "never open"),
    ],
)
def test_windows_words(windows, expected):
    assert windows_words(windows) == expected


def test_one_window_and_a_calendars_hours():
    assert window_words(ALECTRONA[0]) == "Monday 09:00–17:30"
    assert support_hours_words(SECPOD, "Asia/Kolkata") == "Monday to Friday, all day, Asia/Kolkata local time"


@pytest.mark.parametrize(
    "left, words",
    [
        (timedelta(minutes=25, seconds=40), "in 25 min"),
        (timedelta(days=1, hours=4, minutes=20), "in 1 d 4 h"),
        (timedelta(seconds=30), "due now"),
        (timedelta(0), "due now"),
        (-timedelta(seconds=1), "overdue < 1 min"),
        (-timedelta(hours=2), "overdue 2 h"),
        (-timedelta(hours=2, minutes=5), "overdue 2 h 5 min"),
    ],
)
def test_due_words(left, words):
    assert due_words(left) == words


@pytest.mark.parametrize(
    ("late", "words"),
    [
        (timedelta(seconds=1), "overdue by less than a minute"),
        (timedelta(seconds=59), "overdue by less than a minute"),
        (timedelta(minutes=1), "overdue by 1 min"),
        (timedelta(hours=2, minutes=5), "overdue by 2 h 5 min"),
    ],
)
def test_overdue_words_never_say_0_min(late, words):
    assert overdue_words(late) == words
