"""Create or update the periodic tasks in django-celery-beat's tables (editable in admin).

Idempotent: run on every `make run`. A task staff disabled or re-timed in admin keeps its
schedule and enabled flag; only missing tasks are created and their task paths kept current."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

EVERY_MINUTE = "every minute"
DAILY = "daily 06:00 UTC"

SCHEDULE = [
    ("SLA sweep: breaches, escalations, warnings", "tickets.tasks.sla_sweep_task", EVERY_MINUTE),
    ("Chasing: automatic reminders to customers", "tickets.tasks.chase_sweep_task", EVERY_MINUTE),
    ("Planned work: maintenance and upgrade notices", "reports.tasks.maintenance_notices_task", EVERY_MINUTE),
    ("Outbox sweep: retry and deliver pending notices", "portal.tasks.notice_sweep_task", EVERY_MINUTE),
    ("Mailroom: take in the vendors' Maildirs", "mailroom.tasks.maildir_poll_task", EVERY_MINUTE),
    ("Mailroom: poll the vendors' IMAP mailboxes", "mailroom.tasks.imap_poll_task", EVERY_MINUTE),
    ("Policy change notices", "lifecycle.tasks.policy_change_notices_task", DAILY),
    ("Lifecycle milestone and new major version notices", "lifecycle.tasks.lifecycle_notices_task", DAILY),
    ("Forget submit keys older than 24 h", "portal.tasks.idempotency_keys_forget_task", DAILY),
]


class Command(BaseCommand):
    help = "Create the periodic tasks (SLA sweep, outbox sweep, daily notices) if they are missing."

    @transaction.atomic
    def handle(self, *args, **options):
        every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
        daily, _ = CrontabSchedule.objects.get_or_create(
            minute="0", hour="6", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        for name, task, when in SCHEDULE:
            schedule = {"interval": every_minute} if when == EVERY_MINUTE else {"crontab": daily}
            periodic, created = PeriodicTask.objects.get_or_create(
                name=name, defaults={"task": task, **schedule}
            )
            if not created and periodic.task != task:
                periodic.task = task
                periodic.save(update_fields=["task"])
            self.stdout.write(f"{'created' if created else 'kept'}: {name} ({task}, {when})")
