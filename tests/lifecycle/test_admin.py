"""Admin smoke tests per ModelAdmin (changelist, search, add) and saves that go through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from lifecycle.models import Contract, ContractTarget, MajorVersion, QuotaLedgerEntry
from lifecycle.services import quota_use_record
from policies.models import SupportCalendar

MODELS = ["product", "majorversion", "contract", "premiumoption", "contracttarget", "quotaledgerentry"]


@pytest.fixture
def staff_client(client, agent, premium_contract):
    client.force_login(agent)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_changelist_search_and_add_pages_load(staff_client, model):
    for url, params in [
        (reverse(f"admin:lifecycle_{model}_changelist"), {}),
        (reverse(f"admin:lifecycle_{model}_changelist"), {"q": "ViPNet"}),
        (reverse(f"admin:lifecycle_{model}_add"), {}),
    ]:
        assert staff_client.get(url, params).status_code == HTTPStatus.OK, url


def test_version_change_page_shows_computed_dates_read_only(staff_client, versions):
    html = staff_client.get(
        reverse("admin:lifecycle_majorversion_change", args=[versions[3].pk])
    ).content.decode()
    assert "Jan. 15, 2026" in html or "2026-01-15" in html
    assert 'name="eoms"' not in html and 'name="eoms_override"' in html


def test_saving_a_version_in_admin_recomputes_the_previous_one(staff_client, versions, coordinator):
    v4 = versions[4]
    data = {
        "product": coordinator.pk,
        "number": 4,
        "name": "4",
        "announced_at": "",
        "ga": "2024-06-01",
        "eos": "",
        "eoms_override": "",
        "eol_override": "",
        "override_reason": "",
        "minor_versions-TOTAL_FORMS": 0,
        "minor_versions-INITIAL_FORMS": 0,
    }
    response = staff_client.post(reverse("admin:lifecycle_majorversion_change", args=[v4.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    assert MajorVersion.objects.get(pk=versions[3].pk).eoms == date(2026, 6, 1)


def test_admin_refuses_premium_without_covering_basic(staff_client, organization, coordinator):
    data = {
        "organization": organization.pk,
        "product": coordinator.pk,
        "major_version": "",
        "reference": "P-9",
        "plan": "premium",
        "deployment": "hosted",
        "start": "2024-01-01",
        "end": "2024-12-31",
        "license_price": "0",
        "currency": "EUR",
        "premium_options-TOTAL_FORMS": 0,
        "premium_options-INITIAL_FORMS": 0,
        "targets-TOTAL_FORMS": 0,
        "targets-INITIAL_FORMS": 0,
    }
    response = staff_client.post(reverse("admin:lifecycle_contract_add"), data)
    assert response.status_code == HTTPStatus.OK
    assert "needs a valid Basic contract" in response.content.decode()
    assert not Contract.objects.filter(reference="P-9").exists()


def test_admin_records_an_exchange_with_the_staff_member(staff_client, basic_contract, agent):
    data = {
        "contract": basic_contract.pk,
        "contract_year": 1,
        "kind": "exchange",
        "tickets": 10,
        "premium_service": "Workshop",
        "recorded_at_0": "2025-06-01",
        "recorded_at_1": "10:00:00",
    }
    response = staff_client.post(reverse("admin:lifecycle_quotaledgerentry_add"), data)
    assert response.status_code == HTTPStatus.FOUND
    assert QuotaLedgerEntry.objects.get().recorded_by == agent


def test_admin_refuses_an_exchange_larger_than_the_allowance(staff_client, basic_contract):
    data = {
        "contract": basic_contract.pk,
        "contract_year": 1,
        "kind": "exchange",
        "tickets": 41,
        "premium_service": "Workshop",
        "recorded_at_0": "2025-06-01",
        "recorded_at_1": "10:00:00",
    }
    response = staff_client.post(reverse("admin:lifecycle_quotaledgerentry_add"), data)
    assert response.status_code == HTTPStatus.OK and not QuotaLedgerEntry.objects.exists()


def test_admin_refuses_a_contract_target_with_a_misspelled_priority(staff_client, basic_contract):
    data = {
        "contract": basic_contract.pk,
        "priority_code": "critcal",
        "kind": "first_response",
        "duration": "2",
        "unit": "hours",
        "calendar": "",
    }
    response = staff_client.post(reverse("admin:lifecycle_contracttarget_add"), data)
    assert response.status_code == HTTPStatus.OK
    assert "critcal" in " ".join(response.context["adminform"].form.errors["priority_code"])
    assert not ContractTarget.objects.exists()


def test_admin_refuses_another_vendors_calendar_in_the_contracts_targets(staff_client, basic_contract):
    alectrona_hours = SupportCalendar.objects.filter(version__vendor__slug="alectrona").first()
    data = {
        "organization": basic_contract.organization_id,
        "product": basic_contract.product_id,
        "major_version": "",
        "reference": basic_contract.reference,
        "plan": basic_contract.plan,
        "deployment": basic_contract.deployment,
        "start": basic_contract.start.isoformat(),
        "end": basic_contract.end.isoformat(),
        "license_price": str(basic_contract.license_price),
        "currency": basic_contract.currency,
        "premium_options-TOTAL_FORMS": 0,
        "premium_options-INITIAL_FORMS": 0,
        "targets-TOTAL_FORMS": 1,
        "targets-INITIAL_FORMS": 0,
        "targets-0-priority_code": "critical",
        "targets-0-kind": "first_response",
        "targets-0-duration": "1",
        "targets-0-unit": "business_days",
        "targets-0-calendar": alectrona_hours.pk,
    }
    response = staff_client.post(reverse("admin:lifecycle_contract_change", args=[basic_contract.pk]), data)
    assert response.status_code == HTTPStatus.OK
    [targets] = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "targets"]
    assert "Infotecs" in " ".join(targets.formset.forms[0].errors["calendar"])
    assert not ContractTarget.objects.exists()


def test_a_quota_use_is_shown_read_only_and_staff_add_only_exchanges(staff_client, basic_contract):
    [use] = quota_use_record(
        organization=basic_contract.organization,
        product=basic_contract.product,
        ticket_number="INF-000042",
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    changelist = staff_client.get(reverse("admin:lifecycle_quotaledgerentry_changelist"), {"q": "INF-000042"})
    assert "INF-000042" in changelist.content.decode()
    page = staff_client.get(
        reverse("admin:lifecycle_quotaledgerentry_change", args=[use.pk])
    ).content.decode()
    assert "INF-000042" in page and 'name="tickets"' not in page and 'name="kind"' not in page
    add = staff_client.get(reverse("admin:lifecycle_quotaledgerentry_add")).content.decode()
    assert 'value="exchange"' in add and 'value="use"' not in add
