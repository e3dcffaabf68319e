"""The scheduled work: beat's table of periodic tasks, and the daily policy change and lifecycle
notices, each sent once per person and event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from lifecycle.models import Deployment, Plan, Product
from lifecycle.notices import milestone_notices_queue, new_major_notices_queue
from lifecycle.services import contract_create, major_version_create, major_version_save
from policies.models import PolicyChannel
from policies.notices import policy_change_notices_sweep
from policies.services import policy_version_publish
from portal.models import Notice, NoticeKind, NoticePreference, NoticeState
from portal.outbox import notice_sweep
from portal.tasks import notice_sweep_task
from tests.policies.test_services import _draft
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
        "portal.tasks.notice_sweep_task",
        "policies.tasks.policy_change_notices_task",
        "lifecycle.tasks.lifecycle_notices_task",
        "portal.tasks.idempotency_keys_forget_task",
    }
    assert tasks["portal.tasks.notice_sweep_task"].interval.every == 1
    assert tasks["lifecycle.tasks.lifecycle_notices_task"].crontab.hour == "6"
    assert tasks["tickets.tasks.sla_sweep_task"].enabled is False


def test_the_sweep_tasks_run(customer):
    assert sla_sweep_task.delay().get() == {"breached": 0, "warned": 0, "notices": 0}
    assert notice_sweep_task.delay().get() == {"released": 0, "sent": 0, "remaining": False}


# ---------------------------------------------------------------------------- policy change


@pytest.fixture
def alectrona_product(vendors):
    return Product.objects.create(vendor=vendors["alectrona"], name="Alectrona Cloud")


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


def test_publishing_queues_one_notice_per_customer_a_week_before_it_takes_effect(
    vendors, agent, customer, colleague, outsider, alectrona_product
):
    contract(customer.membership.organization, alectrona_product)
    draft = _draft(vendors["alectrona"], key="2027", effective_from=NOW + timedelta(days=10))
    PolicyChannel.objects.filter(version=draft, channel="chat").delete()
    policy_version_publish(version=draft, published_at=NOW, acknowledged_by=agent)
    notices = Notice.objects.filter(kind=NoticeKind.POLICY_CHANGE)
    assert sorted(n.recipient.username for n in notices) == ["alice", "bob"]
    assert {n.send_after for n in notices} == {NOW + timedelta(days=3)}
    assert "The Chat channel is removed." in notices[0].body_text
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        assert notice_sweep().sent == 0
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        assert notice_sweep().sent == 2
        assert policy_change_notices_sweep() == 0  # the daily run adds nobody twice
    assert len(mail.outbox) == 2


def test_the_daily_run_reaches_a_customer_whose_contract_began_after_publishing(
    vendors, customer, outsider, alectrona_product
):
    draft = _draft(vendors["alectrona"], key="2027", effective_from=NOW + timedelta(days=10))
    policy_version_publish(version=draft, published_at=NOW)
    assert not Notice.objects.exists()
    contract(outsider.membership.organization, alectrona_product, start=date(2026, 11, 25))
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert policy_change_notices_sweep() == 1
    assert Notice.objects.get().recipient == outsider


def test_policy_change_notices_cannot_be_muted(vendors, customer, alectrona_product):
    NoticePreference.objects.create(user=customer, muted_kinds=[NoticeKind.POLICY_CHANGE])
    contract(customer.membership.organization, alectrona_product)
    policy_version_publish(
        version=_draft(vendors["alectrona"], key="2027", effective_from=NOW + timedelta(days=8)),
        published_at=NOW,
    )
    assert Notice.objects.filter(recipient=customer, kind=NoticeKind.POLICY_CHANGE).exists()


# ---------------------------------------------------------------------------- lifecycle


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
    notice = Notice.objects.get()
    assert (notice.recipient, notice.kind) == (customer, NoticeKind.LIFECYCLE_MILESTONE)
    assert notice.subject == "ViPNet Coordinator 4: end of sales on 1 May 2027"


def test_a_new_major_version_is_announced_to_the_products_customers(coordinator, customer, outsider):
    contract(customer.membership.organization, coordinator, end=date(2027, 12, 31))
    major_version_create(
        product=coordinator, number=5, ga=date(2027, 3, 1), announced_at=TODAY - timedelta(days=2)
    )
    assert new_major_notices_queue(today=TODAY) == 1
    assert new_major_notices_queue(today=TODAY) == 0
    notice = Notice.objects.get()
    assert notice.subject == "New major version: ViPNet Coordinator 5"
    assert notice.state == NoticeState.PENDING
