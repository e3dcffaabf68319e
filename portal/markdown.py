"""Markdown from customers and staff, rendered and sanitized (nh3) before it reaches a page.

Raw HTML in the source is text, never markup: customers paste XML configuration, HTML snippets
and stack traces (`Pool.<init>`, `List<String>`), and a sanitizer that drops the tags it does not
allow would silently delete them. So the parser escapes every tag it finds outside code, and
only Markdown's own formatting becomes HTML; nh3 still cleans the result, as a second line."""

from __future__ import annotations

import threading

import markdown as markdown_lib
import nh3
from markdown.extensions import Extension


class RawHtmlAsText(Extension):
    """Python-Markdown passes block-level HTML (`html_block`) and inline tags, comments and
    processing instructions (`html`) through untouched; without those two steps the text is
    escaped like any other (`<` → `&lt;`). Autolinks (`<https://…>`) are their own pattern and
    still work; fenced code is escaped by its own extension."""

    def extendMarkdown(self, md: markdown_lib.Markdown) -> None:  # noqa: N802 - Python-Markdown's hook
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


EXTENSIONS = ["fenced_code", "tables", "sane_lists", RawHtmlAsText()]
# Building a Markdown converter loads its extensions (milliseconds); one per thread, reset
# between documents, since a converter keeps state while it converts.
_local = threading.local()

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


def _converter() -> markdown_lib.Markdown:
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown_lib.Markdown(extensions=EXTENSIONS)
    return converter


def render_markdown(text: str) -> str:
    html = _converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
