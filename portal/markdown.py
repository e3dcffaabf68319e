"""Markdown from customers and staff, rendered and sanitized (nh3) before it reaches a page.

The parser is markdown-it-py: CommonMark, with GitHub's tables, in time linear in the text
(Python-Markdown was quadratic on runs of unclosed `[`: 5,000 of them took 5.3 s, issue 18).
Linear is not free: the worst inputs cost tens of microseconds a character, so every field
that is rendered is also capped in length (MAX_LENGTH); bench/render.py prints the figures.

Raw HTML in the source is text, never markup: customers paste XML configuration, HTML snippets
and stack traces (`Pool.<init>`, `List<String>`), and a sanitizer that drops the tags it does not
allow would silently delete them. So the parser runs with `html` off, which escapes every tag
it finds outside code, and only Markdown's own formatting becomes HTML; nh3 still cleans the
result, as a second line, and it alone decides which link schemes survive.

Quotes and lists nest at most MAX_NESTING deep (markdown-it's own guard against recursion):
what is nested deeper is left out of the page, and kept in the stored text."""

from __future__ import annotations

import nh3
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext
from markdown_it import MarkdownIt

MAX_NESTING = 20
# The longest text a field may ask to have rendered (a case's description, a reply), checked by
# the service that stores it and shown by its form and API field. The worst inputs cost ~20 µs of
# CPU a character (runs of `[` or `![[`: 0.34 and 0.43 s at 20,000 in bench/render.py), so this
# keeps a render under half a second; longer logs and documents are attachments.
MAX_LENGTH = 20_000


def _too_long() -> str:
    return gettext("Keep it to %(limit)s characters or fewer; attach longer logs or documents as files.") % {
        "limit": number_format(MAX_LENGTH, force_grouping=True)
    }


# Worded when shown, in the reader's language and number format ("20,000", "20 000").
TOO_LONG = lazy(_too_long, str)()

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING}).enable("table")
    # markdown-it leaves a link whose scheme it distrusts (javascript:, data:) as its source
    # text; let it become a link instead and nh3 drop the target (url_schemes below), so such
    # a link reads as its words, as before, and one rule decides what a link may point to.
    parser.validateLink = lambda url: True
    return parser


# A parser holds only its rules and options, and each render keeps its state apart: one,
# built once (loading the rules takes milliseconds), serves every thread.
_PARSER = _parser()


def render_markdown(text: str) -> str:
    return nh3.clean(
        _PARSER.render(text),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
