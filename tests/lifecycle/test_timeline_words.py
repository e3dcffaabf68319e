"""The product page's lifecycle picture in the reader's language (issue 22): its labels and
tooltips, "yours", "today" and the end of sales, with the month names of the reader's locale."""

from __future__ import annotations

import re
from datetime import date

from django.utils import translation

from lifecycle.timeline import TimelineRow, timeline_svg

ROW = TimelineRow(
    label="ViPNet Coordinator 4",
    ga=date(2023, 9, 1),
    eos=date(2027, 5, 1),
    eoms=date(2028, 9, 1),
    eol=date(2030, 9, 1),
    highlighted=True,
)


def _words(svg: str) -> str:
    return " ".join(re.findall(r">([^<]+)<", svg))


def test_the_lifecycle_picture_speaks_russian():
    with translation.override("ru"):
        svg = timeline_svg([ROW], today=date(2026, 12, 3), title="ViPNet Coordinator")
    words = _words(svg)
    assert not re.search(r"\b(yours|today|Today|End of sales|Dec|May)\b", words), words
    assert "(ваша)" in words and "сегодня" in words and "Сегодня, 03 Дек 2026" in words
    assert "Окончание продаж 01 Май 2027" in words


def test_in_english_it_reads_as_before():
    with translation.override("en"):
        words = _words(timeline_svg([ROW], today=date(2026, 12, 3), title="ViPNet Coordinator"))
    assert "ViPNet Coordinator 4 (yours)" in words and "today" in words
    assert "Today, 03 Dec 2026" in words and "End of sales 01 May 2027" in words
