"""Operations on products, contracts and quotas, and the entitlement check a new case runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from . import entitlements
from .dates import compute_milestones
from .models import (
    CalendarFeedToken,
    Contract,
    LedgerKind,
    MajorVersion,
    Plan,
    PremiumOption,
    Product,
    QuotaLedgerEntry,
    new_calendar_token,
)
from .quota import contract_year as year_of
from .quota import contract_year_at
from .selectors import basic_contract_covering, contract_quota

PREMIUM_NEEDS_BASIC = gettext_lazy(
    "A Premium contract needs a valid Basic contract for {product} "
    "covering its whole term ({start} to {end})."
)
NOT_BASIC = gettext_lazy("Only a Basic contract has a ticket quota to exchange.")
EXCHANGE_TOO_LARGE = gettext_lazy("Only {remaining} unused tickets are left in contract year {year}.")
YEAR_OUTSIDE_TERM = gettext_lazy("Contract year {year} is outside this contract's term.")


# ---------------------------------------------------------------------------- lifecycle


def product_milestones_recompute(*, product: Product) -> list[MajorVersion]:
    """Recompute EOMS/EOL of every major version of `product`: a version's EOMS depends on
    the next major's GA, so changing one version can move its predecessor."""
    versions = list(MajorVersion.objects.filter(product=product).order_by("number"))
    for index, version in enumerate(versions):
        following = versions[index + 1] if index + 1 < len(versions) else None
        milestones = compute_milestones(
            ga=version.ga,
            eos=version.eos,
            next_major_ga=following.ga if following else None,
            eoms_override=version.eoms_override,
            eol_override=version.eol_override,
        )
        changed = (version.eoms, version.eol, version.eoms_provisional, version.eoms_bound) != (
            milestones.eoms,
            milestones.eol,
            milestones.eoms_provisional,
            milestones.eoms_bound,
        )
        version.eoms, version.eol = milestones.eoms, milestones.eol
        version.eoms_provisional, version.eoms_bound = milestones.eoms_provisional, milestones.eoms_bound
        if changed:
            version.save()  # through the model, so the change lands in the version's history
    return versions


@transaction.atomic
def major_version_save(*, version: MajorVersion) -> MajorVersion:
    """Validate and store a new or edited major version, then recompute the product's dates."""
    version.full_clean()
    version.save()
    product_milestones_recompute(product=version.product)
    version.refresh_from_db()
    return version


@transaction.atomic
def major_version_delete(*, version: MajorVersion) -> None:
    product = version.product
    version.delete()
    product_milestones_recompute(product=product)


def major_version_create(
    *,
    product: Product,
    number: int,
    name: str = "",
    ga: date | None = None,
    eos: date | None = None,
    announced_at: date | None = None,
    eoms_override: date | None = None,
    eol_override: date | None = None,
    override_reason: str = "",
) -> MajorVersion:
    version = MajorVersion(
        product=product,
        number=number,
        name=name or str(number),
        ga=ga,
        eos=eos,
        announced_at=announced_at,
        eoms_override=eoms_override,
        eol_override=eol_override,
        override_reason=override_reason,
    )
    return major_version_save(version=version)


# ---------------------------------------------------------------------------- contracts


def contract_validate(*, contract: Contract) -> None:
    """Field rules (model clean) plus the rule that spans contracts: SPEC §4 "Premium — only
    with a valid Basic contract" — one for the same organization and product covering the term."""
    contract.full_clean()
    if contract.plan == Plan.PREMIUM:
        basic = basic_contract_covering(
            organization=contract.organization,
            product=contract.product,
            start=contract.start,
            end=contract.end,
        )
        if basic is None:
            raise ValidationError(
                {
                    "plan": PREMIUM_NEEDS_BASIC.format(
                        product=contract.product, start=contract.start, end=contract.end
                    )
                }
            )


@transaction.atomic
def contract_save(*, contract: Contract) -> Contract:
    if contract.product_id and not contract.vendor_id:
        contract.vendor = contract.product.vendor
    contract_validate(contract=contract)
    contract.save()
    return contract


def contract_create(
    *,
    organization,
    product: Product,
    plan: str,
    start: date,
    end: date,
    deployment: str,
    license_price,
    currency: str = "EUR",
    major_version: MajorVersion | None = None,
    reference: str = "",
) -> Contract:
    contract = Contract(
        organization=organization,
        vendor=product.vendor,
        product=product,
        major_version=major_version,
        plan=plan,
        start=start,
        end=end,
        deployment=deployment,
        license_price=license_price,
        currency=currency,
        reference=reference,
    )
    return contract_save(contract=contract)


