"""The demo data: every phase on show as of any day, both plans, every vendor, and idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from lifecycle.demo import load_lifecycle_demo
from lifecycle.models import Contract, MajorVersion, Plan, Product
from lifecycle.services import entitlement_check


@pytest.mark.parametrize("now", [datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2029, 2, 28, 9, tzinfo=UTC)])
def test_demo_has_every_phase_both_plans_and_every_vendor(organization, other_organization, now):
    with time_machine.travel(now, tick=False):
        load_lifecycle_demo(organization=organization, other_organization=other_organization)
        load_lifecycle_demo(organization=organization, other_organization=other_organization)
        today = timezone.localdate()
        phases = {v.phase_at(today) for v in MajorVersion.objects.filter(product__vendor__slug="infotecs")}
        assert phases == {"pre_release", "mainstream", "extended", "end_of_life"}
        mine = Contract.objects.filter(organization=organization)
        assert {c.plan for c in mine.active_on(today)} == {Plan.BASIC, Plan.PREMIUM, Plan.STANDARD}
        assert set(mine.values_list("vendor__slug", flat=True)) == {
            "infotecs",
            "alectrona",
            "secpod",
            "albert",
        }
        assert Contract.objects.filter(organization=other_organization, plan=Plan.BASIC).count() == 1
        assert Contract.objects.count() == 7 and Product.objects.count() == 5


def test_demo_customer_can_open_a_case_on_the_current_coordinator(organization, other_organization, vendors):
    load_lifecycle_demo(organization=organization, other_organization=other_organization)
    version = MajorVersion.objects.get(product__name="ViPNet Coordinator", number=4)
    result = entitlement_check(
        organization=organization,
        vendor=vendors["infotecs"],
        product=version.product,
        major_version=version,
        priority_code="critical",
        at=timezone.now(),
    )
    assert result.allowed and [t.kind for t in result.targets] == ["first_response", "resolution"]
