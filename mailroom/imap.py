"""The IMAP transport: a vendor's mailbox on any IMAP server, polled every minute.

Configured from the environment, never the database: MAIL_IMAP_URLS maps a vendor slug to a URL,
`imaps://user:password@host[:993]/Folder` (TLS), `imap://…` (STARTTLS, required) or
`imap+plain://…` (neither: only for a server on this machine, as the tests' Dovecot). The folder
defaults to INBOX; user and password are percent-encoded.

A poll keeps its place in the database, never in the server's flags (mailroom.models.ImapCursor,
one per folder: its UIDVALIDITY and the last UID taken in), so another client marking messages
read or unread neither repeats nor hides mail:
1. SELECT the folder, which reports its UIDVALIDITY and UIDNEXT. Nothing above the last UID
   taken in: done, without a search, whatever the folder holds (an empty poll costs the same
   at 10 or 10,000 messages). A UIDVALIDITY other than the stored one means the server
   renumbered the folder: the poll starts again from UID 1, and every message already stored
   is recognised by its Message-ID (or the hash of what its sender wrote) as a duplicate. A
   folder seen for the first time starts at its first unseen message: what was read before the
   desk was pointed at it is history, not new cases.
2. UID SEARCH for the UIDs above the last one, oldest first, at most POLL_BATCH of them;
3. per message, its size and INTERNALDATE (when the server received it: the opening time), then
   the message itself (BODY.PEEK), or only its header when it is over MAIL_MAX_BYTES;
4. in one transaction: lock the folder's cursor, skip a UID another poll took meanwhile,
   `message_ingest`, and advance the cursor to the UID. A crash before the commit leaves both
   undone (the next poll takes the message); after it, both are done (nothing is fetched again).
   A transient database error (mailroom.services.TransientError) rolls both back too and ends the
   poll there: the cursor must not pass a message not taken in, so the next poll starts from it.
   A message the database fails on more than MAIL_TRANSIENT_TRIES times is stored quarantined
   instead, and the cursor passes it: it holds up the messages behind it no longer;
5. mark it \\Seen, for the people who also read the mailbox; the poll never relies on it."""

from __future__ import annotations

import imaplib
import io
import logging
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from policies.models import Vendor

from .models import ImapCursor, InboundMessage, Transport
from .services import TransientError, message_ingest

logger = logging.getLogger(__name__)

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

    @property
    def key(self) -> str:
        """Names the folder for its cursor: where and whose, never the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


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


def _selected(connection: imaplib.IMAP4) -> tuple[int, int | None]:
    """The UIDVALIDITY and UIDNEXT the server reported when the folder was selected."""
    _, validity = connection.response("UIDVALIDITY")
    _, uidnext = connection.response("UIDNEXT")
    if not validity or validity[-1] is None:
        raise imaplib.IMAP4.error("the server reported no UIDVALIDITY for the folder")
    return int(validity[-1]), (int(uidnext[-1]) if uidnext and uidnext[-1] is not None else None)


def _search(connection: imaplib.IMAP4, criteria: str) -> list[int]:
    status, data = connection.uid("SEARCH", None, criteria)
    if status != "OK":
        raise imaplib.IMAP4.error(f"SEARCH {criteria}: {status}")
    return sorted(int(uid) for uid in (data[0].split() if data and data[0] else []))


def _first_sight(connection: imaplib.IMAP4, uidnext: int | None) -> int:
    """The last UID a folder seen for the first time counts as taken in: the one before its first
    unseen message, or its newest one when all are read."""
    unseen = _search(connection, "UNSEEN")
    if unseen:
        return unseen[0] - 1
    if uidnext is not None:
        return uidnext - 1
    return max(_search(connection, "ALL"), default=0)


def _cursor(connection: imaplib.IMAP4, box: ImapMailbox, vendor: Vendor) -> tuple[ImapCursor, int | None]:
    uidvalidity, uidnext = _selected(connection)
    cursor = ImapCursor.objects.filter(mailbox=box.key).first()
    if cursor is None:
        cursor, _ = ImapCursor.objects.get_or_create(
            mailbox=box.key,
            defaults={
                "vendor": vendor,
                "uidvalidity": uidvalidity,
                "last_uid": _first_sight(connection, uidnext),
            },
        )
    if cursor.uidvalidity != uidvalidity:
        logger.warning(
            "IMAP %s: UIDVALIDITY %s is now %s; the folder is read again from UID 1",
            box.key,
            cursor.uidvalidity,
            uidvalidity,
        )
        ImapCursor.objects.filter(pk=cursor.pk, uidvalidity=cursor.uidvalidity).update(
            uidvalidity=uidvalidity, last_uid=0
        )
        cursor.refresh_from_db()
    return cursor, uidnext


def _cursor_advance(*, cursor: ImapCursor, uid: int) -> None:
    ImapCursor.objects.filter(pk=cursor.pk).update(last_uid=uid, updated_at=timezone.now())


def _take(
    connection: imaplib.IMAP4, uid: int, *, vendor: Vendor, cursor: ImapCursor
) -> InboundMessage | None:
    """Fetch one message, then store it and advance the cursor in one transaction; None when a
    concurrent poll of the same folder took this UID first."""
    size, received_at = _received(_fetch(connection, str(uid).encode(), "(RFC822.SIZE INTERNALDATE)"))
    part = "BODY.PEEK[HEADER]" if size > settings.MAIL_MAX_BYTES else "BODY.PEEK[]"
    raw = _fetch(connection, str(uid).encode(), f"({part})")[0][1]
    with transaction.atomic():
        locked = ImapCursor.objects.select_for_update().get(pk=cursor.pk)
        if locked.uidvalidity != cursor.uidvalidity or uid <= locked.last_uid:
            return None
        message = message_ingest(
            raw=io.BytesIO(raw),
            size=size or len(raw),
            vendor=vendor,
            received_at=received_at,
            transport=Transport.IMAP,
        )
        _cursor_advance(cursor=locked, uid=uid)
    return message


def imap_poll(*, vendor: Vendor, url: str, limit: int = POLL_BATCH) -> list[InboundMessage]:
    box = imap_mailbox(url)
    connection = _connect(box)
    messages = []
    try:
        cursor, uidnext = _cursor(connection, box, vendor)
        if uidnext is not None and uidnext - 1 <= cursor.last_uid:
            return messages
        # "n:*" always includes the newest message, even below n: keep only what is above.
        uids = [uid for uid in _search(connection, f"UID {cursor.last_uid + 1}:*") if uid > cursor.last_uid]
        for uid in uids[:limit]:
            try:
                message = _take(connection, uid, vendor=vendor, cursor=cursor)
            except TransientError as error:  # rolled back with the cursor: stop before it
                logger.warning(
                    "IMAP %s: UID %s and those after it left for the next poll: %s", box.key, uid, error
                )
                break
            if message is not None:
                messages.append(message)
            _mark_seen(connection, str(uid).encode())
    finally:
        try:
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return messages
