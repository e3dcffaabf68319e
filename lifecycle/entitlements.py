"""May this customer open this case, and is it billable? (SPEC §3 phases, SPEC §4 entitlements.)

`entitlement_check` is the one check every way of opening a case runs (portal, API, admin).
It reads and decides; it writes nothing. Its reasons are shown to the customer as they are.

Decisions where the SPEC is silent:
- A vendor needs a contract when its policy in force excludes unlicensed software
  (exclusion code "unlicensed": Infotecs). For other vendors an organization with no
  contract with that vendor at all is served under the vendor's published policy; once it
  holds contracts with the vendor, one of them must be active on the day (and cover the
  product when one is named).
- Version rules apply to a product with major versions on record: the case must name one
  of them. A product without recorded versions (a hosted service) needs no version.
- Days are UTC calendar days (`at` converted to UTC).
- The quota is decided at opening from the cases resolved so far in the contract year.
- Billing rules belong to the vendor whose policy states them (SPEC §4). Every charge below —
  a non-critical case in Extended Support, cases beyond the Basic quota, on-site visits — is a
  term of Infotecs' Support Plans, so it applies only to a case opened under a Basic or Premium
  contract of a vendor whose policy supports licensed software only (the "unlicensed" exclusion:
  Infotecs). No vendor or policy row says "sells Support Plans"; these two data already do, and
  together they hold even for a contract of another vendor left on the form's default plan
  (Basic). SecPod's support is "provided without additional charge", Alectrona and Albert state
  no charge: their cases are never billable by these rules. Refusals (end of life, pre-release)
  are not charges and stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet, prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from policies.calendars import to_clock
from policies.models import PolicyVersion, TargetKind, Vendor
from policies.selectors import version_in_force, version_terms
from policies.services import PlannedTarget, SourceCode, target_duration
from portal.compiled import CompiledGet

from .dates import Phase
from .models import Contract, MajorVersion, Plan, PremiumOptionKind, Product, TermsPhase
from .quota import QuotaYear
from .selectors import contract_quota

# Priorities SPEC §3 keeps covered in Extended Support ("only vulnerabilities and critical
# bugs") and that a Basic on-site visit needs. Infotecs' policy has "critical"; a policy that
# adds a "vulnerability" priority gets the same treatment.
CRITICAL_PRIORITY_CODES = frozenset({"critical", "vulnerability"})
LICENSE_EXCLUSION_CODE = "unlicensed"
# Infotecs' Support Plans (seed 003, "Support Plans"): the only terms that charge for support.
SUPPORT_PLANS = frozenset({Plan.BASIC, Plan.PREMIUM})

NO_CONTRACT = _(
    "Your organization has no active support contract for {product}. Only licensed software is supported."
)
NO_VENDOR_CONTRACT = _("Your organization has no active support contract with {vendor}.")
CONTRACT_ENDED = _("Your support contract for {product} ended on {end:%d %B %Y}; renew it to open new cases.")
CONTRACT_NOT_STARTED = _("Your support contract for {product} starts on {start:%d %B %Y}.")
NAME_THE_PRODUCT = _("Choose the {vendor} product the case is about.")
NOT_AUTHORIZED = _(
    "Only the authorized contacts of contract {contract} open cases under it: ask {contacts} to open "
    "this case. Once it is open you may follow it."
)
NAME_THE_VERSION = _("Choose the version of {product} you use.")
UNKNOWN_VERSION = _("{version} is not a version of {product}.")
VERSION_NOT_COVERED = _("Your contract covers {product} {covered} only, not version {version}.")
PRE_RELEASE = _(
    "{version} is not released yet{ga}. Cases about pre-release versions are accepted only "
    "with the Premium early-access option."
)
END_OF_LIFE = _(
    "{version} reached the end of its life on {eol:%d %B %Y}: it is no longer supported. "
    "Upgrade to a supported version to get help."
)
EXTENDED_BILLABLE = _(
    "{version} is in Extended Support since {eoms_next:%d %B %Y}: only vulnerabilities and critical "
    "bugs are covered, so this case will be charged."
)
QUOTA_BILLABLE = _(
    "Your Basic plan's {allowance} resolved cases for this contract year ({start:%d %B %Y} to "
    "{end:%d %B %Y}) are used up, so this case will be charged."
)
ONSITE_BASIC_REFUSED = _(
    "On the Basic plan an engineer visits your site only for a critical issue that could not be "
    "solved by phone or remote connection."
)
NO_ONSITE = _(
    "{vendor}'s support does not include on-site visits: the desk helps by phone, email or remote connection."
)
ONSITE_BILLABLE = _("On-site visits are charged: the engineers' hours plus travel and accommodation.")
EMERGENCY_BILLABLE = _("Each Premium emergency on-site call is charged extra, as agreed in your contract.")
EXTENDED_AGREEMENT = _(
    " The fix needs an additional agreement: the desk sends you a quote to accept before the work starts."
)
NO_EMERGENCY = _(
    "Emergency calls are a Premium option: your contract does not include emergency support, "
    "so open the case at its priority instead."
)
NO_VULNERABILITY = _(
    "{vendor}'s policy does not treat vulnerabilities apart: open the case at its priority, "
    "without marking it a vulnerability."
)
NO_EMERGENCY_CALLS = _("{vendor}'s policy offers no emergency calls: open the case at its priority instead.")
EMERGENCY_CALL_BILLABLE = _(
    "This is an emergency call, charged {price} {currency} per call as agreed in your contract."
)
# Issue 21 point 5: the catalog's "immediate reaction" when neither it nor the contract says more.
DEFAULT_EMERGENCY_REACTION_MINUTES = 30


@dataclass
class Entitlement:
    allowed: bool
    billable: bool = False
    reasons: list[str] = field(default_factory=list)
    contract: Contract | None = None  # the contract the case is opened under (Basic when Premium adds to it)
    premium_contract: Contract | None = None
    targets: list[PlannedTarget] = field(default_factory=list)
    phase: Phase | None = None
    quota: QuotaYear | None = None
    refused_field: str = ""  # the form field a refusal belongs to: "product" or "onsite"
    # Issue 21: the work needs the customer's acceptance of a quote first (an Extended Support fix
    # of anything but a vulnerability or a critical bug: "only under additional agreements").
    agreement_required: bool = False
    emergency_call_price: Decimal | None = None

    def refuse(self, reason: str, *, field: str = "product") -> Entitlement:
        self.allowed = False
        self.billable = False
        self.reasons.append(str(reason))  # in the active language, as the customer reads it
        self.refused_field = field
        return self

    def charge(self, reason: str) -> None:
        self.billable = True
        self.reasons.append(str(reason))

    @property
    def billable_reason(self) -> str:
        return " ".join(self.reasons) if self.billable else ""


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def contract_required(*, vendor: Vendor, at: datetime, version: PolicyVersion | None = None) -> bool:
    """SPEC §3 (Infotecs): "Only licensed software is supported" — stored as an exclusion code.
    `version` is the policy in force at `at` when the caller has it already."""
    version = version or version_in_force(vendor=vendor, at=at)
    if version is None:
        return False
    return LICENSE_EXCLUSION_CODE in version_terms(version).exclusions


def _contracts_of(organization_id: int, vendor_id: int) -> QuerySet[Contract]:
    return Contract.objects.filter(organization=organization_id, vendor=vendor_id).order_by()


# Every opening asks: the SQL built once (portal.compiled).
_CONTRACTS = CompiledGet(Contract, _contracts_of, kinds=("int", "int"))
_CONTRACTS_OF_PRODUCT = CompiledGet(
    Contract,
    lambda organization_id, vendor_id, product_id: _contracts_of(organization_id, vendor_id).filter(
        product=product_id
    ),
    kinds=("int", "int", "int"),
)


def _contracts(*, organization, vendor: Vendor, product: Product | None) -> list[Contract]:
    # Unordered in SQL: the model's ordering joins two tables to sort rows that are nearly
    # always none or one. Most organizations hold no contract with most vendors, so the look-up
    # stays one plain query, and what a contract needs is fetched only for the contracts there are.
    if product is None:
        found = _CONTRACTS.all(organization.pk, vendor.pk)
    else:
        found = _CONTRACTS_OF_PRODUCT.all(organization.pk, vendor.pk, product.pk)
    prefetch_related_objects(
        found,
        "product",
        "major_version",
        "premium_options",
        # The contract's own targets and their clocks (to_clock reads windows and closed dates).
        "targets__calendar__windows",
        "targets__calendar__closed_dates",
    )
    # The model's order (the organization is the same for all): by product, the latest start first.
    found.sort(key=lambda c: (c.product.name, -c.start.toordinal()))
    return found


def _no_active_contract_reason(contracts: list[Contract], *, vendor, product, day: date) -> str:
    past = [c for c in contracts if c.end < day]
    future = [c for c in contracts if c.start > day]
    name = product.name if product else vendor.name
    if past:
        return CONTRACT_ENDED.format(product=name, end=max(c.end for c in past))
    if future:
        return CONTRACT_NOT_STARTED.format(product=name, start=min(c.start for c in future))
    return (
        NO_CONTRACT.format(product=product.name) if product else NO_VENDOR_CONTRACT.format(vendor=vendor.name)
    )


def contracts_by_preference(contracts, day: date, version: MajorVersion | None) -> list[Contract]:
    """The contracts active on `day`, the one a case about `version` comes under first: one naming
    that version, then one for any current version, then one naming another version (which
    refuses the case); the earliest start among equals. The one rule for which contract a case is
    opened under, whose quota its resolution uses (`services.quota_use_record`) and under which
    work on it is quoted (`case_contract`)."""
    return sorted(
        (c for c in contracts if c.is_active_on(day)),
        key=lambda c: (
            version is None or c.major_version_id != version.pk,
            c.major_version_id is not None,
            c.start,
        ),
    )


def contract_covers(contract: Contract, version: MajorVersion | None) -> bool:
    """A contract for any current version covers every version; one naming a version, that one."""
    return contract.major_version_id is None or version is None or contract.major_version_id == version.pk


def _pick(contracts, day: date, version: MajorVersion | None) -> tuple[Contract | None, Contract | None]:
    """(the contract a case is opened under, the Premium contract adding to it): the first by
    preference that is not Premium (a Premium contract only adds to a Basic one), else the Premium."""
    active = contracts_by_preference(contracts, day, version)
    premium = next((c for c in active if c.plan == Plan.PREMIUM), None)
    base = next((c for c in active if c.plan != Plan.PREMIUM), premium)
    return base, premium


def case_contract(contracts, day: date, version: MajorVersion | None) -> Contract | None:
    """The contract a case about `version` opened on `day` comes under, among `contracts` (the
    organization's for the case's product): what a quote or an order on the case is made under."""
    return _pick(contracts, day, version)[0]


def _pick_contracts(
    result: Entitlement, contracts: list[Contract], day: date, version: MajorVersion | None
) -> None:
    """Among the active contracts, one naming the case's version wins over "any current version"."""
    result.contract, result.premium_contract = _pick(contracts, day, version)


