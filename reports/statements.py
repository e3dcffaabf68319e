"""Monthly statements per organization and contract (issue 21 point 2): the quota used, carried
over and left; the billable cases with their reason, hours, expenses and emergency calls; the
Premium options; the orders delivered; totals per currency. Money is `Decimal`, never converted
between currencies; each line is rounded to the cent half up (lifecycle.pricing) and a total is
the sum of its lines. Months are UTC calendar months.

What is charged in a month:
- work: each entry started in the month, minutes × the contract's hourly rate ÷ 60;
- expenses: each one incurred in the month, in its own currency;
- emergency calls: each emergency case opened in the month, at the Premium option's price;
- Premium options (but emergency calls and feature requests, charged per use): their agreed
  price, in the month a contract year of the Premium contract begins;
- orders (feature requests, additional services): their quoted price, in the month delivered.
A case's accepted quote is the agreement to do the work, not a charge of its own: the work is
billed as logged. A closed statement (reports.Statement) is frozen: read from its snapshot."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from lifecycle.dates import add_months
from lifecycle.models import Contract, LedgerKind, Plan, PremiumOptionKind, QuotaLedgerEntry
from lifecycle.pricing import hours, totals_by_currency, work_charge
from lifecycle.quota import contract_year_at
from lifecycle.selectors import contract_quota
from tickets.models import Expense, Order, OrderKind, OrderState, Ticket, WorkEntry

from .models import Statement

# Options charged per use, not per contract year: each emergency call, each feature request's quote.
PER_USE_OPTIONS = frozenset({PremiumOptionKind.EMERGENCY_ONSITE, PremiumOptionKind.FEATURE_REQUESTS})
ALREADY_CLOSED = gettext_lazy("The statement for {month:%B %Y} is already closed.")
MONTH_NOT_OVER = gettext_lazy("A statement is closed once its month is over.")


@dataclass
class ExpenseLine:
    kind: str
    incurred_on: str
    description: str
    amount: Decimal
    currency: str


@dataclass
class CaseLine:
    number: str
    subject: str
    reason: str
    minutes: int = 0
    hours: Decimal = Decimal("0.00")
    work_amount: Decimal = Decimal("0.00")
    expenses: list[ExpenseLine] = field(default_factory=list)
    emergency_calls: int = 0
    emergency_amount: Decimal = Decimal("0.00")
    vulnerability: bool = False


@dataclass
class PriceLine:
    what: str
    amount: Decimal
    currency: str


@dataclass
class QuotaLine:
    contract_year: int
    allowance: int
    carried_over: int
    used_this_month: int
    used_this_year: int
    remaining: int


@dataclass
class StatementData:
    organization: str
    contract_id: int
    contract: str
    currency: str
    hourly_rate: Decimal
    month: str  # YYYY-MM
    quota: QuotaLine | None
    cases: list[CaseLine]
    premium_options: list[PriceLine]
    orders: list[PriceLine]
    totals: dict[str, Decimal]
    closed_at: str = ""

    @property
    def closed(self) -> bool:
        return bool(self.closed_at)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime.combine(month.replace(day=1), time(0), tzinfo=UTC)
    return start, datetime.combine(add_months(month.replace(day=1), 1), time(0), tzinfo=UTC)


def _premium_contracts(contract: Contract, first: date, last: date) -> list[Contract]:
    if contract.plan == Plan.PREMIUM:
        return [contract]
    return list(
        Contract.objects.filter(
            organization_id=contract.organization_id,
            product_id=contract.product_id,
            plan=Plan.PREMIUM,
            start__lte=last,
            end__gte=first,
        )
        .prefetch_related("premium_options")
        .order_by("start")
    )


def _quota(contract: Contract, start: datetime, end: datetime, last: date) -> QuotaLine | None:
    quota = contract_quota(contract=contract, on=last)
    if quota is None:
        return None
    used_this_month = QuotaLedgerEntry.objects.filter(
        contract=contract, kind=LedgerKind.USE, recorded_at__gte=start, recorded_at__lt=end
    ).count()
    return QuotaLine(
        contract_year=quota.year,
        allowance=quota.allowance,
        carried_over=quota.carried_over,
        used_this_month=used_this_month,
        used_this_year=quota.used,
        remaining=quota.remaining,
    )


def _cases(
    contract: Contract, start: datetime, end: datetime, emergency_price: Decimal | None
) -> list[CaseLine]:
    """Billable cases of the organization about the contract's product that opened in the month
    or carry work or expenses of the month. Three queries whatever their number, each led by the
    organization's cases (ticket_org_opened, then work_ticket_started / expense_ticket_incurred),
    rows read as tuples: no model instances, no OR over a subquery of the whole desk's work."""
    first, after = start.date(), end.date()
    mine = {
        "ticket__organization_id": contract.organization_id,
        "ticket__product_id": contract.product_id,
        "ticket__billable": True,
    }
    # Whether the case opened before (or after) the month, answered by the database.
    elsewhen = ExpressionWrapper(
        Q(ticket__opened_at__lt=start) | Q(ticket__opened_at__gte=end), output_field=BooleanField()
    )
    work = (
        WorkEntry.objects.filter(**mine, started_at__gte=start, started_at__lt=end)
        .order_by()
        .values_list("ticket_id", "minutes", elsewhen)
    )
    spent = (
        Expense.objects.filter(**mine, incurred_on__gte=first, incurred_on__lt=after)
        .order_by("incurred_on", "id")
        .values_list("ticket_id", "kind", "incurred_on", "description", "amount", "currency", elsewhen)
    )
    minutes: dict[int, list[int]] = {}
    earlier: set[int] = set()  # cases opened before the month with work or expenses in it
    for ticket_id, entry_minutes, other_month in work:
        minutes.setdefault(ticket_id, []).append(entry_minutes)
        if other_month:
            earlier.add(ticket_id)
    kinds = dict(Expense._meta.get_field("kind").flatchoices)
    expenses: dict[int, list[ExpenseLine]] = {}
    for ticket_id, kind, incurred_on, description, amount, currency, other_month in spent:
        line = ExpenseLine(kinds.get(kind, kind), incurred_on.isoformat(), description, amount, currency)
        expenses.setdefault(ticket_id, []).append(line)
        if other_month:
            earlier.add(ticket_id)
    opened = Q(opened_at__gte=start, opened_at__lt=end)
    in_month = ExpressionWrapper(opened, output_field=BooleanField())
    tickets = (
        Ticket.objects.filter(
            organization_id=contract.organization_id, product_id=contract.product_id, billable=True
        )
        .filter(opened | Q(pk__in=sorted(earlier)) if earlier else opened)
        .order_by("number")
        .values_list("pk", "number", "subject", "billable_reason", "emergency", in_month, "vulnerability")
    )
    lines = []
    rate = contract.hourly_rate
    for pk, number, subject, reason, emergency, opened_this_month, vulnerability in tickets:
        line = CaseLine(number=number, subject=subject, reason=reason, vulnerability=vulnerability)
        entries = minutes.get(pk, ())
        line.minutes = sum(entries)
        line.work_amount = sum((work_charge(m, rate) for m in entries), Decimal("0.00"))
        line.hours = hours(line.minutes)
        line.expenses = expenses.get(pk, [])
        if emergency and opened_this_month and emergency_price is not None:
            line.emergency_calls, line.emergency_amount = 1, emergency_price
        lines.append(line)
    return lines


