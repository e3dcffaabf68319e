"""Monthly statements (issue 21 point 2): one month with every kind of charge, figures a reader
can check by hand, as the organization's administrator reads it (page, CSV, printable view),
frozen once closed, and never shown to another organization or a plain member."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from lifecycle.models import Deployment, Plan, PremiumOptionKind
from lifecycle.services import contract_create, premium_option_set
from reports.statements import statement_close, statement_compute
from tests.lifecycle.conftest import NOW
from tickets.models import ExpenseKind, OrderKind, SessionOutcome, WorkLocation
from tickets.services import billing, ticket_open, ticket_resolve

NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def month_of_charges(organization, customer, org_admin, agent, infotecs, basic_contract, versions):
    """November 2026 for contract B-1 (hourly rate 80.00 EUR) with a Premium contract P-2 whose
    contract year starts on 1 November (account manager 1,200.00, emergency calls 500.00 each,
    feature requests):
    - INF-A, normal on version 3 (Extended Support): charged, needs a quote (300.00 accepted);
      90 min of remote work = 120.00;
    - INF-B, an emergency call on version 4: 500.00; remote diagnosis failed, visit, 150 min on
      site = 200.00, travel 45.50 EUR, accommodation 8,000.00 RUB;
    - INF-C, a vulnerability on version 3: free, resolved (uses a ticket of the quota);
    - a feature request delivered at 750.00.
    EUR: 120.00 + 500.00 + 200.00 + 45.50 + 1,200.00 + 750.00 = 2,815.50; RUB: 8,000.00."""
    basic_contract.hourly_rate = Decimal("80.00")
    basic_contract.save()
    premium = contract_create(
        organization=organization,
        product=basic_contract.product,
        plan=Plan.PREMIUM,
        start=date(2026, 11, 1),
        end=date(2027, 10, 31),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("0"),
        reference="P-2",
    )
    premium_option_set(contract=premium, kind=PremiumOptionKind.ACCOUNT_MANAGER, price=Decimal("1200.00"))
    premium_option_set(contract=premium, kind=PremiumOptionKind.EMERGENCY_ONSITE, price=Decimal("500.00"))
    premium_option_set(contract=premium, kind=PremiumOptionKind.FEATURE_REQUESTS, price=Decimal("0"))
    product = basic_contract.product
    at = NOW - timedelta(days=10)
    case_a = ticket_open(
        organization=organization, requester=customer, vendor=infotecs, priority="normal", subject="Old bug",
        body="x", product=product, major_version=versions[3], confirm_billable=True, at=at,
    )  # fmt: skip
    quote = billing.case_quote(ticket=case_a, by=agent, price=Decimal("300.00"), quote_text="Fix", at=at)
    billing.order_accept(order=quote, by=customer, at=at)
    billing.work_record(ticket=case_a, by=agent, started_at=at, minutes=90)
    case_b = ticket_open(
        organization=organization, requester=customer, vendor=infotecs, priority="critical", subject="Down",
        body="x", product=product, major_version=versions[4], emergency=True, confirm_billable=True, at=at,
    )  # fmt: skip
    billing.remote_session_record(
        ticket=case_b, by=agent, started_at=at, minutes=30, outcome=SessionOutcome.FAILED
    )
    billing.onsite_request(ticket=case_b, by=customer, confirm_billable=True, at=at)
    billing.visit_arrive(ticket=case_b, by=agent, at=at + timedelta(hours=3))
    billing.work_record(
        ticket=case_b, by=agent, started_at=at + timedelta(hours=3), minutes=150, location=WorkLocation.ONSITE
    )
    billing.expense_record(
        ticket=case_b, by=agent, kind=ExpenseKind.TRAVEL, incurred_on=at.date(),
        amount=Decimal("45.50"), currency="EUR", description="Train",
    )  # fmt: skip
    billing.expense_record(
        ticket=case_b, by=agent, kind=ExpenseKind.ACCOMMODATION, incurred_on=at.date(),
        amount=Decimal("8000.00"), currency="rub", description="Hotel",
    )  # fmt: skip
    case_c = ticket_open(
        organization=organization, requester=customer, vendor=infotecs, priority="normal", subject="CVE",
        body="x", product=product, major_version=versions[3], cve_id="cve-2026-1234", at=at,
    )  # fmt: skip
    ticket_resolve(ticket=case_c, by=agent, resolution_code="fixed-in-update", message="Patched", at=at)
    order = billing.order_request(
        organization=organization, by=customer, kind=OrderKind.FEATURE_REQUEST, description="Export",
        contract=basic_contract, at=at,
    )  # fmt: skip
    billing.order_quote(order=order, by=agent, price=Decimal("750.00"), at=at)
    billing.order_accept(order=order, by=org_admin, at=at)
    billing.order_deliver(order=order, by=agent, at=at + timedelta(days=2))
    return {"a": case_a, "b": case_b, "c": case_c, "premium": premium}


@time_machine.travel(NOW, tick=False)
def test_a_month_with_every_kind_of_charge_adds_up_by_hand(month_of_charges, basic_contract):
    s = statement_compute(contract=basic_contract, month=NOVEMBER)
    a, b = month_of_charges["a"].number, month_of_charges["b"].number
    assert [c.number for c in s.cases] == sorted([a, b])  # the free vulnerability is not listed
    lines = {c.number: c for c in s.cases}
    assert (lines[a].hours, lines[a].work_amount, lines[a].emergency_calls) == (
        Decimal("1.50"),
        Decimal("120.00"),
        0,
    )
    assert "Extended Support" in lines[a].reason
    assert (lines[b].hours, lines[b].work_amount, lines[b].emergency_amount) == (
        Decimal("2.50"),
        Decimal("200.00"),
        Decimal("500.00"),
    )
    assert [(e.amount, e.currency) for e in lines[b].expenses] == [
        (Decimal("45.50"), "EUR"),
        (Decimal("8000.00"), "RUB"),
    ]
    assert [(p.amount, p.currency) for p in s.premium_options] == [(Decimal("1200.00"), "EUR")]
    assert [(o.amount, o.currency) for o in s.orders] == [(Decimal("750.00"), "EUR")]
    assert s.totals == {"EUR": Decimal("2815.50"), "RUB": Decimal("8000.00")}
    # Year 2 of B-1 (2026): 40 carried over from an unused year 1, one used (INF-C), 79 left.
    q = s.quota
    assert (q.allowance, q.carried_over, q.used_this_month, q.remaining) == (80, 40, 1, 79)


@time_machine.travel(NOW, tick=False)
def test_the_organization_admin_reads_the_statement_page_csv_and_print_view(
    client, org_admin, month_of_charges, basic_contract
):
    client.force_login(org_admin)
    args = [basic_contract.pk, "2026-11"]
    page = client.get(reverse("reports:statement", args=args))
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert "2815.50 EUR" in html and "8000.00 RUB" in html and month_of_charges["b"].number in html
    printable = client.get(reverse("reports:statement-print", args=args))
    assert printable.status_code == HTTPStatus.OK and "@page" in printable.content.decode()
    response = client.get(reverse("reports:statement-csv", args=args))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["total", "", "", "", "2815.50", "EUR"] in rows and ["total", "", "", "", "8000.00", "RUB"] in rows
    listing = client.get(reverse("reports:statements"))
    assert reverse("reports:statement", args=args) in listing.content.decode()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("who", ["outsider", "customer"])
def test_another_organization_or_a_plain_member_never_sees_a_statement(
    client, request, who, month_of_charges, basic_contract
):
    client.force_login(request.getfixturevalue(who))
    args = [basic_contract.pk, "2026-11"]
    for name in ("reports:statement", "reports:statement-csv", "reports:statement-print"):
        assert client.get(reverse(name, args=args)).status_code == HTTPStatus.NOT_FOUND
    response = client.get(reverse("reports:statements"))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_closed_statement_is_frozen(month_of_charges, basic_contract, agent, client, org_admin):
    with time_machine.travel(date(2026, 12, 2), tick=False):
        statement_close(contract=basic_contract, month=NOVEMBER, by=agent)
        # Later work on November's case changes nothing in the closed statement.
        billing.work_record(
            ticket=month_of_charges["a"], by=agent, started_at=NOW - timedelta(days=9), minutes=600
        )
        client.force_login(org_admin)
        html = client.get(reverse("reports:statement", args=[basic_contract.pk, "2026-11"])).content.decode()
    assert "2815.50 EUR" in html and "frozen" in html
    assert statement_compute(contract=basic_contract, month=NOVEMBER).totals["EUR"] == Decimal("3615.50")


@time_machine.travel(NOW, tick=False)
def test_a_statement_is_closed_only_after_its_month(basic_contract, agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        statement_close(contract=basic_contract, month=NOVEMBER, by=agent)
    assert "month" in error.value.message_dict


def test_work_and_expenses_of_a_later_month_bring_an_earlier_case_back(
    month_of_charges, basic_contract, agent
):
    """A case opened in November with work and an expense in December is on December's statement
    with December's charges only; its November emergency call stays in November."""
    december = date(2026, 12, 1)
    with time_machine.travel(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), tick=False):
        started = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
        billing.work_record(ticket=month_of_charges["a"], by=agent, started_at=started, minutes=20)
        billing.expense_record(
            ticket=month_of_charges["b"], by=agent, kind=ExpenseKind.OTHER, incurred_on=date(2026, 12, 2),
            amount=Decimal("9.99"), currency="EUR", description="Taxi",
        )  # fmt: skip
        s = statement_compute(contract=basic_contract, month=december)
    lines = {c.number: c for c in s.cases}
    a, b = lines[month_of_charges["a"].number], lines[month_of_charges["b"].number]
    assert (a.minutes, a.work_amount, a.expenses) == (20, Decimal("26.67"), [])  # 20 × 80.00 ÷ 60
    assert (b.minutes, b.emergency_calls, [(e.amount, e.description) for e in b.expenses]) == (
        0,
        0,
        [(Decimal("9.99"), "Taxi")],
    )
    assert s.totals["EUR"] == Decimal("36.66")
    november = statement_compute(contract=basic_contract, month=NOVEMBER)
    assert november.totals == {"EUR": Decimal("2815.50"), "RUB": Decimal("8000.00")}


