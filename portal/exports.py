"""CSV files for download: every export writes its rows through `csv_response`.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and skips a
leading tab or carriage return before looking), so an organization or service named
`=HYPERLINK(…)` would become a live link, or worse, in the desk's spreadsheet. Following OWASP
("CSV Injection"), such a text cell is written with a leading single quote, which spreadsheets
show as text and do not display.

Only text is neutralized. A number (int, float, Decimal; not bool) is written as the number it
is, negative ones too: it cannot hold a formula, and it stays summable. So exports pass numeric
columns as numbers, never as pre-formatted strings; a string that merely looks like a negative
number ("-5") is text, and quoted like any other text starting with "-".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """The value as it is safe to write: numbers as they are, None as empty, anything else as
    text, quoted when a spreadsheet would read it as a formula."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(lines: Iterable[Iterable[object]], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Written to a buffer, then to the response once: a response's write() encodes each row on
    # its own (6,000 rows: about 50 ms that way, 10 ms this way).
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in lines:
        writer.writerow([csv_cell(value) for value in line])
    response.write(buffer.getvalue())
    return response
