"""Lifecycle API: the public preview with its 400s, products, and contracts per organization."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from lifecycle.models import Deployment, Plan
from lifecycle.services import contract_create, premium_option_set

from .conftest import NOW


@pytest.fixture
def api():
    return APIClient()


def preview(api, **params):
    return api.get(reverse("api:lifecycle-preview"), params)


def test_preview_computes_milestones_and_notice_dates(api, db):
    response = preview(api, ga="2020-03-01", eos="2024-08-31", next_major_ga="2022-01-10")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "eoms": "2025-08-31",
        "eol": "2026-08-31",
        "eoms_provisional": False,
        "eoms_bound": "eos",
        "notice_by": {"eos": "2024-02-29", "eoms": "2025-02-28", "eol": "2026-02-28"},
    }


def test_preview_without_next_major_is_provisional(api, db):
    body = preview(api, ga="2020-03-01", eos="2021-01-01").json()
    assert (body["eoms"], body["eoms_provisional"], body["eoms_bound"]) == ("2024-03-01", True, "five_years")


def test_preview_eos_before_ga_names_the_field(api, db):
    response = preview(api, ga="2020-03-01", eos="2020-02-28")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"eos": ["End of sales cannot be before general availability."]}


def test_preview_next_major_before_ga_names_the_field(api, db):
    response = preview(api, ga="2020-03-01", eos="2022-01-01", next_major_ga="2019-01-01")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == ["next_major_ga"]


@pytest.mark.parametrize(
    ("params", "field"), [({"ga": "2020-13-01", "eos": "2021-01-01"}, "ga"), ({"ga": "2020-01-01"}, "eos")]
)
def test_preview_invalid_or_missing_dates_name_the_field(api, db, params, field):
    response = preview(api, **params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()


def test_products_need_sign_in(api, coordinator):
    assert api.get(reverse("api:product-list")).status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)


@time_machine.travel(NOW, tick=False)
def test_products_list_versions_with_computed_dates_and_phase(api, customer, coordinator):
    api.force_authenticate(customer)
    body = api.get(reverse("api:product-list")).json()
    [product] = body["results"]
    assert product["name"] == "ViPNet Coordinator" and product["vendor"] == "infotecs"
    assert [(v["name"], v["phase"]) for v in product["versions"]] == [
        ("2", "end_of_life"),
        ("3", "extended"),
        ("4", "mainstream"),
        ("5", "pre_release"),
    ]
    v3 = product["versions"][1]
    assert (v3["eoms"], v3["eol"], v3["eoms_provisional"]) == ("2026-01-15", "2027-01-15", False)


@time_machine.travel(NOW, tick=False)
def test_product_detail_and_unknown_product(api, customer, coordinator):
    api.force_authenticate(customer)
    response = api.get(reverse("api:product-detail", args=[coordinator.pk]))
    assert response.status_code == HTTPStatus.OK and len(response.json()["versions"]) == 4
    assert (
        api.get(reverse("api:product-detail", args=[coordinator.pk + 999])).status_code
        == HTTPStatus.NOT_FOUND
    )


@time_machine.travel(NOW, tick=False)
def test_contracts_show_this_years_quota(api, customer, organization, infotecs, basic_contract):
    from datetime import UTC, datetime

    from .conftest import resolve_tickets

    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=12,
        resolved_at=datetime(2025, 6, 1, tzinfo=UTC),
    )
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=3,
        resolved_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    api.force_authenticate(customer)
    [contract] = api.get(reverse("api:contract-list")).json()["results"]
    assert contract["reference"] == "B-1" and contract["license_price"] == "10000.00"
    assert contract["entitlement"] == {
        "allowance": 68,
        "used": 3,
        "remaining": 65,
        "carried_over": 28,
        "exchanged": 0,
        "billable_count": 0,
    }


@time_machine.travel(NOW, tick=False)
def test_outsider_sees_none_of_another_organizations_contracts(api, outsider, basic_contract):
    api.force_authenticate(outsider)
    assert api.get(reverse("api:contract-list")).json()["results"] == []


@time_machine.travel(NOW, tick=False)
def test_staff_see_every_contract_and_premium_options(
    api, agent, organization, other_organization, coordinator, premium_contract
):
    premium_option_set(contract=premium_contract, kind="account_manager", price=Decimal("3000"))
    contract_create(
        organization=other_organization,
        product=coordinator,
        plan=Plan.BASIC,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("5"),
    )
    api.force_authenticate(agent)
    results = api.get(reverse("api:contract-list")).json()["results"]
    assert sorted(c["organization"] for c in results) == ["acme", "acme", "globex"]
    premium = next(c for c in results if c["plan"] == "premium")
    assert premium["entitlement"] is None
    assert premium["premium_options"] == [{"kind": "account_manager", "price": "3000.00", "note": ""}]


def test_schema_lists_the_lifecycle_routes(api, agent):
    api.force_authenticate(agent)
    schema = api.get(reverse("api:schema"), {"format": "json"}).json()
    assert {"/api/lifecycle/preview/", "/api/products/", "/api/contracts/"} <= set(schema["paths"])


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"ga": "9999-12-31", "eos": "9999-12-31"}, {"ga", "eos"}),
        ({"ga": "0001-01-01", "eos": "0001-01-01"}, {"ga", "eos"}),
        ({"ga": "2020-01-01", "eos": "9999-12-31"}, {"eos"}),
        ({"ga": "2020-01-01", "eos": "2021-01-01", "next_major_ga": "9999-01-01"}, {"next_major_ga"}),
    ],
)
def test_preview_dates_out_of_the_calendars_range_answer_400_naming_the_field(api, db, params, fields):
    """GA + 4 years past 9999, or six months before year 1, is no date: 400, never 500."""
    response = preview(api, **params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {field: ["Give a date from 1900-01-01 to 2999-12-31."] for field in fields}
