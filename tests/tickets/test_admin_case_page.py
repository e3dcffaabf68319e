"""The case page for answering (issue 19, point 2): conversation and reply box first, staff replies
with attachments under the customers' checks, canned replies filled for the case and previewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.models import Attachment, CannedReply, Reply
from tickets.services import canned_reply_check

from .test_admin import _change_payload, open_ticket

# A Tuesday, 14:00 UTC: 09:00 in Chicago (the customer's organization, CDT).
NOW = datetime(2026, 6, 9, 14, 0, tzinfo=UTC)
REPLY = "replies-2-0"


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


def case_url(ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def test_the_conversation_and_reply_box_come_before_the_facts(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    content = staff_client.get(case_url(ticket)).content.decode()
    main, side = content.index('class="case-main"'), content.index('class="case-side"')
    assert main < content.index('id="reply-box"') < content.index("Reply or internal note") < side
    assert side < content.index('id="sla_targets-group"')
    assert side < content.index("Organization:")
    assert content.index('id="replies-group"') < main + 2000  # the conversation opens the main column
    assert 'enctype="multipart/form-data"' in content


def test_a_staff_reply_carries_an_attachment(staff_client, customer, agent, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    upload = SimpleUploadedFile("steps.txt", b"1. restart the scanner\n", content_type="text/plain")
    payload = _change_payload(staff_client, ticket, **{f"{REPLY}-body": "Try these steps."})
    payload[f"{REPLY}-files"] = upload
    response = staff_client.post(case_url(ticket), payload)
    assert response.status_code == HTTPStatus.FOUND, response.context and response.context["errors"]
    reply = Reply.objects.get(ticket=ticket)
    [attachment] = reply.attachments.all()
    assert (attachment.filename, attachment.uploaded_by, attachment.content_type) == (
        "steps.txt",
        agent,
        "text/plain",
    )
    assert attachment.ticket == ticket


def test_a_refused_attachment_sends_no_reply(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    upload = SimpleUploadedFile("setup.exe", b"MZ\x90\x00binary", content_type="application/octet-stream")
    payload = _change_payload(staff_client, ticket, **{f"{REPLY}-body": "Run this installer."})
    payload[f"{REPLY}-files"] = upload
    response = staff_client.post(case_url(ticket), payload)
    assert response.status_code == HTTPStatus.OK
    assert "only PDF, PNG" in response.content.decode()
    assert not Reply.objects.filter(ticket=ticket).exists()
    assert not Attachment.objects.filter(ticket=ticket).exists()


def test_a_file_too_large_is_refused_as_for_customers(staff_client, customer, vendors, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    ticket = open_ticket(customer, vendors["secpod"])
    payload = _change_payload(staff_client, ticket, **{f"{REPLY}-body": "Logs attached."})
    payload[f"{REPLY}-files"] = SimpleUploadedFile("big.log", b"x" * 11, content_type="text/plain")
    response = staff_client.post(case_url(ticket), payload)
    assert response.status_code == HTTPStatus.OK
    assert "at most 10 bytes" in response.content.decode()
    assert not Reply.objects.filter(ticket=ticket).exists()


# ---------------------------------------------------------------------------- canned replies


def test_canned_replies_of_the_vendor_and_of_all_vendors_are_offered_not_others(
    staff_client, customer, vendors
):
    ticket = open_ticket(customer, vendors["secpod"])
    CannedReply.objects.create(title="Thanks, looking", body="Hello {customer_name}.")
    CannedReply.objects.create(vendor=vendors["secpod"], title="SecPod logs", body="Send logs.")
    other = CannedReply.objects.create(vendor=vendors["albert"], title="Albert portal", body="x")
    content = staff_client.get(case_url(ticket)).content.decode()
    assert "Thanks, looking" in content
    assert "SecPod logs" in content
    assert "Albert portal" not in content
    assert staff_client.get(case_url(ticket), {"canned": other.pk}).status_code == HTTPStatus.NOT_FOUND


def test_a_canned_reply_is_filled_for_the_case_in_the_customers_zone_before_sending(
    staff_client, customer, vendors
):
    customer.first_name, customer.last_name = "Alice", "Archer"
    customer.save()
    canned = CannedReply.objects.create(
        title="Received",
        body="Dear {customer_name}, {case_number} is with {agent_name}. We answer by {first_response_due}.",
    )
    with time_machine.travel(NOW, tick=False):
        ticket = open_ticket(customer, vendors["secpod"])  # Critical: 2 h, due 16:00 UTC
        page = staff_client.get(case_url(ticket), {"canned": canned.pk})
    formset = next(
        f.formset for f in page.context["inline_admin_formsets"] if f.formset.prefix == "replies-2"
    )
    body = formset.forms[0]["body"].value()
    assert body == (
        f"Dear Alice Archer, {ticket.number} is with Dana Desk. "
        "We answer by Tue 09 Jun 2026 11:00 CDT (America/Chicago)."
    )
    assert "read it, change what you need, then send" in page.content.decode()
    assert not Reply.objects.filter(ticket=ticket).exists()  # filled in, not sent


def test_the_filled_canned_reply_is_sent_as_the_agent_edits_it(staff_client, customer, vendors):
    canned = CannedReply.objects.create(title="Hi", body="Dear {customer_name}.")
    ticket = open_ticket(customer, vendors["secpod"])
    payload = _change_payload(staff_client, ticket, **{f"{REPLY}-body": "Dear Alice, edited by me."})
    payload["_send"] = "Send"
    response = staff_client.post(case_url(ticket) + f"?canned={canned.pk}", payload)
    assert response.status_code == HTTPStatus.FOUND
    # Back to the case, with the box empty: the sent canned reply is not filled in again.
    assert response["Location"].split("?")[0] == case_url(ticket)
    assert "canned=" not in response["Location"]
    assert Reply.objects.get(ticket=ticket).body == "Dear Alice, edited by me."


@pytest.mark.parametrize(
    "body, error",
    [("Hello {customer}", "Unknown placeholder {customer}"), ("Hello {customer_name", "Unmatched brace")],
)
def test_a_canned_reply_with_an_unknown_placeholder_is_refused(staff_client, body, error):
    response = staff_client.post(reverse("admin:tickets_cannedreply_add"), {"title": "Hi", "body": body})
    assert response.status_code == HTTPStatus.OK
    assert error in " ".join(response.context["adminform"].form.errors["body"])
    assert not CannedReply.objects.exists()


def test_literal_braces_are_allowed_in_a_canned_reply():
    canned_reply_check("Config: {{ 'debug': true }} for {case_number}")


def test_canned_reply_admin_smoke(staff_client, vendors):
    canned = CannedReply.objects.create(vendor=vendors["secpod"], title="Logs", body="Send logs.")
    for url in (
        reverse("admin:tickets_cannedreply_changelist"),
        reverse("admin:tickets_cannedreply_changelist") + "?q=logs",
        reverse("admin:tickets_cannedreply_add"),
        reverse("admin:tickets_cannedreply_change", args=[canned.pk]),
    ):
        assert staff_client.get(url).status_code == HTTPStatus.OK, url


def test_a_customer_cannot_reach_canned_replies_nor_fill_one(client, customer, vendors):
    canned = CannedReply.objects.create(title="Hi", body="Hello {customer_name}")
    ticket = open_ticket(customer, vendors["secpod"])
    client.force_login(customer)
    for url in (reverse("admin:tickets_cannedreply_changelist"), case_url(ticket) + f"?canned={canned.pk}"):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert "/admin/login/" in response["Location"]


def test_deadlines_are_in_the_agents_zone_on_the_case_page(staff_client, customer, agent, vendors):
    from portal.models import Profile

    Profile.objects.create(user=agent, timezone="Asia/Kolkata")
    with time_machine.travel(NOW, tick=False):
        ticket = open_ticket(customer, vendors["secpod"], at=NOW - timedelta(minutes=30))
        content = staff_client.get(case_url(ticket)).content.decode()
    # Due 15:30 UTC = 21:00 IST.
    assert "21:00 IST" in content
    assert "in 1 h 30 min" in content
