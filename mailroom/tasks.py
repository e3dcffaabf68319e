"""Thin Celery tasks of the mailroom."""

from __future__ import annotations

import imaplib
import logging
from collections import Counter

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def maildir_poll_task() -> dict[str, int]:
    """Every minute: take in what arrived in each vendor's Maildir. Safe to run twice at once:
    a message is stored once per vendor and Message-ID, and moved once."""
    from mailroom.transports import maildir_poll
    from policies.models import Vendor
    from portal.heartbeats import heartbeat

    outcomes: Counter[str] = Counter()
    for vendor in Vendor.objects.exclude(support_email="").order_by("slug"):
        with heartbeat(f"mail_poll:{vendor.slug}"):  # the lag of each mailbox on /metrics
            outcomes.update(message.outcome for message in maildir_poll(vendor=vendor))
    return dict(outcomes)


@shared_task(acks_late=True)
def imap_poll_task() -> dict[str, int]:
    """Every minute: take in the new messages of each vendor mailbox in MAIL_IMAP_URLS. A mailbox
    that cannot be reached (or whose poll meets a database error) is logged and tried again next
    minute; the others are still polled."""
    from mailroom.imap import imap_poll
    from policies.models import Vendor
    from portal.heartbeats import heartbeat

    outcomes: Counter[str] = Counter()
    vendors = Vendor.objects.in_bulk(list(settings.MAIL_IMAP_URLS), field_name="slug")
    for slug, url in sorted(settings.MAIL_IMAP_URLS.items()):
        if slug not in vendors:
            logger.error("MAIL_IMAP_URLS names no vendor %r", slug)
            continue
        try:
            with heartbeat(f"mail_poll:{slug}"):
                outcomes.update(message.outcome for message in imap_poll(vendor=vendors[slug], url=url))
        except (imaplib.IMAP4.error, OSError, ValueError, DatabaseError):
            # A database error here is the cursor's or the heartbeat's (a message's own is left
            # for the next poll inside imap_poll): the other mailboxes are still polled.
            logger.exception("IMAP mailbox of %s could not be polled", slug)
    return dict(outcomes)
