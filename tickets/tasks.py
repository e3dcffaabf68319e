"""Thin Celery tasks of the tickets app."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=60, max_retries=3)
def sla_sweep_task() -> dict:
    """Every minute: breaches, escalations and warnings of the SLA targets coming due."""
    from portal.heartbeats import heartbeat
    from tickets.services.sweep import sla_sweep

    with heartbeat("sla_sweep"):
        result = sla_sweep()
    return {"breached": result.breached, "warned": result.warned, "notices": result.notices}


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=60, max_retries=3)
def chase_sweep_task() -> dict:
    """Every minute: the automatic reminders of cases waiting on the customer (issue 20 point 2)."""
    from tickets.services.chases import chase_sweep

    return {"chased": chase_sweep()}
