"""Policy change notices (SPEC §1), written by lifecycle where contracts are known: publishing a
version (policies) announces it, and every contract holder of the vendor hears once, a week
before it takes effect."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from lifecycle.models import Deployment, Plan, Product
from lifecycle.notices import policy_change_notices_sweep
from lifecycle.services import contract_create
from policies.models import PolicyChannel
from policies.services import policy_version_publish
from portal.models import Notice, NoticeKind, NoticePreference
from portal.outbox import notice_sweep, notices_render
from tests.policies.test_services import _draft

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def alectrona_product(vendors):
    return Product.objects.create(vendor=vendors["alectrona"], name="Alectrona Cloud")


def contract(organization, product, *, start=date(2026, 1, 1), end=date(2026, 12, 31)):
    return contract_create(
        organization=organization,
        product=product,
        plan=Plan.STANDARD,
        start=start,
        end=end,
        deployment=Deployment.HOSTED,
        license_price=Decimal("0"),
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
    assert "The Chat channel is removed." in notices_render([notices[0]])[0].body_text  # at delivery
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        assert notice_sweep().sent == 0
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        assert notice_sweep().sent == 2
        assert policy_change_notices_sweep() == 0  # the daily run adds nobody twice
    assert len(mail.outbox) == 2


def test_a_publication_that_fails_queues_no_notice(vendors, customer, alectrona_product):
    contract(customer.membership.organization, alectrona_product)
    draft = _draft(vendors["alectrona"], key="2027", effective_from=NOW + timedelta(days=10))
    PolicyChannel.objects.filter(version=draft, channel="chat").delete()  # a reduction…
    with pytest.raises(ValidationError):  # …not acknowledged: refused
        policy_version_publish(version=draft, published_at=NOW)
    assert not Notice.objects.exists()


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


def test_the_daily_task_runs_the_sweep(vendors, customer, alectrona_product):
    from lifecycle.tasks import policy_change_notices_task

    draft = _draft(vendors["alectrona"], key="2027", effective_from=NOW + timedelta(days=10))
    policy_version_publish(version=draft, published_at=NOW)
    contract(customer.membership.organization, alectrona_product, start=date(2026, 11, 25))
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert policy_change_notices_task.delay().get() == 1


def test_policy_change_notices_cannot_be_muted(vendors, customer, alectrona_product):
    NoticePreference.objects.create(user=customer, muted_kinds=[NoticeKind.POLICY_CHANGE])
    contract(customer.membership.organization, alectrona_product)
    policy_version_publish(
        version=_draft(vendors["alectrona"], key="2027", effective_from=NOW + timedelta(days=8)),
        published_at=NOW,
    )
    assert Notice.objects.filter(recipient=customer, kind=NoticeKind.POLICY_CHANGE).exists()