def _contract_name(contract: Contract) -> str:
    return contract.reference or f"{contract.product.name} ({contract.get_plan_display()})"


def _check_authorized(result: Entitlement, requester) -> None:
    """Issue 20 point 7: a contract naming its authorized contacts takes cases from them only
    (Albert: "available to Authorized Users"); the refusal names them, so the requester knows
    whom to ask. The desk opens cases for a requester, so the rule is the requester's."""
    for contract in dict.fromkeys(c for c in (result.contract, result.premium_contract) if c is not None):
        contacts = list(contract.authorized_contacts.order_by("last_name", "first_name", "username"))
        if contacts and requester.pk not in {person.pk for person in contacts}:
            named = ", ".join(
                f"{person.get_full_name() or person.username} <{person.email}>"
                if person.email
                else person.username
                for person in contacts
            )
            result.refuse(
                NOT_AUTHORIZED.format(contract=_contract_name(contract), contacts=named), field="requester"
            )
            return


def _has_option(result: Entitlement, kind: str) -> bool:
    premium = result.premium_contract
    return premium is not None and any(o.kind == kind for o in premium.premium_options.all())


def _check_version(result: Entitlement, *, product: Product, major_version: MajorVersion | None) -> bool:
    """The version named must be a known major version of the product and within the contract."""
    has_versions = product.major_versions.exists()
    if major_version is None:
        if has_versions:
            result.refuse(NAME_THE_VERSION.format(product=product.name))
            return False
        return True
    if major_version.product_id != product.pk:
        result.refuse(UNKNOWN_VERSION.format(version=major_version, product=product.name))
        return False
    covered = result.contract.major_version if result.contract else None
    if result.contract is not None and not contract_covers(result.contract, major_version):
        result.refuse(
            VERSION_NOT_COVERED.format(product=product.name, covered=covered.name, version=major_version.name)
        )
        return False
    return True


