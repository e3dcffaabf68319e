"""Reads about products, contracts and quotas, used by views, API, admin, notices and services."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, QuerySet, Sum

from .models import (
    CalendarFeedToken,
    Contract,
    LedgerKind,
    MajorVersion,
    Plan,
    Product,
    QuotaLedgerEntry,
)
from .quota import QuotaYear, contract_year_at, quota_years


def product_list() -> QuerySet[Product]:
    versions = MajorVersion.objects.order_by("number").prefetch_related("minor_versions")
    return Product.objects.select_related("vendor").prefetch_related(
        Prefetch("major_versions", queryset=versions)
    )


def product_major_versions(product: Product) -> list[MajorVersion]:
    return list(product.major_versions.order_by("number"))


def contract_list(*, user) -> QuerySet[Contract]:
    """The contracts a person may see: staff all, a customer their organization's."""
    return (
        Contract.objects.visible_to(user)
        .select_related("organization", "vendor", "product", "major_version")
        .prefetch_related("premium_options", "targets")
        .order_by("organization__name", "vendor__name", "product__name", "-start")
    )


def organization_contracts(*, organization) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(organization=organization)
        .select_related("vendor", "product", "major_version")
        .prefetch_related("premium_options")
        .order_by("vendor__name", "product__name", "-start")
    )


def organization_products(*, organization) -> QuerySet[Product]:
    """The products an organization holds (or held) a contract for, with every major version."""
    versions = MajorVersion.objects.order_by("number").prefetch_related("minor_versions")
    return (
        Product.objects.filter(contracts__organization=organization)
        .distinct()
        .select_related("vendor")
        .prefetch_related(Prefetch("major_versions", queryset=versions))
        .order_by("vendor__name", "name")
    )


def product_organizations(*, product: Product, on: date) -> QuerySet:
    """Organizations with a contract for `product` that has not ended by `on` (for notices)."""
    from portal.models import Organization

    return Organization.objects.filter(contracts__product=product, contracts__end__gte=on).distinct()


def basic_contract_covering(*, organization, product: Product, start: date, end: date) -> Contract | None:
    """A Basic contract of the organization for the product that covers [start, end]."""
    return (
        Contract.objects.filter(
            organization=organization, product=product, plan=Plan.BASIC, start__lte=start, end__gte=end
        )
        .order_by("start")
        .first()
    )


def contract_quota_years(*, contract: Contract, on: date) -> list[QuotaYear]:
    """The quota of every contract year of a Basic contract up to the one containing `on`,
    counted from the contract's ledger: the tickets used by resolved cases (which tickets
    records through `quota_use_record`) and those exchanged for Premium services."""
    current = contract_year_at(contract.start, min(max(on, contract.start), contract.end))
    totals = {
        (kind, year): total
        for kind, year, total in QuotaLedgerEntry.objects.filter(
            contract=contract, contract_year__lte=current.number
        )
        .order_by()
        .values("kind", "contract_year")
        .annotate(total=Sum("tickets"))
        .values_list("kind", "contract_year", "total")
    }
    years = range(1, current.number + 1)
    return quota_years(
        [totals.get((LedgerKind.USE, year), 0) for year in years],
        [totals.get((LedgerKind.EXCHANGE, year), 0) for year in years],
    )


def contract_quota(*, contract: Contract, on: date) -> QuotaYear | None:
    """This contract year's quota of a Basic contract; None for plans without a quota."""
    if contract.plan != Plan.BASIC:
        return None
    return contract_quota_years(contract=contract, on=on)[-1]


def calendar_token_for(user) -> CalendarFeedToken:
    token, _ = CalendarFeedToken.objects.get_or_create(user=user)
    return token


def calendar_feed_owner(token: str):
    row = CalendarFeedToken.objects.select_related("user").filter(token=token, user__is_active=True).first()
    return row.user if row else None
