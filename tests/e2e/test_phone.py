"""Phones first (issue 22 point 2): every portal page is usable 360 px wide with no sideways
scrolling; My cases becomes cards that lead with the next deadline; the case page shows status
and deadlines before the conversation; the navigation folds into a menu that opens without
JavaScript."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def acme(catalog):
    from lifecycle.demo import load_lifecycle_demo
    from policies.models import Vendor
    from tickets.services import reply_add, ticket_open

    acme = OrganizationFactory(name="Acme Analytics", slug="acme", timezone="America/Chicago")
    globex = OrganizationFactory(name="Globex", slug="globex", timezone="Europe/London")
    load_lifecycle_demo(organization=acme, other_organization=globex)
    alice = MembershipFactory(user__username="alice", user__first_name="Alice", organization=acme).user
    ticket = ticket_open(
        organization=acme,
        requester=alice,
        vendor=Vendor.objects.get(slug="alectrona"),
        priority="high",
        subject="The nightly export to the warehouse fails halfway with a timeout",
        body="It fails at 90 %:\n\n```\nERROR 504 upstream_timeout_while_writing_partition_2026_11_30\n```",
    )
    reply_add(ticket=ticket, author=alice, body="Still failing tonight; the log is attached.")
    return ticket


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_every_portal_page_fits_a_phone(new_page, acme, screenshot):
    page = new_page(viewport=PHONE)
    for path in ["/", "/policies/", "/policies/albert/", "/lifecycle/", "/accounts/login/"]:
        page.goto(path)
        _fits(page)
    screenshot(page, "phone-login")
    sign_in(page, "alice", PASSWORD)
    pages = [
        "/tickets/",
        "/tickets/new/",
        f"/tickets/{acme.number}/",
        "/reports/",
        "/products/",
        "/profile/",
        "/policies/alectrona/",
    ]
    for path in pages:
        page.goto(path)
        _fits(page)
        screenshot(page, "phone" + path.rstrip("/").replace("/", "-"))


def test_my_cases_are_cards_that_lead_with_the_deadline(new_page, acme):
    page = new_page(viewport=PHONE)
    sign_in(page, "alice", PASSWORD)
    page.goto("/tickets/")
    card = page.locator("table.cases tbody tr").first
    due = card.locator("td.due").bounding_box()
    subject = card.locator("td.subject").bounding_box()
    assert due["y"] < subject["y"]  # the deadline comes first
    assert due["width"] > PHONE["width"] * 0.7  # a card, not a squeezed column


def test_the_case_page_puts_status_and_deadlines_before_the_conversation(new_page, acme):
    page = new_page(viewport=PHONE)
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/tickets/{acme.number}/")
    facts = page.locator("aside.case-side").bounding_box()
    conversation = page.locator("section.case-main").bounding_box()
    assert facts["y"] < conversation["y"]
    desktop = new_page()
    sign_in(desktop, "alice", PASSWORD)
    desktop.goto(f"/tickets/{acme.number}/")
    side = desktop.locator("aside.case-side").bounding_box()
    assert side["x"] > desktop.locator("section.case-main").bounding_box()["x"]  # beside it on a desktop


def test_the_menu_folds_and_opens_without_javascript(browser, live_server, acme):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/policies/")
        menu = page.get_by_role("link", name="Support policies", exact=True)
        assert not menu.is_visible()
        page.locator("label.menu-toggle").click()
        assert menu.is_visible()
        header = page.locator("header.topbar").bounding_box()
        assert header["height"] > 0
    finally:
        context.close()
