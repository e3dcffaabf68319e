"""Search has one meaning in the portal, the admin and the API (tickets.selectors.ticket_search):
every word, in any order, as the start of a word of the case's number, subject or description;
a case number in short form ("ALC-3", "3"); the requester's username or email. Ranked: the named
case first, then cases whose subject holds every word, then the rest, newest first."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tickets.models import Ticket
from tickets.services import ticket_open

CHANGELIST = reverse("admin:tickets_ticket_changelist")


def open_case(requester, vendor, subject, body="Nothing more to say.") -> Ticket:
    return ticket_open(
        organization=requester.membership.organization,
        requester=requester,
        vendor=vendor,
        priority="high",
        subject=subject,
        body=body,
    )


@pytest.fixture
def cases(customer, outsider, vendors):
    alectrona = vendors["alectrona"]
    return {
        "subject": open_case(customer, alectrona, "Slow search on the reports page"),
        "reversed": open_case(customer, alectrona, "Search results are slow to load"),
        "body": open_case(customer, alectrona, "Export fails", "Also the search is very slow."),
        "unrelated": open_case(customer, alectrona, "Licence renewal"),
        "outsider": open_case(outsider, alectrona, "Slow search in Globex"),
    }


def portal_numbers(client, user, q: str) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("tickets:list"), {"q": q})
    assert response.status_code == HTTPStatus.OK
    return [t.number for t in response.context["tickets"]]


def admin_numbers(client, agent, q: str) -> list[str]:
    client.force_login(agent)
    response = client.get(CHANGELIST, {"q": q})
    assert response.status_code == HTTPStatus.OK
    return [t.number for t in response.context["cl"].result_list]


def api_numbers(client, user, q: str) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("api:ticket-list"), {"search": q})
    assert response.status_code == HTTPStatus.OK, response.content
    return [row["number"] for row in response.json()["results"]]


def short(ticket: Ticket) -> str:
    return str(int(ticket.number.split("-")[1]))


@pytest.mark.parametrize("q", ["search slow", "slow search", "SEA slo", "  slow   SEARCH "])
def test_words_in_any_order_and_prefixes_in_portal_admin_and_api(client, customer, agent, cases, q):
    ranked = [cases["reversed"].number, cases["subject"].number, cases["body"].number]
    assert portal_numbers(client, customer, q) == ranked
    assert api_numbers(client, customer, q) == ranked
    # Staff see every organization's: the outsider's case too, among the subject matches.
    assert admin_numbers(client, agent, q) == [
        cases["outsider"].number,
        *ranked,
    ]


def test_a_word_inside_another_word_is_not_a_match(client, customer, cases):
    assert portal_numbers(client, customer, "earch") == []
    assert api_numbers(client, customer, "low") == []


@pytest.mark.parametrize("form", ["{prefix}-{n}", "{prefix_lower}-{n}", "{n}", "#{n}", "{number}"])
def test_short_case_numbers_name_the_case_first(client, customer, agent, cases, form):
    case = cases["body"]
    prefix = case.number.split("-")[0]
    q = form.format(prefix=prefix, prefix_lower=prefix.lower(), n=short(case), number=case.number)
    assert portal_numbers(client, customer, q)[0] == case.number
    assert api_numbers(client, customer, q)[0] == case.number
    assert admin_numbers(client, agent, q)[0] == case.number


def test_the_outsider_never_finds_another_organizations_case(client, outsider, cases):
    theirs = cases["outsider"].number
    assert portal_numbers(client, outsider, "slow search") == [theirs]
    assert api_numbers(client, outsider, "slow search") == [theirs]
    assert cases["subject"].number not in api_numbers(client, outsider, short(cases["subject"]))
    assert cases["subject"].number not in api_numbers(client, outsider, cases["subject"].number)


def test_requester_by_username_or_email(client, agent, customer, cases):
    found = admin_numbers(client, agent, "alice@example")
    assert cases["outsider"].number not in found and cases["subject"].number in found
    assert set(api_numbers(client, customer, "alice")) >= {cases["subject"].number}


def test_queries_per_page_do_not_grow_with_the_matches(client, customer, agent, vendors):
    alectrona = vendors["alectrona"]

    def counts() -> tuple[int, int, int]:
        measured = []
        for fetch, user in ((portal_numbers, customer), (api_numbers, customer), (admin_numbers, agent)):
            with CaptureQueriesContext(connection) as queries:
                fetch(client, user, "search slow")
            measured.append(len(queries))
        return tuple(measured)

    open_case(customer, alectrona, "Slow search one")
    counts()  # the first of each signs in and fills the per-process memos
    few = counts()
    for i in range(12):
        open_case(customer, alectrona, f"Slow search {i}")
    assert counts() == few
