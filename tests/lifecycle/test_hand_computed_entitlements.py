"""Entitlement decisions worked out by hand from the Infotecs policy (seed 003) and SPEC §3–4, one
tricky case each: the expected answer in every test was computed from the quoted clause, not read
off the code.

The product line (tests/lifecycle/conftest.py), ViPNet Coordinator, worked out once here by SPEC §3
("EOMS = the latest of: EOS + 1 year; GA of the next major version + 2 years; GA + 4 years";
"EOL = EOMS + 1 year"):

- 2: GA 2017-01-10, EOS 2019-01-10, next GA 2020-06-01 → EOMS = max(2020-01-10, 2022-06-01,
  2021-01-10) = 2022-06-01, EOL 2023-06-01;
- 3: GA 2020-06-01, EOS 2025-01-15, next GA 2023-09-01 → EOMS = max(2026-01-15, 2025-09-01,
  2024-06-01) = 2026-01-15, EOL 2027-01-15;
- 4: GA 2023-09-01, no EOS, next GA 2027-03-01 → EOMS = max(2029-03-01, 2027-09-01) = 2029-03-01
  (provisional: still on sale), EOL 2030-03-01;
- 5: GA 2027-03-01 (announced 2026-09-01): pre-release before that day.

A milestone date is the last day of the period it ends (README, "Lifecycle, plans and
entitlements": mainstream while GA ≤ d ≤ EOMS, extended while EOMS < d ≤ EOL). The SPEC fixes no
zone for "the day": lifecycle.entitlements decides UTC calendar days, as the contract terms, the
quota years and the statements' months do, and the first test holds that.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from lifecycle import entitlements as e
from lifecycle.dates import Phase
from lifecycle.models import ContractTarget, Deployment, Plan, PremiumOptionKind, TermsPhase
from lifecycle.selectors import contract_quota
from lifecycle.services import contract_create, entitlement_check, premium_option_set
from policies.models import TargetKind
from policies.services import SourceCode
from tickets.services import ticket_open, ticket_resolve
from tickets.services.billing import case_quote

from .conftest import NOW, resolve_tickets

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
CHICAGO = ZoneInfo("America/Chicago")


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


def verdict(result):
    return (result.allowed, result.billable, result.reasons)


def test_last_day_of_mainstream_and_first_day_of_extended_and_the_terms_of_each(
    organization, infotecs, coordinator, versions, basic_contract
):
    """Seed 003: "EOMS is 1 year after EOS of this product version" and "During the Extended
    Support period, Infotecs shall release software updates, where vulnerabilities are eliminated
    and critical bugs are fixed. Other bugs can be fixed only under additional agreements and are
    subject to payment regardless of the chosen Support Plan."

    Version 3: EOS 2025-01-15 → EOMS 2026-01-15, its last day of mainstream support; 2026-01-16 is
    the first day of Extended Support. A normal case on 15 January (to its last UTC second) is free;
    at 00:00 UTC on 16 January it is billable and needs an agreement, the reason naming 16 January.

    Zones: 21:30 UTC on the 15th is already 00:30 on the 16th in Moscow (Infotecs' own calendar's
    zone), yet still the 15th in UTC, so still mainstream; 20:00 on the 15th in Chicago (the
    customer's zone) is 02:00 UTC on the 16th, so extended. The day is the UTC day either way.

    Seed 003: "the Agreement shall be drawn up on Extended Support terms or shall cover several
    periods, within which support will be provided under different terms": a contract target for
    extended support only takes over on the 16th; the every-phase one holds to the 15th."""
    ContractTarget.objects.create(
        contract=basic_contract, priority_code="normal", kind=TargetKind.FIRST_RESPONSE, duration=Decimal("4")
    )
    ContractTarget.objects.create(
        contract=basic_contract,
        priority_code="normal",
        kind=TargetKind.FIRST_RESPONSE,
        duration=Decimal("8"),
        phase=TermsPhase.EXTENDED,
    )
    v3 = versions[3]
    assert (v3.eoms, v3.eol) == (date(2026, 1, 15), date(2027, 1, 15))
    charged = e.EXTENDED_BILLABLE.format(version=v3, eoms_next=date(2026, 1, 16))
    assert "since 16 January 2026" in charged

    last_second = check(
        organization, infotecs, coordinator, v3, at=datetime(2026, 1, 15, 23, 59, 59, tzinfo=UTC)
    )
    assert (verdict(last_second), last_second.phase) == ((True, False, []), Phase.MAINSTREAM)
    assert [t.duration for t in last_second.targets] == [timedelta(hours=4)]

    first_second = check(organization, infotecs, coordinator, v3, at=datetime(2026, 1, 16, tzinfo=UTC))
    assert (verdict(first_second), first_second.phase) == ((True, True, [charged]), Phase.EXTENDED)
    assert first_second.agreement_required
    assert [t.duration for t in first_second.targets] == [timedelta(hours=8)]

    moscow_past_midnight = datetime(2026, 1, 16, 0, 30, tzinfo=MOSCOW)
    assert moscow_past_midnight.astimezone(UTC) == datetime(2026, 1, 15, 21, 30, tzinfo=UTC)
    assert check(organization, infotecs, coordinator, v3, at=moscow_past_midnight).phase == Phase.MAINSTREAM
    chicago_evening = datetime(2026, 1, 15, 20, 0, tzinfo=CHICAGO)
    assert chicago_evening.astimezone(UTC) == datetime(2026, 1, 16, 2, 0, tzinfo=UTC)
    in_chicago = check(organization, infotecs, coordinator, v3, at=chicago_evening)
    assert (verdict(in_chicago), in_chicago.phase) == ((True, True, [charged]), Phase.EXTENDED)


def test_the_last_day_of_extended_support_and_the_day_after_end_of_life(
    organization, infotecs, coordinator, versions, basic_contract
):
    """Seed 003: "Extended Support is provided for 1 year; end of Extended Support means EOL of
    the current product version. After the product EOL, Infotecs is not liable for the product use
    and its maintenance." SPEC §3: "No cases on an end-of-life version."

    Version 3: EOL = EOMS 2026-01-15 + 1 year = 2027-01-15, the last day of any support. That day a
    critical case is free and a normal one billable (extended); from 16 January 2027 every case is
    refused, a critical one and a vulnerability included: nothing is covered after EOL."""
    v3 = versions[3]
    last_day = datetime(2027, 1, 15, 23, 59, 59, tzinfo=UTC)
    assert verdict(check(organization, infotecs, coordinator, v3, "critical", at=last_day)) == (
        True,
        False,
        [],
    )
    assert check(organization, infotecs, coordinator, v3, at=last_day).billable

    gone = (
        "ViPNet Coordinator 3 reached the end of its life on 15 January 2027: it is no longer supported. "
        "Upgrade to a supported version to get help."
    )
    after = datetime(2027, 1, 16, tzinfo=UTC)
    for priority, vulnerability in (("critical", False), ("normal", True)):
        result = check(
            organization, infotecs, coordinator, v3, priority, at=after, vulnerability=vulnerability
        )
        assert (verdict(result), result.phase, result.refused_field) == (
            (False, False, [gone]),
            Phase.END_OF_LIFE,
            "product",
        )
    # Version 2 has been past its end of life (2023-06-01) for years.
    assert not check(organization, infotecs, coordinator, versions[2], "critical").allowed


def test_a_pilot_version_before_ga_needs_premium_early_access(
    organization, infotecs, coordinator, versions, basic_contract, premium_contract
):
    """Seed 003: Infotecs shall "provide customers (on their request) with a pilot version for
    trial before the start of sales"; Premium adds "Access to new product versions before they are
    released (General Availability)". SPEC §3: the phase before GA is pre-release; SPEC §4 lists
    early access among the Premium options.

    Version 5: GA 2027-03-01 ("General Availability (GA) – start of the new product version
    sales", so GA is the first day of support). On 28 February 2027 a case about it is refused while
    the Premium contract has no early-access option, and accepted free once it has; on 1 March 2027
    the version is released and the Basic contract alone covers it."""
    v5 = versions[5]
    eve = datetime(2027, 2, 28, 23, 59, 59, tzinfo=UTC)
    refused = check(organization, infotecs, coordinator, v5, at=eve)
    assert (refused.allowed, refused.phase) == (False, Phase.PRE_RELEASE)
    assert refused.reasons == [
        "ViPNet Coordinator 5 is not released yet (general availability 01 March 2027). Cases about "
        "pre-release versions are accepted only with the Premium early-access option."
    ]
    premium_option_set(contract=premium_contract, kind=PremiumOptionKind.EARLY_ACCESS, price=Decimal("0"))
    early = check(organization, infotecs, coordinator, v5, at=eve)
    assert (verdict(early), early.phase, early.contract, early.premium_contract) == (
        (True, False, []),
        Phase.PRE_RELEASE,
        basic_contract,
        premium_contract,
    )
    premium_contract.premium_options.all().delete()
    ga_day = check(organization, infotecs, coordinator, v5, at=datetime(2027, 3, 1, tzinfo=UTC))
    assert (verdict(ga_day), ga_day.phase) == ((True, False, []), Phase.MAINSTREAM)


def test_basic_on_site_only_for_a_critical_case_remote_help_could_not_solve(
    organization, infotecs, coordinator, versions, basic_contract
):
    """Seed 003: "Technical support specialists may arrive at the site of the Basic Support Plan
    customer, only if the customer has a critical issue that cannot be resolved on the phone or
    remotely." and "If technical support specialists need to arrive at the customer's site, the
    customer shall pay for the specialists' work (hourly) and reimburse all transport and
    accommodation expenses."

    Both conditions are needed: critical and remote diagnosis failed → allowed and charged for
    hours and travel; critical without a failed remote diagnosis, or normal with one → refused, on
    the on-site field. On version 3 (extended) the critical case itself stays free: its only charge
    is the visit."""
    v4 = versions[4]
    visit = check(organization, infotecs, coordinator, v4, "critical", onsite=True, remote_failed=True)
    assert verdict(visit) == (True, True, [e.ONSITE_BILLABLE])
    assert "hours plus travel and accommodation" in e.ONSITE_BILLABLE
    for priority, remote_failed in (("critical", False), ("normal", True)):
        refused = check(
            organization, infotecs, coordinator, v4, priority, onsite=True, remote_failed=remote_failed
        )
        assert (verdict(refused), refused.refused_field) == (
            (False, False, [e.ONSITE_BASIC_REFUSED]),
            "onsite",
        )
    extended = check(
        organization, infotecs, coordinator, versions[3], "critical", onsite=True, remote_failed=True
    )
    assert (verdict(extended), extended.agreement_required) == ((True, True, [e.ONSITE_BILLABLE]), False)


def test_a_premium_emergency_call_for_a_minor_problem_is_charged_per_call_with_an_immediate_reaction(
    organization, infotecs, coordinator, versions, basic_contract, premium_contract
):
    """Seed 003, Premium: "Emergency support – immediate reaction to critical issues (each
    emergency call is subject to extra charge)" and "The Premium Support Plan customer may request
    for the Emergency Support service to resolve not only critical issues, but also minor
    problems"; SPEC §4: each option "priced in the contract".

    Without the option the call is refused (open the case at its priority). With it at 1,500 EUR,
    a normal case flagged as an emergency is allowed and charged 1500.00 EUR; its first response is
    the "immediate reaction": the catalog's 30 minutes on the 24×7 clock (the policy gives no
    figure), replacing the contract's agreed 4 h; a contract's own 15 minutes win over the catalog."""
    ContractTarget.objects.create(
        contract=basic_contract, priority_code="normal", kind=TargetKind.FIRST_RESPONSE, duration=Decimal("4")
    )
    v4 = versions[4]
    refused = check(organization, infotecs, coordinator, v4, emergency=True)
    assert (verdict(refused), refused.refused_field) == ((False, False, [e.NO_EMERGENCY]), "emergency")

    premium_option_set(
        contract=premium_contract, kind=PremiumOptionKind.EMERGENCY_ONSITE, price=Decimal("1500")
    )
    call = check(organization, infotecs, coordinator, v4, emergency=True)
    assert verdict(call) == (
        True,
        True,
        ["This is an emergency call, charged 1500.00 EUR per call as agreed in your contract."],
    )
    assert call.emergency_call_price == Decimal("1500.00")
    assert [(t.kind, t.duration, t.calendar, t.source_code) for t in call.targets] == [
        (TargetKind.FIRST_RESPONSE, timedelta(minutes=30), None, SourceCode.EMERGENCY_POLICY)
    ]
    premium_contract.emergency_reaction_minutes = 15
    premium_contract.save()
    agreed = check(organization, infotecs, coordinator, v4, emergency=True)
    assert [(t.duration, t.source_code) for t in agreed.targets] == [
        (timedelta(minutes=15), SourceCode.EMERGENCY_CONTRACT)
    ]


def test_a_vulnerability_on_an_extended_support_version_is_fixed_free(
    organization, infotecs, coordinator, versions, basic_contract, vendors
):
    """Seed 003: in Extended Support "vulnerabilities are eliminated and critical bugs are fixed.
    Other bugs can be fixed only under additional agreements and are subject to payment";
    SPEC §3: "In Extended Support only vulnerabilities and critical bugs are covered; other cases on
    an extended-phase version are allowed but marked billable."

    On NOW (2026-11-24) version 3 is extended (EOMS 2026-01-15 < day ≤ EOL 2027-01-15): a normal-
    priority case reported as a vulnerability is free and needs no agreement; the same case not
    reported as one is charged and needs the quote accepted first. SecPod's policy sets no such
    class apart, so the flag is refused there rather than silently ignored."""
    v3 = versions[3]
    vulnerability = check(organization, infotecs, coordinator, v3, vulnerability=True)
    assert (verdict(vulnerability), vulnerability.phase, vulnerability.agreement_required) == (
        (True, False, []),
        Phase.EXTENDED,
        False,
    )
    bug = check(organization, infotecs, coordinator, v3)
    assert (bug.billable, bug.agreement_required) == (True, True)
    secpod = check(organization, vendors["secpod"], None, None, "high", vulnerability=True)
    assert (secpod.allowed, secpod.refused_field) == (False, "vulnerability")


def test_the_quota_used_up_exactly_at_its_limit_with_a_carry_over(
    organization, infotecs, coordinator, versions, basic_contract, customer
):
    """SPEC §4: "Basic includes up to 40 resolved tickets per contract year. Unused allowance
    carries over to the next year only (carry-over = 40 − resolved that year, never compounding)
    ... Beyond the allowance a case is still accepted but marked billable."

    Contract B-1 starts 2025-01-01: year 1 is 2025, year 2 is 2026, year 3 is 2027. Year 1 resolved
    30 → 10 carry over → year 2 allows 50. With 49 resolved in 2026 one free case is left; the
    50th resolved uses the allowance up exactly, so the next case is billable (a critical one too:
    the quota counts cases, not priorities), through the last second of 31 December 2026. On
    1 January 2027 year 3 starts: carry-over = max(0, 40 − 50) = 0, allowance 40, none used: free."""
    v4 = versions[4]
    resolve_tickets(
        organization=organization, vendor=infotecs, count=30, resolved_at=datetime(2025, 5, 1, tzinfo=UTC)
    )
    resolve_tickets(
        organization=organization, vendor=infotecs, count=49, resolved_at=datetime(2026, 5, 1, tzinfo=UTC)
    )
    one_left = check(organization, infotecs, coordinator, v4)
    assert (verdict(one_left), one_left.quota.allowance, one_left.quota.remaining) == (
        (True, False, []),
        50,
        1,
    )

    resolve_tickets(
        organization=organization, vendor=infotecs, count=1, resolved_at=datetime(2026, 6, 1, tzinfo=UTC)
    )
    used_up = [
        "Your Basic plan's 50 resolved cases for this contract year (01 January 2026 to 31 December 2026) "
        "are used up, so this case will be charged."
    ]
    for priority in ("normal", "critical"):
        result = check(organization, infotecs, coordinator, v4, priority)
        assert (verdict(result), result.quota.used, result.quota.remaining) == ((True, True, used_up), 50, 0)
    assert check(
        organization, infotecs, coordinator, v4, at=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    ).billable

    year_3 = check(organization, infotecs, coordinator, v4, at=datetime(2027, 1, 1, tzinfo=UTC))
    assert verdict(year_3) == (True, False, [])
    assert (year_3.quota.year, year_3.quota.carried_over, year_3.quota.allowance) == (3, 0, 40)


def test_a_contract_covers_its_first_and_last_day_and_not_a_second_beyond(
    organization, infotecs, coordinator, versions, basic_contract
):
    """SPEC §4: a contract has a "start and end"; the model: "The term runs from `start` to `end`,
    both days included" (end: "Last day covered").

    B-1 runs 2025-01-01 → 2027-12-31. The case is allowed at 00:00:00 UTC on its first day and at
    23:59:59 UTC on its last; refused one second before the start ("starts on 01 January 2025") and
    at 00:00 UTC the day after the end ("ended on 31 December 2027"). Its first day is quota year 1."""
    v4 = versions[4]
    first = check(organization, infotecs, coordinator, v4, at=datetime(2025, 1, 1, tzinfo=UTC))
    assert (verdict(first), first.contract, first.quota.year) == ((True, False, []), basic_contract, 1)
    assert check(
        organization, infotecs, coordinator, v4, at=datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC)
    ).allowed
    before = check(organization, infotecs, coordinator, v4, at=datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert verdict(before) == (
        False,
        False,
        ["Your support contract for ViPNet Coordinator starts on 01 January 2025."],
    )
    after = check(organization, infotecs, coordinator, v4, at=datetime(2028, 1, 1, tzinfo=UTC))
    assert verdict(after) == (
        False,
        False,
        [
            "Your support contract for ViPNet Coordinator ended on 31 December 2027; "
            "renew it to open new cases."
        ],
    )


def _basic(organization, product, start, end, version=None, reference="", currency="EUR"):
    return contract_create(
        currency=currency,
        organization=organization,
        product=product,
        major_version=version,
        plan=Plan.BASIC,
        start=start,
        end=end,
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("1000"),
        reference=reference,
    )


def test_of_two_contracts_for_the_product_the_active_one_covering_the_version_wins(
    organization, infotecs, coordinator, versions
):
    """SPEC §4: "Opening a case checks the entitlement: an active contract for that product, a
    supported version"; lifecycle.entitlements: "Among the active contracts, one naming the case's
    version wins over "any current version"."

    Organization holds an any-version contract that ended (2023-01-01 → 2024-12-31) and a
    version-3-only contract in force (2026-01-01 → 2026-12-31). On NOW the ended one does not count:
    a version-4 case is refused because the contract in force covers 3 only; a version-3 case is
    opened under V3-1 (and, 3 being extended, a normal one is charged). Once an any-version contract
    is also in force, version 4 goes under it and version 3 still under V3-1."""
    _basic(organization, coordinator, date(2023, 1, 1), date(2024, 12, 31), reference="OLD")
    v3_only = _basic(organization, coordinator, date(2026, 1, 1), date(2026, 12, 31), versions[3], "V3-1")
    v4 = check(organization, infotecs, coordinator, versions[4])
    assert verdict(v4) == (False, False, ["Your contract covers ViPNet Coordinator 3 only, not version 4."])
    v3 = check(organization, infotecs, coordinator, versions[3])
    assert (v3.allowed, v3.billable, v3.contract) == (True, True, v3_only)

    any_version = _basic(organization, coordinator, date(2026, 1, 1), date(2026, 12, 31), reference="ANY")
    assert check(organization, infotecs, coordinator, versions[4]).contract == any_version
    assert check(organization, infotecs, coordinator, versions[3]).contract == v3_only


def test_a_resolved_case_uses_the_quota_of_the_contract_it_was_opened_under_only(
    organization, infotecs, coordinator, versions, customer, agent
):
    """SPEC §4: "Basic includes up to 40 resolved tickets per contract year" — each contract's
    allowance is for the cases opened under it. With a version-3-only Basic contract and an
    any-version one both in force, a version-4 case is opened under the any-version contract (the
    other does not even cover version 4, see the test above); resolved, it uses one ticket of that
    contract and none of the version-3 one. A version-3 case uses V3-1's only."""
    v3_only = _basic(organization, coordinator, date(2026, 1, 1), date(2026, 12, 31), versions[3], "V3-1")
    any_version = _basic(organization, coordinator, date(2026, 1, 1), date(2026, 12, 31), reference="ANY")

    def open_and_resolve(version, priority):
        ticket = ticket_open(
            organization=organization,
            requester=customer,
            vendor=infotecs,
            product=coordinator,
            major_version=version,
            priority=priority,
            subject="Tunnel drops",
            body="Every hour",
            at=NOW,
        )
        ticket_resolve(
            ticket=ticket, by=agent, resolution_code="answered", message="Fixed", at=NOW + timedelta(hours=1)
        )

    open_and_resolve(versions[4], "normal")
    assert (
        contract_quota(contract=any_version, on=NOW.date()).used,
        contract_quota(contract=v3_only, on=NOW.date()).used,
    ) == (1, 0)
    open_and_resolve(versions[3], "critical")
    assert (
        contract_quota(contract=any_version, on=NOW.date()).used,
        contract_quota(contract=v3_only, on=NOW.date()).used,
    ) == (1, 1)


