"""A customer's day in the portal, in headless Chromium: sign in, open cases on every vendor and
see their deadlines, attach, reply, read the desk's answer written in admin; and what an outsider
and a refused form must never do."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, StaffFactory

pytestmark = pytest.mark.e2e

# Each vendor's case: (priority code, what the preview promises, what "Deadlines" shows once open).
VENDOR_CASES = {
    "alectrona": ("high", "First response within 2 hours (support hours)", ["First response Running"]),
    "secpod": ("critical", "First response within 2 hours (24×7)", ["First response Running"]),
    "albert": ("high", "First response within 24 hours (24×7)", ["First response Running"]),
    # No target in Infotecs' policy: the case gets the demo contract's 2 h first response and 24 h
    # resolution. Its preview does not know the contract yet (issue 15 point 5), so is not pinned.
    "infotecs": ("critical", None, ["First response Running", "Resolution Running"]),
}
# Infotecs supports licensed products only: the case names the contract's product and version.
PRODUCTS = {"infotecs": ("Infotecs — ViPNet Coordinator", "ViPNet Coordinator 4")}


@pytest.fixture
def people(catalog):
    acme = OrganizationFactory(name="Acme Analytics", slug="acme", timezone="America/Chicago")
    globex = OrganizationFactory(name="Globex", slug="globex", timezone="Europe/London")
    from lifecycle.demo import load_lifecycle_demo

    load_lifecycle_demo(organization=acme, other_organization=globex)
    return {
        "customer": MembershipFactory(
            user__username="alice", user__first_name="Alice", organization=acme
        ).user,
        "outsider": MembershipFactory(user__username="charlie", organization=globex).user,
        "agent": StaffFactory(username="agent", first_name="Dana", last_name="Desk"),
    }


def _open_case(customer):
    from policies.models import Vendor
    from tickets.services import ticket_open

    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=Vendor.objects.get(slug="alectrona"),
        priority="high",
        subject="Export fails",
        body="The export **fails** at 90 %.",
    )


def _choose(page, vendor_slug: str, priority: str) -> None:
    page.get_by_label("Vendor").select_option(vendor_slug)
    page.locator(f"#priority-{priority}").check()
    page.wait_for_function(
        "code => document.querySelector('#priority-' + code)?.checked"
        " && document.querySelector('#deadline-preview').textContent.includes('If you open it now')"
        " && !document.querySelector('#deadline-preview').textContent.includes('Choose a priority')",
        arg=priority,
    )


def test_sign_in_and_out(new_page, people, screenshot):
    page = new_page()
    page.goto("/")
    screenshot(page, "home-signed-out")
    sign_in(page, "alice", PASSWORD)
    assert "Signed in as alice" in page.inner_text("main")
    screenshot(page, "home")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("navigation").get_by_role("link", name="Sign in").wait_for()


def test_open_a_case_on_each_vendor_and_see_its_deadlines(new_page, people, screenshot):
    page = new_page()
    sign_in(page, "alice", PASSWORD)
    for slug, (priority, promised, expected) in VENDOR_CASES.items():
        page.goto("/tickets/new/")
        _choose(page, slug, priority)
        if promised is not None:
            assert promised in page.inner_text("#deadline-preview"), slug
        if slug == "alectrona":
            screenshot(page, "open-case-with-deadlines")
        if slug == "albert":
            page.get_by_label("Request").check()
        if slug in PRODUCTS:
            product, version = PRODUCTS[slug]
            page.get_by_label("Product").select_option(label=product)
            page.locator("#id_major_version").select_option(label=version)
        page.get_by_label("Subject").fill(f"Trouble with {slug}")
        page.get_by_label("Description").fill("It *breaks*:\n\n1. open\n2. click")
        if slug == "alectrona":
            page.get_by_label("Attachments").set_input_files(
                {"name": "steps.txt", "mimeType": "text/plain", "buffer": b"1. open\n2. click\n"}
            )
        page.get_by_role("button", name="Open the case").click()
        page.wait_for_url(re.compile(r"/tickets/[A-Z]+-\d{6}/$"))
        deadlines = page.inner_text("#deadlines")
        assert all(line in deadlines for line in expected), (slug, deadlines)
        assert "No contractual target" not in deadlines, (slug, deadlines)
        if slug == "alectrona":
            assert page.get_by_role("link", name="steps.txt").is_visible()
            screenshot(page, "case-page-new")
    page.goto("/tickets/")
    assert page.locator("table.cases tbody tr").count() == 4
    screenshot(page, "my-cases")


def test_albert_helper_suggests_a_priority(new_page, people):
    page = new_page()
    sign_in(page, "alice", PASSWORD)
    page.goto("/tickets/new/?vendor=albert")
    page.get_by_text("Not sure? Answer three questions").click()
    page.get_by_label("Who is affected?").select_option("majority")
    # the answer re-renders the panel; the helper stays open on the next question
    page.wait_for_function("() => !document.getElementById('policy-panel').hasAttribute('aria-busy')")
    assert page.get_by_label("Is there a work-around?").is_visible()
    page.get_by_label("Is there a work-around?").select_option("no")
    page.get_by_label("Is a business function halted?").select_option("yes")
    page.get_by_text("Suggested priority: 1 - Urgent").wait_for()
    page.get_by_role("button", name="Use it").click()
    page.wait_for_function("() => document.querySelector('#priority-urgent').checked")
    page.get_by_text("within 8 hours (24×7)").wait_for()


def test_reply_with_attachment_then_read_the_desks_answer_from_admin(new_page, people, screenshot):
    ticket = _open_case(people["customer"])
    customer = new_page()
    sign_in(customer, "alice", PASSWORD)
    customer.goto(f"/tickets/{ticket.number}/")
    customer.get_by_label("Your reply").fill("Here is the **log** you need.")
    customer.get_by_label("Attach files").set_input_files(
        {"name": "server.log", "mimeType": "text/plain", "buffer": b"ERROR timeout\n"}
    )
    customer.get_by_role("button", name="Send reply").click()
    customer.get_by_text("Your reply is sent.").wait_for()
    assert customer.get_by_role("link", name="server.log").is_visible()

    staff = new_page()
    sign_in(staff, "agent", PASSWORD)
    staff.goto(f"/admin/tickets/ticket/{ticket.pk}/change/")
    staff.locator("textarea[name$='-0-body']").last.fill("We found it: a **timeout**. Fixed in 7.3.")
    staff.locator("input[name='_continue']").click()
    staff.wait_for_load_state()

    customer.goto(f"/tickets/{ticket.number}/")
    conversation = customer.inner_text(".conversation")
    assert "We found it: a timeout. Fixed in 7.3." in conversation
    assert "Support desk" in conversation
    assert "Met" in customer.inner_text("#deadlines")
    screenshot(customer, "case-page")


def test_another_organization_cannot_reach_the_case_or_its_file(new_page, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.services import attachment_add

    ticket = _open_case(people["customer"])
    attachment = attachment_add(
        ticket=ticket, uploaded_by=people["customer"], upload=SimpleUploadedFile("secret.txt", b"secret")
    )
    page = new_page()
    sign_in(page, "charlie", PASSWORD)
    assert page.goto(f"/tickets/{ticket.number}/").status == 404
    response = page.request.get(f"/tickets/{ticket.number}/attachments/{attachment.pk}/")
    assert response.status == 404 and b"secret" not in response.body()
    page.goto("/tickets/")
    assert ticket.number not in page.inner_text("main")


def _offered(page, select: str) -> list[str]:
    return page.locator(f"{select} option:not([hidden])").all_inner_texts()


def test_open_case_offers_the_chosen_vendors_products_and_that_products_versions(new_page, people):
    page = new_page()
    sign_in(page, "alice", PASSWORD)
    page.goto("/tickets/new/")
    page.get_by_label("Vendor").select_option("infotecs")
    products = _offered(page, "#id_product")
    assert products[0] == "Not about one product" and len(products) > 1
    assert all(name.startswith("Infotecs — ") for name in products[1:]), products
    page.get_by_label("Product").select_option(label="Infotecs — ViPNet Coordinator")
    versions = _offered(page, "#id_major_version")
    assert versions[0] == "—" and "ViPNet Coordinator 4" in versions
    assert all(name.startswith("ViPNet Coordinator ") for name in versions[1:]), versions
    page.locator("#id_major_version").select_option(label="ViPNet Coordinator 4")

    page.get_by_label("Vendor").select_option("secpod")  # what no longer fits is cleared, not sent
    assert page.locator("#id_product").input_value() == ""
    assert page.locator("#id_major_version").input_value() == ""
    assert all(name.startswith("SecPod — ") for name in _offered(page, "#id_product")[1:])
    assert _offered(page, "#id_major_version") == ["—"]


def test_open_case_preview_follows_version_and_on_site_and_a_charge_is_confirmed(new_page, people):
    # The demo's Infotecs line: Coordinator 4 mainstream, 3 in Extended Support; the customer's
    # Premium contract (8 h first response for a normal case, emergency on-site calls charged).
    page = new_page()
    sign_in(page, "alice", PASSWORD)
    page.goto("/tickets/new/")
    _choose(page, "infotecs", "normal")
    page.get_by_label("Product").select_option(label="Infotecs — ViPNet Coordinator")
    page.locator("#id_major_version").select_option(label="ViPNet Coordinator 4")
    preview = page.locator("#deadline-preview")
    preview.get_by_text("within 8 hours (24×7)").wait_for()
    assert "charged" not in preview.inner_text()
    page.locator("#id_major_version").select_option(label="ViPNet Coordinator 3")
    preview.get_by_text("This case will be charged:").wait_for()
    assert "Extended Support" in preview.inner_text()
    page.locator("#id_major_version").select_option(label="ViPNet Coordinator 4")
    page.wait_for_function(
        "() => !document.querySelector('#deadline-preview').textContent.includes('charged')"
    )
    page.get_by_label("We need an engineer on site").check()
    preview.get_by_text("Each Premium emergency on-site call is charged extra").wait_for()
    page.get_by_label("Subject").fill("Engineer needed")
    page.get_by_label("Description").fill("The appliance does not boot.")
    page.get_by_role("button", name="Open the case").click()
    page.get_by_text("The case could not be opened").wait_for()
    assert not page.url.rstrip("/").endswith(tuple("0123456789"))  # not opened without the consent
    page.get_by_label("I understand this case will be charged").check()
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(re.compile(r"/tickets/INF-\d{6}/$"))
    assert "Each Premium emergency on-site call is charged extra" in page.inner_text(".facts")


def test_a_failed_form_keeps_every_character(new_page, people):
    page = new_page()
    sign_in(page, "alice", PASSWORD)
    page.goto("/tickets/new/")
    _choose(page, "secpod", "normal")
    text = "\n  Indented first line\n\tTabs & <b>angle</b> brackets, ünïcode ✓\n\n"
    page.get_by_label("Description").fill(text)
    page.get_by_label("Product").select_option(label="SecPod — SanerNow")
    page.get_by_role("button", name="Open the case").click()
    page.get_by_text("The case could not be opened").wait_for()
    assert page.get_by_label("Description").input_value() == text.replace("\r\n", "\n")
    assert page.locator("#id_product option:checked").inner_text() == "SecPod — SanerNow"
    assert page.locator("#priority-normal").is_checked()


def test_policy_calculator_counts_support_hours_across_the_weekend_and_dst(new_page, people, screenshot):
    # Alectrona Urgent, 1 h of Mon–Fri 09:00–17:30 New York support time, opened Fri 6 Mar 2026
    # 16:45 EST: 45 min on Friday, the rest on Monday 9 March, after clocks went forward on Sunday.
    page = new_page()
    page.goto("/policies/alectrona/")
    page.get_by_label("Priority").select_option("urgent")
    page.get_by_label("Opened at (your local time)").fill("2026-03-06T16:45")
    page.get_by_label("Your time zone").select_option("America/New_York")
    page.get_by_role("button", name="Show deadlines").click()
    preview = page.locator("#preview")
    preview.wait_for()
    assert (
        preview.locator("h3").inner_text()
        == "Urgent (Emergency), opened Fri 6 Mar 2026 16:45 EST (America/New_York)"
    )
    due = preview.locator("p.due").all_inner_texts()
    assert [" ".join(line.split()) for line in due] == [
        "First response within 1 hour (support hours): due Mon 9 Mar 2026 09:15 EDT (2026-03-09 13:15 UTC)",
        "Update within 4 hours (support hours): due Mon 9 Mar 2026 12:15 EDT (2026-03-09 16:15 UTC)",
    ]
    screenshot(page, "policy-alectrona")


def test_open_case_fits_a_phone_screen(new_page, people, screenshot):
    phone = new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/tickets/new/?vendor=albert")
    assert phone.get_by_label("Vendor").input_value() == "albert"
    assert phone.get_by_text("First response 8 hours (24×7)").is_visible()
    # Nothing makes the page scroll sideways, and the submit button is on the screen's width.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    button = phone.get_by_role("button", name="Open the case")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    screenshot(phone, "open-case-phone")


def test_a_preview_past_the_write_rate_says_how_long_to_wait(new_page, people, settings, screenshot):
    """The preview counts as a write (portal.throttles.counts_as_write): past API_WRITE_RATE the
    page shows the server's words, how long to wait, and keeps what was typed."""
    from django.core.cache import cache

    settings.API_WRITE_RATE = "1/min"
    cache.clear()
    page = new_page()
    sign_in(page, "alice", PASSWORD)
    page.goto("/tickets/new/")
    page.get_by_label("Description").fill("**Export** fails at 90 %")
    page.get_by_role("button", name="Preview the description").click()
    page.locator("#body-preview strong").get_by_text("Export").wait_for()
    page.get_by_role("button", name="Preview the description").click()
    page.locator("#body-preview [data-js-problem]").get_by_text("wait").wait_for()
    assert "too many changes" in page.inner_text("#body-preview [data-js-problem]")
    assert page.get_by_label("Description").input_value() == "**Export** fails at 90 %"
    screenshot(page, "open-case-preview-too-many-changes")
