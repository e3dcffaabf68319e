"""The agent's pages cost the same whatever the case holds (issue 24): the case page reads its
conversation, attachments, followers and every foreign key it shows in a fixed number of queries,
and the triage list links each row without a query or a look-up of its own."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MembershipFactory
from tickets.services import attachment_add, follower_add, reply_add

from .test_admin import CHANGELIST, _make_tickets, open_ticket


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


def _grow(ticket, customer, agent, *, replies: int, extras: int) -> list:
    for n in range(replies):
        author = agent if n % 2 else customer
        reply = reply_add(ticket=ticket, author=author, body=f"Step {n}", internal=n % 4 == 3)
        if n < extras:
            upload = SimpleUploadedFile(f"log{n}.txt", b"02:00 stopped\n", content_type="text/plain")
            attachment_add(ticket=ticket, uploaded_by=author, upload=upload, reply=reply)
    members = [MembershipFactory(organization=customer.membership.organization).user for _ in range(extras)]
    for member in members:
        follower_add(ticket=ticket, user=member, by=agent)
    return members


def _case_page(client, ticket):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response.status_code == HTTPStatus.OK
    return response, len(queries)


def test_the_case_page_costs_the_same_for_1_and_30_replies(staff_client, customer, agent, vendors):
    small = open_ticket(customer, vendors["secpod"])
    _grow(small, customer, agent, replies=1, extras=1)
    big = open_ticket(customer, vendors["secpod"], subject="Export fails")
    followers = _grow(big, customer, agent, replies=30, extras=4)
    _case_page(staff_client, small)  # warm per-process caches (calendars, templates)
    _, few = _case_page(staff_client, small)
    response, many = _case_page(staff_client, big)
    assert many == few
    content = response.content.decode()
    # The conversation, read-only and oldest first, with each author and kind.
    assert content.index("Step 0") < content.index("Step 1") < content.index("Step 29")
    assert len(re.findall(r'id="reply-\d+"', content)) == 30
    assert "Internal note" in content and "Staff reply" in content and "Customer" in content
    # The read-only sections, as tables: the SLA targets, each file's download, each follower's account.
    assert 'id="sla_targets-group"' in content and "First response" in content
    for attachment in big.attachments.all():
        assert reverse("api:ticket-attachment", args=[big.number, attachment.pk]) in content
    for member in followers:
        assert f'<a href="{reverse("admin:auth_user_change", args=[member.pk])}">{member}</a>' in content


def test_the_reply_box_keeps_its_field_names(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    content = staff_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert 'name="replies-2-0-body"' in content
    assert 'name="replies-2-TOTAL_FORMS"' in content


def test_the_triage_list_links_each_row_to_its_case(staff_client, agent, vendors):
    tickets = _make_tickets(3, vendors, agent)
    content = staff_client.get(CHANGELIST).content.decode()
    for ticket in tickets:
        url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
        assert f'<a href="{url}">{ticket.number}</a>' in content


def test_a_filtered_list_keeps_its_filters_in_each_rows_link(staff_client, agent, vendors):
    tickets = _make_tickets(2, vendors, agent)
    content = staff_client.get(CHANGELIST, {"status": "new"}).content.decode()
    for ticket in tickets:
        url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
        assert f'<a href="{url}?_changelist_filters=status%3Dnew">{ticket.number}</a>' in content
