"""One scheduler for the whole desk (issue 23 point 4): django-celery-beat's DatabaseScheduler
(the schedule stays editable in admin) that runs only while it holds a lock, so any number of beat
processes can be started on any number of hosts and exactly one sends the periodic tasks.

The lock is a PostgreSQL session advisory lock, taken on a connection of its own, outside Django's
(which Django closes and reopens at will). A beat that does not get it is a hot standby: started,
its schedule loaded, trying again every second. The holder's lock lasts as long as its connection:
a beat killed outright, or its host gone, closes the connection (the server notices a vanished
host within about 30 s through the keepalives set below), PostgreSQL releases the lock, and a
standby takes it within a second and sends the next due tasks. The holder checks its connection
before each tick; if the lock may be lost (the database restarted, the network cut), it exits,
and its supervisor starts it again as a standby, rather than risk a second sender.

On SQLite (a single host by nature) the lock is an exclusive `flock` on var/beat.lock: the same
rule for beats started twice on one machine.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import time

from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)
LOCK_KEY = 0x706F7274616C  # "portal": one advisory lock per database
RETRY_SECONDS = 1.0
# Server-side TCP keepalives on the lock's connection: a host that vanished without closing it
# is dropped (and its lock released) after about idle + interval x count seconds.
KEEPALIVES = "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"


class PostgresLock:
    def __init__(self, database: dict):
        self.database, self.connection = database, None

    def try_acquire(self) -> bool:
        import psycopg

        if self.connection is None:
            db = self.database
            self.connection = psycopg.connect(
                dbname=db["NAME"],
                user=db.get("USER") or None,
                password=db.get("PASSWORD") or None,
                host=db.get("HOST") or None,
                port=db.get("PORT") or None,
                autocommit=True,
                connect_timeout=5,
                options=KEEPALIVES,
                application_name="portal beat lock",
            )
        return self.connection.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]

    def still_held(self) -> bool:
        try:
            self.connection.execute("SELECT 1").fetchone()
        except Exception:  # any failure of the lock's connection may have released the lock
            return False
        return True


class FileLock:
    def __init__(self, path):
        self.path, self.handle = path, None

    def try_acquire(self) -> bool:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.handle = self.handle or open(self.path, "a")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def still_held(self) -> bool:
        return True  # a flock lasts as long as the process


def scheduler_lock():
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        return PostgresLock(database)
    return FileLock(str(settings.BASE_DIR / "var" / "beat.lock"))


class LockedDatabaseScheduler(DatabaseScheduler):
    """DatabaseScheduler that waits for the scheduler lock before its first tick."""

    lock = None

    def setup_schedule(self):
        super().setup_schedule()
        self.lock = scheduler_lock()
        if not self.lock.try_acquire():
            logger.warning("beat: another beat holds the scheduler lock; waiting as a hot standby")
            while not self.lock.try_acquire():
                time.sleep(RETRY_SECONDS)
        logger.warning("beat: holds the scheduler lock; sending the periodic tasks")

    def tick(self, *args, **kwargs):
        if not self.lock.still_held():
            logger.error("beat: the scheduler lock's connection failed; exiting to wait as a standby")
            sys.exit(1)
        return super().tick(*args, **kwargs)
