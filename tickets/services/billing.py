"""Infotecs' services on a case and apart from one (issue 21): work and expenses on billable cases,
remote diagnosis and then an on-site visit, vulnerabilities re-classified, quotes the customer
accepts, orders (feature requests, additional services) and pilot versions.

Who may do what: the desk records work, expenses, remote sessions and visits, quotes and delivers;
a member of the case's organization asks for a visit, orders, and accepts or declines a quote.
Prices are lifecycle.pricing's; entitlements (may a case become a visit?) lifecycle.entitlements'."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lifecycle.dates import Phase
from lifecycle.models import Contract, MajorVersion, Plan, PremiumOptionKind
from lifecycle.services import case_contract, entitlement_check
from portal.selectors import user_membership

from ..models import (
    Attachment,
    Expense,
    OnsiteVisit,
    Order,
    OrderKind,
    OrderState,
    RemoteSession,
    SessionOutcome,
    Ticket,
    WorkEntry,
    WorkLocation,
)
from ..words import Note, Reason, Said, stored_reason
from .sla import case_language, organization_language
from .tickets import reply_save

DESK_ONLY = _("Only the support desk can record this.")
# The descriptions the desk writes on its orders, worded by _desk_words.
CASE_WORK_WORDS = gettext_noop("Chargeable work on %(case)s: %(subject)s")
PILOT_WORDS = gettext_noop("Pilot version of %(version)s")
NOT_YOUR_ORGANIZATION = _("This belongs to another organization.")
NOT_BILLABLE = _("This case is covered by the support plan: no work or expenses are charged on it.")
AGREEMENT_FIRST = _(
    "This work needs the customer's agreement: send a quote and wait until the customer accepts it."
)
VISIT_NOT_ARRIVED = _("Record the specialist's arrival on site before logging on-site work.")
RECEIPT_OF_ANOTHER_CASE = _("Choose a receipt attached to this case.")
POSITIVE_MINUTES = _("Work lasts at least one minute.")
POSITIVE_AMOUNT = _("An expense is more than zero.")
CURRENCY_CODE = _("Use an ISO 4217 code, e.g. EUR.")
VISIT_ALREADY = _("An on-site visit is already requested for this case.")
CASE_CLOSED = _("This case is {status}: reopen it first.")
BILLABLE_NOT_CONFIRMED = _("An on-site visit will be charged: {reason} Confirm that you accept the charge.")
NO_VISIT = _("No on-site visit was requested for this case.")
RECLASSIFY_REASON = _("Say why the case is re-classified.")
BAD_ORDER_STATE = _("This order is {state}: it cannot be {action}.")
NO_PRICE = _("Give the price the customer is asked to accept.")
NEEDS_CONTRACT = _("Choose one of your organization's support contracts.")
CONTRACT_INACTIVE = _("This contract is not active today.")
NEEDS_SUPPORT_PLAN = _("Orders are made under an Infotecs Basic or Premium contract.")
NO_FEATURE_REQUESTS = _("Feature requests are a Premium option your contract does not include.")
PILOT_NOT_ANNOUNCED = _("{version} is not an announced version before its general availability.")
PILOT_NOT_HELD = _("Your organization holds no support contract for {product}.")
PILOT_NEEDS_REFERENCE = _("Give the download reference of the pilot version.")
DESCRIBE = _("Describe what you need.")
CVE_FORMAT = _("A CVE id reads CVE-<year>-<number>, e.g. CVE-2026-12345.")
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,19}$")


def cve_id_clean(value: str) -> str:
    """A CVE id as stored (upper case), or "" for none; ValidationError on cve_id otherwise. The one
    check of the format, for the opening form, the API and a re-classification."""
    value = (value or "").strip().upper()
    if value and not CVE_ID.match(value):
        raise ValidationError({"cve_id": CVE_FORMAT})
    return value


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _desk_only(by, field: str = "non_field_errors") -> None:
    if not by.is_staff:
        raise ValidationError({field: DESK_ONLY})


def _member(organization_id: int, by) -> None:
    if by.is_staff:
        return
    membership = user_membership(by)
    if membership is None or membership.organization_id != organization_id:
        raise ValidationError({"non_field_errors": NOT_YOUR_ORGANIZATION})


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",)).select_related("priority", "vendor").get(pk=ticket.pk)
    )


def _agreed(ticket: Ticket) -> bool:
    return ticket.orders.filter(
        kind=OrderKind.CASE_WORK, state__in=(OrderState.ACCEPTED, OrderState.DELIVERED)
    ).exists()


def _check_chargeable(ticket: Ticket) -> None:
    """Work and expenses are charged on billable cases only, and work not already agreed (an
    Extended Support fix of an ordinary bug) only once the customer accepted its quote."""
    if not ticket.billable:
        raise ValidationError({"ticket": NOT_BILLABLE})
    if ticket.agreement_required and not _agreed(ticket):
        raise ValidationError({"ticket": AGREEMENT_FIRST})


# ---------------------------------------------------------------------------- work and expenses


@transaction.atomic
def work_record(
    *,
    ticket: Ticket,
    by,
    started_at: datetime,
    minutes: int,
    location: str = WorkLocation.REMOTE,
    specialist=None,
    description: str = "",
    at: datetime | None = None,
) -> WorkEntry:
    """Log a specialist's work on a billable case (start, duration, remote or on site, who)."""
    _desk_only(by)
    ticket = _lock(ticket)
    _check_chargeable(ticket)
    if minutes < 1:
        raise ValidationError({"minutes": POSITIVE_MINUTES})
    if location == WorkLocation.ONSITE:
        visit = OnsiteVisit.objects.filter(ticket=ticket).first()
        if visit is None or visit.arrived_at is None:
            raise ValidationError({"location": VISIT_NOT_ARRIVED})
    entry = WorkEntry(
        ticket=ticket,
        started_at=started_at,
        minutes=minutes,
        location=location,
        specialist=specialist or by,
        description=description,
        recorded_at=_now(at),
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def expense_record(
    *,
    ticket: Ticket,
    by,
    kind: str,
    incurred_on: date,
    amount: Decimal,
    currency: str,
    description: str = "",
    receipt: Attachment | None = None,
    at: datetime | None = None,
) -> Expense:
    """Record an expense the customer reimburses, in the currency it was paid in."""
    _desk_only(by)
    ticket = _lock(ticket)
    _check_chargeable(ticket)
    if amount is None or amount <= 0:
        raise ValidationError({"amount": POSITIVE_AMOUNT})
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": CURRENCY_CODE})
    if receipt is not None and receipt.ticket_id != ticket.pk:
        raise ValidationError({"receipt": RECEIPT_OF_ANOTHER_CASE})
    expense = Expense(
        ticket=ticket,
        kind=kind,
        incurred_on=incurred_on,
        amount=amount,
        currency=currency,
        description=description,
        receipt=receipt,
        recorded_by=by,
        recorded_at=_now(at),
    )
    expense.full_clean()
    expense.save()
    return expense


# ---------------------------------------------------------------------------- remote, then on site


@transaction.atomic
def remote_session_record(
    *, ticket: Ticket, by, started_at: datetime, minutes: int, outcome: str, notes: str = ""
) -> RemoteSession:
    """Remote diagnosis over the customer's remote connection, with its outcome."""
    _desk_only(by)
    if minutes < 1:
        raise ValidationError({"minutes": POSITIVE_MINUTES})
    session = RemoteSession(
        ticket=ticket, started_at=started_at, minutes=minutes, outcome=outcome, specialist=by, notes=notes
    )
    session.full_clean()
    session.save()
    return session


def onsite_check(*, ticket: Ticket, at: datetime | None = None):
    """The entitlement an on-site visit asked for now would get: the same rules as at opening,
    with "remote help could not solve it" read from the case's failed remote sessions."""
    return entitlement_check(
        organization=ticket.organization,
        vendor=ticket.vendor,
        product=ticket.product,
        major_version=ticket.major_version,
        priority_code=ticket.priority.code,
        onsite=True,
        remote_failed=ticket.remote_sessions.filter(outcome=SessionOutcome.FAILED).exists(),
        vulnerability=ticket.vulnerability,
        emergency=ticket.emergency,
        at=_now(at),
        policy_version=ticket.policy_version,
    )


@transaction.atomic
def onsite_request(
    *, ticket: Ticket, by, confirm_billable: bool = False, address: str = "", at: datetime | None = None
) -> OnsiteVisit:
    """A case becomes an on-site visit after remote diagnosis failed (a critical Basic case) or
    as a Premium emergency: checked by the entitlement rules of an opening, charged, and opened
    only once the customer accepted the charge (as at opening: no surprise charges)."""
    _member(ticket.organization_id, by)
    ticket = _lock(ticket)
    at = _now(at)
    if not ticket.is_open:
        raise ValidationError({"onsite": CASE_CLOSED.format(status=ticket.get_status_display().lower())})
    if OnsiteVisit.objects.filter(ticket=ticket).exists():
        raise ValidationError({"onsite": VISIT_ALREADY})
    entitlement = onsite_check(ticket=ticket, at=at)
    if not entitlement.allowed:
        raise ValidationError({"onsite": entitlement.reasons})
    new_reasons = [r for r in entitlement.reasons if r not in ticket.billable_reason]
    if not confirm_billable:
        raise ValidationError(
            {"confirm_billable": BILLABLE_NOT_CONFIRMED.format(reason=" ".join(new_reasons))}
        )
    ticket.onsite_requested = True
    ticket.billable = True
    ticket.billable_reason = " ".join(filter(None, [ticket.billable_reason, *new_reasons]))
    ticket.updated_at = at
    ticket.save()
    visit = OnsiteVisit(ticket=ticket, requested_at=at, requested_by=by, address=address)
    visit.full_clean()
    visit.save()
    return visit


def _visit(ticket: Ticket) -> OnsiteVisit:
    visit = OnsiteVisit.objects.select_for_update().filter(ticket=ticket).first()
    if visit is None:
        raise ValidationError({"onsite": NO_VISIT})
    return visit


@transaction.atomic
def visit_schedule(*, ticket: Ticket, by, scheduled_for: datetime) -> OnsiteVisit:
    _desk_only(by)
    visit = _visit(ticket)
    visit.scheduled_for = scheduled_for
    visit.save()
    return visit


@transaction.atomic
def visit_arrive(*, ticket: Ticket, by, at: datetime | None = None) -> OnsiteVisit:
    """The specialist arrived on site; repeating it keeps the first arrival."""
    _desk_only(by)
    visit = _visit(ticket)
    if visit.arrived_at is None:
        visit.arrived_at = _now(at)
        visit.save()
    return visit


# ---------------------------------------------------------------------------- vulnerabilities


@transaction.atomic
def ticket_reclassify(
    *, ticket: Ticket, by, vulnerability: bool, reason: str, cve_id: str = "", at: datetime | None = None
) -> Ticket:
    """Staff re-classify a case as a vulnerability or not, with a reason (kept as an internal note
    and in the case's history). The charge is decided again by the entitlement rules of its
    opening day: on an Extended Support version a vulnerability is free, an ordinary bug is not."""
    _desk_only(by, "vulnerability")
    if not reason.strip():
        raise ValidationError({"reason": RECLASSIFY_REASON})
    ticket = _lock(ticket)
    at = _now(at)
    ticket.vulnerability = vulnerability
    ticket.cve_id = cve_id_clean(cve_id) if vulnerability else ""
    entitlement = entitlement_check(
        organization=ticket.organization,
        vendor=ticket.vendor,
        product=ticket.product,
        major_version=ticket.major_version,
        priority_code=ticket.priority.code,
        onsite=False,
        vulnerability=vulnerability,
        at=ticket.opened_at,
        policy_version=ticket.policy_version,
    )
    if entitlement.allowed:
        visit_reasons = [] if not ticket.onsite_requested else [ticket.billable_reason]
        ticket.billable = entitlement.billable or ticket.onsite_requested or ticket.emergency
        ticket.billable_reason = entitlement.billable_reason or " ".join(visit_reasons)
        ticket.agreement_required = entitlement.agreement_required
    said = {"vulnerability": vulnerability, "reason": reason.strip()}
    ticket._change_reason = stored_reason(Reason.RECLASSIFIED, said)
    ticket.updated_at = at
    ticket.save()
    note = Said(Note.RECLASSIFIED, {**said, **({"cve_id": ticket.cve_id} if ticket.cve_id else {})})
    reply_save(ticket=ticket, author=by, note=note, internal=True, at=at, field="reason")
    return ticket


# ---------------------------------------------------------------------------- quotes and orders


def _case_contract(ticket: Ticket) -> Contract | None:
    """The contract the case was opened under, by the opening's own rule (the Basic one naming its
    version, else the one for any current version; not the Premium one on top of it)."""
    day = ticket.opened_at.astimezone(UTC).date()
    contracts = Contract.objects.filter(
        organization_id=ticket.organization_id, product_id=ticket.product_id, start__lte=day, end__gte=day
    )
    return case_contract(contracts, day, ticket.major_version)


@transaction.atomic
def case_quote(*, ticket: Ticket, by, price: Decimal, quote_text: str, at: datetime | None = None) -> Order:
    """Quote chargeable work on a case that is not already agreed; the customer accepts it on the
    case page before the work starts."""
    _desk_only(by)
    if price is None or price < 0:
        raise ValidationError({"price": NO_PRICE})
    at = _now(at)
    contract = _case_contract(ticket)
    order = Order(
        organization_id=ticket.organization_id,
        contract=contract,
        ticket=ticket,
        kind=OrderKind.CASE_WORK,
        state=OrderState.QUOTED,
        description=_desk_words(
            case_language(ticket), CASE_WORK_WORDS, case=ticket.number, subject=ticket.subject
        ),
        requested_by=by,
        requested_at=at,
        price=price,
        currency=contract.currency if contract else "EUR",
        quote_text=quote_text,
        quoted_by=by,
        quoted_at=at,
    )
    order.full_clean()
    order.save()
    return order


def _order_contract(*, organization, contract: Contract | None, kind: str, day: date) -> Contract:
    if contract is None or contract.organization_id != organization.pk:
        raise ValidationError({"contract": NEEDS_CONTRACT})
    if not contract.is_active_on(day):
        raise ValidationError({"contract": CONTRACT_INACTIVE})
    if contract.plan not in (Plan.BASIC, Plan.PREMIUM):
        raise ValidationError({"contract": NEEDS_SUPPORT_PLAN})
    if kind == OrderKind.FEATURE_REQUEST:
        premium = Contract.objects.filter(
            organization=organization,
            product_id=contract.product_id,
            plan=Plan.PREMIUM,
            start__lte=day,
            end__gte=day,
            premium_options__kind=PremiumOptionKind.FEATURE_REQUESTS,
        ).first()
        if premium is None:
            raise ValidationError({"kind": NO_FEATURE_REQUESTS})
    return contract


@transaction.atomic
def order_request(
    *,
    organization,
    by,
    kind: str,
    description: str,
    contract: Contract | None,
    at: datetime | None = None,
) -> Order:
    """A feature request ("accepted; the price shall be stipulated separately", a Premium option)
    or an additional service ("charged under SLA") ordered from the portal; staff quote it."""
    _member(organization.pk, by)
    at = _now(at)
    if kind not in (OrderKind.FEATURE_REQUEST, OrderKind.ADDITIONAL_SERVICE):
        raise ValidationError({"kind": _("Order a feature request or an additional service.")})
    if not description.strip():
        raise ValidationError({"description": DESCRIBE})
    contract = _order_contract(organization=organization, contract=contract, kind=kind, day=at.date())
    order = Order(
        organization=organization,
        contract=contract,
        kind=kind,
        description=description.strip(),
        requested_by=by,
        requested_at=at,
        currency=contract.currency,
    )
    order.full_clean()
    order.save()
    return order


def _locked_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _order_state(order: Order, allowed: tuple[str, ...], action) -> None:
    # `action` is what was asked, in the reader's words (pgettext_lazy, context "order action").
    if order.state not in allowed:
        raise ValidationError(
            {"state": BAD_ORDER_STATE.format(state=order.get_state_display().lower(), action=str(action))}
        )


@transaction.atomic
def order_quote(
    *, order: Order, by, price: Decimal, quote_text: str = "", at: datetime | None = None
) -> Order:
    _desk_only(by)
    order = _locked_order(order)
    _order_state(order, (OrderState.REQUESTED, OrderState.QUOTED), pgettext_lazy("order action", "quoted"))
    if price is None or price < 0:
        raise ValidationError({"price": NO_PRICE})
    order.price, order.quote_text = price, quote_text
    order.quoted_by, order.quoted_at, order.state = by, _now(at), OrderState.QUOTED
    order.save()
    return order


@transaction.atomic
def order_accept(*, order: Order, by, at: datetime | None = None) -> Order:
    """The customer accepts the quote: who and when are kept. Accepting twice is a no-op."""
    _member(order.organization_id, by)
    order = _locked_order(order)
    if order.state == OrderState.ACCEPTED:
        return order
    _order_state(order, (OrderState.QUOTED,), pgettext_lazy("order action", "accepted"))
    order.state, order.accepted_by, order.accepted_at = OrderState.ACCEPTED, by, _now(at)
    order.save()
    return order


@transaction.atomic
def order_decline(*, order: Order, by, at: datetime | None = None) -> Order:
    _member(order.organization_id, by)
    order = _locked_order(order)
    _order_state(order, (OrderState.REQUESTED, OrderState.QUOTED), pgettext_lazy("order action", "declined"))
    order.state, order.declined_at = OrderState.DECLINED, _now(at)
    order.save()
    return order


@transaction.atomic
def order_deliver(*, order: Order, by, download_reference: str = "", at: datetime | None = None) -> Order:
    """Staff deliver an accepted order (it is billed in the month of delivery), or fulfil a pilot
    request with its download reference."""
    _desk_only(by)
    order = _locked_order(order)
    if order.kind == OrderKind.PILOT:
        _order_state(order, (OrderState.REQUESTED,), pgettext_lazy("order action", "fulfilled"))
        if not download_reference.strip():
            raise ValidationError({"download_reference": PILOT_NEEDS_REFERENCE})
    else:
        _order_state(order, (OrderState.ACCEPTED,), pgettext_lazy("order action", "delivered"))
    order.state, order.delivered_at = OrderState.DELIVERED, _now(at)
    order.download_reference = download_reference.strip()
    order.save()
    return order


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def _before_ga(version: MajorVersion, day: date) -> bool:
    """A pilot is asked for an announced major version before its general availability."""
    return version.announced_at is not None and version.phase_at(day) == Phase.PRE_RELEASE


def pilot_versions(*, organization, day: date) -> list[MajorVersion]:
    """The versions an organization may ask a pilot of: announced, before GA, of a product it holds
    a contract for."""
    held = Contract.objects.filter(organization=organization, end__gte=day).values("product_id")
    candidates = MajorVersion.objects.filter(product_id__in=held, announced_at__isnull=False)
    return [v for v in candidates.select_related("product") if _before_ga(v, day)]


@transaction.atomic
def pilot_request(
    *, organization, by, major_version: MajorVersion, note: str = "", at: datetime | None = None
) -> Order:
    """ "Provide customers (on their request) with a pilot version for trial before the start of
    sales": an announced major version before its GA, for an organization holding a contract for
    the product. Free; staff fulfil it with a download reference."""
    _member(organization.pk, by)
    at = _now(at)
    day = at.astimezone(UTC).date()
    if not _before_ga(major_version, day):
        raise ValidationError({"major_version": PILOT_NOT_ANNOUNCED.format(version=major_version)})
    contract = (
        Contract.objects.filter(organization=organization, product_id=major_version.product_id, end__gte=day)
        .order_by("plan", "pk")
        .first()
    )
    if contract is None:
        raise ValidationError({"major_version": PILOT_NOT_HELD.format(product=major_version.product)})
    existing = Order.objects.filter(
        organization=organization, kind=OrderKind.PILOT, major_version=major_version
    ).first()
    if existing is not None:
        return existing  # asking again is a no-op
    order = Order(
        organization=organization,
        contract=contract,
        major_version=major_version,
        kind=OrderKind.PILOT,
        description=note.strip()
        or _desk_words(organization_language(organization), PILOT_WORDS, version=major_version),
        requested_by=by,
        requested_at=at,
        price=Decimal("0.00"),
        currency=contract.currency,
    )
    order.full_clean()
    order.save()
    return order


def _desk_words(language: str, words: str, **values) -> str:
    """A description the desk writes on an order, in the language its organization reads (kept as
    text: staff may edit it, the customer may have written their own)."""
    with translation.override(language):
        return gettext(words) % values
