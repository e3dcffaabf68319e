"""The scheduled work: beat's table of periodic tasks, and the daily lifecycle notices, each sent
once per person and event (policy change notices: tests/lifecycle/test_notices.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from lifecycle.models import Deployment, Plan, Product
from lifecycle.notices import milestone_notices_queue, new_major_notices_queue
from lifecycle.services import contract_create, major_version_create, major_version_save
from portal.models import Notice, NoticeKind, NoticeState
from portal.outbox import notices_render
from portal.tasks import notice_sweep_task
from tickets.tasks import sla_sweep_task

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def test_setupschedule_creates_the_tasks_once_and_keeps_admin_edits():
    call_command("setupschedule", stdout=open("/dev/null", "w"))
    PeriodicTask.objects.filter(task="tickets.tasks.sla_sweep_task").update(enabled=False)
    call_command("setupschedule", stdout=open("/dev/null", "w"))
    tasks = {t.task: t for t in PeriodicTask.objects.all()}
    assert set(tasks) == {
        "tickets.tasks.sla_sweep_task",
        "tickets.tasks.chase_sweep_task",
        "reports.tasks.maintenance_notices_task",
        "portal.tasks.notice_sweep_task",
        "mailroom.tasks.maildir_poll_task",
        "mailroom.tasks.imap_poll_task",
        "lifecycle.tasks.policy_change_notices_task",
        "lifecycle.tasks.lifecycle_notices_task",
        "portal.tasks.idempotency_keys_forget_task",
    }
    assert tasks["portal.tasks.notice_sweep_task"].interval.every == 1
    assert tasks["lifecycle.tasks.lifecycle_notices_task"].crontab.hour == "6"
    assert tasks["tickets.tasks.sla_sweep_task"].enabled is False


def test_the_sweep_tasks_run(customer):
    assert sla_sweep_task.delay().get() == {"breached": 0, "warned": 0, "notices": 0}
    assert notice_sweep_task.delay().get() == {"released": 0, "sent": 0, "remaining": False}


# ---------------------------------------------------------------------------- lifecycle
# (policy change notices, also written by lifecycle: tests/lifecycle/test_notices.py)


def contract(organization, product, *, start=date(2026, 1, 1), end=date(2026, 12, 31), major=None):
    return contract_create(
        organization=organization,
        product=product,
        plan=Plan.STANDARD,
        start=start,
        end=end,
        deployment=Deployment.HOSTED,
        license_price=Decimal("0"),
        major_version=major,
    )


@pytest.fixture
def coordinator(vendors):
    product = Product.objects.create(vendor=vendors["infotecs"], name="ViPNet Coordinator")
    major_version_create(product=product, number=4, ga=date(2023, 9, 1), eos=date(2027, 5, 1))
    return product


def test_a_milestone_six_months_ahead_is_announced_once_even_if_it_moves(coordinator, customer, outsider):
    four = coordinator.major_versions.get(number=4)
    contract(customer.membership.organization, coordinator, end=date(2027, 12, 31), major=four)
    assert milestone_notices_queue(today=date(2026, 10, 1)) == 0  # seven months ahead: not yet
    assert milestone_notices_queue(today=TODAY) == 1
    four.eos = date(2027, 6, 1)
    major_version_save(version=four)
    assert milestone_notices_queue(today=TODAY + timedelta(days=1)) == 0
    [notice] = notices_render([Notice.objects.get()])  # what delivery renders, from the stored context
    assert (notice.recipient, notice.kind) == (customer, NoticeKind.LIFECYCLE_MILESTONE)
    assert notice.subject == "ViPNet Coordinator 4: end of sales on 1 May 2027"


def test_a_new_major_version_is_announced_to_the_products_customers(coordinator, customer, outsider):
    contract(customer.membership.organization, coordinator, end=date(2027, 12, 31))
    major_version_create(
        product=coordinator, number=5, ga=date(2027, 3, 1), announced_at=TODAY - timedelta(days=2)
    )
    assert new_major_notices_queue(today=TODAY) == 1
    assert new_major_notices_queue(today=TODAY) == 0
    [notice] = notices_render([Notice.objects.get()])
    assert notice.subject == "New major version: ViPNet Coordinator 5"
    assert notice.state == NoticeState.PENDING
