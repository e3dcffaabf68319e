"""A case opened by email, answered in the portal, answered again by email: one conversation on
the case page, as the customer sees it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, StaffFactory
from tests.mailroom.conftest import case_placeholders, corpus

pytestmark = pytest.mark.e2e


@pytest.fixture
def people(catalog):
    organization = OrganizationFactory(name="Acme Analytics", slug="acme", timezone="America/Chicago")
    customer = MembershipFactory(user__username="alice", organization=organization).user
    agent = StaffFactory(username="agent", first_name="Dana", last_name="Desk")
    return {"customer": customer, "agent": agent}


def test_a_case_by_email_answered_in_the_portal_and_again_by_email_is_one_conversation(
    new_page, people, screenshot
):
    from mailroom.services import message_ingest
    from policies.models import Vendor

    alectrona = Vendor.objects.get(slug="alectrona")
    case = message_ingest(raw=corpus("new_gmail_plain.eml"), vendor=alectrona).ticket

    staff = new_page()
    sign_in(staff, "agent", PASSWORD)
    staff.goto(f"/admin/tickets/ticket/{case.pk}/change/")
    assert "Nightly export stops at 80%" in staff.inner_text("body")
    staff.locator("textarea[name$='-0-body']").last.fill("Please try version **4.3**.")
    staff.locator("input[name='_continue']").click()
    staff.wait_for_load_state()

    reply = message_ingest(
        raw=corpus("reply_gmail.eml", **case_placeholders(case, kind="staff_reply")), vendor=alectrona
    )
    assert reply.outcome == "replied", reply.reason

    customer = new_page()
    sign_in(customer, "alice", PASSWORD)
    customer.goto(f"/tickets/{case.number}/")
    page = customer.inner_text("body")
    conversation = customer.inner_text(".conversation")
    assert 'the nightly export stops at 80% with "pool exhausted"' in page
    answer, thanks = (
        conversation.index("Please try version 4.3."),
        conversation.index("Thanks, 4.3 fixed the export."),
    )
    assert answer < thanks
    assert "wrote:" not in conversation  # the quoted history was cut
    screenshot(customer, "case-by-email")
