"""Thin Celery tasks of the lifecycle app."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def lifecycle_notices_task() -> dict:
    """Daily: milestone notices six months ahead and new major version announcements."""
    from django.utils import timezone

    from lifecycle.notices import milestone_notices_queue, new_major_notices_queue

    today = timezone.localdate()
    return {
        "milestones": milestone_notices_queue(today=today),
        "new_majors": new_major_notices_queue(today=today),
    }


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def policy_change_notices_task() -> int:
    """Daily: make sure every customer of a vendor with a coming policy version has its notice."""
    from lifecycle.notices import policy_change_notices_sweep

    return policy_change_notices_sweep()
