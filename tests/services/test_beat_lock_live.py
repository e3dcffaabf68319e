"""One scheduler (issue 23 point 4): two beats on the same database, each under
config.beat.LockedDatabaseScheduler. The first holds the lock and sends the SLA sweep; the second
waits as a hot standby and sends nothing. Killed outright, the first releases the lock with its
connection, and the second takes over and fires the next sweep, which a worker runs."""

from __future__ import annotations

import subprocess

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from portal.models import Heartbeat
from tests.services.conftest import BASE_DIR, CELERY, Process, wait_for

pytestmark = pytest.mark.services

SENT = "Sending due task SLA sweep (lock test)"


class Beat(Process):
    """A beat whose start may take longer than the usual deadline: on a loaded 2-core host a
    beat loading Django and its schedule took over 30 s."""

    def start(self) -> None:
        self.process = subprocess.Popen(
            [CELERY, "-A", "config", *self.args],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: self.ready in self.log.read_text(), what=self.ready, timeout=120, log=self.log)


def locked_beat(celery_env, log, ready: str) -> Process:
    return Beat(
        ["beat", "--loglevel=INFO", "--max-interval=1", "--scheduler=config.beat:LockedDatabaseScheduler"],
        celery_env,
        log,
        ready=ready,
    )


def test_the_standby_fires_the_next_sweep_once_the_first_beat_dies(live, worker, celery_env, tmp_path):
    every_two_seconds, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="SLA sweep (lock test)", task="tickets.tasks.sla_sweep_task", interval=every_two_seconds
    )
    first = locked_beat(celery_env, tmp_path / "first.log", ready="holds the scheduler lock")
    second = locked_beat(celery_env, tmp_path / "second.log", ready="waiting as a hot standby")
    try:
        first.start()
        second.start()
        wait_for(
            lambda: first.log.read_text().count(SENT) >= 2, what="the first beat's sweeps", log=first.log
        )
        wait_for(lambda: Heartbeat.objects.filter(job="sla_sweep").exists(), what="a sweep", log=worker.log)
        assert SENT not in second.log.read_text()

        first.kill()
        killed_at = timezone.now()
        wait_for(lambda: SENT in second.log.read_text(), what="the standby to take over", log=second.log)
        assert "holds the scheduler lock" in second.log.read_text()

        def swept_since_the_kill():
            return Heartbeat.objects.filter(job="sla_sweep", last_success_at__gt=killed_at).exists()

        wait_for(swept_since_the_kill, what="the worker to run the standby's sweep", log=worker.log)
    finally:
        first.stop()
        second.stop()
