"""Opening a case checks the entitlement (SPEC §3–4) through the service, the portal and the API.
The Infotecs line of tests/lifecycle/conftest.py as of 24 Nov 2026: version 2 end of life,
3 extended, 4 mainstream, 5 pre-release; a Basic contract 2025–2027 for the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lifecycle import entitlements
from lifecycle.models import ContractTarget, PremiumOptionKind
from lifecycle.services import premium_option_set
from policies.models import DurationUnit, TargetKind
from portal.services import api_token_create
from tickets.models import SlaTarget, Ticket
from tickets.services import ticket_change_priority, ticket_open, ticket_preview

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _open(customer, infotecs, **kwargs):
    arguments = {"priority": "normal", "subject": "VPN drops", "body": "Every night", "at": NOW, **kwargs}
    return ticket_open(
        organization=customer.membership.organization, requester=customer, vendor=infotecs, **arguments
    )


def test_infotecs_requires_a_product(customer, infotecs, basic_contract):
    with pytest.raises(ValidationError) as error:
        _open(customer, infotecs)
    assert error.value.message_dict["product"] == ["Choose the Infotecs product the case is about."]
    assert not Ticket.objects.exists()


def test_no_contract_is_refused_in_plain_words(outsider, infotecs, coordinator, versions):
    with pytest.raises(ValidationError) as error:
        _open(outsider, infotecs, product=coordinator, major_version=versions[4])
    assert "contract" in " ".join(error.value.message_dict["product"]).lower()


def test_end_of_life_version_is_refused(customer, infotecs, basic_contract, versions):
    with pytest.raises(ValidationError) as error:
        _open(customer, infotecs, product=basic_contract.product, major_version=versions[2])
    assert "end of its life" in " ".join(error.value.message_dict["product"]).lower()
    assert not Ticket.objects.exists()


def test_extended_support_marks_a_normal_case_billable_and_says_why(
    customer, infotecs, basic_contract, versions
):
    ticket = _open(
        customer, infotecs, product=basic_contract.product, major_version=versions[3], confirm_billable=True
    )
    assert ticket.billable
    assert "extended support" in ticket.billable_reason.lower()


def test_extended_support_covers_a_critical_case(customer, infotecs, basic_contract, versions):
    ticket = _open(
        customer, infotecs, priority="critical", product=basic_contract.product, major_version=versions[3]
    )
    assert not ticket.billable


def test_mainstream_version_is_covered(customer, infotecs, basic_contract, versions):
    ticket = _open(customer, infotecs, product=basic_contract.product, major_version=versions[4])
    assert (ticket.billable, ticket.product, ticket.major_version) == (
        False,
        basic_contract.product,
        versions[4],
    )


def test_basic_onsite_visit_for_a_normal_case_is_refused(customer, infotecs, basic_contract, versions):
    with pytest.raises(ValidationError) as error:
        _open(customer, infotecs, product=basic_contract.product, major_version=versions[4], onsite=True)
    assert "onsite" in error.value.message_dict


def test_contract_targets_give_infotecs_cases_their_deadlines(customer, infotecs, basic_contract, versions):
    ContractTarget.objects.create(
        contract=basic_contract,
        priority_code="critical",
        kind=TargetKind.FIRST_RESPONSE,
        duration=4,
        unit=DurationUnit.HOURS,
    )
    ticket = _open(
        customer, infotecs, priority="critical", product=basic_contract.product, major_version=versions[4]
    )
    target = ticket.sla_targets.get()
    assert (target.kind, target.due_at) == ("first_response", NOW + timedelta(hours=4))
    assert "Contract B-1" in target.source


def test_priority_change_takes_the_contract_targets_of_the_new_priority(
    customer, agent, infotecs, basic_contract, versions
):
    ContractTarget.objects.create(
        contract=basic_contract,
        priority_code="critical",
        kind=TargetKind.FIRST_RESPONSE,
        duration=2,
        unit=DurationUnit.HOURS,
    )
    ticket = _open(customer, infotecs, product=basic_contract.product, major_version=versions[4])
    assert not ticket.sla_targets.exists()
    ticket_change_priority(ticket=ticket, priority="critical", by=agent, at=NOW + timedelta(minutes=30))
    assert ticket.sla_targets.get().due_at == NOW + timedelta(hours=2)


def test_the_api_opens_a_billable_case_and_says_so(client, customer, infotecs, basic_contract, versions):
    _, key = api_token_create(user=customer)
    response = client.post(
        "/api/tickets/",
        {
            "vendor": "infotecs",
            "priority": "normal",
            "subject": "VPN drops",
            "body": "x",
            "product": basic_contract.product.pk,
            "major_version": versions[3].pk,
            "confirm_billable": True,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    body = response.json()
    assert (body["product"], body["major_version"], body["billable"]) == ("ViPNet Coordinator", "3", True)


def test_the_api_refuses_a_billable_case_without_confirm_billable(
    client, customer, infotecs, basic_contract, versions
):
    _, key = api_token_create(user=customer)
    payload = {
        "vendor": "infotecs",
        "priority": "normal",
        "subject": "VPN drops",
        "body": "x",
        "product": basic_contract.product.pk,
        "major_version": versions[3].pk,
    }
    for unconfirmed in ({}, {"confirm_billable": False}):
        response = client.post(
            "/api/tickets/",
            {**payload, **unconfirmed},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {key}",
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        [message] = response.json()["confirm_billable"]
        assert message.startswith("This case will be charged: ViPNet Coordinator 3 is in Extended Support")
    assert not Ticket.objects.exists()


def test_the_api_documents_confirm_billable():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    field = schema["components"]["schemas"]["TicketOpenRequest"]["properties"]["confirm_billable"]
    assert field["type"] == "boolean" and "charged" in field["description"]


def test_the_api_refuses_a_product_of_another_vendor(client, customer, vendors, coordinator):
    _, key = api_token_create(user=customer)
    response = client.post(
        "/api/tickets/",
        {"vendor": "alectrona", "priority": "high", "subject": "x", "body": "x", "product": coordinator.pk},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "product" in response.json()


# Every refusal, through the portal and through the API: (who, product, version, extra, field, words).
REFUSALS = {
    "no product named": ("customer", None, None, {}, "product", "Choose the Infotecs product"),
    "no contract": ("outsider", "coordinator", 4, {}, "product", "no active support contract"),
    "end of life": ("customer", "coordinator", 2, {}, "product", "reached the end of its life"),
    "pre-release without early access": ("customer", "coordinator", 5, {}, "product", "not released yet"),
    # a refusal names the field it is about, not the on-site box merely because it was ticked
    "end of life, on-site asked": (
        "customer",
        "coordinator",
        2,
        {"onsite": True},
        "product",
        "reached the end of its life",
    ),
    "on-site on Basic for a normal case": (
        "customer",
        "coordinator",
        4,
        {"onsite": True},
        "onsite",
        "On the Basic plan an engineer visits",
    ),
}


def _refusal(request, name):
    who, product, number, extra, field, words = REFUSALS[name]
    user = request.getfixturevalue(who)
    product = request.getfixturevalue(product) if product else None
    version = request.getfixturevalue("versions")[number] if number else None
    return user, product, version, extra, field, words


@pytest.mark.parametrize("name", REFUSALS)
def test_each_refusal_through_the_portal(request, client, name, basic_contract):
    user, product, version, extra, field, words = _refusal(request, name)
    client.force_login(user)
    data = {
        "vendor": "infotecs",
        "priority": "normal",
        "kind": "incident",
        "subject": "VPN drops",
        "body": "Every night at 02:00",
        "action": "open",
        **extra,
    }
    if product:
        data["product"] = product.pk
    if version:
        data["major_version"] = version.pk
    response = client.post(reverse("tickets:open"), data)
    assert response.status_code == HTTPStatus.OK
    assert words in " ".join(response.context["form"].errors[field])
    assert "Every night at 02:00" in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("name", REFUSALS)
def test_each_refusal_through_the_api(request, client, name, basic_contract):
    user, product, version, extra, field, words = _refusal(request, name)
    _, key = api_token_create(user=user)
    payload = {"vendor": "infotecs", "priority": "normal", "subject": "VPN drops", "body": "x", **extra}
    payload.update(product=product.pk if product else None, major_version=version.pk if version else None)
    response = client.post(
        "/api/tickets/", payload, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert words in " ".join(response.json()[field])
    assert not Ticket.objects.exists()


def test_onsite_visit_from_a_vendor_that_offers_none_is_refused_on_the_box(client, customer):
    client.force_login(customer)
    data = {"vendor": "alectrona", "priority": "high", "kind": "incident", "subject": "Down", "body": "x"}
    response = client.post(reverse("tickets:open"), {**data, "action": "open", "onsite": "on"})
    assert "does not include on-site visits" in " ".join(response.context["form"].errors["onsite"])
    _, key = api_token_create(user=customer)
    response = client.post(
        "/api/tickets/",
        {**data, "onsite": True, "remote_failed": True},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Alectrona's support does not include on-site visits" in response.json()["onsite"][0]
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------------------- no surprise charges
# SPEC §4: before a billable case is opened the customer is told so and why, and confirms it; the
# preview is the opening's own computation (contract targets, product, version, on-site), unsaved.


CONFIRM = "Confirm that you accept the charge to open it."


def _preview(customer, infotecs, **kwargs):
    arguments = {"priority": "normal", "at": NOW, **kwargs}
    return ticket_preview(
        organization=customer.membership.organization, requester=customer, vendor=infotecs, **arguments
    )


def test_a_billable_case_is_not_opened_without_confirmation(customer, infotecs, basic_contract, versions):
    with pytest.raises(ValidationError) as error:
        _open(customer, infotecs, product=basic_contract.product, major_version=versions[3])
    reason = entitlements.EXTENDED_BILLABLE.format(
        version=versions[3], eoms_next=versions[3].eoms + timedelta(1)
    )
    assert error.value.message_dict["confirm_billable"] == [f"This case will be charged: {reason} {CONFIRM}"]
    assert not Ticket.objects.exists()


def test_the_preview_gives_the_contracts_targets_and_the_case_gets_the_same(
    customer, infotecs, basic_contract, versions
):
    for kind, hours in ((TargetKind.FIRST_RESPONSE, 2), (TargetKind.RESOLUTION, 24)):
        ContractTarget.objects.create(
            contract=basic_contract,
            priority_code="critical",
            kind=kind,
            duration=hours,
            unit=DurationUnit.HOURS,
        )
    arguments = {"priority": "critical", "product": basic_contract.product, "major_version": versions[4]}
    preview = _preview(customer, infotecs, **arguments)
    expected = [("first_response", NOW + timedelta(hours=2)), ("resolution", NOW + timedelta(hours=24))]
    assert [(t.kind, t.due_at) for t in preview.targets] == expected
    assert (preview.billable, preview.billable_reason) == (False, "")
    assert not Ticket.objects.exists() and not SlaTarget.objects.exists()
    ticket = _open(customer, infotecs, **arguments)
    assert [(t.kind, t.due_at) for t in ticket.sla_targets.order_by("kind")] == expected


def test_the_preview_says_an_extended_support_case_will_be_charged_and_why(
    customer, infotecs, basic_contract, versions
):
    preview = _preview(customer, infotecs, product=basic_contract.product, major_version=versions[3])
    assert preview.billable
    assert preview.billable_reason.startswith(
        "ViPNet Coordinator 3 is in Extended Support since 16 January 2026"
    )


def test_the_preview_says_a_premium_emergency_onsite_call_will_be_charged(
    customer, infotecs, premium_contract, versions
):
    premium_option_set(contract=premium_contract, kind=PremiumOptionKind.EMERGENCY_ONSITE, price=1500)
    arguments = {"product": premium_contract.product, "major_version": versions[4]}
    assert not _preview(customer, infotecs, **arguments).billable
    onsite = _preview(customer, infotecs, onsite=True, **arguments)
    assert (onsite.billable, onsite.billable_reason) == (True, entitlements.EMERGENCY_BILLABLE)


def test_the_preview_refuses_what_opening_would_refuse(customer, infotecs, basic_contract, versions):
    with pytest.raises(ValidationError) as error:
        _preview(customer, infotecs, product=basic_contract.product, major_version=versions[2])
    assert "end of its life" in " ".join(error.value.message_dict["product"])
