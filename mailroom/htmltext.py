"""HTML mail made plain, safe text (SPEC §7): what a person reads in the message, and nothing else.

Scripts, styles and the head are dropped; blocks, rows and line breaks become new lines; list
items get a dash; a link keeps its address in brackets when it differs from its text; quoted
history (`<blockquote>`, the quote containers of Gmail, Outlook and Apple Mail) is marked with
`> ` so that the reply parser can cut it like the quotes of a plain-text reply. The result is
text, never markup: the case stores it as Markdown, which escapes any tag left in it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol", "dl",
        "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "center", "address", "dt", "dd",
    }
)  # fmt: skip
VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"})


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.skipping = 0
        self.quote_depth = 0
        self.preformatted = 0
        self.links: list[tuple[str, int]] = []  # href, position of the link text in the line

    # -- structure
    def _break(self) -> None:
        text = "".join(self.line)
        if not self.preformatted:
            text = re.sub(r"[ \t\u00a0]+", " ", text).strip()
        self.lines.append(("> " * self.quote_depth) + text if text else ">" * self.quote_depth)
        self.line = []

    def _block(self) -> None:
        if self.line:
            self._break()

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag in SKIPPED:
            self.skipping += 1
            return
        if tag == "br":
            self._break()
        elif tag in BLOCKS or tag == "li":
            self._block()
        if tag == "li":
            self.line.append("- ")
        elif tag == "pre":
            self.preformatted += 1
        elif tag in ("td", "th") and self.line:
            self.line.append(" ")
        elif tag == "a":
            self.links.append((attributes.get("href") or "", len("".join(self.line))))
        elif tag == "img" and attributes.get("alt"):
            self.line.append(f"[{attributes['alt']}]")
        if tag == "blockquote":
            # Gmail's quote ("gmail_quote") and Apple Mail's (type="cite") are blockquotes;
            # Outlook's history follows a "From: … Sent: …" block the reply parser knows as text.
            self._block()
            self.quote_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.line)[start:].strip()
            if href.startswith(("http://", "https://")) and href.rstrip("/") != text.rstrip("/"):
                self.line.append(f" ({href})")
        if tag in BLOCKS or tag in ("li", "blockquote"):
            self._block()
        if tag == "pre":
            self.preformatted = max(self.preformatted - 1, 0)
        elif tag == "p":
            self.lines.append(">" * self.quote_depth)  # paragraphs stay apart
        if tag == "blockquote" and self.quote_depth:
            self.quote_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.preformatted:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._break()
                self.line.append(part)
        else:
            self.line.append(data.replace("\n", " ").replace("\r", " "))

    def text(self) -> str:
        self._block()
        # At most one blank line in a row, none at either end.
        text = "\n".join(self.lines)
        text = re.sub(r"\n{3,}", "\n\n", text)
        return text.strip("\n")


def html_to_text(html: str) -> str:
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()
