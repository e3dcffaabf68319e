"""What a person wrote in a reply: quoted history and signatures cut (SPEC §7).

The parsing is mail-parser-reply's (a maintained port of GitHub's email_reply_parser with the
headers of Outlook, Gmail, Apple Mail and Thunderbird in a dozen languages), with hyphen lists
kept as lists. Russian clients are missing from its languages, and Infotecs' customers write from
them, so their attribution lines ("…, Infotecs Support <…>:", "… пишет:") and Outlook's Russian
separator and header block are cut here first. The original message is kept whole in the mailroom."""

from __future__ import annotations

import re

from mailparser_reply.parser import EmailMessage

LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]

# A line that introduces quoted history, followed by the quote: "23.11.2026, 10:05, "X" <x@y>:",
# "Пн, 23 нояб. 2026 г. в 10:05, X <x@y>:", "… пишет:" / "… написал(а):".
ATTRIBUTION = re.compile(
    r"^(?:.*<[^<>\s]+@[^<>\s]+>.*:|.*(?:пишет|написал\(а\)|написала?)\s*:)\s*$", re.IGNORECASE
)
SEPARATORS = re.compile(
    r"^\s*-{3,}\s*(?:Исходное сообщение|Пересылаемое сообщение|Original Message)\s*-{3,}\s*$", re.I
)
QUOTED = re.compile(r"^\s*>")
# Outlook in Russian quotes the history under a header block of its own, with no ">" and no
# attribution line: "От: …", then "Отправлено: …" (or "Дата: …"), "Кому: …", "Тема: …".
HEADER_BLOCK = (
    re.compile(r"^\s*\**\s*От\s*:", re.IGNORECASE),
    re.compile(r"^\s*\**\s*(?:Отправлено|Дата)\s*:", re.IGNORECASE),
)
OUTLOOK_RULE = re.compile(r"^\s*_{5,}\s*$")  # the line Outlook draws above that block


def _cut_attribution(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if SEPARATORS.match(line):
            return lines[:index]
        if HEADER_BLOCK[0].match(line):
            following = [later for later in lines[index + 1 :] if later.strip()]
            if following and HEADER_BLOCK[1].match(following[0]):
                return lines[:index]
        if ATTRIBUTION.match(line):
            following = [later for later in lines[index + 1 :] if later.strip()]
            if following and QUOTED.match(following[0]):
                return lines[:index]
    return lines


def _trim_quote(lines: list[str]) -> list[str]:
    """Quoted lines at the end (a reply above the quote, with no attribution line) go too."""
    while lines and (QUOTED.match(lines[-1]) or OUTLOOK_RULE.match(lines[-1]) or not lines[-1].strip()):
        lines = lines[:-1]
    return lines


def reply_text(text: str) -> str:
    """The newest part of a reply's text, without the history it quotes or its signature."""
    lines = _trim_quote(_cut_attribution(text.replace("\r\n", "\n").split("\n")))
    message = EmailMessage(text="\n".join(lines), languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    latest = message.replies[0].body if message.replies else ""
    return "\n".join(_trim_quote(latest.split("\n"))).strip()
