"""Organizing cases (issue 19 points 3 and 4): merging a duplicate, splitting into subordinate
incidents, bulk actions that report per case, and followers, through the admin, the API and the
portal as staff and customers use them; the outsider is refused wherever another organization's
case is concerned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from portal.models import Notice
from portal.outbox import notices_render
from tests.factories import MembershipFactory
from tickets.models import Follower, Reply, Status, TargetState, Ticket
from tickets.services import reply_add, ticket_open, ticket_split

# A Tuesday inside Alectrona's business hours (10:00 New York).
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
CHANGELIST = reverse("admin:tickets_ticket_changelist")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def open_case(requester, vendor, subject="Export fails", *, at=None) -> Ticket:
    return ticket_open(
        organization=requester.membership.organization,
        requester=requester,
        vendor=vendor,
        priority="high",
        subject=subject,
        body="The nightly export stops.",
        at=at or NOW - timedelta(hours=1),
    )


def run_action(client, action: str, tickets, **data):
    payload = {"action": action, ACTION_CHECKBOX_NAME: [t.pk for t in tickets], "apply": "1", **data}
    return client.post(CHANGELIST, payload, follow=True)


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def recipients(ticket_or_number) -> set[str]:
    number = getattr(ticket_or_number, "number", ticket_or_number)
    return {n.to_email for n in Notice.objects.filter(reference=number)}


# ---------------------------------------------------------------------------- merge


def test_admin_merges_a_duplicate_and_the_customer_is_told(client, agent, customer, colleague, vendors):
    kept = open_case(customer, vendors["alectrona"], "Export fails", at=NOW - timedelta(minutes=30))
    reply_add(ticket=kept, author=agent, body="Looking at it.")
    duplicate = open_case(
        colleague, vendors["alectrona"], "Export broken again", at=NOW - timedelta(minutes=20)
    )
    reply_add(ticket=duplicate, author=colleague, body="Logs attached soon.")
    kept_first = kept.sla_targets.get(kind="first_response")
    client.force_login(agent)

    response = run_action(client, "merge", [duplicate], into=kept.number, message="Same export bug.")

    assert any(duplicate.number in m and f"merged into {kept.number}" in m for m in said(response))
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == (Status.CLOSED, kept.pk)
    bodies = list(Reply.objects.filter(ticket=kept).values_list("body", flat=True))
    assert any(duplicate.number in b and "nightly export" in b for b in bodies)
    assert "Logs attached soon." in bodies
    assert Follower.objects.filter(ticket=kept, user=colleague).exists()
    assert kept.sla_targets.get(kind="first_response").state == kept_first.state == TargetState.MET
    assert duplicate.sla_targets.get(kind="first_response").state == TargetState.WITHDRAWN
    notices_render(list(Notice.objects.filter(message__isnull=True)))  # what delivery renders
    told = Notice.objects.filter(
        reference=duplicate.number, to_email=colleague.email, subject__contains=kept.number
    )
    assert told.count() == 1 and "Same export bug." in told.get().body_text


def test_merge_across_organizations_is_refused(client, agent, customer, outsider, vendors):
    mine = open_case(customer, vendors["alectrona"])
    theirs = open_case(outsider, vendors["alectrona"])
    client.force_login(agent)
    response = run_action(client, "merge", [theirs], into=mine.number)
    assert any("same organization and vendor" in m for m in said(response))
    theirs.refresh_from_db()
    assert theirs.merged_into_id is None and theirs.status != Status.CLOSED


def test_api_merge_is_the_desks_and_the_outsider_sees_nothing(client, agent, customer, outsider, vendors):
    kept = open_case(customer, vendors["alectrona"])
    duplicate = open_case(customer, vendors["alectrona"], "Again")
    url = reverse("api:ticket-merge", args=[duplicate.number])
    client.force_login(outsider)
    assert client.post(url, {"into": kept.number}, content_type="application/json").status_code == 404
    client.force_login(customer)
    assert client.post(url, {"into": kept.number}, content_type="application/json").status_code == 400
    client.force_login(agent)
    response = client.post(url, {"into": kept.number}, content_type="application/json")
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["number"] == kept.number
    assert (
        client.get(reverse("api:ticket-detail", args=[duplicate.number])).json()["merged_into"] == kept.number
    )


def test_merge_moves_the_duplicates_subordinate_incidents_to_the_kept_case(client, agent, customer, vendors):
    kept = open_case(customer, vendors["alectrona"], "Export fails")
    duplicate = open_case(customer, vendors["alectrona"], "Export broken again")
    incident = ticket_split(
        parent=duplicate, subject="Printing too", body="Printing fails as well.", priority="high", by=agent
    )
    clock = incident.sla_targets.get(kind="first_response")
    client.force_login(agent)

    run_action(client, "merge", [duplicate], into=kept.number, message="Same export bug.")

    incident.refresh_from_db()
    assert incident.parent_id == kept.pk
    assert incident.sla_targets.get(kind="first_response").due_at == clock.due_at  # its own clock stands
    assert incident.history.first().parent_id == kept.pk  # the move is in its history
    api = client.get(reverse("api:ticket-detail", args=[incident.number])).json()
    assert api["parent"] == kept.number
    client.force_login(customer)
    page = client.get(reverse("tickets:detail", args=[kept.number])).content.decode()
    assert incident.number in page  # the customer's case page lists it under the kept case


def test_merging_a_case_into_its_own_incident_leaves_no_case_its_own_parent(client, agent, customer, vendors):
    duplicate = open_case(customer, vendors["alectrona"], "Export fails")
    kept = ticket_split(
        parent=duplicate, subject="Export, again", body="Still failing.", priority="high", by=agent
    )
    sibling = ticket_split(
        parent=duplicate, subject="Printing too", body="Printing fails as well.", priority="high", by=agent
    )
    client.force_login(agent)

    run_action(client, "merge", [duplicate], into=kept.number)

    kept.refresh_from_db()
    sibling.refresh_from_db()
    assert kept.parent_id is None  # it takes the duplicate's place (which had no parent)
    assert sibling.parent_id == kept.pk


# ---------------------------------------------------------------------------- split


def test_split_in_admin_runs_on_its_own_clock_from_the_split(client, agent, customer, vendors):
    parent = open_case(customer, vendors["alectrona"], at=NOW - timedelta(days=1))
    client.force_login(agent)
    response = run_action(
        client,
        "split",
        [parent],
        subject="Second problem: login",
        body="Also the login fails.",
        priority="urgent",
    )
    child = Ticket.objects.get(parent=parent)
    assert any(child.number in m for m in said(response))
    assert child.opened_at == NOW and child.requester == customer
    first = child.sla_targets.get(kind="first_response")
    assert first.started_at == NOW and first.due_at == NOW + timedelta(hours=1)


def test_customer_splits_from_the_case_page_and_the_outsider_cannot(client, customer, outsider, vendors):
    parent = open_case(customer, vendors["alectrona"])
    url = reverse("tickets:split", args=[parent.number])
    data = {"subject": "Printing too", "body": "Printing fails as well.", "priority": "high"}
    client.force_login(outsider)
    assert client.post(url, data).status_code == HTTPStatus.NOT_FOUND
    client.force_login(customer)
    response = client.post(url, data)
    child = Ticket.objects.get(parent=parent)
    assert response.status_code == HTTPStatus.FOUND and child.number in response["Location"]
    page = client.get(reverse("tickets:detail", args=[parent.number])).content.decode()
    assert child.number in page


def test_api_split(client, agent, customer, outsider, vendors):
    parent = open_case(customer, vendors["alectrona"])
    url = reverse("api:ticket-split", args=[parent.number])
    data = {"subject": "Printing too", "body": "Printing fails as well."}
    client.force_login(outsider)
    assert client.post(url, data, content_type="application/json").status_code == 404
    client.force_login(agent)
    response = client.post(url, data, content_type="application/json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["parent"] == parent.number and response.json()["priority"] == "high"


# ---------------------------------------------------------------------------- bulk actions


def test_bulk_action_reports_each_case(client, agent, customer, vendors):
    waiting = open_case(customer, vendors["alectrona"], "One")
    other = open_case(customer, vendors["alectrona"], "Two")
    client.force_login(agent)
    run_action(client, "wait_on_customer", [waiting])
    response = run_action(client, "wait_on_customer", [waiting, other])
    messages = said(response)
    assert any(waiting.number in m and "already" in m for m in messages), messages
    assert any(other.number in m and "wait on the customer" in m for m in messages), messages


# ---------------------------------------------------------------------------- followers


def test_colleague_follows_from_the_portal_and_is_copied(
    client, agent, customer, colleague, outsider, vendors
):
    case = open_case(customer, vendors["alectrona"])
    client.force_login(colleague)
    response = client.post(reverse("tickets:follow", args=[case.number]))
    assert response.status_code == HTTPStatus.FOUND
    assert Follower.objects.filter(ticket=case, user=colleague).exists()
    reply = reply_add(ticket=case, author=agent, body="Fixed in 4.3.")
    copied = Notice.objects.filter(dedupe_key__startswith=f"staff_reply:reply{reply.pk}:")
    assert set(copied.values_list("to_email", flat=True)) == {customer.email, colleague.email}
    assert outsider.email not in recipients(case)
    client.post(reverse("tickets:unfollow", args=[case.number]))
    assert not Follower.objects.filter(ticket=case, user=colleague).exists()


def test_outsider_cannot_follow_another_organizations_case(client, customer, outsider, vendors):
    case = open_case(customer, vendors["alectrona"])
    client.force_login(outsider)
    assert client.post(reverse("tickets:follow", args=[case.number])).status_code == HTTPStatus.NOT_FOUND
    response = client.post(
        reverse("api:ticket-followers", args=[case.number]), {}, content_type="application/json"
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Follower.objects.filter(ticket=case).exists()


def test_staff_add_followers_from_the_organization_only(
    client, agent, customer, colleague, outsider, vendors
):
    case = open_case(customer, vendors["alectrona"])
    client.force_login(agent)
    url = reverse("api:ticket-followers", args=[case.number])
    refused = client.post(url, {"username": outsider.username}, content_type="application/json")
    assert refused.status_code == HTTPStatus.BAD_REQUEST and "user" in refused.json()
    added = client.post(url, {"username": colleague.username}, content_type="application/json")
    assert added.status_code == HTTPStatus.CREATED
    assert [f["username"] for f in client.get(url).json()] == [colleague.username]


def test_follower_who_left_the_organization_is_no_longer_copied(agent, customer, colleague, vendors):
    case = open_case(customer, vendors["alectrona"])
    Follower.objects.create(ticket=case, user=colleague, created_at=NOW)
    other = MembershipFactory().organization
    colleague.membership.organization = other
    colleague.membership.save()
    reply_add(ticket=case, author=agent, body="Fixed.")
    assert colleague.email not in recipients(case)


def test_admin_case_page_adds_a_follower_of_the_organization_only(
    client, agent, customer, colleague, outsider, vendors
):
    case = open_case(customer, vendors["alectrona"])
    client.force_login(agent)
    url = reverse("admin:tickets_ticket_change", args=[case.pk])
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    response = run_action(client, "add_follower", [case], username=outsider.username)
    assert any("members of the case's organization" in m for m in said(response))
    response = run_action(client, "add_follower", [case], username=colleague.username)
    assert Follower.objects.filter(ticket=case, user=colleague).exists()
    assert colleague.username in client.get(url).content.decode()