def _under_support_plan(result: Entitlement, *, licensed_only: bool) -> bool:
    """Whether the case is opened under one of Infotecs' Support Plans, whose charges follow
    (see the module's docstring): a Basic or Premium contract of a licensed-only vendor."""
    return licensed_only and result.contract is not None and result.contract.plan in SUPPORT_PLANS


def offered_flags(policy_version: PolicyVersion | None) -> frozenset[str]:
    """The case flags a vendor's policy offers (issue 21), from its catalog data: "vulnerability"
    where Extended Support still covers vulnerabilities, "emergency" where it sets an emergency
    reaction. The opening form shows, and the check accepts, only these."""
    terms = (policy_version.service_terms or {}) if policy_version else {}
    offered = set()
    if "vulnerability" in terms.get("extended_support_covers", ()):
        offered.add("vulnerability")
    if "emergency_reaction_minutes" in terms:
        offered.add("emergency")
    return frozenset(offered)


def extended_support_covers(policy_version: PolicyVersion | None) -> frozenset[str]:
    """What Extended Support still covers free, from the policy's catalog data (Infotecs:
    "vulnerabilities are eliminated and critical bugs are fixed"): "vulnerability" for a case
    reported as one, and priority codes. Without such data, the critical priorities."""
    covers = (policy_version.service_terms or {}).get("extended_support_covers") if policy_version else None
    return frozenset(covers) if covers else CRITICAL_PRIORITY_CODES


