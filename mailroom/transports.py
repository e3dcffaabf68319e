"""The Maildir transport: each vendor's mailbox as a Maildir folder, MAILDIR_ROOT/<vendor slug>/,
the embedded default that needs no mail server (an MTA, or a person with `cp`, delivers into
new/). Standard input and files go through `manage.py ingestmail`.

A poll, per vendor:
1. list new/ only, oldest delivery first (Maildir names begin with the delivery time), so its
   cost follows what arrived, never the thousands of messages already in cur/;
2. hand each file to `message_ingest` as a stream with its size (an oversized one is read only
   as far as its headers), received at the file's delivery time, which commits its row;
3. then move it to cur/ with the "seen" flag (`:2,S`), as a mail client marks a read message.
A crash between 2 and 3 leaves the file in new/: the next poll finds its Message-ID stored and
records a duplicate, then moves it. Two polls racing do the same; the loser's move finds no file.
A transient database error in 2 (mailroom.services.TransientError: nothing stored) leaves the file
in new/ for the next poll, which takes it in then; the poll goes on with the next file. A file the
database fails on more than MAIL_TRANSIENT_TRIES times is stored quarantined instead, and moved on."""

from __future__ import annotations

import logging
import mailbox
import os
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from policies.models import Vendor

from .models import InboundMessage, Transport
from .services import TransientError, message_ingest

logger = logging.getLogger(__name__)

POLL_BATCH = 500  # messages per vendor per poll; the next poll takes the rest


def maildir_path(vendor: Vendor) -> Path:
    return Path(settings.MAILDIR_ROOT) / vendor.slug


def maildir_make(vendor: Vendor) -> Path:
    """The vendor's Maildir with its tmp/, new/ and cur/ (stdlib mailbox creates them)."""
    path = maildir_path(vendor)
    path.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(path, create=True)
    return path


def _mark_seen(folder: Path, name: str) -> None:
    info = f"{mailbox.Maildir.colon}2,S"
    try:
        os.rename(folder / "new" / name, folder / "cur" / (name.split(mailbox.Maildir.colon)[0] + info))
    except FileNotFoundError:  # another poll moved it first
        pass


def maildir_poll(*, vendor: Vendor, limit: int = POLL_BATCH) -> list[InboundMessage]:
    folder = maildir_make(vendor)
    with os.scandir(folder / "new") as entries:
        names = sorted(e.name for e in entries if e.is_file() and not e.name.startswith("."))
    messages = []
    for name in names[:limit]:
        path = folder / "new" / name
        try:
            with open(path, "rb") as stream:
                stat = os.fstat(stream.fileno())
                message = message_ingest(
                    raw=stream,
                    size=stat.st_size,
                    vendor=vendor,
                    received_at=datetime.fromtimestamp(stat.st_mtime, UTC),
                    transport=Transport.MAILDIR,
                )
        except FileNotFoundError:  # taken by a concurrent poll
            continue
        except OSError:
            logger.exception("Maildir %s: could not read %s; left in new/", vendor.slug, name)
            continue
        except TransientError as error:  # nothing stored: the next poll takes it in
            logger.warning("Maildir %s: %s left in new/ for the next poll: %s", vendor.slug, name, error)
            continue
        _mark_seen(folder, name)
        messages.append(message)
    return messages
