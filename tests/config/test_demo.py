"""The demo loader: every status for every vendor, idempotent, never with DEBUG off."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from config.demo import DEMO_PASSWORD
from policies.models import Vendor
from portal.models import Role
from tickets.models import Status, TargetState, Ticket


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("loaddemo", stdout=out)
    return out.getvalue()


def test_demo_has_every_status_for_every_vendor(demo):
    northwind = Ticket.objects.filter(organization__slug="northwind")
    for vendor in Vendor.objects.all():
        statuses = set(northwind.filter(vendor=vendor).values_list("status", flat=True))
        assert statuses == set(Status.values), vendor
    states = set(Ticket.objects.values_list("sla_targets__state", flat=True))
    assert {TargetState.MET, TargetState.RUNNING, TargetState.PAUSED} <= states
    assert Ticket.objects.filter(organization__slug="globex").exists()


def test_demo_sign_ins_work(demo):
    assert "customer / portal-demo" in demo and "staff / portal-demo" in demo
    customer = authenticate(username="customer", password=DEMO_PASSWORD)
    assert customer.membership.organization.slug == "northwind" and customer.membership.role == Role.ADMIN
    assert authenticate(username="other", password=DEMO_PASSWORD).membership.organization.slug == "globex"
    staff = authenticate(username="staff", password=DEMO_PASSWORD)
    assert staff.is_staff and staff.is_superuser


def test_demo_is_idempotent(demo):
    before = Ticket.objects.count()
    call_command("loaddemo", stdout=StringIO())
    assert Ticket.objects.count() == before


def test_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("loaddemo")
    assert not Ticket.objects.exists()


def test_demo_queues_no_emails_of_its_own(demo):
    """The demo is history: the notices its cases would have sent are recorded as sent when they
    were made, so `make run` does not flood the console with 80 old emails (issue 22 point 4)."""
    from portal.models import Notice, NoticeState

    assert Notice.objects.exists()
    assert not Notice.objects.exclude(state=NoticeState.SENT).exists()
    assert not Notice.objects.filter(sent_at__isnull=True).exists()


def test_demo_shows_infotecs_services_on_a_case_orders_and_a_statement(demo, client):
    """Issue 21: Northwind's Infotecs contract has billable work to show — a quoted Extended Support
    fix with two work entries, a critical case visited on site after a failed remote diagnosis
    (on-site work, travel and hotel), an additional service quoted and one delivered."""
    from django.urls import reverse

    from config.demo import ORDER_DELIVERED, ORDER_QUOTED, SERVICE_CASES
    from lifecycle.models import Contract
    from tickets.models import OrderKind, OrderState, SessionOutcome, WorkLocation

    quoted = Ticket.objects.get(organization__slug="northwind", subject=SERVICE_CASES["quoted"])
    onsite = Ticket.objects.get(organization__slug="northwind", subject=SERVICE_CASES["onsite"])
    assert quoted.billable and onsite.billable and onsite.onsite_requested
    assert quoted.orders.get(kind=OrderKind.CASE_WORK).state == OrderState.ACCEPTED
    assert sorted(quoted.work_entries.values_list("minutes", flat=True)) == [90, 120]
    assert onsite.remote_sessions.get().outcome == SessionOutcome.FAILED
    assert onsite.onsite_visit.arrived_at is not None
    assert onsite.work_entries.get().location == WorkLocation.ONSITE
    assert sorted(onsite.expenses.values_list("description", flat=True)) == ["Hotel", "Train"]

    client.force_login(authenticate(username="customer", password=DEMO_PASSWORD))
    page = client.get(reverse("tickets:detail", args=[onsite.number])).content.decode()
    assert "186.40" in page and "Hotel" in page
    orders = client.get(reverse("services:orders")).content.decode()
    assert ORDER_QUOTED in orders and "1800.00" in orders
    month = onsite.work_entries.get().started_at.strftime("%Y-%m")
    basic = Contract.objects.get(reference="INF-B-1001")
    statement = client.get(reverse("reports:statement", args=[basic.pk, month]))
    assert statement.status_code == 200
    html = statement.content.decode()
    # 210 min on site at 95.00 = 332.50; the delivered audit 1,200.00.
    assert onsite.number in html and "332.50 EUR" in html and ORDER_DELIVERED[:40] in html


def test_demo_services_are_not_added_twice(demo):
    from tickets.models import Expense, Order, WorkEntry

    before = (WorkEntry.objects.count(), Expense.objects.count(), Order.objects.count())
    call_command("loaddemo", stdout=StringIO())
    assert (WorkEntry.objects.count(), Expense.objects.count(), Order.objects.count()) == before


def test_demo_hands_the_worker_no_deliveries_either(
    db, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Recorded as sent, the demo's notices were still handed to the worker one task each: 62 empty
    deliveries in the worker's log at `make run`'s start. What the demo opens publishes none."""
    from portal.tasks import notice_deliver_task

    published = []
    monkeypatch.setattr(notice_deliver_task, "apply_async", lambda *a, **kw: published.append(a))
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("loaddemo", stdout=StringIO())
    assert published == []


def test_the_first_sweep_after_the_demo_sends_nothing(demo):
    """The demo's overdue cases were breached, and the desk told, back then: `make run`'s first SLA
    sweep emailed the desk "SLA breached: 11 cases" about the demo's own history."""
    from tickets.services.sweep import sla_sweep

    assert sla_sweep().notices == 0