def extended_case_covered(
    *, policy_version: PolicyVersion | None, priority_code: str, vulnerability: bool
) -> bool:
    covers = extended_support_covers(policy_version)
    return priority_code in covers or (vulnerability and "vulnerability" in covers)


def _check_phase(
    result: Entitlement,
    *,
    version: MajorVersion,
    priority_code: str,
    day: date,
    support_plan: bool,
    vulnerability: bool = False,
    policy_version: PolicyVersion | None = None,
) -> None:
    phase = result.phase = version.phase_at(day)
    if phase == Phase.PRE_RELEASE and not _has_option(result, PremiumOptionKind.EARLY_ACCESS):
        ga = f" (general availability {version.ga:%d %B %Y})" if version.ga else ""
        result.refuse(PRE_RELEASE.format(version=version, ga=ga))
    elif phase == Phase.END_OF_LIFE:
        result.refuse(END_OF_LIFE.format(version=version, eol=version.eol))
    elif (
        support_plan
        and phase == Phase.EXTENDED
        and not extended_case_covered(
            policy_version=policy_version, priority_code=priority_code, vulnerability=vulnerability
        )
    ):
        result.charge(EXTENDED_BILLABLE.format(version=version, eoms_next=version.eoms + timedelta(days=1)))
        result.agreement_required = True


def _check_quota(result: Entitlement, day: date, *, support_plan: bool) -> None:
    if not support_plan or result.contract.plan != Plan.BASIC:
        return
    quota = result.quota = contract_quota(contract=result.contract, on=day)
    if quota.remaining == 0:
        from .quota import contract_year_at

        year = contract_year_at(result.contract.start, day)
        result.charge(QUOTA_BILLABLE.format(allowance=quota.allowance, start=year.start, end=year.end))


