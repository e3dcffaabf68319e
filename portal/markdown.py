"""Markdown from customers and staff, rendered and sanitized (nh3) before it reaches a page."""

from __future__ import annotations

import threading

import markdown as markdown_lib
import nh3

EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
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
