"""Heartbeats of the periodic jobs: each successful run of a sweep or a mailbox poll records when
it finished and how long it took (portal.models.Heartbeat), so /metrics can say from any node
whether the scheduled work is running, and how far behind it is."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from .models import Heartbeat


@contextmanager
def heartbeat(job: str) -> Iterator[None]:
    """Records a success of `job` when the block finishes without an exception; a failed run
    leaves the last success as it was, so its age keeps growing."""
    started = time.monotonic()
    yield
    Heartbeat.objects.update_or_create(
        job=job, defaults={"last_success_at": timezone.now(), "duration_seconds": time.monotonic() - started}
    )