def _check_onsite(
    result: Entitlement, *, vendor: Vendor, priority_code: str, remote_failed: bool, support_plan: bool
) -> None:
    """SPEC §4: Basic — "on-site visit only for a critical case that cannot be solved remotely
    (customer pays hours and travel)"; Premium emergency on-site — "any case at extra charge".
    Only those plans (Infotecs') speak of visits: no other policy or contract offers one."""
    if not support_plan:
        result.refuse(NO_ONSITE.format(vendor=vendor.name), field="onsite")
    elif _has_option(result, PremiumOptionKind.EMERGENCY_ONSITE):
        result.charge(EMERGENCY_BILLABLE)
    elif priority_code in CRITICAL_PRIORITY_CODES and remote_failed:
        result.charge(ONSITE_BILLABLE)
    else:
        result.refuse(ONSITE_BASIC_REFUSED, field="onsite")


def entitlement_check(
    *,
    organization,
    vendor: Vendor,
    product: Product | None,
    major_version: MajorVersion | None,
    priority_code: str,
    onsite: bool = False,
    remote_failed: bool = False,
    vulnerability: bool = False,
    emergency: bool = False,
    at: datetime,
    policy_version: PolicyVersion | None = None,
    requester=None,
) -> Entitlement:
    """Whether a case may be opened, whether it is billable, and why — in the customer's words.
    Order: contract, version, phase, emergency call, on-site visit, quota; the first refusal ends
    the check. A vulnerability is covered in Extended Support where the policy's data says so."""
    day = _day(at)
    result = Entitlement(allowed=True)
    policy_version = policy_version or version_in_force(vendor=vendor, at=at)
    offered = offered_flags(policy_version)
    if vulnerability and "vulnerability" not in offered:
        return result.refuse(NO_VULNERABILITY.format(vendor=vendor.name), field="vulnerability")
    if emergency and "emergency" not in offered:
        return result.refuse(NO_EMERGENCY_CALLS.format(vendor=vendor.name), field="emergency")
    if product is not None and product.vendor_id != vendor.pk:
        return result.refuse(NAME_THE_PRODUCT.format(vendor=vendor.name))
    required = contract_required(vendor=vendor, at=at, version=policy_version)
    if required and product is None:
        return result.refuse(NAME_THE_PRODUCT.format(vendor=vendor.name))
    contracts = _contracts(organization=organization, vendor=vendor, product=product)
    _pick_contracts(result, contracts, day, major_version)
    support_plan = _under_support_plan(result, licensed_only=required)
    # Without a product, `contracts` already holds every contract with the vendor.
    holds_any = bool(contracts) or (product is not None and _holds_vendor_contracts(organization, vendor))
    if result.contract is None and (required or holds_any):
        everything = contracts or _contracts(organization=organization, vendor=vendor, product=None)
        return result.refuse(_no_active_contract_reason(everything, vendor=vendor, product=product, day=day))
    if requester is not None and not requester.is_staff:
        _check_authorized(result, requester)
        if not result.allowed:
            return result
    if product is not None:
        if not _check_version(result, product=product, major_version=major_version):
            return result
        if major_version is not None:
            _check_phase(
                result,
                version=major_version,
                priority_code=priority_code,
                day=day,
                support_plan=support_plan,
                vulnerability=vulnerability,
                policy_version=policy_version,
            )
            if not result.allowed:
                return result
    if emergency:
        _check_emergency(result, support_plan=support_plan)
        if not result.allowed:
            return result
    if onsite:
        _check_onsite(
            result,
            vendor=vendor,
            priority_code=priority_code,
            remote_failed=remote_failed,
            support_plan=support_plan,
        )
        if not result.allowed:
            return result
    _check_quota(result, day, support_plan=support_plan)
    result.targets = contract_targets_for(entitlement=result, priority_code=priority_code)
    if emergency:
        result.targets = _emergency_targets(result, policy_version)
    return result


