"""What customers paste survives: raw HTML and XML in Markdown show as text, formatting still renders."""

from __future__ import annotations

import pytest

from portal.markdown import render_markdown

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
