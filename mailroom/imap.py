"""The IMAP transport: a vendor's mailbox on any IMAP server, polled every minute.

Configured from the environment, never the database: MAIL_IMAP_URLS maps a vendor slug to a URL,
`imaps://user:password@host[:993]/Folder` (TLS), `imap://…` (STARTTLS, required) or
`imap+plain://…` (neither: only for a server on this machine, as the tests' Dovecot). The folder
defaults to INBOX; user and password are percent-encoded.

A poll:
1. SEARCH UNSEEN by UID: only new messages, so a mailbox holding years of answered mail costs
   what arrived since the last poll (the server keeps the index);
2. per message, its size and INTERNALDATE (when the server received it: the opening time) first,
   then the message itself (BODY.PEEK, which leaves it unseen), or only its header when it is over
   MAIL_MAX_BYTES, and hand it to `message_ingest`, which commits its row;
3. then mark it \\Seen. A crash between 2 and 3 leaves it unseen: the next poll fetches it again
   and records a duplicate. The mailbox is the desk's alone: a person reading it in a mail
   client would mark messages seen before the poll takes them."""

from __future__ import annotations

import imaplib
import io
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from django.conf import settings

from policies.models import Vendor

from .models import InboundMessage, Transport
from .services import message_ingest

POLL_BATCH = 500
TIMEOUT_SECONDS = 30
SECURITY = {"imaps": ("tls", 993), "imap": ("starttls", 143), "imap+plain": ("none", 143)}
SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


@dataclass(frozen=True)
class ImapMailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str
    security: str  # tls, starttls or none


def imap_mailbox(url: str) -> ImapMailbox:
    parts = urlsplit(url)
    if parts.scheme not in SECURITY:
        raise ValueError(f"MAIL_IMAP_URLS: {parts.scheme!r} is not imaps://, imap:// or imap+plain://")
    security, default_port = SECURITY[parts.scheme]
    return ImapMailbox(
        host=parts.hostname or "",
        port=parts.port or default_port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        security=security,
    )


def _connect(box: ImapMailbox) -> imaplib.IMAP4:
    if box.security == "tls":
        connection = imaplib.IMAP4_SSL(
            box.host, box.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS
        )
    else:
        connection = imaplib.IMAP4(box.host, box.port, timeout=TIMEOUT_SECONDS)
        if box.security == "starttls":
            connection.starttls(ssl.create_default_context())
    connection.login(box.user, box.password)
    status, _ = connection.select(f'"{box.folder}"')
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot select folder {box.folder!r}")
    return connection


def _fetch(connection: imaplib.IMAP4, uid: bytes, what: str) -> list:
    status, data = connection.uid("FETCH", uid, what)
    if status != "OK" or not data or data[0] is None:
        raise imaplib.IMAP4.error(f"FETCH {uid!r} {what}: {status}")
    return data


def _received(data: list) -> tuple[int, datetime | None]:
    line = data[0] if isinstance(data[0], bytes) else data[0][0]
    size = SIZE.search(line)
    date = INTERNALDATE.search(line)
    received = datetime.strptime(date[1].decode(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC) if date else None
    return (int(size[1]) if size else 0), received


def _mark_seen(connection: imaplib.IMAP4, uid: bytes) -> None:
    connection.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")


def imap_poll(*, vendor: Vendor, url: str, limit: int = POLL_BATCH) -> list[InboundMessage]:
    connection = _connect(imap_mailbox(url))
    messages = []
    try:
        status, data = connection.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for uid in uids[:limit]:
            size, received_at = _received(_fetch(connection, uid, "(RFC822.SIZE INTERNALDATE)"))
            part = "BODY.PEEK[HEADER]" if size > settings.MAIL_MAX_BYTES else "BODY.PEEK[]"
            raw = _fetch(connection, uid, f"({part})")[0][1]
            message = message_ingest(
                raw=io.BytesIO(raw),
                size=size or len(raw),
                vendor=vendor,
                received_at=received_at,
                transport=Transport.IMAP,
            )
            _mark_seen(connection, uid)
            messages.append(message)
    finally:
        try:
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return messages
