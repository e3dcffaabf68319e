"""The staff UI in Django admin: triage list, filters, actions through the services, the case page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import MembershipFactory, OrganizationFactory, StaffFactory
from tickets.models import Reply, SlaTarget, Status, TargetState, Ticket
from tickets.services import (
    attachment_add,
    reply_add,
    ticket_assign,
    ticket_close,
    ticket_open,
    ticket_wait_on_customer,
)

CHANGELIST = reverse("admin:tickets_ticket_changelist")


def open_ticket(customer, vendor, *, priority="critical", subject="Scanner stopped", at=None) -> Ticket:
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendor,
        priority=priority,
        subject=subject,
        body="The **scanner** stopped at 02:00.",
        at=at,
    )


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


def numbers(response) -> set[str]:
    return {ticket.number for ticket in response.context["cl"].result_list}


def run_action(client, action: str, tickets, **data):
    payload = {"action": action, ACTION_CHECKBOX_NAME: [t.pk for t in tickets], **data}
    return client.post(CHANGELIST, payload)


# ---------------------------------------------------------------------------- smoke


def test_changelist_search_and_add_render(staff_client, customer, vendors):
    model = "tickets_ticket"
    open_ticket(customer, vendors["secpod"])
    for url in (
        reverse(f"admin:{model}_changelist"),
        reverse(f"admin:{model}_changelist") + "?q=scanner",
        reverse(f"admin:{model}_add"),
    ):
        assert staff_client.get(url).status_code == HTTPStatus.OK, url


def test_search_finds_by_number_subject_and_requester(staff_client, customer, outsider, vendors):
    mine = open_ticket(customer, vendors["secpod"], subject="Scanner stopped")
    other = open_ticket(outsider, vendors["secpod"], subject="Licence question")
    assert numbers(staff_client.get(CHANGELIST, {"q": mine.number})) == {mine.number}
    assert numbers(staff_client.get(CHANGELIST, {"q": f" {mine.number.lower()} "})) == {mine.number}
    assert numbers(staff_client.get(CHANGELIST, {"q": mine.number[:-1]})) >= {mine.number}
    assert numbers(staff_client.get(CHANGELIST, {"q": "licence"})) == {other.number}
    assert numbers(staff_client.get(CHANGELIST, {"q": "alice@example"})) == {mine.number}
    assert numbers(staff_client.get(CHANGELIST, {"q": "charlie"})) == {other.number}


def test_change_page_shows_targets_conversation_and_history(staff_client, customer, agent, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    reply_add(ticket=ticket, author=agent, body="Looking into it.", internal=True)
    upload = SimpleUploadedFile("scanner.log", b"02:00 scanner stopped\n", content_type="text/plain")
    attachment = attachment_add(ticket=ticket, uploaded_by=customer, upload=upload)
    response = staff_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "First response" in content
    assert "Internal note" in content
    assert "Looking into it." in content
    assert reverse("api:ticket-attachment", args=[ticket.number, attachment.pk]) in content
    assert (
        staff_client.get(reverse("admin:tickets_ticket_history", args=[ticket.pk])).status_code
        == HTTPStatus.OK
    )


def test_customer_cannot_reach_admin(client, customer):
    client.force_login(customer)
    response = client.get(CHANGELIST)
    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]


# ---------------------------------------------------------------------------- list cost


def _make_tickets(count: int, vendors, agent, *, first: int = 0) -> list[Ticket]:
    """Cases `first` … `first + count - 1`: case i is assigned to `agent` when i % 3 == 0, and
    opened a week ago (its first response long overdue) when i is odd."""
    organizations = [OrganizationFactory() for _ in range(3)]
    staff = [agent, StaffFactory(), StaffFactory()]
    slugs = ["secpod", "alectrona", "albert"]
    priorities = {"secpod": "critical", "alectrona": "high", "albert": "urgent"}
    tickets = []
    for i in range(first, first + count):
        requester = MembershipFactory(organization=organizations[i % 3]).user
        slug = slugs[i % 3]
        at = timezone.now() - timedelta(days=7) if i % 2 else None
        ticket = open_ticket(requester, vendors[slug], priority=priorities[slug], subject=f"Case {i}", at=at)
        ticket_assign(ticket=ticket, assignee=staff[i % 3], by=agent)
        tickets.append(ticket)
    return tickets


@pytest.mark.parametrize(
    "query, listed",
    [
        ({}, lambda i: True),
        ({"sla": "breached"}, lambda i: i % 2 == 1),
        ({"status": "new", "mine": "yes"}, lambda i: i % 3 == 0),
    ],
)
def test_changelist_query_count_does_not_grow_with_tickets(staff_client, agent, vendors, query, listed):
    tickets = _make_tickets(5, vendors, agent)
    with CaptureQueriesContext(connection) as few:
        response = staff_client.get(CHANGELIST, query)
    assert response.status_code == HTTPStatus.OK
    assert numbers(response) == {t.number for i, t in enumerate(tickets) if listed(i)}
    tickets += _make_tickets(45, vendors, agent, first=5)
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(CHANGELIST, query)
    # Each filter lists cases (never an empty page, whose cost says nothing), exactly its own.
    assert numbers(response) == {t.number for i, t in enumerate(tickets) if listed(i)}
    assert len(many) == len(few)


def test_changelist_count_is_capped(staff_client, customer, vendors, monkeypatch):
    from tickets.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "CAP", 2)
    for _ in range(3):
        open_ticket(customer, vendors["secpod"])
    response = staff_client.get(CHANGELIST)
    assert response.context["cl"].result_count == 2
    assert "More than 2 tickets" in response.content.decode()
    assert "more than 2 results" in staff_client.get(CHANGELIST, {"q": "scanner"}).content.decode()


def test_tickets_are_never_deleted(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    response = staff_client.post(reverse("admin:tickets_ticket_delete", args=[ticket.pk]), {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Ticket.objects.filter(pk=ticket.pk).exists()


# ---------------------------------------------------------------------------- filters


def test_sla_filters(staff_client, customer, agent, vendors):
    now = timezone.now()
    # SecPod Critical: first response within 2 h on the 24×7 clock.
    overdue = open_ticket(customer, vendors["secpod"], at=now - timedelta(hours=3))
    due_soon = open_ticket(customer, vendors["secpod"], at=now - timedelta(minutes=90))
    paused = ticket_wait_on_customer(ticket=open_ticket(customer, vendors["secpod"]), by=agent)
    calm = open_ticket(customer, vendors["secpod"])
    swept = open_ticket(customer, vendors["secpod"])
    SlaTarget.objects.filter(ticket=swept).update(state=TargetState.BREACHED)
    Ticket.objects.filter(pk=swept.pk).update(sla_state=TargetState.BREACHED, next_due_at=None)

    assert numbers(staff_client.get(CHANGELIST, {"sla": "breached"})) == {overdue.number, swept.number}
    assert numbers(staff_client.get(CHANGELIST, {"sla": "due_soon"})) == {due_soon.number}
    assert numbers(staff_client.get(CHANGELIST, {"sla": "paused"})) == {paused.number}
    assert calm.number in numbers(staff_client.get(CHANGELIST))


def test_badge_shows_a_running_ticket_past_due_as_breached(staff_client, customer, vendors):
    open_ticket(customer, vendors["secpod"], at=timezone.now() - timedelta(hours=3))
    content = staff_client.get(CHANGELIST).content.decode()
    assert "sla-breached" in content


def test_vendor_priority_status_filters(staff_client, customer, agent, vendors):
    secpod_critical = open_ticket(customer, vendors["secpod"], priority="critical")
    secpod_low = open_ticket(customer, vendors["secpod"], priority="low")
    alectrona_high = open_ticket(customer, vendors["alectrona"], priority="high")
    ticket_wait_on_customer(ticket=secpod_low, by=agent)

    by_vendor = staff_client.get(CHANGELIST, {"vendor__id__exact": vendors["alectrona"].pk})
    assert numbers(by_vendor) == {alectrona_high.number}
    assert numbers(staff_client.get(CHANGELIST, {"priority": "secpod:critical"})) == {secpod_critical.number}
    waiting = staff_client.get(CHANGELIST, {"status__exact": Status.WAITING_ON_CUSTOMER})
    assert numbers(waiting) == {secpod_low.number}


def test_assignee_and_mine_filters(staff_client, customer, agent, vendors):
    colleague_agent = StaffFactory(username="erin")
    mine = open_ticket(customer, vendors["secpod"])
    theirs = open_ticket(customer, vendors["secpod"])
    nobody = open_ticket(customer, vendors["secpod"])
    ticket_assign(ticket=mine, assignee=agent, by=agent)
    ticket_assign(ticket=theirs, assignee=colleague_agent, by=agent)

    assert numbers(staff_client.get(CHANGELIST, {"mine": "yes"})) == {mine.number}
    assert numbers(staff_client.get(CHANGELIST, {"assignee": str(colleague_agent.pk)})) == {theirs.number}
    assert numbers(staff_client.get(CHANGELIST, {"assignee": "none"})) == {nobody.number}


@pytest.mark.parametrize("value", ["abc", "1.5", "-", "99999999999999999999999"])
def test_an_assignee_that_is_no_id_answers_400_naming_it(staff_client, customer, vendors, value):
    """?assignee=abc went to the query as an id: a ValueError, a 500."""
    open_ticket(customer, vendors["secpod"])
    response = staff_client.get(CHANGELIST, {"assignee": value})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"<code>assignee</code>" in response.content


# ---------------------------------------------------------------------------- actions


def test_assign_to_me(staff_client, customer, agent, vendors):
    tickets = [open_ticket(customer, vendors["secpod"]) for _ in range(2)]
    run_action(staff_client, "assign_to_me", tickets)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.assignee == agent


def test_mark_waiting_on_customer_pauses_the_clock(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    run_action(staff_client, "wait_on_customer", [ticket])
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CUSTOMER
    assert ticket.sla_state == TargetState.PAUSED


def test_change_priority_asks_for_a_reason_then_recomputes(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"], priority="normal")
    first = run_action(staff_client, "change_priority", [ticket])
    assert first.status_code == HTTPStatus.OK
    assert "New priority" in first.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority.code == "normal"

    run_action(
        staff_client, "change_priority", [ticket], apply="1", priority="critical", reason="Production down"
    )
    ticket.refresh_from_db()
    assert ticket.priority.code == "critical"
    target = ticket.sla_targets.get(kind="first_response")
    assert target.due_at == ticket.opened_at + timedelta(hours=2)
    assert "Production down" in target.events.last().detail


def test_change_priority_without_reason_changes_nothing(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"], priority="normal")
    response = run_action(
        staff_client, "change_priority", [ticket], apply="1", priority="critical", reason=""
    )
    assert response.status_code == HTTPStatus.OK
    ticket.refresh_from_db()
    assert ticket.priority.code == "normal"


def test_resolve_offers_the_vendors_codes_and_stops_the_clocks(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["alectrona"], priority="high")
    page = run_action(staff_client, "resolve", [ticket]).content.decode()
    code = vendors["alectrona"].versions.get().resolution_codes.first()
    assert code.name in page

    assert "Message to the customer" in page
    run_action(staff_client, "resolve", [ticket], apply="1", resolution_code=code.code)  # no message
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    run_action(
        staff_client, "resolve", [ticket], apply="1", resolution_code=code.code, message="Fixed in 2.1."
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution_code == code
    assert not ticket.sla_targets.filter(state=TargetState.RUNNING).exists()
    assert ticket.replies.get().body == "Fixed in 2.1."
    assert ticket.sla_targets.get(kind="first_response").state == TargetState.MET


def test_a_refused_action_is_reported_and_changes_nothing(staff_client, customer, agent, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    ticket_close(ticket=ticket, by=customer)
    response = run_action(staff_client, "wait_on_customer", [ticket])
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(ticket.number in m for m in messages)


# ---------------------------------------------------------------------------- add and change


def test_add_opens_a_ticket_through_the_service(staff_client, customer, vendors):
    response = staff_client.post(
        reverse("admin:tickets_ticket_add"),
        {
            "organization": customer.membership.organization.pk,
            "requester": customer.pk,
            "vendor": vendors["secpod"].pk,
            "priority_code": "critical",
            "kind": "incident",
            "channel": "phone",
            "subject": "Phoned in: scanner down",
            "body": "Customer called.",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    ticket = Ticket.objects.get(subject="Phoned in: scanner down")
    assert ticket.number.startswith(vendors["secpod"].ticket_prefix)
    assert ticket.channel == "phone"
    assert ticket.sla_targets.get(kind="first_response").due_at == ticket.opened_at + timedelta(hours=2)


def test_add_refuses_a_billable_case_until_the_charge_is_accepted(
    staff_client, customer, infotecs, basic_contract, versions
):
    # Version 3 is in Extended Support: a normal case is charged, so staff confirm it as customers do.
    payload = {
        **_onsite_visit(customer, infotecs, versions[3], priority_code="normal"),
        "onsite_requested": "",
        "subject": "Phoned in: extended-support question",
    }
    with time_machine.travel(CONTRACT_DAY, tick=False):
        refused = staff_client.post(reverse("admin:tickets_ticket_add"), payload)
        [error] = refused.context["adminform"].form.errors["confirm_billable"]
        assert error.startswith("This case will be charged: ViPNet Coordinator 3 is in Extended Support")
        assert not Ticket.objects.filter(subject=payload["subject"]).exists()
        opened = staff_client.post(reverse("admin:tickets_ticket_add"), {**payload, "confirm_billable": "on"})
    assert opened.status_code == HTTPStatus.FOUND
    assert Ticket.objects.get(subject=payload["subject"]).billable


def test_add_shows_the_services_refusal_and_saves_nothing(staff_client, customer, vendors):
    response = staff_client.post(
        reverse("admin:tickets_ticket_add"),
        {
            "organization": customer.membership.organization.pk,
            "requester": customer.pk,
            "vendor": vendors["secpod"].pk,
            "priority_code": "urgent",  # an Alectrona code: SecPod has none
            "kind": "incident",
            "channel": "phone",
            "subject": "Wrong priority",
            "body": "Customer called.",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors
    assert not Ticket.objects.filter(subject="Wrong priority").exists()


# Within the Basic contract of tests/lifecycle/conftest.py (2025–2027).
CONTRACT_DAY = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _onsite_visit(customer, infotecs, version, **extra) -> dict:
    """A phoned-in Infotecs critical case asking for an engineer on site (Basic contract)."""
    return {
        "organization": customer.membership.organization.pk,
        "requester": customer.pk,
        "vendor": infotecs.pk,
        "product": version.product_id,
        "major_version": version.pk,
        "priority_code": "critical",
        "kind": "incident",
        "channel": "phone",
        "subject": "Coordinator dead, remote session failed",
        "body": "Customer called: the appliance does not boot.",
        "onsite_requested": "on",
        **extra,
    }


def test_add_records_a_basic_onsite_visit_when_remote_help_failed(
    staff_client, customer, infotecs, basic_contract, versions
):
    payload = _onsite_visit(customer, infotecs, versions[4], remote_failed="on", confirm_billable="on")

    with time_machine.travel(CONTRACT_DAY, tick=False):
        response = staff_client.post(reverse("admin:tickets_ticket_add"), payload)

    assert response.status_code == HTTPStatus.FOUND, response.context and response.context["errors"]
    ticket = Ticket.objects.get(subject=payload["subject"])
    assert ticket.onsite_requested
    assert ticket.billable
    assert "on-site" in ticket.billable_reason.lower()


def test_add_refuses_a_basic_onsite_visit_without_a_failed_remote_attempt_on_the_field(
    staff_client, customer, infotecs, basic_contract, versions
):
    payload = _onsite_visit(customer, infotecs, versions[4], confirm_billable="on")

    with time_machine.travel(CONTRACT_DAY, tick=False):
        response = staff_client.post(reverse("admin:tickets_ticket_add"), payload)

    assert response.status_code == HTTPStatus.OK
    form = response.context["adminform"].form
    assert "could not be solved" in " ".join(form.errors["onsite_requested"])
    assert not Ticket.objects.filter(subject=payload["subject"]).exists()


def _change_payload(client, ticket: Ticket, **extra) -> dict:
    """What a browser posts back from the case page: every inline's management form and rows."""
    page = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    payload = {"assignee": ticket.assignee_id or ""}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        payload |= {f"{management.prefix}-{name}": value for name, value in management.initial.items()}
        for form in formset.forms:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                payload[form.add_prefix(name)] = getattr(value, "pk", value) if value is not None else ""
    return payload | extra


