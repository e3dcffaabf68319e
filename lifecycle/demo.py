"""Demo products and contracts, dated relative to today so every phase stays represented.

`load_lifecycle_demo` is idempotent: products and versions are matched by name and number,
contracts by their reference, and running it again brings the dates back in step with today.
Load the policy catalog first (the vendors come from it).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from policies.models import TargetKind, Vendor

from .dates import add_months, add_years
from .models import (
    Contract,
    ContractTarget,
    Deployment,
    MajorVersion,
    MinorVersion,
    Plan,
    PremiumOptionKind,
    Product,
)
from .services import contract_save, major_version_save, premium_option_set


def _product(vendor: Vendor, name: str) -> Product:
    product, _ = Product.objects.get_or_create(vendor=vendor, name=name)
    return product


def _major(product: Product, number: int, **fields) -> MajorVersion:
    version = MajorVersion.objects.filter(product=product, number=number).first() or MajorVersion(
        product=product, number=number
    )
    version.name = fields.pop("name", str(number))
    for name in ("ga", "eos", "announced_at", "eoms_override", "eol_override"):
        setattr(version, name, fields.get(name))
    version.override_reason = fields.get("override_reason", "")
    return major_version_save(version=version)


def _minors(major: MajorVersion, releases: list[tuple[str, date]]) -> None:
    for name, released_on in releases:
        MinorVersion.objects.update_or_create(major=major, name=name, defaults={"released_on": released_on})


def _contract(reference: str, **fields) -> Contract:
    contract = Contract.objects.filter(reference=reference).first() or Contract(reference=reference)
    for name, value in fields.items():
        setattr(contract, name, value)
    contract.vendor = contract.product.vendor
    return contract_save(contract=contract)


def _target(contract: Contract, priority_code: str, kind: str, hours: int) -> None:
    ContractTarget.objects.update_or_create(
        contract=contract, priority_code=priority_code, kind=kind, defaults={"duration": Decimal(hours)}
    )


def _term(start: date, years: int) -> date:
    return add_months(start, 12 * years) - timedelta(days=1)


def _infotecs_products(today: date) -> dict[str, MajorVersion]:
    infotecs = Vendor.objects.get(slug="infotecs")
    coordinator = _product(infotecs, "ViPNet Coordinator")
    # Each save recomputes the whole product, so the order of creation does not matter.
    v5 = _major(coordinator, 5, ga=add_months(today, 4), announced_at=add_months(today, -2))  # pre-release
    v4 = _major(coordinator, 4, ga=add_years(today, -3))  # mainstream, still on sale
    v3 = _major(coordinator, 3, ga=add_years(today, -6), eos=add_months(today, -18))  # extended
    v2 = _major(coordinator, 2, ga=add_years(today, -9), eos=add_years(today, -7))  # end of life
    _minors(v2, [("2.8", add_years(today, -9)), ("2.9.4", add_years(today, -8))])
    _minors(v3, [("3.1", add_years(today, -6)), ("3.2.7", add_years(today, -4))])
    _minors(v4, [("4.0", add_years(today, -3)), ("4.3.2", add_months(today, -5))])
    _minors(v5, [("5.0 beta", add_months(today, -1))])

    client = _product(infotecs, "ViPNet Client")
    c4 = _major(client, 4, ga=add_years(today, -2))  # mainstream, provisional (no successor yet)
    c3 = _major(
        client,
        3,
        ga=add_years(today, -7),
        eos=add_years(today, -3),
        eoms_override=add_months(today, 3),
        override_reason="Certified builds: life cycle extended by Infotecs.",
    )
    _minors(c3, [("3.6", add_years(today, -5))])
    _minors(c4, [("4.1", add_years(today, -2)), ("4.2", add_months(today, -7))])
    return {"coordinator-4": v4, "coordinator-3": v3, "client-3": c3, "client-4": c4}


def load_lifecycle_demo(*, organization, other_organization) -> None:
    """Infotecs products with versions in every phase as of today, Basic and Premium contracts
    for `organization`, a Basic one for `other_organization`, and contracts with the other
    vendors so the customer has one for each."""
    today = date.today()
    versions = _infotecs_products(today)
    coordinator, client = versions["coordinator-4"].product, versions["client-4"].product
    start = add_months(today, -14)
    basic = _contract(
        "INF-B-1001",
        organization=organization,
        product=coordinator,
        plan=Plan.BASIC,
        deployment=Deployment.ON_PREMISE,
        start=start,
        end=_term(start, 3),
        license_price=Decimal("25000.00"),
        currency="EUR",
        hourly_rate=Decimal("95.00"),  # the demo's billable work (config.demo) is charged at this
    )
    _target(basic, "critical", TargetKind.FIRST_RESPONSE, 4)
    _target(basic, "normal", TargetKind.FIRST_RESPONSE, 24)
    premium = _contract(
        "INF-P-1001",
        organization=organization,
        product=coordinator,
        plan=Plan.PREMIUM,
        deployment=Deployment.ON_PREMISE,
        start=start,
        end=_term(start, 3),
        license_price=Decimal("0.00"),
        currency="EUR",
        hourly_rate=Decimal("95.00"),
    )
    premium_option_set(
        contract=premium, kind=PremiumOptionKind.ACCOUNT_MANAGER, price=Decimal("3000.00"), note="per year"
    )
    premium_option_set(
        contract=premium, kind=PremiumOptionKind.EMERGENCY_ONSITE, price=Decimal("1500.00"), note="per call"
    )
    premium_option_set(contract=premium, kind=PremiumOptionKind.EARLY_ACCESS, price=Decimal("0.00"))
    _target(premium, "critical", TargetKind.FIRST_RESPONSE, 2)
    _target(premium, "critical", TargetKind.RESOLUTION, 24)
    _target(premium, "normal", TargetKind.FIRST_RESPONSE, 8)
    client_start = add_months(today, -2)
    _contract(
        "INF-B-1002",
        organization=organization,
        product=client,
        major_version=versions["client-3"],
        plan=Plan.BASIC,
        deployment=Deployment.ON_PREMISE,
        start=client_start,
        end=_term(client_start, 1),
        license_price=Decimal("4000.00"),
        currency="EUR",
    )
    other_start = add_months(today, -5)
    _contract(
        "INF-B-2001",
        organization=other_organization,
        product=coordinator,
        plan=Plan.BASIC,
        deployment=Deployment.ON_PREMISE,
        start=other_start,
        end=_term(other_start, 1),
        license_price=Decimal("12000.00"),
        currency="EUR",
    )
    _other_vendor_contracts(organization, today)


def _other_vendor_contracts(organization, today: date) -> None:
    rows = [
        ("alectrona", "Alectrona Patch", Deployment.HOSTED, "ALC-H-3001", Decimal("6000.00"), "USD"),
        ("secpod", "SanerNow", Deployment.ON_PREMISE, "SEC-O-4001", Decimal("9000.00"), "USD"),
        ("albert", "Albert Workplace", Deployment.HOSTED, "ALB-H-5001", Decimal("15000.00"), "USD"),
    ]
    start = add_months(today, -3)
    for slug, name, deployment, reference, price, currency in rows:
        vendor = Vendor.objects.get(slug=slug)
        _contract(
            reference,
            organization=organization,
            product=_product(vendor, name),
            plan=Plan.STANDARD,
            deployment=deployment,
            start=start,
            end=_term(start, 1),
            license_price=price,
            currency=currency,
        )