def _check_emergency(result: Entitlement, *, support_plan: bool) -> None:
    """Issue 21 point 5: "Emergency support – immediate reaction to critical issues (each
    emergency call is subject to extra charge)", a Premium option priced per call."""
    premium = result.premium_contract
    option = None
    if support_plan and premium is not None:
        option = next(
            (o for o in premium.premium_options.all() if o.kind == PremiumOptionKind.EMERGENCY_ONSITE), None
        )
    if option is None:
        result.refuse(NO_EMERGENCY, field="emergency")
        return
    result.emergency_call_price = option.price
    result.charge(EMERGENCY_CALL_BILLABLE.format(price=option.price, currency=premium.currency))


def emergency_reaction_minutes(*, contract: Contract | None, policy_version: PolicyVersion | None) -> int:
    """The contract's agreed reaction, else the policy's catalog figure, else the default."""
    if contract is not None and contract.emergency_reaction_minutes:
        return contract.emergency_reaction_minutes
    terms = (policy_version.service_terms or {}) if policy_version else {}
    return int(terms.get("emergency_reaction_minutes", DEFAULT_EMERGENCY_REACTION_MINUTES))


def _emergency_targets(result: Entitlement, policy_version: PolicyVersion | None) -> list[PlannedTarget]:
    """An emergency call's first response is the "immediate reaction" on the 24×7 clock; the
    contract's other targets stay."""
    contract = result.premium_contract
    minutes = emergency_reaction_minutes(contract=contract, policy_version=policy_version)
    agreed = contract is not None and contract.emergency_reaction_minutes
    if agreed:
        source = (SourceCode.EMERGENCY_CONTRACT, {"reference": str(contract.reference or contract.pk)})
    else:
        source = (SourceCode.EMERGENCY_POLICY, {"vendor": policy_version.vendor.name})
    reaction = PlannedTarget(
        kind=TargetKind.FIRST_RESPONSE,
        duration=timedelta(minutes=minutes),
        calendar=None,
        source_code=source[0],
        source_params=source[1],
    )
    return [reaction] + [t for t in result.targets if t.kind != TargetKind.FIRST_RESPONSE]


def _holds_vendor_contracts(organization, vendor: Vendor) -> bool:
    return Contract.objects.filter(organization=organization, vendor=vendor).exists()


def _phase_rows(rows: list, phase: Phase | None) -> list:
    """Issue 21 point 8: per kind, the terms of the case's phase win over terms for every phase;
    terms of another phase do not apply."""
    chosen: dict[str, object] = {}
    for row in rows:
        if row.phase == TermsPhase.ANY:
            chosen.setdefault(row.kind, row)
    for row in rows:
        if row.phase and row.phase == phase:
            chosen[row.kind] = row
    return list(chosen.values())


def contract_targets_for(
    *,
    priority_code: str,
    entitlement: Entitlement | None = None,
    contract: Contract | None = None,
) -> list[PlannedTarget]:
    """The contract's own response targets for a priority, in first response / update /
    resolution order; empty when the contract agrees none (the vendor's policy applies then).
    With an entitlement, the Premium contract's targets win over the Basic one's when it has any."""
    contracts = [contract] if contract is not None else []
    if entitlement is not None:
        contracts = [c for c in (entitlement.premium_contract, entitlement.contract) if c is not None]
    order = list(TargetKind.values)
    phase = entitlement.phase if entitlement is not None else None
    for candidate in contracts:
        rows = _phase_rows([t for t in candidate.targets.all() if t.priority_code == priority_code], phase)
        if rows:
            rows.sort(key=lambda t: order.index(t.kind))
            source = {
                "reference": str(candidate.reference or candidate.pk),
                "plan": candidate.plan,
                "priority": priority_code,
            }
            return [
                PlannedTarget(
                    kind=t.kind,
                    duration=target_duration(t, to_clock(t.calendar)),
                    calendar=t.calendar,
                    source_code=SourceCode.CONTRACT,
                    source_params=source,
                )
                for t in rows
            ]
    return []
