"""Every entitlement refusal and billable mark, through `entitlement_check` (SPEC §3–4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from lifecycle import entitlements as e
from lifecycle.models import ContractTarget, Deployment, Plan, PremiumOptionKind, Product
from lifecycle.services import contract_create, contract_targets_for, entitlement_check, premium_option_set
from policies.models import DurationUnit, ResponseTarget, SupportCalendar, TargetKind
from policies.services import SourceCode, target_calendar, target_duration

from .conftest import NOW, resolve_tickets


def check(organization, vendor, product, version, priority="normal", **kwargs):
    return entitlement_check(
        organization=organization,
        vendor=vendor,
        product=product,
        major_version=version,
        priority_code=priority,
        at=kwargs.pop("at", NOW),
        **kwargs,
    )


def test_mainstream_version_under_contract_is_allowed_free(
    organization, infotecs, coordinator, versions, basic_contract
):
    result = check(organization, infotecs, coordinator, versions[4])
    assert (result.allowed, result.billable, result.reasons, result.contract) == (
        True,
        False,
        [],
        basic_contract,
    )


def test_no_contract_is_refused(other_organization, infotecs, coordinator, versions, basic_contract):
    result = check(other_organization, infotecs, coordinator, versions[4])
    assert not result.allowed
    assert result.reasons == [e.NO_CONTRACT.format(product="ViPNet Coordinator")]


def test_infotecs_needs_a_product(organization, infotecs, basic_contract):
    result = check(organization, infotecs, None, None)
    assert not result.allowed and result.reasons == [e.NAME_THE_PRODUCT.format(vendor="Infotecs")]


def test_ended_contract_is_refused_with_its_end_date(
    organization, infotecs, coordinator, versions, basic_contract
):
    result = check(organization, infotecs, coordinator, versions[4], at=datetime(2028, 1, 1, tzinfo=UTC))
    assert not result.allowed
    assert result.reasons == [
        "Your support contract for ViPNet Coordinator ended on 31 December 2027; renew it to open new cases."
    ]


def test_contract_not_started_is_refused(organization, infotecs, coordinator, versions, basic_contract):
    result = check(
        organization, infotecs, coordinator, versions[4], at=datetime(2024, 12, 31, 23, 59, tzinfo=UTC)
    )
    assert not result.allowed and result.reasons[0].startswith(
        "Your support contract for ViPNet Coordinator starts on"
    )


def test_contract_covers_its_last_day(organization, infotecs, coordinator, versions, basic_contract):
    # The term's end date is its last covered day (v4 stays in mainstream support until 2029).
    assert check(
        organization, infotecs, coordinator, versions[4], at=datetime(2027, 12, 31, 23, 59, tzinfo=UTC)
    ).allowed


def test_version_must_be_named(organization, infotecs, coordinator, basic_contract):
    result = check(organization, infotecs, coordinator, None)
    assert not result.allowed and result.reasons == [e.NAME_THE_VERSION.format(product="ViPNet Coordinator")]


def test_version_of_another_product_is_refused(organization, infotecs, coordinator, basic_contract):
    client = Product.objects.create(vendor=infotecs, name="ViPNet Client")
    from lifecycle.services import major_version_create

    other = major_version_create(product=client, number=4, ga=date(2024, 1, 1))
    result = check(organization, infotecs, coordinator, other)
    assert not result.allowed and "is not a version of ViPNet Coordinator" in result.reasons[0]


def test_contract_for_one_version_does_not_cover_another(organization, infotecs, coordinator, versions):
    contract_create(
        organization=organization,
        product=coordinator,
        major_version=versions[3],
        plan=Plan.BASIC,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("1"),
    )
    result = check(organization, infotecs, coordinator, versions[4])
    assert not result.allowed
    assert result.reasons == [
        e.VERSION_NOT_COVERED.format(product="ViPNet Coordinator", covered="3", version="4")
    ]


def test_end_of_life_version_is_refused(organization, infotecs, coordinator, versions, basic_contract):
    result = check(organization, infotecs, coordinator, versions[2], priority="critical")
    assert not result.allowed
    assert result.reasons == [
        "ViPNet Coordinator 2 reached the end of its life on 01 June 2023: it is no longer supported. "
        "Upgrade to a supported version to get help."
    ]


def test_pre_release_version_is_refused_without_early_access(
    organization, infotecs, coordinator, versions, basic_contract
):
    result = check(organization, infotecs, coordinator, versions[5])
    assert not result.allowed and "not released yet (general availability 01 March 2027)" in result.reasons[0]


def test_pre_release_version_is_allowed_with_early_access(
    organization, infotecs, coordinator, versions, premium_contract
):
    premium_option_set(contract=premium_contract, kind=PremiumOptionKind.EARLY_ACCESS, price=Decimal("0"))
    result = check(organization, infotecs, coordinator, versions[5])
    assert (result.allowed, result.billable, result.premium_contract) == (True, False, premium_contract)


def test_extended_version_normal_case_is_billable(
    organization, infotecs, coordinator, versions, basic_contract
):
    result = check(organization, infotecs, coordinator, versions[3], priority="normal")
    assert (result.allowed, result.billable) == (True, True)
    assert result.reasons == [e.EXTENDED_BILLABLE.format(version=versions[3], eoms_next=date(2026, 1, 16))]


def test_extended_version_critical_case_is_covered(
    organization, infotecs, coordinator, versions, basic_contract
):
    result = check(organization, infotecs, coordinator, versions[3], priority="critical")
    assert (result.allowed, result.billable) == (True, False)


def test_cases_beyond_the_quota_are_billable(
    organization, infotecs, coordinator, versions, basic_contract, customer
):
    # Contract year 2 runs 2026-01-01 → 2026-12-31; year 1 used all 40, so nothing carries over.
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=40,
        resolved_at=datetime(2025, 5, 1, tzinfo=UTC),
    )
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=40,
        resolved_at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    result = check(organization, infotecs, coordinator, versions[4])
    assert (result.allowed, result.billable) == (True, True)
    assert result.reasons == [
        "Your Basic plan's 40 resolved cases for this contract year (01 January 2026 to 31 December 2026) "
        "are used up, so this case will be charged."
    ]
    assert result.quota.used == 40


def test_thirty_nine_resolved_leaves_one_free_case(
    organization, infotecs, coordinator, versions, basic_contract, customer
):
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=40,
        resolved_at=datetime(2025, 5, 1, tzinfo=UTC),
    )
    resolve_tickets(
        organization=organization,
        vendor=infotecs,
        requester=customer,
        count=39,
        resolved_at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    result = check(organization, infotecs, coordinator, versions[4])
    assert (result.billable, result.quota.remaining) == (False, 1)


def test_basic_onsite_visit_for_a_normal_case_is_refused(
    organization, infotecs, coordinator, versions, basic_contract
):
    result = check(organization, infotecs, coordinator, versions[4], onsite=True, remote_failed=True)
    assert not result.allowed and result.reasons == [e.ONSITE_BASIC_REFUSED]


def test_basic_onsite_visit_needs_remote_help_to_have_failed(
    organization, infotecs, coordinator, versions, basic_contract
):
    result = check(organization, infotecs, coordinator, versions[4], priority="critical", onsite=True)
    assert not result.allowed and result.reasons == [e.ONSITE_BASIC_REFUSED]


def test_basic_onsite_visit_for_a_critical_case_is_charged(
    organization, infotecs, coordinator, versions, basic_contract
):
    result = check(
        organization, infotecs, coordinator, versions[4], priority="critical", onsite=True, remote_failed=True
    )
    assert (result.allowed, result.billable, result.reasons) == (True, True, [e.ONSITE_BILLABLE])


def test_premium_emergency_onsite_covers_any_case_at_a_charge(
    organization, infotecs, coordinator, versions, premium_contract
):
    premium_option_set(
        contract=premium_contract, kind=PremiumOptionKind.EMERGENCY_ONSITE, price=Decimal("1500")
    )
    result = check(organization, infotecs, coordinator, versions[4], priority="normal", onsite=True)
    assert (result.allowed, result.billable, result.reasons) == (True, True, [e.EMERGENCY_BILLABLE])


def test_onsite_visit_without_an_infotecs_plan_is_refused(organization, vendors):
    # SecPod's policy and its Standard contracts say nothing of visits: a critical case cannot buy one.
    contract_create(
        organization=organization,
        product=Product.objects.create(vendor=vendors["secpod"], name="SanerNow"),
        plan=Plan.STANDARD,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        deployment=Deployment.HOSTED,
        license_price=Decimal("1"),
    )
    for vendor in (vendors["secpod"], vendors["alectrona"]):  # with a Standard contract / with none
        result = check(organization, vendor, None, None, priority="critical", onsite=True, remote_failed=True)
        assert not result.allowed and result.reasons == [e.NO_ONSITE.format(vendor=vendor.name)]


def test_vendor_without_license_rule_and_no_contracts_is_served_by_its_policy(organization, vendors):
    result = check(organization, vendors["alectrona"], None, None, priority="high")
    assert (result.allowed, result.billable, result.contract) == (True, False, None)


def test_vendor_contract_that_ended_refuses_new_cases(organization, vendors):
    product = Product.objects.create(vendor=vendors["secpod"], name="SanerNow")
    contract_create(
        organization=organization,
        product=product,
        plan=Plan.STANDARD,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        deployment=Deployment.HOSTED,
        license_price=Decimal("1"),
    )
    result = check(organization, vendors["secpod"], None, None, priority="high")
    assert not result.allowed and "ended on 31 December 2025" in result.reasons[0]


def test_contract_targets_replace_the_vendors(organization, infotecs, coordinator, versions, basic_contract):
    ContractTarget.objects.create(
        contract=basic_contract,
        priority_code="critical",
        kind=TargetKind.FIRST_RESPONSE,
        duration=Decimal("4"),
    )
    ContractTarget.objects.create(
        contract=basic_contract,
        priority_code="normal",
        kind=TargetKind.FIRST_RESPONSE,
        duration=Decimal("2"),
        unit=DurationUnit.BUSINESS_DAYS,
    )
    critical = check(organization, infotecs, coordinator, versions[4], priority="critical")
    assert [(t.kind, t.duration, t.calendar) for t in critical.targets] == [
        ("first_response", timedelta(hours=4), None)
    ]
    normal = contract_targets_for(contract=basic_contract, priority_code="normal")
    assert [(t.kind, t.duration) for t in normal] == [("first_response", timedelta(hours=48))]


def test_business_days_on_a_calendar_use_its_day_length(organization, infotecs, coordinator, basic_contract):
    calendar = SupportCalendar.objects.get(slug="business-hours")  # Alectrona: 8.5 h a day
    ContractTarget.objects.create(
        contract=basic_contract,
        priority_code="normal",
        kind=TargetKind.RESOLUTION,
        duration=Decimal("2"),
        unit=DurationUnit.BUSINESS_DAYS,
        calendar=calendar,
    )
    [target] = contract_targets_for(contract=basic_contract, priority_code="normal")
    assert (target.duration, target.calendar) == (timedelta(hours=17), calendar)
    assert (target.source_code, target.source_params) == (
        SourceCode.CONTRACT,
        {"reference": "B-1", "plan": "basic", "priority": "normal"},
    )


@pytest.mark.parametrize(
    ("duration", "unit", "calendar_slug", "expected"),
    [
        ("0.1", DurationUnit.HOURS, None, timedelta(minutes=6)),
        ("0.01", DurationUnit.HOURS, None, timedelta(seconds=36)),
        ("1.5", DurationUnit.BUSINESS_DAYS, "business-hours", timedelta(hours=12, minutes=45)),  # 8.5 h days
        # 0.01 × 8.33 h = 299.88 s: whole seconds (the contract path once truncated) would say 299 s.
        ("0.01", DurationUnit.BUSINESS_DAYS, "short-day", timedelta(seconds=299, milliseconds=880)),
        ("2", DurationUnit.BUSINESS_DAYS, None, timedelta(hours=48)),  # 24×7: a day is 24 h
    ],
)
def test_policy_and_contract_targets_convert_the_same_promise_equally(
    basic_contract, duration, unit, calendar_slug, expected
):
    alectrona = SupportCalendar.objects.get(slug="business-hours")
    SupportCalendar.objects.create(
        version=alectrona.version,
        slug="short-day",
        name="Short days",
        timezone="UTC",
        business_day_hours="8.33",
    )
    calendar = SupportCalendar.objects.get(slug=calendar_slug) if calendar_slug else None
    promise = {
        "kind": TargetKind.FIRST_RESPONSE,
        "duration": Decimal(duration),
        "unit": unit,
        "calendar": calendar,
    }
    ContractTarget.objects.create(contract=basic_contract, priority_code="normal", **promise)
    policy_target = ResponseTarget(**promise)

    [contract_target] = contract_targets_for(contract=basic_contract, priority_code="normal")
    policy_duration = target_duration(policy_target, target_calendar(policy_target))
    assert (policy_duration, contract_target.duration) == (expected, expected)


def test_premium_targets_win_over_basic(
    organization, infotecs, coordinator, versions, premium_contract, basic_contract
):
    ContractTarget.objects.create(
        contract=basic_contract,
        priority_code="critical",
        kind=TargetKind.FIRST_RESPONSE,
        duration=Decimal("4"),
    )
    ContractTarget.objects.create(
        contract=premium_contract,
        priority_code="critical",
        kind=TargetKind.FIRST_RESPONSE,
        duration=Decimal("1"),
    )
    result = check(organization, infotecs, coordinator, versions[4], priority="critical")
    assert [t.duration for t in result.targets] == [timedelta(hours=1)]
    assert result.contract == basic_contract


def test_contract_naming_the_version_wins_over_any_version(
    organization, infotecs, coordinator, versions, basic_contract
):
    specific = contract_create(
        organization=organization,
        product=coordinator,
        major_version=versions[3],
        plan=Plan.BASIC,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("1"),
    )
    assert check(organization, infotecs, coordinator, versions[3], priority="critical").contract == specific
    assert check(organization, infotecs, coordinator, versions[4]).contract == basic_contract


# SPEC §4: billing rules belong to the vendor whose policy states them. SecPod's support is
# "provided without additional charge": its cases are never billable by Infotecs' rules.


def _saner_now(secpod, *, plan=None, organization=None):
    """A SecPod product whose version 3 is in the extended phase on NOW (the dates of Coordinator 3),
    and, with `plan`, a contract for it."""
    from lifecycle.services import major_version_create

    product = Product.objects.create(vendor=secpod, name="SanerNow")
    old = major_version_create(product=product, number=3, ga=date(2020, 6, 1), eos=date(2025, 1, 15))
    if plan is not None:
        contract_create(
            organization=organization,
            product=product,
            plan=plan,
            start=date(2025, 1, 1),
            end=date(2027, 12, 31),
            deployment=Deployment.ON_PREMISE,
            license_price=Decimal("1"),
        )
    return product, old


def test_secpod_case_on_an_extended_phase_version_is_not_charged(organization, vendors):
    product, old = _saner_now(vendors["secpod"], plan=Plan.STANDARD, organization=organization)
    assert old.phase_at(NOW.date()) == e.Phase.EXTENDED
    result = check(organization, vendors["secpod"], product, old, priority="normal")
    assert (result.allowed, result.billable, result.reasons) == (True, False, [])


def test_secpod_case_without_a_contract_on_an_extended_phase_version_is_not_charged(organization, vendors):
    product, old = _saner_now(vendors["secpod"])
    result = check(organization, vendors["secpod"], product, old, priority="low")
    assert (result.allowed, result.billable, result.reasons) == (True, False, [])


def test_secpod_contract_recorded_on_the_basic_plan_gets_no_infotecs_charges(organization, vendors, customer):
    # Basic is the contract form's default: a SecPod contract left on it is still SecPod's terms.
    secpod = vendors["secpod"]
    product, old = _saner_now(secpod, plan=Plan.BASIC, organization=organization)
    resolve_tickets(
        organization=organization,
        vendor=secpod,
        requester=customer,
        count=40,
        resolved_at=datetime(2026, 5, 1, tzinfo=UTC),
        product=product,
    )
    result = check(organization, secpod, product, old, priority="normal")
    assert (result.allowed, result.billable, result.reasons) == (True, False, [])
    visit = check(organization, secpod, product, old, priority="critical", onsite=True, remote_failed=True)
    assert not visit.allowed and visit.reasons == [e.NO_ONSITE.format(vendor="SecPod")]
