"""The agent's desk in admin (issue 19, points 1 and 2): the desk home, the triage list (order, times
in the agent's zone, priority per vendor, saved views), the actions' choices, names as people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Profile
from tests.factories import StaffFactory
from tickets.models import SavedView, Status, Ticket
from tickets.services import reply_add, ticket_assign, ticket_resolve, ticket_wait_on_customer

from .test_admin import _make_tickets, numbers, open_ticket

CHANGELIST = reverse("admin:tickets_ticket_changelist")
# A Tuesday, 14:00 UTC: 16:00 in Berlin (CEST), 10:00 in New York.
NOW = datetime(2026, 6, 9, 14, 0, tzinfo=UTC)


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def run_action(client, action: str, tickets, **data):
    payload = {"action": action, ACTION_CHECKBOX_NAME: [t.pk for t in tickets], **data}
    return client.post(CHANGELIST, payload, follow=False)


def filter_spec(response, parameter: str) -> list:
    return [f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", None) == parameter]


def page_messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# ---------------------------------------------------------------------------- the desk home


def test_the_admin_index_leads_with_the_desk_and_ends_with_the_framework(staff_client):
    response = staff_client.get(reverse("admin:index"))
    apps = response.context["app_list"]
    desk = apps[0]
    assert desk["name"] == "Desk"
    assert [m["name"] for m in desk["models"]][:1] == ["Cases"]
    links = {m["name"]: m["admin_url"] for m in desk["models"]}
    assert links["Cases"] == CHANGELIST
    assert links["Dashboard"] == reverse("admin:reports_dashboard_changelist")
    assert links["Quarantine"] == reverse("admin:mailroom_quarantinedmessage_changelist")
    labels = [app["app_label"] for app in apps]
    framework = {"auth", "authtoken", "axes", "django_celery_beat", "otp_static", "otp_totp"}
    tail = labels[min(labels.index(label) for label in framework if label in labels) :]
    assert set(tail) <= framework
    assert labels.index("tickets") < labels.index("policies") < labels.index("auth")


# ---------------------------------------------------------------------------- the triage list


def test_the_triage_list_sorts_by_next_due_with_undated_cases_last(staff_client, customer, agent, vendors):
    secpod = vendors["secpod"]
    later = open_ticket(customer, secpod, priority="normal", subject="Due in 12 h")  # 12 h
    sooner = open_ticket(customer, secpod, priority="critical", subject="Due in 2 h")  # 2 h
    paused = ticket_wait_on_customer(ticket=open_ticket(customer, secpod, subject="Paused"), by=agent)
    response = staff_client.get(CHANGELIST)
    listed = [t.number for t in response.context["cl"].result_list]
    assert listed == [sooner.number, later.number, paused.number]


def test_due_times_are_in_the_agents_zone_named_and_relative(staff_client, customer, agent, vendors, frozen):
    Profile.objects.create(user=agent, timezone="Europe/Berlin")
    secpod = vendors["secpod"]
    # SecPod Critical: 2 h on the 24×7 clock. Due 14:25 UTC = 16:25 CEST, in 25 min.
    open_ticket(customer, secpod, at=NOW - timedelta(minutes=95), subject="Soon")
    # Due 12:00 UTC = 14:00 CEST, overdue 2 h.
    open_ticket(customer, secpod, at=NOW - timedelta(hours=4), subject="Late")
    content = staff_client.get(CHANGELIST).content.decode()
    assert "16:25 CEST" in content
    assert "in 25 min" in content
    assert "14:00 CEST" in content
    assert "overdue 2 h" in content
    assert "Europe/Berlin" in content


def test_the_priority_filter_is_per_vendor(staff_client, customer, vendors):
    secpod_high = open_ticket(customer, vendors["secpod"], priority="high")
    alectrona_high = open_ticket(customer, vendors["alectrona"], priority="high")
    response = staff_client.get(CHANGELIST)
    [spec] = filter_spec(response, "priority")
    titles = [title for _, title in spec.lookup_choices]
    assert "SecPod: High" in titles
    assert "Alectrona: High" in titles
    value = next(value for value, title in spec.lookup_choices if title == "Alectrona: High")
    assert numbers(staff_client.get(CHANGELIST, {"priority": value})) == {alectrona_high.number}
    assert secpod_high.number not in numbers(staff_client.get(CHANGELIST, {"priority": value}))


def test_a_priority_filter_value_of_no_vendor_answers_400(staff_client, customer, vendors):
    open_ticket(customer, vendors["secpod"])
    assert staff_client.get(CHANGELIST, {"priority": "nobody:high"}).status_code == HTTPStatus.BAD_REQUEST


# ---------------------------------------------------------------------------- saved views


def test_the_built_in_views_are_offered_and_list_their_cases(staff_client, customer, agent, vendors):
    mine = open_ticket(customer, vendors["secpod"], subject="Mine")
    ticket_assign(ticket=mine, assignee=agent, by=agent)
    nobodys = open_ticket(customer, vendors["albert"], priority="urgent", subject="Nobody's")
    done = open_ticket(customer, vendors["secpod"], subject="Done")
    ticket_assign(ticket=done, assignee=agent, by=agent)
    ticket_resolve(ticket=done, by=agent, resolution_code="fix", message="Done.")
    content = staff_client.get(CHANGELIST).content.decode()
    for name in ("My open cases", "Breached", "Due within 1 h", "Unassigned"):
        assert name in content
    assert numbers(staff_client.get(CHANGELIST, {"mine": "yes", "open": "yes"})) == {mine.number}
    assert numbers(staff_client.get(CHANGELIST, {"assignee": "none", "open": "yes"})) == {nobodys.number}


def _save_view(client, name: str, query: str, *, shared: bool = False):
    data = {"name": name, "query": query, **({"shared": "on"} if shared else {})}
    return client.post(reverse("admin:tickets_ticket_save_view"), data)


def test_an_agent_saves_a_view_and_finds_it_on_the_list(staff_client, customer, agent, vendors):
    albert = vendors["albert"]
    response = _save_view(staff_client, "Unassigned Albert", f"assignee=none&vendor__id__exact={albert.pk}")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{CHANGELIST}?assignee=none&vendor__id__exact={albert.pk}"
    view = SavedView.objects.get(name="Unassigned Albert")
    assert (view.owner, view.shared) == (agent, False)
    content = staff_client.get(CHANGELIST).content.decode()
    assert "Unassigned Albert" in content
    assert f"?assignee=none&amp;vendor__id__exact={albert.pk}" in content


def test_a_saved_view_drops_the_page_number(staff_client):
    _save_view(staff_client, "Breached", "sla=breached&p=3")
    assert SavedView.objects.get().query == "sla=breached"


def test_a_private_view_is_not_shown_to_colleagues_a_shared_one_is(client, agent, vendors):
    SavedView.objects.create(owner=agent, name="Dana's own", query="sla=paused")
    SavedView.objects.create(owner=agent, name="Team: breached Albert", query="sla=breached", shared=True)
    colleague = StaffFactory(username="erin", first_name="Erin", last_name="Ops")
    client.force_login(colleague)
    content = client.get(CHANGELIST).content.decode()
    assert "Team: breached Albert" in content
    assert "Dana Desk" in content  # whose shared view it is
    assert "Dana&#x27;s own" not in content and "Dana's own" not in content


def test_a_colleague_cannot_change_or_delete_anothers_view(client, agent):
    view = SavedView.objects.create(owner=agent, name="Shared", query="sla=paused", shared=True)
    client.force_login(StaffFactory(username="erin"))
    url = reverse("admin:tickets_savedview_change", args=[view.pk])
    assert client.post(url, {"name": "Mine now", "query": "", "shared": ""}).status_code in (
        HTTPStatus.FORBIDDEN,
        HTTPStatus.FOUND,
    )
    view.refresh_from_db()
    assert view.name == "Shared"
    response = client.post(reverse("admin:tickets_savedview_delete", args=[view.pk]), {"post": "yes"})
    assert SavedView.objects.filter(pk=view.pk).exists(), response.status_code


def test_a_customer_cannot_save_a_view(client, customer):
    client.force_login(customer)
    response = _save_view(client, "Sneaky", "sla=breached")
    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]
    assert not SavedView.objects.exists()


def test_saved_view_admin_smoke(staff_client, agent):
    view = SavedView.objects.create(owner=agent, name="Mine", query="mine=yes")
    for url in (
        reverse("admin:tickets_savedview_changelist"),
        reverse("admin:tickets_savedview_changelist") + "?q=mine",
        reverse("admin:tickets_savedview_change", args=[view.pk]),
    ):
        assert staff_client.get(url).status_code == HTTPStatus.OK, url


@pytest.mark.parametrize("query", [{}, {"mine": "yes", "open": "yes"}, {"priority": "alectrona:high"}])
def test_the_list_with_saved_views_costs_the_same_for_5_and_50_cases(staff_client, agent, vendors, query):
    SavedView.objects.create(owner=agent, name="Mine", query="mine=yes")
    SavedView.objects.create(owner=StaffFactory(), name="Team", query="sla=breached", shared=True)
    _make_tickets(5, vendors, agent)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(CHANGELIST, query).status_code == HTTPStatus.OK
    _make_tickets(45, vendors, agent, first=5)
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(CHANGELIST, query)
    assert response.context["cl"].result_list
    assert len(many) == len(few)


# ---------------------------------------------------------------------------- actions' choices


def test_change_priority_preselects_the_current_one_and_offers_only_the_vendors(
    staff_client, customer, vendors
):
    ticket = open_ticket(customer, vendors["secpod"], priority="normal")
    form = run_action(staff_client, "change_priority", [ticket]).context["form"]
    codes = [code for code, _ in form.fields["priority"].choices]
    assert codes == list(ticket.policy_version.priorities.order_by("rank").values_list("code", flat=True))
    assert "urgent" not in codes  # Alectrona's and Albert's
    assert form["priority"].value() == "normal"


def test_change_priority_refuses_cases_of_two_vendors(staff_client, customer, vendors):
    secpod = open_ticket(customer, vendors["secpod"], priority="normal")
    alectrona = open_ticket(customer, vendors["alectrona"], priority="low")
    response = run_action(staff_client, "change_priority", [secpod, alectrona])
    assert response.status_code == HTTPStatus.FOUND
    assert any("one vendor" in m for m in page_messages(response))
    response = run_action(
        staff_client, "change_priority", [secpod, alectrona], apply="1", priority="high", reason="Both"
    )
    secpod.refresh_from_db()
    alectrona.refresh_from_db()
    assert (secpod.priority.code, alectrona.priority.code) == ("normal", "low")


def test_resolve_refuses_cases_of_two_vendors(staff_client, customer, vendors):
    secpod = open_ticket(customer, vendors["secpod"])
    alectrona = open_ticket(customer, vendors["alectrona"], priority="low")
    response = run_action(staff_client, "resolve", [secpod, alectrona])
    assert response.status_code == HTTPStatus.FOUND
    assert any("one vendor" in m for m in page_messages(response))


def test_resolve_from_the_case_page_needs_a_message_and_a_code_of_the_vendor(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["alectrona"], priority="high")
    url = reverse("admin:tickets_ticket_resolve", args=[ticket.pk])
    page = staff_client.get(url)
    assert page.status_code == HTTPStatus.OK
    codes = [code for code, _ in page.context["form"].fields["resolution_code"].choices]
    assert codes == ["workaround", "upgrade", "third-party", "enhancement-or-known-issue"]
    refused = staff_client.post(url, {"resolution_code": "workaround", "message": " "})
    assert refused.status_code == HTTPStatus.OK
    assert refused.context["form"].errors["message"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    done = staff_client.post(url, {"resolution_code": "upgrade", "message": "Fixed in 5.2; please upgrade."})
    assert done.status_code == HTTPStatus.FOUND
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution_code.code) == (Status.RESOLVED, "upgrade")
    assert ticket.replies.get().body == "Fixed in 5.2; please upgrade."


def test_change_priority_from_the_case_page_preselects_the_current_one(staff_client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"], priority="normal")
    url = reverse("admin:tickets_ticket_priority", args=[ticket.pk])
    form = staff_client.get(url).context["form"]
    assert form["priority"].value() == "normal"
    response = staff_client.post(url, {"priority": "critical", "reason": "Production down"})
    assert response.status_code == HTTPStatus.FOUND
    ticket.refresh_from_db()
    assert ticket.priority.code == "critical"


def test_a_customer_cannot_reach_the_case_page_actions(client, customer, vendors):
    ticket = open_ticket(customer, vendors["secpod"])
    client.force_login(customer)
    for name in ("admin:tickets_ticket_resolve", "admin:tickets_ticket_priority"):
        response = client.post(reverse(name, args=[ticket.pk]), {"resolution_code": "x", "message": "x"})
        assert response.status_code == HTTPStatus.FOUND
        assert "/admin/login/" in response["Location"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


# ---------------------------------------------------------------------------- names as people


def test_people_are_shown_by_name_on_the_list_and_the_case_page(staff_client, customer, agent, vendors):
    customer.first_name, customer.last_name = "Alice", "Archer"
    customer.save()
    ticket = open_ticket(customer, vendors["secpod"])
    ticket_assign(ticket=ticket, assignee=agent, by=agent)
    reply_add(ticket=ticket, author=agent, body="On it.")
    listing = staff_client.get(CHANGELIST).content.decode()
    assert "Dana Desk" in listing
    assert ">agent<" not in listing
    case = staff_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert "Dana Desk" in case
    assert "Alice Archer" in case


def test_the_assignee_filter_names_people(staff_client, agent):
    response = staff_client.get(CHANGELIST)
    [spec] = filter_spec(response, "assignee")
    assert (str(agent.pk), "Dana Desk") in spec.lookup_choices


def test_the_open_filter_lists_only_open_cases(staff_client, customer, agent, vendors):
    live = open_ticket(customer, vendors["secpod"])
    done = open_ticket(customer, vendors["secpod"])
    ticket_resolve(ticket=done, by=agent, resolution_code="fix", message="Done.")
    assert numbers(staff_client.get(CHANGELIST, {"open": "yes"})) == {live.number}
    assert Ticket.objects.count() == 2
