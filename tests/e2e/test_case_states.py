"""What a customer reads on the case page when the desk answered late, and after closing a case
before any answer (issue 15): desktop and phone, each asserted and photographed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, StaffFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def people(catalog):
    acme = OrganizationFactory(name="Acme Analytics", slug="acme", timezone="America/New_York")
    return {
        "customer": MembershipFactory(user__username="alice", organization=acme).user,
        "agent": StaffFactory(username="agent", first_name="Dana", last_name="Desk"),
    }


def _case(customer, opened):
    from policies.models import Vendor
    from tickets.services import ticket_open

    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=Vendor.objects.get(slug="secpod"),  # 24×7: the times below hold on any weekday
        priority="critical",
        subject="Scanner stopped",
        body="The scan stops at 40 %.",
        at=opened,
    )


def _deadlines(page) -> str:
    return page.locator("#deadlines").inner_text()


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_late_answer_reads_answered_late_not_overdue(new_page, people, screenshot, viewport):
    from tickets.services import reply_add
    from tickets.services.sweep import sla_sweep

    now = timezone.now()
    ticket = _case(people["customer"], now - timedelta(hours=5))  # critical: 2 h, due 3 h ago
    sla_sweep(now=now - timedelta(hours=2))
    reply_add(ticket=ticket, author=people["agent"], body="Found it.", at=now - timedelta(hours=1))

    page = new_page(viewport)
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/tickets/{ticket.number}/")
    text = _deadlines(page)
    assert "Breached" in text and "answered late" in text
    assert "overdue" not in text
    screenshot(page, f"case-answered-late-{'phone' if viewport else 'desktop'}")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_case_closed_before_any_answer_reads_withdrawn(new_page, people, screenshot, viewport):
    page = new_page(viewport)
    ticket = _case(people["customer"], timezone.now() - timedelta(minutes=10))
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/tickets/{ticket.number}/")
    page.get_by_role("button", name="Close — I no longer need help").click()
    page.wait_for_load_state()
    text = _deadlines(page)
    assert "Withdrawn" in text and "closed before the desk answered" in text
    assert "Met" not in text and "answered " not in text.replace("desk answered", "")
    screenshot(page, f"case-withdrawn-{'phone' if viewport else 'desktop'}")

    page.get_by_role("button", name="Reopen the case").click()
    page.wait_for_load_state()
    text = _deadlines(page)
    # The full 2 h from the reopening (a minute may pass while the page loads).
    assert "Running" in text and re.search(r"due in (2 h|1 h 5\d min)", text)


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_case_lowered_to_a_priority_without_a_target_shows_none(new_page, people, screenshot, viewport):
    """Albert Low has no target (SPEC §3: show "no contractual target", never invent one): a
    Medium case lowered to Low shows its first response as not applicable, explained as such,
    not by the Medium terms it ran on before."""
    from policies.models import Vendor
    from tickets.services import ticket_change_priority, ticket_open

    customer = people["customer"]
    ticket = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=Vendor.objects.get(slug="albert"),
        priority="medium",
        subject="Reports are slow",
        body="Monthly reports take an hour.",
        at=timezone.now() - timedelta(hours=1),
    )
    ticket_change_priority(ticket=ticket, priority="low", by=people["agent"], at=timezone.now())

    page = new_page(viewport)
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/tickets/{ticket.number}/")
    page.locator("#deadlines").get_by_text("Why this time?").click()
    text = _deadlines(page)
    assert "Not applicable" in text and "the case's priority now has none" in text
    assert "Medium" not in text and "10 d" not in text
    screenshot(page, f"case-no-target-now-{'phone' if viewport else 'desktop'}")
