"""How many times the database has failed on one message (mailroom.services.ingest.message_ingest),
so that a message it fails on every time (a statement that always times out, a limit that message's
content always hits) is quarantined past MAIL_TRANSIENT_TRIES instead of being retried forever, and
on IMAP holding up every message behind it.

The count is kept in the Django cache, keyed by the vendor and the sha256 of the message's bytes,
not in the database: it must outlive the rollback of the very transaction that failed (and the
database that failed), and the process (a worker restarting, `ingestmail` run once per message by
the MTA). In production the cache is Redis (CACHE_URL), shared by every worker and `ingestmail`;
with the default locmem cache each process counts alone, and an `ingestmail` process never sees
another's count. It lives a day from the first failure: time for the polls (every minute) and an
MTA's retries (backing off to about an hour) to reach the limit, not so long that failures during
outages weeks apart add up. The count is a help, never a guard: when the cache cannot count, a
message is retried as if it had not failed before."""

from __future__ import annotations

import logging

from django.core.cache import cache

from policies.models import Vendor

logger = logging.getLogger(__name__)

TRIES_TTL_SECONDS = 24 * 60 * 60


def _key(vendor: Vendor, sha256: str) -> str:
    return f"mailroom:transient-tries:{vendor.pk}:{sha256}"


def transient_tries(*, vendor: Vendor, sha256: str) -> int:
    """The transient failures counted for this vendor's message (its bytes' sha256)."""
    return cache.get(_key(vendor, sha256), 0)


def transient_try_count(*, vendor: Vendor, sha256: str) -> int:
    """Count one more transient failure of the message; returns its count, 0 if the cache failed."""
    key = _key(vendor, sha256)
    try:
        cache.add(key, 0, TRIES_TTL_SECONDS)  # the TTL runs from the first failure
        return cache.incr(key)
    except Exception:  # noqa: BLE001 - a cache down (or the key expired just now) must not lose mail
        logger.warning("Could not count a transient failure of mail %s", sha256, exc_info=True)
        return 0


def transient_tries_clear(*, vendor: Vendor, sha256: str) -> None:
    """The message was taken in (or quarantined): its count is done with."""
    try:
        cache.delete(_key(vendor, sha256))
    except Exception:  # noqa: BLE001 - the count expires by itself
        logger.warning("Could not clear the transient failures of mail %s", sha256, exc_info=True)