def test_staff_reply_from_the_case_page_meets_first_response(staff_client, customer, agent, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    response = staff_client.post(
        url, _change_payload(staff_client, ticket, **{"replies-2-0-body": "We are on it."})
    )
    assert response.status_code == HTTPStatus.FOUND, response.context and response.context["errors"]
    reply = Reply.objects.get(ticket=ticket)
    assert (reply.author, reply.internal, reply.by_staff) == (agent, False, True)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.sla_targets.get(kind="first_response").state == TargetState.MET


def test_internal_note_from_the_case_page_leaves_the_clock_running(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    reply_add(ticket=ticket, author=customer, body="Any news?")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    payload = _change_payload(
        staff_client, ticket, **{"replies-2-0-body": "Customer is on v3.", "replies-2-0-internal": "on"}
    )
    assert staff_client.post(url, payload).status_code == HTTPStatus.FOUND
    assert Reply.objects.filter(ticket=ticket, internal=True).count() == 1
    assert ticket.sla_targets.get(kind="first_response").state == TargetState.RUNNING


def test_internal_note_then_wait_on_the_customer_sets_the_case_waiting(
    staff_client, customer, vendors, django_capture_on_commit_callbacks
):
    ticket = open_ticket(customer, vendors["secpod"])
    mail.outbox.clear()
    note = "Asked for the scanner logs by phone; customer sends them tonight."
    payload = _change_payload(
        staff_client,
        ticket,
        **{"replies-2-0-body": note, "replies-2-0-internal": "on", "replies-2-0-wait_on_customer": "on"},
    )
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, payload).status_code == HTTPStatus.FOUND

    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CUSTOMER
    assert Reply.objects.get(ticket=ticket).internal
    # Paused like "Mark waiting on customer": the note is no answer, so first response stays unmet.
    first_response = ticket.sla_targets.get(kind="first_response")
    assert (first_response.state, first_response.met_at) == (TargetState.PAUSED, None)
    assert ticket.first_responded_at is None
    # The customer is told the case waits on them, and never sees the note.
    [message] = mail.outbox
    assert message.to == [customer.email]
    assert "Waiting on you" in message.subject
    assert note not in message.body
    assert all(note not in content for content, _ in message.alternatives)


def test_assignee_changed_on_the_case_page(staff_client, customer, agent, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    assert (
        staff_client.post(url, _change_payload(staff_client, ticket, assignee=agent.pk)).status_code
        == HTTPStatus.FOUND
    )
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_organization_autocomplete_on_the_add_page(staff_client, organization, other_organization):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "tickets", "model_name": "ticket", "field_name": "organization", "term": "acme"},
    )
    assert response.status_code == HTTPStatus.OK
    assert [r["text"] for r in response.json()["results"]] == ["Acme Analytics"]
