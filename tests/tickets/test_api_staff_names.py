"""Customers never see a staff member's username in the API (issue 18 point 2): a username is half
of a sign-in. They see the person's name, or the desk's; staff see usernames, which they filter and
assign by."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import StaffFactory
from tests.tickets.test_api import _frozen, api, open_case  # noqa: F401 - _frozen is an autouse fixture
from tickets.services import reply_add, ticket_assign

STAFF_USERNAME = "desk-admin-7"


def staff_case(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"], priority="high")
    ticket_assign(ticket=case, assignee=agent, by=agent)
    reply_add(ticket=case, author=agent, body="Looking.")
    nameless = StaffFactory(username=STAFF_USERNAME, first_name="", last_name="")
    reply_add(ticket=case, author=nameless, body="Me too.")
    return case


def test_a_customer_sees_staff_by_name_or_as_the_desk(customer, agent, vendors):
    case = staff_case(customer, agent, vendors)
    client = api(customer)
    listed = client.get(reverse("api:ticket-list")).json()["results"][0]
    detail = client.get(reverse("api:ticket-detail", args=[case.number])).json()
    replies = client.get(reverse("api:ticket-replies", args=[case.number])).json()
    assert listed["assignee"] == detail["assignee"] == "Dana Desk"
    assert [(r["author"], r["author_name"]) for r in replies] == [
        ("Dana Desk", "Dana Desk"),
        ("Support desk", "Support desk"),
    ]
    for answer in (listed, detail, replies):
        assert "agent" not in str(answer) and STAFF_USERNAME not in str(answer)


def test_staff_see_usernames(customer, agent, vendors):
    case = staff_case(customer, agent, vendors)
    detail = api(agent).get(reverse("api:ticket-detail", args=[case.number])).json()
    replies = api(agent).get(reverse("api:ticket-replies", args=[case.number])).json()
    assert detail["assignee"] == "agent" and detail["requester"] == "alice"
    assert [r["author"] for r in replies] == ["agent", STAFF_USERNAME]
