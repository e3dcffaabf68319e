"""Reading mail, without a database: HTML made text, replies cut to what the person wrote, plain
text kept as written, and headers and bodies in every charset of real mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailroom.htmltext import html_to_text
from mailroom.parsing import mail_head, mail_parse, text_markdown
from mailroom.replytext import reply_text
from tests.mailroom.conftest import corpus


def test_html_keeps_what_a_person_reads_and_drops_the_rest():
    html = (
        "<html><head><style>p{color:red}</style><title>t</title></head><body>"
        "<p>Hello&nbsp;<b>Dana</b>,</p><div>see <a href='https://example.test/log'>the log</a>"
        "<br>and <a href='https://a.test'>https://a.test</a>.</div><ul><li>one</li><li>two</li></ul>"
        "<script>alert(1)</script><pre>  indented\n    code</pre>&lt;b&gt;literal&lt;/b&gt;</body></html>"
    )
    assert html_to_text(html) == (
        "Hello Dana,\n\nsee the log (https://example.test/log)\nand https://a.test.\n- one\n- two\n"
        "  indented\n    code\n<b>literal</b>"
    )


def test_html_quotes_are_marked_so_the_reply_parser_can_cut_them():
    html = "<div>New text</div><div class=gmail_quote>On Mon, X wrote:<blockquote>old text</blockquote></div>"
    assert html_to_text(html) == "New text\nOn Mon, X wrote:\n> old text"
    assert reply_text(html_to_text(html)) == "New text"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Спасибо, помогло.\n\n23.11.2026, 10:05, "Infotecs" <infotecs@support.portal.test>:\n> Ответ\n',
         "Спасибо, помогло."),
        ("Спасибо.\n\nПн, 23 нояб. 2026 г. в 10:05, Infotecs <infotecs@support.portal.test>:\n> Ответ\n",
         "Спасибо."),
        ("Добрый день.\n\nИван Петров пишет:\n> старый текст\n", "Добрый день."),
        ("Спасибо.\n\n-----Исходное сообщение-----\nОт: Infotecs Support\nТема: [INF-000001]\n", "Спасибо."),
        ("Steps:\n- open\n- export\n\nBest regards,\nAlice\n", "Steps:\n- open\n- export"),
        ("Fixed, thanks!\n> the quote without an attribution line\n> more\n", "Fixed, thanks!"),
        ("Trace below.\n\n-- \nAlice Smith\nAcme\n", "Trace below."),
    ],
)  # fmt: skip
def test_a_reply_is_cut_to_what_was_written(text, expected):
    assert reply_text(text) == expected


def test_plain_text_keeps_its_lines_and_lists_as_markdown():
    text = "Hello,\nline two\nSteps:\n- open\n- export\n--\nAlice"
    assert text_markdown(text) == "Hello,  \nline two  \nSteps:\n\n- open\n- export\n\\--\nAlice"


def test_raw_8bit_headers_are_read_in_the_messages_charset():
    raw = (
        b"From: alice@example.test\r\nSubject: "
        + "Отчёт".encode("windows-1251")
        + b"\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n"
        + "Текст".encode("windows-1251")
    )
    mail = mail_parse(raw)
    assert (mail.subject, mail.text) == ("Отчёт", "Текст")


def test_an_unknown_charset_falls_back_instead_of_failing():
    raw = b"From: a@example.test\r\nContent-Type: text/plain; charset=x-martian\r\n\r\nhello \xc3\xa9"
    assert mail_parse(raw).text == "hello é"


def test_the_reply_headers_and_loop_signals_are_read():
    mail = mail_parse(corpus("bounce_dsn.eml"))
    assert mail.automatic == "a delivery status report (multipart/report)"
    assert mail_parse(corpus("dmarc_fail.eml")).dmarc_failed
    gmail = mail_parse(
        corpus("reply_gmail.eml", IN_REPLY_TO="<n1@portal.test>", THREAD="<case.X@portal.test>")
    )
    assert gmail.references == ["<n1@portal.test>", "<case.X@portal.test>", "<n1@portal.test>"]


def test_garbage_is_read_as_nothing_with_the_problem_noted():
    mail = mail_parse(corpus("garbage.eml"))
    assert mail.from_address == "" and "no sender address in From" in mail.problems
    assert "\x00" not in mail.text


def test_the_head_of_a_message_ends_at_the_first_blank_line():
    assert mail_head(b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore") == b"A: 1\r\nB: 2\r\n\r\n"
    assert mail_head(b"A: 1\n\nbody") == b"A: 1\n\n"


def test_a_date_in_universal_time_of_unknown_zone_is_read_as_utc():
    """RFC 5322 §3.3: "-0000" is UTC from a sender that names no zone, as Python's formatdate writes
    and the desk's own emails carry; the parser gives it without a zone, which Django would read in
    TIME_ZONE (with a warning) instead."""
    raw = b"From: a@example.test\r\nDate: Thu, 03 Dec 2026 17:18:36 -0000\r\n\r\nhi"
    assert mail_parse(raw).sent_at == datetime(2026, 12, 3, 17, 18, 36, tzinfo=UTC)
    assert mail_parse(raw).sent_at.tzinfo is not None
