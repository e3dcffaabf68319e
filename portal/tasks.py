"""Thin Celery tasks over the outbox: take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def notice_deliver_task(self, notice_ids: list[int]) -> int:
    """Deliver these notices. A notice that fails goes back to pending with its own backoff and
    is picked up by the sweep; the Celery retry covers failures before the claim (database down)."""
    from portal.outbox import notice_deliver

    return len(notice_deliver(notice_ids=notice_ids))


@shared_task(acks_late=True)
def notice_sweep_task() -> dict:
    """Every minute: release expired leases and deliver what the first task missed."""
    from portal.heartbeats import heartbeat
    from portal.outbox import notice_sweep

    with heartbeat("outbox_sweep"):
        result = notice_sweep()
    return {"released": result.released, "sent": result.sent, "remaining": result.remaining}


@shared_task(acks_late=True)
def idempotency_keys_forget_task() -> int:
    """Daily: forget the form tokens and Idempotency-Keys older than their 24 hours."""
    from portal.idempotency import idempotency_keys_forget

    return idempotency_keys_forget()