def test_a_quote_on_a_case_goes_under_the_contract_it_was_opened_under(
    organization, infotecs, coordinator, versions, customer, agent
):
    """SPEC §4: each contract has its own "license price" and terms; seed 003: the terms "are
    agreed upon and fixed in SLA". A version-3-only contract in roubles (the older row) and an
    any-version one in euros are both in force: a version-4 case comes under the euro contract, so
    the desk's quote for work on it is made under that contract, in euros — not under the
    version-3 contract, which does not cover version 4."""
    _basic(organization, coordinator, date(2026, 1, 1), date(2026, 12, 31), versions[3], "V3-1", "RUB")
    any_version = _basic(organization, coordinator, date(2026, 1, 1), date(2026, 12, 31), reference="ANY")
    ticket = ticket_open(
        organization=organization,
        requester=customer,
        vendor=infotecs,
        product=coordinator,
        major_version=versions[4],
        priority="normal",
        subject="Custom report",
        body="Extra work",
        at=NOW,
    )
    order = case_quote(ticket=ticket, by=agent, price=Decimal("200"), quote_text="Two hours", at=NOW)
    assert (order.contract, order.currency) == (any_version, "EUR")


def test_only_the_authorized_contacts_open_cases_and_staff_open_for_them(
    organization, infotecs, coordinator, versions, basic_contract, customer, colleague, agent
):
    """Issue 20 point 7 (Albert: "Request Resolution services are available to Authorized Users"),
    the model: "Members of the organization who may open cases under this contract. Empty: every
    member."

    B-1 names Alice: Alice opens; her colleague Bob is refused, on the requester, told to ask
    Alice; the desk's agent opening on the customer's behalf is not held by the list (the rule is
    the requester's, and ticket_open checks the requester it names). Without names anyone opens."""
    assert check(organization, infotecs, coordinator, versions[4], requester=colleague).allowed
    customer.first_name, customer.last_name = "Alice", "Admin"
    customer.save()
    basic_contract.authorized_contacts.add(customer)
    assert verdict(check(organization, infotecs, coordinator, versions[4], requester=customer)) == (
        True,
        False,
        [],
    )
    bob = check(organization, infotecs, coordinator, versions[4], requester=colleague)
    assert (verdict(bob), bob.refused_field) == (
        (False, False, [e.NOT_AUTHORIZED.format(contract="B-1", contacts=f"Alice Admin <{customer.email}>")]),
        "requester",
    )
    assert check(organization, infotecs, coordinator, versions[4], requester=agent).allowed


