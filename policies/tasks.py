"""Thin Celery tasks of the policies app."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def policy_change_notices_task() -> int:
    """Daily: make sure every customer of a vendor with a coming policy version has its notice."""
    from policies.notices import policy_change_notices_sweep

    return policy_change_notices_sweep()
