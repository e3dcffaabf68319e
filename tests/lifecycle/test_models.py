"""A contract's own targets name a priority of the vendor's policy in force and a calendar of
that vendor (or none: the 24×7 clock); anything else is refused on the field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lifecycle.models import ContractTarget, Deployment, Plan, Product
from lifecycle.services import contract_create, major_version_create
from policies.models import DurationUnit, SupportCalendar, TargetKind

pytestmark = pytest.mark.django_db


def _target(contract, **fields) -> ContractTarget:
    defaults = {"priority_code": "critical", "kind": TargetKind.FIRST_RESPONSE, "duration": Decimal("2")}
    return ContractTarget(contract=contract, **(defaults | fields))


def _calendar(vendor_slug: str) -> SupportCalendar:
    return SupportCalendar.objects.filter(version__vendor__slug=vendor_slug).first()


@pytest.fixture
def secpod_contract(organization, vendors):
    product = Product.objects.create(vendor=vendors["secpod"], name="SanerNow")
    major_version_create(product=product, number=1, ga=date(2022, 1, 1))
    return contract_create(
        organization=organization,
        product=product,
        plan=Plan.STANDARD,
        start=date(2025, 1, 1),
        end=date(2026, 12, 31),
        deployment=Deployment.HOSTED,
        license_price=Decimal("0"),
        reference="S-1",
    )


def test_a_priority_code_of_the_vendors_policy_in_force_is_accepted(basic_contract):
    _target(basic_contract, priority_code="critical").full_clean()
    _target(basic_contract, priority_code="normal", kind=TargetKind.RESOLUTION).full_clean()


def test_a_misspelled_priority_code_is_refused_on_the_field(basic_contract):
    with pytest.raises(ValidationError) as error:
        _target(basic_contract, priority_code="critcal").full_clean()

    [message] = error.value.message_dict["priority_code"]
    assert "critcal" in message
    assert "critical, normal" in message  # the codes Infotecs' policy in force offers


def test_another_vendors_priority_code_is_refused(basic_contract):
    with pytest.raises(ValidationError) as error:
        _target(basic_contract, priority_code="urgent").full_clean()  # Alectrona's and Albert's

    assert "priority_code" in error.value.message_dict


def test_another_vendors_calendar_is_refused_on_the_field(basic_contract):
    alectrona_hours = _calendar("alectrona")

    with pytest.raises(ValidationError) as error:
        _target(basic_contract, calendar=alectrona_hours, unit=DurationUnit.BUSINESS_DAYS).full_clean()

    assert list(error.value.message_dict) == ["calendar"]
    assert "Infotecs" in error.value.message_dict["calendar"][0]


def test_the_vendors_own_calendar_or_none_is_accepted(secpod_contract):
    _target(secpod_contract, priority_code="low", calendar=_calendar("secpod")).full_clean()
    _target(secpod_contract, priority_code="high", calendar=None).full_clean()


def test_a_calendar_of_a_third_vendor_is_refused_for_secpod(secpod_contract):
    with pytest.raises(ValidationError) as error:
        _target(secpod_contract, priority_code="low", calendar=_calendar("albert")).full_clean()

    assert list(error.value.message_dict) == ["calendar"]