def _option_lines(premiums: list[Contract], first: date, last: date) -> list[PriceLine]:
    lines = []
    for premium in premiums:
        year = contract_year_at(premium.start, max(first, premium.start))
        if not first <= year.start <= last:
            continue
        for option in premium.premium_options.all():
            if option.kind not in PER_USE_OPTIONS:
                what = f"{option.get_kind_display()} (contract year {year.number})"
                lines.append(PriceLine(what, option.price, premium.currency))
    return lines


def _order_lines(
    contract: Contract, premiums: list[Contract], start: datetime, end: datetime
) -> list[PriceLine]:
    orders = Order.objects.filter(
        organization_id=contract.organization_id,
        contract_id__in=[contract.pk, *(p.pk for p in premiums)],
        state=OrderState.DELIVERED,
        delivered_at__gte=start,
        delivered_at__lt=end,
        kind__in=(OrderKind.FEATURE_REQUEST, OrderKind.ADDITIONAL_SERVICE),
    ).order_by("delivered_at", "pk")
    return [
        PriceLine(
            f"{o.get_kind_display()} #{o.pk}: {o.description[:80]}", o.price or Decimal("0.00"), o.currency
        )
        for o in orders
    ]


def statement_compute(*, contract: Contract, month: date) -> StatementData:
    """The statement of `contract` for `month` from the cases as they are now."""
    start, end = month_bounds(month)
    first, last = start.date(), date.fromordinal(end.date().toordinal() - 1)
    premiums = _premium_contracts(contract, first, last)
    emergency_price = next(
        (
            o.price
            for p in premiums
            for o in p.premium_options.all()
            if o.kind == PremiumOptionKind.EMERGENCY_ONSITE
        ),
        None,
    )
    cases = _cases(contract, start, end, emergency_price)
    options = _option_lines(premiums, first, last)
    orders = _order_lines(contract, premiums, start, end)
    money = [(c.work_amount, contract.currency) for c in cases]
    money += [(c.emergency_amount, contract.currency) for c in cases]
    money += [(e.amount, e.currency) for c in cases for e in c.expenses]
    money += [(line.amount, line.currency) for line in options + orders]
    return StatementData(
        organization=contract.organization.name,
        contract_id=contract.pk,
        contract=(
            f"{contract.get_plan_display()} {contract.reference or contract.pk} — {contract.product.name}"
        ),
        currency=contract.currency,
        hourly_rate=contract.hourly_rate,
        month=f"{first:%Y-%m}",
        quota=_quota(contract, start, end, last),
        cases=cases,
        premium_options=options,
        orders=orders,
        totals={k: v for k, v in totals_by_currency(money).items() if v or k == contract.currency},
    )


