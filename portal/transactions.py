"""One rule for transactions the database aborted for a conflict: run them once more.

PostgreSQL may abort a transaction with a deadlock (40P01) or a serialization failure (40001)
when two writers race; nothing was written, and running it again on the state as it is now is
the answer, rather than a 500. Only the outermost call retries: inside a caller's transaction the
abort belongs to the caller, whose own transaction is lost with it."""

from __future__ import annotations

import functools
import logging

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)

CONFLICTS = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def is_conflict(error: BaseException) -> bool:
    cause = error.__cause__ or error
    return getattr(cause, "sqlstate", None) in CONFLICTS


def in_callers_transaction() -> bool:
    """Inside a transaction someone opened, not counting a test case's own wrapping transaction
    (Django's `durable` check skips those alike), so the retry can be tested on the `db` fixture."""
    return connection.in_atomic_block and any(
        not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )


def retry_once_on_conflict(function):
    @functools.wraps(function)
    def run(*args, **kwargs):
        if in_callers_transaction():
            return function(*args, **kwargs)
        try:
            return function(*args, **kwargs)
        except OperationalError as error:
            if not is_conflict(error):
                raise
            logger.warning("%s aborted by a conflict (%s): running it once more", function.__name__, error)
            return function(*args, **kwargs)

    return run
