"""A statement's case rows (issue 21 point 2), written in Python: an organization may have
thousands of billable cases in a month, and the template language took about 0.5 ms a row (ten
variable look-ups, an inner loop); this writes the same markup, each value localized and escaped
as `{{ value }}` would be, in a few microseconds a row."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from django import template
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

ROW = (
    "\n    <tr>\n"
    '      <td>{number}<br><span class="small muted">{subject}</span></td>\n'
    '      <td class="small">{reason}</td>\n'
    '      <td class="num">{hours}</td>\n'
    '      <td class="num">{work} {currency}</td>\n'
    '      <td class="num">{emergency}</td>\n'
    '      <td class="small">{expenses}</td>\n'
    "    </tr>\n  "
)


PROBE = Decimal("-1234567.50")


def _writer():
    """`{{ value }}` for a statement's text and amounts: localized, then escaped (the values are
    plain str and Decimal). Django's number formatting costs some 20 µs a number; where the
    active format writes a Decimal as Python does (a point, no grouping: this portal's en-us) it
    is skipped, which a probe decides once per page."""
    plain = localize(PROBE) == f"{PROBE:f}"

    def out(value) -> str:
        if isinstance(value, Decimal):
            return f"{value:f}" if plain else escape(localize(value))
        return escape(str(value))

    return out


@register.simple_tag
def statement_case_rows(s) -> SafeString:
    _out = _writer()
    currency = _out(s.currency)
    rows = []
    for case in s.cases:
        expenses = "<br>".join(
            f"{_out(e.kind)} {_out(e.incurred_on)}: {_out(e.amount)} {_out(e.currency)}"
            + (f" ({_out(e.description)})" if e.description else "")
            for e in case.expenses
        )
        rows.append(
            ROW.format(
                number=_out(case.number),
                subject=_out(case.subject),
                reason=_out(case.reason),
                hours=_out(case.hours),
                work=_out(case.work_amount),
                currency=currency,
                emergency=f"{_out(case.emergency_amount)} {currency}" if case.emergency_calls else "—",
                expenses=expenses or "—",
            )
        )
    return mark_safe("".join(rows))  # every value above is escaped