@transaction.atomic
def premium_option_set(*, contract: Contract, kind: str, price, note: str = "") -> PremiumOption:
    """Add a Premium option to a contract, or change its price (repeating is harmless)."""
    option = PremiumOption.objects.filter(contract=contract, kind=kind).first() or PremiumOption(
        contract=contract, kind=kind
    )
    option.price, option.note = price, note
    option.full_clean()
    option.save()
    return option


def quota_exchange_validate(*, contract: Contract, contract_year: int, tickets: int) -> None:
    """Only a Basic contract's unused tickets of a year within its term can be exchanged."""
    if contract.plan != Plan.BASIC:
        raise ValidationError({"contract": NOT_BASIC})
    year = year_of(contract.start, max(contract_year, 1))
    if contract_year < 1 or year.start > contract.end:
        raise ValidationError({"contract_year": YEAR_OUTSIDE_TERM.format(year=contract_year)})
    quota = contract_quota(contract=contract, on=year.start)
    if tickets > quota.remaining:
        raise ValidationError(
            {"tickets": EXCHANGE_TOO_LARGE.format(remaining=quota.remaining, year=contract_year)}
        )


@transaction.atomic
def quota_exchange_record(
    *,
    contract: Contract,
    contract_year: int,
    tickets: int,
    premium_service: str,
    recorded_by=None,
    at: datetime | None = None,
) -> QuotaLedgerEntry:
    """Exchange unused Basic tickets of one contract year for Premium services. The year then
    carries nothing over (SPEC §4)."""
    Contract.objects.select_for_update().filter(pk=contract.pk).first()  # one exchange per contract at a time
    quota_exchange_validate(contract=contract, contract_year=contract_year, tickets=tickets)
    entry = QuotaLedgerEntry(
        contract=contract,
        contract_year=contract_year,
        tickets=tickets,
        premium_service=premium_service,
        recorded_at=at or timezone.now(),
        recorded_by=recorded_by,
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def quota_use_record(
    *,
    organization,
    product: Product | None,
    ticket_number: str,
    at: datetime,
    major_version: MajorVersion | None = None,
) -> list[QuotaLedgerEntry]:
    """A case of `organization` about `product` (and `major_version`) was resolved (or closed) at
    `at`: it uses one ticket of the Basic contract it comes under that day (UTC), in the contract
    year of the day (SPEC §4: "up to 40 resolved tickets per contract year"). That contract is the
    one an opening that day would choose (`entitlements.contracts_by_preference`: the one naming
    the version, else the one for any current version), and only if it covers the version: the
    case uses one contract's allowance, never that of every Basic contract for the product.
    Called by tickets.services in the resolving transaction. One row per case and contract:
    recording the same case again (resolved twice, then closed) adds nothing. A case naming no
    product uses no contract's quota."""
    if product is None:
        return []
    day = at.astimezone(UTC).date()
    basic = Contract.objects.filter(
        organization=organization, product=product, plan=Plan.BASIC, start__lte=day, end__gte=day
    )
    chosen = entitlements.contracts_by_preference(basic, day, major_version)[:1]
    entries = []
    for contract in (c for c in chosen if entitlements.contract_covers(c, major_version)):
        entry = QuotaLedgerEntry.objects.filter(
            contract=contract, kind=LedgerKind.USE, ticket_number=ticket_number
        ).first()
        if entry is None:
            entry = QuotaLedgerEntry(
                contract=contract,
                contract_year=contract_year_at(contract.start, day).number,
                kind=LedgerKind.USE,
                tickets=1,
                ticket_number=ticket_number,
                recorded_at=at,
            )
            entry.full_clean()
            entry.save()
        entries.append(entry)
    return entries


@transaction.atomic
def quota_use_withdraw(*, ticket_number: str) -> int:
    """A reopened case is no longer resolved, so it gives its ticket back; resolved again, it is
    recorded again, in the year of that resolution. The quota thus counts the cases resolved now,
    each once. Returns the number of rows removed (0 when the case had used none)."""
    removed, _ = QuotaLedgerEntry.objects.filter(kind=LedgerKind.USE, ticket_number=ticket_number).delete()
    return removed


# ---------------------------------------------------------------------------- entitlements

# The check a new case runs lives in its own module; re-exported so callers import services only.
entitlement_check = entitlements.entitlement_check
case_contract = entitlements.case_contract
contract_targets_for = entitlements.contract_targets_for
Entitlement = entitlements.Entitlement
offered_flags = entitlements.offered_flags


# ---------------------------------------------------------------------------- calendar feed


def calendar_token_regenerate(*, user) -> CalendarFeedToken:
    """A new secret feed address; the old one stops working at once."""
    token, created = CalendarFeedToken.objects.get_or_create(user=user)
    if not created:
        token.token = new_calendar_token()
        token.save()
    return token
