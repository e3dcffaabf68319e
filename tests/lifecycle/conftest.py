"""A fixed Infotecs product line as of NOW (2026-11-24): version 2 end of life, 3 extended,
4 mainstream, 5 pre-release; and a three-year Basic contract for the customer's organization."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from lifecycle.models import Deployment, Plan, Product
from lifecycle.services import contract_create, major_version_create, quota_use_record

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture
def infotecs(vendors):
    return vendors["infotecs"]


@pytest.fixture
def coordinator(infotecs):
    product = Product.objects.create(vendor=infotecs, name="ViPNet Coordinator")
    major_version_create(product=product, number=2, ga=date(2017, 1, 10), eos=date(2019, 1, 10))
    major_version_create(product=product, number=3, ga=date(2020, 6, 1), eos=date(2025, 1, 15))
    major_version_create(product=product, number=4, ga=date(2023, 9, 1))
    major_version_create(product=product, number=5, ga=date(2027, 3, 1), announced_at=date(2026, 9, 1))
    return product


@pytest.fixture
def versions(coordinator):
    return {v.number: v for v in coordinator.major_versions.all()}


@pytest.fixture
def basic_contract(organization, coordinator):
    return contract_create(
        organization=organization,
        product=coordinator,
        plan=Plan.BASIC,
        start=date(2025, 1, 1),
        end=date(2027, 12, 31),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("10000.00"),
        reference="B-1",
    )


@pytest.fixture
def premium_contract(organization, coordinator, basic_contract):
    return contract_create(
        organization=organization,
        product=coordinator,
        plan=Plan.PREMIUM,
        start=date(2025, 1, 1),
        end=date(2027, 12, 31),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("0"),
        reference="P-1",
    )


def resolve_tickets(
    *, organization, vendor, requester=None, count: int, resolved_at: datetime, product=None
) -> None:
    """`count` cases of the organization resolved at `resolved_at`, as lifecycle learns of them:
    tickets records each resolution through `quota_use_record` (the quota counts those ledger
    rows, never the cases), about `product` (default: the vendor's first product, the one the
    contracts cover). `requester` is the person who would have opened them: the ledger needs none."""
    product = product or Product.objects.filter(vendor=vendor).order_by("pk").first()
    for _ in range(count):
        quota_use_record(
            organization=organization,
            product=product,
            ticket_number=f"T-{next(_case_numbers):06d}",
            at=resolved_at,
        )


_case_numbers = itertools.count(1)