# ---------------------------------------------------------------------------- frozen statements


def _to_json(data: StatementData) -> dict:
    def plain(value):
        if isinstance(value, Decimal | Promise):  # Promise: a translated label, as text
            return str(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(asdict(data))


def _from_json(raw: dict) -> StatementData:
    money = Decimal
    cases = [
        CaseLine(
            **{
                **c,
                "hours": money(c["hours"]),
                "work_amount": money(c["work_amount"]),
                "emergency_amount": money(c["emergency_amount"]),
                "expenses": [ExpenseLine(**{**e, "amount": money(e["amount"])}) for e in c["expenses"]],
            }
        )
        for c in raw["cases"]
    ]
    prices = lambda rows: [PriceLine(r["what"], money(r["amount"]), r["currency"]) for r in rows]  # noqa: E731
    return StatementData(
        **{
            **raw,
            "hourly_rate": money(raw["hourly_rate"]),
            "quota": QuotaLine(**raw["quota"]) if raw["quota"] else None,
            "cases": cases,
            "premium_options": prices(raw["premium_options"]),
            "orders": prices(raw["orders"]),
            "totals": {k: money(v) for k, v in raw["totals"].items()},
        }
    )


def statement_for(*, contract: Contract, month: date) -> StatementData:
    """The closed statement's snapshot, or the month computed now."""
    closed = Statement.objects.filter(contract=contract, month=month.replace(day=1)).first()
    if closed is not None:
        return _from_json(closed.snapshot)
    return statement_compute(contract=contract, month=month)


@transaction.atomic
def statement_close(*, contract: Contract, month: date, by, at: datetime | None = None) -> Statement:
    """Freeze the month's statement: later work, expenses or re-classifications change nothing
    in it. Only once the month is over; closing twice is refused."""
    at = at or timezone.now()
    month = month.replace(day=1)
    _, end = month_bounds(month)
    if at < end:
        raise ValidationError({"month": MONTH_NOT_OVER})
    if Statement.objects.filter(contract=contract, month=month).exists():
        raise ValidationError({"month": ALREADY_CLOSED.format(month=month)})
    data = statement_compute(contract=contract, month=month)
    data.closed_at = at.isoformat()
    statement = Statement(contract=contract, month=month, closed_at=at, closed_by=by, snapshot=_to_json(data))
    statement.save()
    return statement


def statement_contracts(*, user):
    """The contracts whose statements a person may read: staff every one, an organization's
    administrator their organization's; nobody else any."""
    from portal.models import Role
    from portal.selectors import user_membership

    contracts = Contract.objects.select_related("organization", "product").order_by(
        "organization__name", "product__name", "-start"
    )
    if user.is_staff:
        return contracts
    membership = user_membership(user)
    if membership is None or membership.role != Role.ADMIN:
        return contracts.none()
    return contracts.filter(organization_id=membership.organization_id)
