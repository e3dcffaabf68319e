"""Thin Celery tasks of the reports app."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=60, max_retries=3)
def maintenance_notices_task() -> dict:
    """Every minute: announce planned work whose notice has come due (issue 20 point 5)."""
    from reports.services import maintenance_notices_sweep

    return {"queued": maintenance_notices_sweep()}