def test_a_customer_of_another_organization_cannot_open_under_the_contract(
    organization, other_organization, infotecs, coordinator, versions, basic_contract, outsider
):
    """SPEC §5: "Customers see only their organization's tickets"; SPEC §3 (Infotecs): "Only
    licensed software is supported." A contract belongs to its organization.

    Charlie (Globex) names Acme's organization: refused before any contract is read ("only for your
    own organization"), even when B-1 wrongly lists him as an authorized contact. For his own
    organization the answer is the plain "no active support contract", which tells nothing of
    Acme's contract (no end date, no reference)."""
    basic_contract.authorized_contacts.add(outsider)  # the admin form refuses this; the rule holds anyway
    with pytest.raises(ValidationError) as refused:
        ticket_open(
            organization=organization,
            requester=outsider,
            vendor=infotecs,
            product=coordinator,
            major_version=versions[4],
            priority="normal",
            subject="Tunnel drops",
            body="Every hour",
            at=NOW,
        )
    assert refused.value.message_dict == {
        "organization": ["You can open cases only for your own organization."]
    }
    own = check(other_organization, infotecs, coordinator, versions[4], requester=outsider)
    assert verdict(own) == (
        False,
        False,
        [
            "Your organization has no active support contract for ViPNet Coordinator. "
            "Only licensed software is supported."
        ],
    )
