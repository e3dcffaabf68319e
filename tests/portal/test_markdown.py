"""What customers paste survives: raw HTML and XML in Markdown show as text, formatting still renders."""

from __future__ import annotations

import pytest

from portal.markdown import MAX_NESTING, render_markdown

STACK_TRACE = """java.lang.IllegalStateException: pool closed
    at com.acme.Pool.<init>(Pool.java:42)
    at com.acme.Export.run(Export.java:7)"""


def test_pasted_xml_shows_as_text():
    html = render_markdown('<configuration><add key="Timeout"/></configuration>')
    assert "&lt;configuration&gt;&lt;add key=" in html
    assert "Timeout" in html
    assert "&lt;/configuration&gt;" in html
    assert "<configuration>" not in html


def test_a_script_is_text_and_never_runs():
    html = render_markdown("Look: <script>alert(1)</script>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html


def test_an_html_block_is_text():
    html = render_markdown('<div onclick="steal()">\n<b>bold?</b>\n</div>\n\nAfter.')
    assert "&lt;div onclick=" in html and "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert "<div" not in html and "<b>" not in html
    assert "<p>After.</p>" in html


def test_a_java_stack_trace_keeps_init():
    assert "Pool.&lt;init&gt;(Pool.java:42)" in render_markdown(STACK_TRACE)


def test_generics_survive():
    html = render_markdown("It returns List<String> and Map<K, V>.")
    assert "List&lt;String&gt;" in html and "Map&lt;K, V&gt;" in html


def test_a_comment_is_text():
    assert "&lt;!-- keep me --&gt;" in render_markdown("before <!-- keep me --> after")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**bold** and *italic*", "<strong>bold</strong> and <em>italic</em>"),
        ("Run `ls <dir>`", "<code>ls &lt;dir&gt;</code>"),
        ('```\n<add key="a"/>\n```', '<pre><code>&lt;add key="a"/&gt;\n</code></pre>'),
        (
            "[docs](https://example.com/a?b=1)",
            '<a href="https://example.com/a?b=1" rel="noopener noreferrer nofollow">docs</a>',
        ),
        (
            "<https://example.com>",
            '<a href="https://example.com" rel="noopener noreferrer nofollow">https://example.com</a>',
        ),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("AT&T &amp; co", "AT&amp;T &amp; co"),
    ],
)
def test_markdown_formatting_still_renders(source, expected):
    assert expected in render_markdown(source)


def test_links_with_unsafe_schemes_lose_their_target():
    html = render_markdown("[click](javascript:alert(1))")
    assert "javascript:" not in html and "click" in html


def test_a_table_renders():
    html = render_markdown("| Step | Result |\n| :- | -: |\n| export | fails |")
    assert "<table>" in html and "<th>Step</th>" in html and "<td>fails</td>" in html


# ---------------------------------------------------------------------------- hostile inputs
# Python-Markdown took 5.3 s on 5,000 "[" and grew quadratically (issue 18). These tests assert
# what is rendered, never how long it took: bench/render.py prints the times.


def test_ten_thousand_open_brackets_are_text():
    assert render_markdown("[" * 10_000) == "<p>" + "[" * 10_000 + "</p>\n"


def test_fifty_thousand_asterisks():
    # Alone on a line they are a thematic break (CommonMark §4.1); inside text, text.
    assert render_markdown("*" * 50_000) == "<hr>\n"
    assert render_markdown("a " + "*" * 50_000 + " b") == "<p>a " + "*" * 50_000 + " b</p>\n"


def test_alternating_emphasis_pairs_up_in_order():
    html = render_markdown("*a" * 25_000)
    assert html.count("<em>a</em>") == 12_500 and "<em><em>" not in html


def test_deeply_nested_quotes_stop_at_the_nesting_limit():
    """10,000 `>` are 10,000 nested quotes to CommonMark; the page shows MAX_NESTING of them
    (deeper ones would overflow a browser's layout, and the parser's stack) and leaves the rest out."""
    html = render_markdown(">" * 10_000 + " deep")
    assert html.count("<blockquote>") == html.count("</blockquote>") == MAX_NESTING
    stepped = render_markdown("".join(">" * depth + f" level {depth}\n" for depth in range(1, 40)))
    assert "<p>level 1</p>" in stepped and "level 19" in stepped
    assert stepped.count("<blockquote>") <= MAX_NESTING


def test_ten_thousand_backticks():
    # A line of 3+ backticks opens a fenced code block (CommonMark §4.5), unclosed: empty code.
    assert render_markdown("`" * 10_000) == "<pre><code></code></pre>\n"
    # In text with no closing run of the same length, they are text; with one, a code span.
    assert render_markdown("a " + "`" * 10_000 + " b") == "<p>a " + "`" * 10_000 + " b</p>\n"
    assert render_markdown("`" * 5_000 + "<x>" + "`" * 5_000) == "<p><code>&lt;x&gt;</code></p>\n"


SECTION = """## Section {n}

The **export** of *batch {n}* fails: see [the log](https://example.com/logs/{n}) and <https://example.com/{n}>.
<img src=x onerror=alert({n})> and [click](javascript:alert({n})) stay harmless.

- step one
- step `two <b>`
  1. nested

> quoted <script>alert({n})</script>

```xml
<configuration><add key="Timeout" value="{n}"/></configuration>
```

| key | value |
| --- | --- |
| n | {n} |

"""


def test_a_one_megabyte_document_renders_every_part_and_nothing_live():
    sections = 1_000_000 // len(SECTION.format(n=0)) + 1
    source = "".join(SECTION.format(n=n) for n in range(sections))
    assert len(source) > 1_000_000

    html = render_markdown(source)

    for part in (
        "<h2>",
        "<table>",
        "<blockquote>",
        "<pre><code>",
        "<ol>",
        '<a href="https://example.com/logs/',
    ):
        assert html.count(part) == sections, part
    assert html.count("<strong>export</strong>") == sections
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;img src=x onerror=alert(7)&gt;" in html and "&lt;script&gt;alert(7)&lt;/script&gt;" in html
    assert f'value="{sections - 1}"/&gt;&lt;/configuration&gt;' in html
