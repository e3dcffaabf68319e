"""Issue 21 through the API: the desk logs work, expenses and remote diagnosis on a case; the
customer asks for a visit, accepts or declines quotes, orders and asks for pilot versions; the
organization's administrator reads a statement as JSON. The outsider (another organization) gets
404 on every case, quote, order and statement; bad input answers 400 naming the field."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine

from lifecycle.models import PremiumOptionKind
from lifecycle.services import premium_option_set
from tests.lifecycle.conftest import NOW
from tests.tickets.test_api import api
from tickets.models import Expense, OnsiteVisit, Order, OrderState, SessionOutcome, WorkEntry
from tickets.services import billing, ticket_open

AT = NOW - timedelta(hours=2)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _open(customer, infotecs, version, priority="normal", **kwargs):
    return ticket_open(
        organization=customer.membership.organization, requester=customer, vendor=infotecs,
        priority=priority, subject="Tunnel drops", body="x", product=version.product,
        major_version=version, at=AT, **kwargs,
    )  # fmt: skip


@pytest.fixture
def extended_case(customer, infotecs, versions, basic_contract):
    """A normal bug on version 3 (Extended Support): charged, and only once a quote is accepted."""
    return _open(customer, infotecs, versions[3], confirm_billable=True)


@pytest.fixture
def critical_case(customer, infotecs, versions, basic_contract):
    return _open(customer, infotecs, versions[4], priority="critical")


def post(user, path: str, body: dict | None = None):
    return api(user).post(path, body or {}, format="json")


def fields(answer) -> list[str]:
    """The fields a 400 names."""
    assert answer.status_code == HTTPStatus.BAD_REQUEST, answer.content
    return list(answer.json())


def url(ticket, what: str) -> str:
    return f"/api/tickets/{ticket.number}/{what}/"


def _accepted(ticket, agent, customer) -> Order:
    quote = billing.case_quote(ticket=ticket, by=agent, price=Decimal("300.00"), quote_text="Fix")
    return billing.order_accept(order=quote, by=customer)


# ---------------------------------------------------------------------------- work and expenses


def test_the_desk_logs_work_the_customer_reads_it_the_outsider_finds_no_case(
    extended_case, agent, customer, outsider
):
    _accepted(extended_case, agent, customer)
    body = {"started_at": AT.isoformat(), "minutes": 90, "description": "Patched the tunnel"}
    answer = post(agent, url(extended_case, "work"), body)
    assert answer.status_code == HTTPStatus.CREATED, answer.content
    assert (answer.json()["minutes"], answer.json()["specialist"]) == (90, "agent")
    assert post(customer, url(extended_case, "work"), body).status_code == 403
    assert post(outsider, url(extended_case, "work"), body).status_code == 404
    assert api(outsider).get(url(extended_case, "work")).status_code == 404
    seen = api(customer).get(url(extended_case, "work")).json()
    assert [(w["minutes"], w["specialist"]) for w in seen] == [(90, "Dana Desk")]
    assert WorkEntry.objects.filter(ticket=extended_case).count() == 1


def test_work_needs_an_accepted_quote_and_a_positive_duration(extended_case, agent, customer):
    body = {"started_at": AT.isoformat(), "minutes": 30}
    refused = post(agent, url(extended_case, "work"), body)
    assert refused.status_code == 400 and "quote" in refused.json()["ticket"][0]
    _accepted(extended_case, agent, customer)
    assert post(agent, url(extended_case, "work"), {**body, "minutes": 0}).json().keys() == {"minutes"}
    naive = post(agent, url(extended_case, "work"), {**body, "started_at": "2026-11-24T10:00"})
    assert fields(naive) == ["started_at"]


def test_no_work_is_charged_on_a_case_the_plan_covers(critical_case, agent):
    body = {"started_at": AT.isoformat(), "minutes": 30}
    refused = post(agent, url(critical_case, "work"), body)
    assert refused.status_code == 400 and fields(refused) == ["ticket"]


def test_expenses_keep_their_currency_and_refuse_a_bad_one(extended_case, agent, customer, outsider):
    _accepted(extended_case, agent, customer)
    body = {"kind": "travel", "incurred_on": "2026-11-23", "amount": "45.50", "currency": "rub"}
    answer = post(agent, url(extended_case, "expenses"), body)
    assert answer.status_code == 201, answer.content
    assert (answer.json()["amount"], answer.json()["currency"]) == ("45.50", "RUB")
    expense = Expense.objects.get()
    assert (expense.amount, expense.currency) == (Decimal("45.50"), "RUB")
    bad = post(agent, url(extended_case, "expenses"), {**body, "currency": "R1"})
    assert fields(bad) == ["currency"]
    bad = post(agent, url(extended_case, "expenses"), {**body, "amount": "-1"})
    assert fields(bad) == ["amount"]
    bad = post(agent, url(extended_case, "expenses"), {**body, "kind": "lunch"})
    assert fields(bad) == ["kind"]
    assert api(outsider).get(url(extended_case, "expenses")).status_code == 404
    assert [e["amount"] for e in api(customer).get(url(extended_case, "expenses")).json()] == ["45.50"]


# ---------------------------------------------------------------------------- remote, then on site


def test_after_a_failed_remote_session_the_customer_asks_for_a_visit(
    critical_case, agent, customer, outsider
):
    """Point 4: a critical Basic case may become a visit only after remote diagnosis failed; the
    customer confirms the charge; the case becomes billable."""
    early = post(customer, url(critical_case, "onsite"), {"confirm_billable": True})
    assert early.status_code == 400 and fields(early) == ["onsite"]
    session = {"started_at": AT.isoformat(), "minutes": 40, "outcome": SessionOutcome.FAILED}
    assert post(customer, url(critical_case, "remote-sessions"), session).status_code == 403
    assert post(agent, url(critical_case, "remote-sessions"), session).status_code == 201
    bad = post(agent, url(critical_case, "remote-sessions"), {**session, "outcome": "maybe"})
    assert fields(bad) == ["outcome"]
    unconfirmed = post(customer, url(critical_case, "onsite"), {})
    assert fields(unconfirmed) == ["confirm_billable"]
    assert "on-site" in unconfirmed.json()["confirm_billable"][0].lower()
    assert post(outsider, url(critical_case, "onsite"), {"confirm_billable": True}).status_code == 404
    body = {"confirm_billable": True, "address": "1 Lenin St"}
    answer = post(customer, url(critical_case, "onsite"), body)
    assert answer.status_code == 201, answer.content
    critical_case.refresh_from_db()
    assert critical_case.billable and critical_case.onsite_requested
    assert OnsiteVisit.objects.get(ticket=critical_case).requested_by == customer
    assert api(customer).get(url(critical_case, "onsite")).json()["address"] == "1 Lenin St"
    assert api(outsider).get(url(critical_case, "onsite")).status_code == 404
    again = post(customer, url(critical_case, "onsite"), body)
    assert fields(again) == ["onsite"]


def test_the_desk_schedules_the_visit_and_records_the_arrival(critical_case, agent, customer, outsider):
    """Point 4, the desk's side: a requested visit is scheduled (moved by scheduling again) and its
    arrival recorded once; on-site work is refused until then. Customers 403, outsiders 404."""
    billing.remote_session_record(
        ticket=critical_case, by=agent, started_at=AT, minutes=30, outcome=SessionOutcome.FAILED
    )
    assert fields(post(agent, url(critical_case, "onsite/schedule"), {"scheduled_for": NOW.isoformat()})) == [
        "onsite"
    ]  # no visit asked for yet
    billing.onsite_request(ticket=critical_case, by=customer, confirm_billable=True, at=AT)
    when = (NOW + timedelta(hours=20)).isoformat()  # answered as sent: UTC, "+00:00"
    assert post(customer, url(critical_case, "onsite/schedule"), {"scheduled_for": when}).status_code == 403
    assert post(outsider, url(critical_case, "onsite/schedule"), {"scheduled_for": when}).status_code == 404
    assert fields(post(agent, url(critical_case, "onsite/schedule"), {})) == ["scheduled_for"]
    answer = post(agent, url(critical_case, "onsite/schedule"), {"scheduled_for": when})
    assert answer.status_code == 200, answer.content
    assert answer.json()["scheduled_for"] == when and answer.json()["arrived_at"] is None
    onsite_work = {"started_at": NOW.isoformat(), "minutes": 60, "location": "onsite"}
    assert fields(post(agent, url(critical_case, "work"), onsite_work)) == ["location"]
    assert post(customer, url(critical_case, "onsite/arrival")).status_code == 403
    assert post(outsider, url(critical_case, "onsite/arrival")).status_code == 404
    arrived = post(agent, url(critical_case, "onsite/arrival"))
    assert arrived.status_code == 200, arrived.content
    assert arrived.json()["arrived_at"] == NOW.isoformat()
    later = post(agent, url(critical_case, "onsite/arrival"), {"at": (NOW + timedelta(hours=1)).isoformat()})
    assert later.json()["arrived_at"] == arrived.json()["arrived_at"]  # the first arrival stays
    assert post(agent, url(critical_case, "work"), onsite_work).status_code == 201


def test_the_desk_reclassifies_a_vulnerability_with_a_reason(extended_case, agent, customer, outsider):
    """Point 3: a normal bug on an Extended Support version is charged; re-classified as a
    vulnerability it is free, with the reason as an internal note; back again, charged again."""
    path = url(extended_case, "classification")
    body = {"vulnerability": True, "cve_id": "cve-2026-4321", "reason": "Remote code execution"}
    assert post(customer, path, body).status_code == 403
    assert post(outsider, path, body).status_code == 404
    assert fields(post(agent, path, {**body, "reason": ""})) == ["reason"]
    assert fields(post(agent, path, {**body, "cve_id": "CVE-1"})) == ["cve_id"]
    answer = post(agent, path, body)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "vulnerability": True,
        "cve_id": "CVE-2026-4321",
        "billable": False,
        "billable_reason": "",
        "agreement_required": False,
    }
    note = extended_case.replies.get(internal=True)
    assert "Remote code execution" in note.body and note.author == agent
    back = post(agent, path, {"vulnerability": False, "reason": "Not exploitable"})
    assert back.json()["billable"] is True and back.json()["agreement_required"] is True


# ---------------------------------------------------------------------------- quotes on a case


def test_the_customer_accepts_a_quote_with_who_and_when(extended_case, agent, customer, outsider):
    answer = post(agent, url(extended_case, "quotes"), {"price": "300.00", "quote_text": "Fix"})
    assert answer.status_code == 201, answer.content
    quote_id = answer.json()["id"]
    assert (
        api(customer).post(url(extended_case, "quotes"), {"price": "1", "quote_text": "x"}).status_code == 403
    )
    bad = post(agent, url(extended_case, "quotes"), {"price": "-5", "quote_text": "x"})
    assert fields(bad) == ["price"]
    assert api(outsider).post(f"{url(extended_case, 'quotes')}{quote_id}/accept/").status_code == 404
    assert api(outsider).get(url(extended_case, "quotes")).status_code == 404
    accepted = api(customer).post(f"{url(extended_case, 'quotes')}{quote_id}/accept/")
    assert accepted.status_code == 200
    assert (accepted.json()["state"], accepted.json()["accepted_by"]) == ("accepted", "alice")
    order = Order.objects.get(pk=quote_id)
    assert (order.accepted_by, order.accepted_at) == (customer, NOW)
    late = api(customer).post(f"{url(extended_case, 'quotes')}{quote_id}/decline/")
    assert late.status_code == 400 and fields(late) == ["state"]


def test_the_customer_declines_a_quote(extended_case, agent, customer):
    quote = billing.case_quote(ticket=extended_case, by=agent, price=Decimal("10.00"), quote_text="x")
    answer = api(customer).post(f"{url(extended_case, 'quotes')}{quote.pk}/decline/")
    assert answer.json()["state"] == "declined"
    assert Order.objects.get(pk=quote.pk).state == OrderState.DECLINED


# ---------------------------------------------------------------------------- orders and pilots


@pytest.fixture
def premium_with_features(premium_contract):
    premium_option_set(contract=premium_contract, kind=PremiumOptionKind.FEATURE_REQUESTS, price=Decimal("0"))
    return premium_contract


def test_an_order_is_requested_quoted_accepted_and_delivered(
    customer, org_admin, agent, outsider, basic_contract, premium_with_features
):
    body = {"kind": "feature_request", "description": "CSV export", "contract": basic_contract.pk}
    answer = post(customer, "/api/orders/", body)
    assert answer.status_code == 201, answer.content
    order_id = answer.json()["id"]
    assert api(outsider).get(f"/api/orders/{order_id}/").status_code == 404
    assert order_id not in [o["id"] for o in api(outsider).get("/api/orders/").json()]
    assert api(customer).post(f"/api/orders/{order_id}/quote/", {"price": "750.00"}).status_code == 403
    quoted = post(agent, f"/api/orders/{order_id}/quote/", {"price": "750.00"})
    assert quoted.json()["price"] == "750.00"
    assert api(outsider).post(f"/api/orders/{order_id}/accept/").status_code == 404
    accepted = api(org_admin).post(f"/api/orders/{order_id}/accept/")
    assert (accepted.json()["state"], accepted.json()["accepted_by"]) == ("accepted", "carol")
    delivered = post(agent, f"/api/orders/{order_id}/deliver/", {})
    assert delivered.json()["state"] == "delivered"


def test_an_order_names_the_field_it_cannot_take(customer, outsider, basic_contract, other_organization):
    body = {"kind": "feature_request", "description": "CSV export", "contract": basic_contract.pk}
    # Feature requests are a Premium option this organization lacks.
    assert fields(post(customer, "/api/orders/", body)) == ["kind"]
    assert fields(post(customer, "/api/orders/", {**body, "kind": "pilot"})) == ["kind"]
    service = {**body, "kind": "additional_service", "description": " "}
    assert fields(post(customer, "/api/orders/", service)) == ["description"]
    # Another organization's contract reads as none at all.
    assert fields(post(outsider, "/api/orders/", {**body, "kind": "additional_service"})) == ["contract"]


def test_a_pilot_version_before_its_ga(customer, agent, outsider, versions, basic_contract):
    answer = post(customer, "/api/pilots/", {"major_version": versions[5].pk})
    assert answer.status_code == 201, answer.content
    assert (answer.json()["kind"], answer.json()["price"]) == ("pilot", "0.00")
    released = post(customer, "/api/pilots/", {"major_version": versions[4].pk})
    assert fields(released) == ["major_version"]
    not_held = post(outsider, "/api/pilots/", {"major_version": versions[5].pk})
    assert fields(not_held) == ["major_version"]
    order_id = answer.json()["id"]
    missing = post(agent, f"/api/orders/{order_id}/deliver/", {})
    assert fields(missing) == ["download_reference"]
    done = api(agent).post(f"/api/orders/{order_id}/deliver/", {"download_reference": "https://x/5.0-rc1"})
    assert done.json()["download_reference"] == "https://x/5.0-rc1"


# ---------------------------------------------------------------------------- opening with flags


def test_opening_names_the_flag_a_vendor_does_not_offer(
    customer, vendors, infotecs, versions, basic_contract
):
    body = {"vendor": "alectrona", "priority": "high", "subject": "x", "body": "x", "vulnerability": True}
    assert fields(post(customer, "/api/tickets/", body)) == ["vulnerability"]
    body = {**body, "vulnerability": False, "emergency": True}
    assert fields(post(customer, "/api/tickets/", body)) == ["emergency"]
    infotecs_case = {
        "vendor": "infotecs", "priority": "normal", "subject": "CVE", "body": "x",
        "product": versions[3].product_id, "major_version": versions[3].pk,
    }  # fmt: skip
    assert fields(post(customer, "/api/tickets/", {**infotecs_case, "cve_id": "CVE-1"})) == ["cve_id"]
    # Emergency calls need the Premium option.
    assert fields(post(customer, "/api/tickets/", {**infotecs_case, "emergency": True})) == ["emergency"]
    # Point 3: a vulnerability on an Extended Support version is free.
    answer = post(customer, "/api/tickets/", {**infotecs_case, "cve_id": "cve-2026-1234"})
    assert answer.status_code == 201, answer.content
    assert answer.json()["billable"] is False


# ---------------------------------------------------------------------------- statements


def test_a_statement_as_json_for_the_organization_admin_only(
    extended_case, agent, customer, org_admin, outsider, basic_contract
):
    basic_contract.hourly_rate = Decimal("80.00")
    basic_contract.save()
    _accepted(extended_case, agent, customer)
    billing.work_record(ticket=extended_case, by=agent, started_at=AT, minutes=20)
    path = f"/api/statements/{basic_contract.pk}/2026-11/"
    answer = api(org_admin).get(path)
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["status"] == "provisional"
    assert [(c["number"], c["hours"], c["work_amount"]) for c in data["cases"]] == [
        (extended_case.number, "0.33", "26.67")  # 20 min × 80.00 / 60 = 26.666… → 26.67 half up
    ]
    assert data["totals"] == {"EUR": "26.67"}
    assert api(outsider).get(path).status_code == 404
    assert api(customer).get(path).status_code == 404  # a member who is not the administrator
    assert api(outsider).get("/api/statements/").json() == []
    assert [c["id"] for c in api(org_admin).get("/api/statements/").json()] == [basic_contract.pk]
    bad = api(org_admin).get(f"/api/statements/{basic_contract.pk}/2026-13/")
    assert bad.status_code == 400 and fields(bad) == ["month"]
    assert api(agent).get(path).json()["totals"] == {"EUR": "26.67"}


# ---------------------------------------------------------------------------- terms per phase, Moscow hours


def _first_response_due(answer) -> str:
    assert answer.status_code == HTTPStatus.CREATED, answer.content
    return next(t["due_at"] for t in answer.json()["sla"] if t["kind"] == "first_response")


def _infotecs_case(version, **extra) -> dict:
    return {
        "vendor": "infotecs", "priority": "normal", "subject": "x", "body": "x",
        "product": version.product_id, "major_version": version.pk, **extra,
    }  # fmt: skip


def test_a_case_takes_the_terms_of_its_versions_phase_on_the_day_it_opens(customer, versions, basic_contract):
    """Point 8: mainstream and extended support under different terms in one contract."""
    from lifecycle.models import ContractTarget, TermsPhase

    for phase, hours in [(TermsPhase.MAINSTREAM, 4), (TermsPhase.EXTENDED, 48)]:
        ContractTarget.objects.create(
            contract=basic_contract,
            phase=phase,
            priority_code="normal",
            kind="first_response",
            duration=hours,
        )
    mainstream = post(customer, "/api/tickets/", _infotecs_case(versions[4]))
    extended = post(customer, "/api/tickets/", _infotecs_case(versions[3], confirm_billable=True))
    assert _first_response_due(mainstream) == (NOW + timedelta(hours=4)).isoformat()
    assert _first_response_due(extended) == (NOW + timedelta(hours=48)).isoformat()


def test_infotecs_moscow_business_hours_skip_a_russian_holiday(customer, infotecs, versions, basic_contract):
    """Point 9: Mon-Fri 09:00-18:00 Europe/Moscow without Russian public holidays, for contract
    targets. Opened Tue 3 Nov 2026 17:00 MSK with 2 business hours: 1 h that day, Wed 4 Nov is
    Unity Day, so due Thu 5 Nov 10:00 MSK (07:00 UTC)."""
    from datetime import UTC, datetime

    from lifecycle.models import ContractTarget
    from policies.models import SupportCalendar
    from policies.selectors import version_in_force

    opened = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    calendar = SupportCalendar.objects.get(
        slug="moscow-business-hours", version=version_in_force(vendor=infotecs, at=opened)
    )
    ContractTarget.objects.create(
        contract=basic_contract, priority_code="normal", kind="first_response", duration=2, calendar=calendar
    )
    with time_machine.travel(opened, tick=False):
        answer = post(customer, "/api/tickets/", _infotecs_case(versions[4]))
    assert _first_response_due(answer) == datetime(2026, 11, 5, 7, 0, tzinfo=UTC).isoformat()
