"""The lifecycle timeline picture: an inline SVG drawn on the server from plain values (its
words through Django's translations), no JavaScript, so it works offline and in every browser and
e-mail client.

One row per major version: a dashed bar before GA (announced), a solid bar for mainstream
support (GA → EOMS), a lighter bar for extended support (EOMS → EOL), a tick at EOS, and a
red line for today. The customer's versions are drawn with a dark outline and a bold label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from django.utils.dateformat import format as date_format
from django.utils.translation import gettext, pgettext

WIDTH = 760
LABEL_WIDTH = 150
ROW_HEIGHT = 30
TOP = 24
BAR_HEIGHT = 14
COLOURS = {"mainstream": "#1f5fbf", "extended": "#e29a2d", "pre_release": "#9aa3b5", "today": "#b3261e"}


@dataclass(frozen=True)
class TimelineRow:
    label: str
    ga: date | None
    eos: date | None
    eoms: date | None
    eol: date | None
    announced: date | None = None
    highlighted: bool = False
    provisional: bool = False


def _day(day: date) -> str:
    """'02 Dec 2026', the month in the reader's language."""
    return date_format(day, "d M Y")


def _bounds(rows: list[TimelineRow], today: date) -> tuple[date, date]:
    days = [d for r in rows for d in (r.announced, r.ga, r.eos, r.eoms, r.eol) if d is not None] + [today]
    start, end = min(days), max(days)
    return date(start.year, 1, 1), date(end.year + 1, 1, 1)


def _x(day: date, start: date, end: date) -> float:
    span = (end - start).days or 1
    return round(LABEL_WIDTH + (WIDTH - LABEL_WIDTH - 10) * (day - start).days / span, 1)


def _bar(x1: float, x2: float, y: float, colour: str, *, dashed: bool = False, title: str = "") -> str:
    dash = ' stroke-dasharray="4 3" fill-opacity="0.35"' if dashed else ""
    width = max(1.0, round(x2 - x1, 1))
    tip = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<rect x="{x1}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="{colour}" '
        f'stroke="{colour}"{dash}>{tip}</rect>'
    )


def _row(row: TimelineRow, index: int, start: date, end: date) -> list[str]:
    y = TOP + index * ROW_HEIGHT
    weight = "700" if row.highlighted else "400"
    suffix = (
        " " + pgettext("lifecycle timeline: the customer's version", "(yours)") if row.highlighted else ""
    )
    parts = [
        f'<text x="4" y="{y + BAR_HEIGHT - 2}" font-size="12" font-weight="{weight}">'
        f"{escape(row.label + suffix)}</text>"
    ]
    if row.ga is not None and row.announced is not None and row.announced < row.ga:
        parts.append(
            _bar(
                _x(row.announced, start, end),
                _x(row.ga, start, end),
                y,
                COLOURS["pre_release"],
                dashed=True,
                title=gettext("Announced %(announced)s, GA %(ga)s")
                % {"announced": _day(row.announced), "ga": _day(row.ga)},
            )
        )
    elif row.ga is None and row.announced is not None:
        parts.append(
            _bar(
                _x(row.announced, start, end),
                _x(end - timedelta(days=1), start, end),
                y,
                COLOURS["pre_release"],
                dashed=True,
                title=gettext("Announced; no release date yet"),
            )
        )
    if row.ga is not None and row.eoms is not None:
        note = gettext(" (provisional)") if row.provisional else ""
        parts.append(
            _bar(
                _x(row.ga, start, end),
                _x(row.eoms, start, end),
                y,
                COLOURS["mainstream"],
                title=gettext("Mainstream support %(ga)s – %(eoms)s%(note)s")
                % {"ga": _day(row.ga), "eoms": _day(row.eoms), "note": note},
            )
        )
    if row.eoms is not None and row.eol is not None:
        parts.append(
            _bar(
                _x(row.eoms, start, end),
                _x(row.eol, start, end),
                y,
                COLOURS["extended"],
                title=gettext("Extended support until %(eol)s") % {"eol": _day(row.eol)},
            )
        )
    if row.eos is not None:
        x = _x(row.eos, start, end)
        eos = escape(gettext("End of sales %(eos)s") % {"eos": _day(row.eos)})
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{y - 3}" y2="{y + BAR_HEIGHT + 3}" stroke="#17233b" '
            f'stroke-width="2"><title>{eos}</title></line>'
        )
    if row.highlighted and row.ga is not None and row.eol is not None:
        x1, x2 = _x(row.ga, start, end), _x(row.eol, start, end)
        parts.append(
            f'<rect x="{x1 - 2}" y="{y - 2}" width="{round(x2 - x1 + 4, 1)}" height="{BAR_HEIGHT + 4}" '
            'fill="none" stroke="#17233b" stroke-width="2"/>'
        )
    return parts


def _axis(start: date, end: date, height: int) -> list[str]:
    parts = []
    for year in range(start.year, end.year + 1):
        x = _x(date(year, 1, 1), start, end)
        parts.append(f'<line x1="{x}" x2="{x}" y1="14" y2="{height - 4}" stroke="#d9dee7"/>')
        if year < end.year:
            parts.append(f'<text x="{x + 2}" y="11" font-size="10" fill="#5a6375">{year}</text>')
    return parts


def timeline_svg(rows: list[TimelineRow], *, today: date, title: str) -> str:
    """The picture as an SVG string, escaped and ready to be marked safe."""
    start, end = _bounds(rows, today)
    height = TOP + len(rows) * ROW_HEIGHT + 8
    today_x = _x(today, start, end)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" font-family="system-ui, sans-serif">',
        f"<title>{escape(title)}</title>",
        *_axis(start, end, height),
    ]
    for index, row in enumerate(rows):
        parts.extend(_row(row, index, start, end))
    today_words = escape(gettext("Today, %(today)s") % {"today": _day(today)})
    parts.append(
        f'<line x1="{today_x}" x2="{today_x}" y1="14" y2="{height - 4}" stroke="{COLOURS["today"]}" '
        f'stroke-width="2"><title>{today_words}</title></line>'
    )
    parts.append(
        f'<text x="{today_x + 3}" y="{height - 6}" font-size="10" fill="{COLOURS["today"]}">'
        f"{escape(pgettext('lifecycle timeline', 'today'))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