OLD_ROWS = """{% for c in s.cases %}
    <tr>
      <td>{{ c.number }}<br><span class="small muted">{{ c.subject }}</span></td>
      <td class="small">{{ c.reason }}</td>
      <td class="num">{{ c.hours }}</td>
      <td class="num">{{ c.work_amount }} {{ s.currency }}</td>
      <td class="num">{% if c.emergency_calls %}{{ c.emergency_amount }} {{ s.currency }}{% else %}—{% endif %}</td>
      <td class="small">{% for e in c.expenses %}{{ e.kind }} {{ e.incurred_on }}: {{ e.amount }} {{ e.currency }}{% if e.description %} ({{ e.description }}){% endif %}{% if not forloop.last %}<br>{% endif %}{% empty %}—{% endfor %}</td>
    </tr>
  {% endfor %}"""  # noqa: E501 - the template as it was


@time_machine.travel(NOW, tick=False)
def test_the_fast_case_rows_and_json_equal_the_template_and_the_serializer(month_of_charges, basic_contract):
    """The statement's case rows are written in Python and its JSON without DRF's fields, for speed
    (bench/reports.py); both must say exactly what the template and StatementOutput said."""
    from django.template import Context, Template

    from reports.billing.api import StatementOutput, statement_output
    from reports.statements import statement_for

    month_of_charges["a"].subject = 'Fails on <script>alert("x")</script> & more'
    month_of_charges["a"].save(update_fields=["subject"])
    s = statement_for(contract=basic_contract, month=NOVEMBER)
    old = Template(OLD_ROWS).render(Context({"s": s}))
    new = Template("{% load statement_format %}{% statement_case_rows s %}").render(Context({"s": s}))
    assert new == old and "&lt;script&gt;" in new
    assert statement_output(s) == StatementOutput(s).data
