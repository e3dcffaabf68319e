"""Thin Celery tasks of the mailroom."""

from __future__ import annotations

from collections import Counter

from celery import shared_task


@shared_task(acks_late=True)
def maildir_poll_task() -> dict[str, int]:
    """Every minute: take in what arrived in each vendor's Maildir. Safe to run twice at once:
    a message is stored once per vendor and Message-ID, and moved once."""
    from mailroom.transports import maildir_poll
    from policies.models import Vendor

    outcomes: Counter[str] = Counter()
    for vendor in Vendor.objects.exclude(support_email="").order_by("slug"):
        outcomes.update(message.outcome for message in maildir_poll(vendor=vendor))
    return dict(outcomes)
