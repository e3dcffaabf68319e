"""Customer pages: "My products" with each product's lifecycle timeline, contracts, quota and
prices, and an iCalendar feed of the milestones behind a per-person secret address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.selectors import email_language, user_organization
from portal.throttles import back_to, counts_as_write

from .calendar_feed import milestones_calendar
from .dates import PHASE_WORDS, Phase
from .models import Contract, MajorVersion, Plan, Product
from .pricing import basic_quote, upgrade_price
from .quota import QuotaYear, contract_year_at
from .selectors import (
    calendar_feed_owner,
    calendar_token_for,
    contract_quota,
    organization_contracts,
    organization_products,
    product_list,
)
from .services import calendar_token_regenerate
from .timeline import TimelineRow, timeline_svg


@dataclass
class ContractPanel:
    contract: Contract
    quota: QuotaYear | None
    year_start: date
    year_end: date
    renewal_total: object = None
    renewal_rate: object = None
    upgrade_total: object = None
    upgrade_to: MajorVersion | None = None


@dataclass
class ProductPanel:
    product: Product
    versions: list[dict]
    timeline: str
    contracts: list[ContractPanel] = field(default_factory=list)


def _customer_versions(contracts: list[Contract], versions: list[MajorVersion], today: date):
    """The versions a customer's contracts name; "any current version" means every supported one."""
    named = {c.major_version_id for c in contracts if c.major_version_id}
    if any(c.major_version_id is None for c in contracts):
        named |= {v.pk for v in versions if v.phase_at(today) in (Phase.MAINSTREAM, Phase.EXTENDED)}
    return named


def _next_major(versions: list[MajorVersion], contract: Contract, today: date) -> MajorVersion | None:
    current = contract.major_version
    if current is None:
        released = [v for v in versions if v.ga and v.ga <= today]
        current = released[-1] if released else None
    later = [v for v in versions if current is not None and v.number > current.number]
    return later[0] if later else None


def _contract_panel(contract: Contract, versions: list[MajorVersion], today: date) -> ContractPanel:
    year = contract_year_at(contract.start, min(max(today, contract.start), contract.end))
    panel = ContractPanel(
        contract=contract,
        quota=contract_quota(contract=contract, on=today),
        year_start=year.start,
        year_end=year.end,
    )
    if contract.plan == Plan.BASIC and contract.license_price:
        years_so_far = contract_year_at(contract.start, contract.end).number
        quote = basic_quote(contract.license_price, years=1, first_year=years_so_far + 1)
        panel.renewal_total, panel.renewal_rate = quote.total, quote.lines[0].rate * 100
        panel.upgrade_to = _next_major(versions, contract, today)
        if panel.upgrade_to is not None:
            panel.upgrade_total = upgrade_price(contract.license_price)
    return panel


def _product_panel(product: Product, contracts: list[Contract], today: date) -> ProductPanel:
    versions = list(product.major_versions.all())
    mine = _customer_versions(contracts, versions, today)
    rows = [
        TimelineRow(
            label=str(v),
            ga=v.ga,
            eos=v.eos,
            eoms=v.eoms,
            eol=v.eol,
            announced=v.announced_at,
            highlighted=v.pk in mine,
            provisional=v.eoms_provisional,
        )
        for v in versions
    ]
    svg = (
        timeline_svg(rows, today=today, title=gettext("%(product)s lifecycle") % {"product": product.name})
        if rows
        else ""
    )
    return ProductPanel(
        product=product,
        versions=[
            {"version": v, "phase": PHASE_WORDS[v.phase_at(today)], "mine": v.pk in mine} for v in versions
        ],
        timeline=mark_safe(svg),  # noqa: S308 - built by timeline_svg, which escapes every text it writes
        contracts=[_contract_panel(c, versions, today) for c in contracts],
    )


@login_required
def my_products(request):
    organization = user_organization(request.user)
    today = timezone.localdate()
    panels = []
    if organization is not None:
        contracts = list(organization_contracts(organization=organization))
        for product in organization_products(organization=organization):
            mine = [c for c in contracts if c.product_id == product.pk]
            panels.append(_product_panel(product, mine, today))
    feed_url = request.build_absolute_uri(
        reverse("lifecycle:calendar", args=[calendar_token_for(request.user).token])
    )
    return render(
        request,
        "lifecycle/my_products.html",
        {"organization": organization, "panels": panels, "today": today, "feed_url": feed_url},
    )


@login_required
@require_POST
@counts_as_write(back_to("lifecycle:my-products", anchor="#calendar"))  # past the write rate: says so there
def calendar_regenerate(request):
    calendar_token_regenerate(user=request.user)
    messages.success(request, _("Your calendar address has changed; the old one no longer works."))
    return redirect(reverse("lifecycle:my-products") + "#calendar")


def calendar_feed(request, token: str):
    """The milestones of the token owner's products. The address is the credential: an unknown
    or revoked token answers 404, and a person sees only their own organization's products."""
    user = calendar_feed_owner(token)
    organization = user_organization(user) if user is not None else None
    if organization is None:
        raise Http404(_("Unknown calendar"))
    products = organization_products(organization=organization)
    with translation.override(email_language(user)):  # the owner's language, not the calendar app's
        name = gettext("%(organization)s product milestones") % {"organization": organization.name}
        body = milestones_calendar(products, name=name, now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="product-milestones.ics"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


def public_lifecycle(request):
    """Every product's versions with GA, EOS, EOMS, EOL and phase, for anyone: Infotecs' policy
    publishes the supported versions and their timelines "on the company's web site"."""
    today = timezone.localdate()
    products = product_list().order_by("vendor__name", "name")
    panels = [_product_panel(product, [], today) for product in products]
    return render(request, "lifecycle/public.html", {"panels": panels, "today": today})


def public_calendar(request):
    """The public iCalendar feed of every product's milestones."""
    body = milestones_calendar(
        product_list().order_by("vendor__name", "name"), name="Product milestones", now=timezone.now()
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="lifecycle.ics"'
    response["Cache-Control"] = "public, max-age=3600"
    return response
