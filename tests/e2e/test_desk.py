"""An agent's round at the desk, in headless Chromium (issue 19): the desk home, triage with a view,
a canned reply with an attachment, merging a duplicate, splitting off an incident, resolving with a
message and a code; and the same pages on a phone. Screenshots go to artifacts/screenshots/ (desk-*)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, StaffFactory

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def desk(catalog):
    from policies.models import Vendor
    from portal.models import Profile
    from tickets.models import CannedReply
    from tickets.services import ticket_open

    acme = OrganizationFactory(name="Acme Analytics", slug="acme", timezone="America/Chicago")
    customer = MembershipFactory(
        user__username="alice", user__first_name="Alice", user__last_name="Archer", organization=acme
    ).user
    agent = StaffFactory(username="agent", first_name="Dana", last_name="Desk")
    Profile.objects.create(user=agent, timezone="Europe/Berlin")
    alectrona = Vendor.objects.get(slug="alectrona")

    def case(subject: str, priority: str = "high"):
        return ticket_open(
            organization=acme,
            requester=customer,
            vendor=alectrona,
            priority=priority,
            subject=subject,
            body=f"{subject}: details.",
        )

    kept = case("Export fails at 90 %")
    duplicate = case("Export still failing", priority="medium")
    CannedReply.objects.create(
        vendor=alectrona,
        title="Logs received",
        body="Hello {customer_name}, thank you: the logs for {case_number} are with {agent_name}. "
        "You hear from us by {first_response_due}.",
    )
    CannedReply.objects.create(title="Closing (all vendors)", body="Anything else, {customer_name}?")
    return {"customer": customer, "agent": agent, "kept": kept, "duplicate": duplicate}


def _run_action(page, ticket_pks: list[int], action: str) -> None:
    for pk in ticket_pks:
        page.locator(f"input.action-select[value='{pk}']").check()
    page.locator("select[name='action']").select_option(action)
    page.locator("button[name='index']").click()
    page.wait_for_load_state()


def test_triage_canned_reply_with_a_file_merge_split_resolve(new_page, desk, screenshot):
    from tickets.models import Status, Ticket

    kept, duplicate = desk["kept"], desk["duplicate"]
    page = new_page()
    sign_in(page, "agent", PASSWORD)

    # The desk home leads with the desk.
    page.goto("/admin/")
    first_section = page.locator("#content-main .module").first
    assert first_section.locator("caption").inner_text().strip().lower() == "desk"
    screenshot(page, "desk-home")
    first_section.get_by_role("link", name="Cases").click()

    # Triage: the "Unassigned" view, next deadline first, times in Berlin.
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Unassigned", exact=True).click()
    page.wait_for_url(re.compile(r"assignee=none"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert kept.number in rows.first.inner_text()  # High (2 h) before Medium (4 h)
    assert re.search(r"CES?T", rows.first.inner_text())
    assert "Times are in Europe/Berlin" in page.inner_text("#changelist")
    screenshot(page, "desk-triage")

    # The case: a canned reply filled for it, read, a file attached, sent.
    page.get_by_role("link", name=kept.number).click()
    page.get_by_role("link", name="Logs received").click()
    reply = page.locator("textarea[name$='-0-body']").last
    text = reply.input_value()
    assert text.startswith(f"Hello Alice Archer, thank you: the logs for {kept.number} are with Dana Desk.")
    assert "(America/Chicago)" in text
    reply.fill(text + "\n\nThe attached steps work around it meanwhile.")
    page.locator("input[type='file'][name$='-0-files']").set_input_files(
        {"name": "workaround.txt", "mimeType": "text/plain", "buffer": b"1. Export in two halves\n"}
    )
    screenshot(page, "desk-case-before-send")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_load_state()
    assert "workaround.txt" in page.inner_text("body")
    assert "Dana Desk" in page.inner_text("#replies-group")
    screenshot(page, "desk-case-answered")

    # Merge the duplicate into the kept case.
    page.goto("/admin/tickets/ticket/")
    _run_action(page, [duplicate.pk], "merge")
    page.get_by_label("Merge into case").fill(kept.number)
    page.get_by_role("button", name="Merge into another case").click()
    page.wait_for_load_state()
    assert f"merged into {kept.number}" in page.inner_text(".messagelist")
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == kept.pk

    # Split an incident off the kept case.
    _run_action(page, [kept.pk], "split")
    page.get_by_label("Subject").fill("Second problem: PDF export")
    page.get_by_label("Description").fill("PDF export also fails; handled on its own.")
    page.get_by_role("button", name="Split into a subordinate incident").click()
    page.wait_for_load_state()
    assert "split into" in page.inner_text(".messagelist")
    child = Ticket.objects.get(parent=kept)
    screenshot(page, "desk-after-merge-split")

    # Resolve from the case page: a code of the vendor and a message to the customer.
    page.goto(f"/admin/tickets/ticket/{kept.pk}/change/")
    page.get_by_role("link", name="Resolve…").click()
    page.get_by_label("Resolution").select_option("workaround")
    page.get_by_label("Message to the customer").fill("The workaround holds; the fix ships in 5.3.")
    screenshot(page, "desk-resolve")
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_url(re.compile(rf"/admin/tickets/ticket/{kept.pk}/change/"))
    kept.refresh_from_db()
    assert (kept.status, kept.resolution_code.code) == (Status.RESOLVED, "workaround")
    child.refresh_from_db()
    assert child.status == Status.NEW  # the incident runs on its own clock
    screenshot(page, "desk-resolved")


def test_the_desk_fits_a_phone(new_page, desk, screenshot):
    page = new_page(viewport=PHONE)
    sign_in(page, "agent", PASSWORD)
    page.goto("/admin/tickets/ticket/")
    screenshot(page, "desk-triage-phone")
    page.goto(f"/admin/tickets/ticket/{desk['kept'].pk}/change/")
    # One column: the reply box is as wide as the screen, not squeezed beside the facts.
    box = page.locator("textarea[name$='-0-body']").last.bounding_box()
    assert box["width"] > 300
    screenshot(page, "desk-case-phone")
