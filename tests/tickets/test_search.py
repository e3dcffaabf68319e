"""Search has one meaning in the portal, the admin and the API (tickets.selectors.ticket_search):
every word, in any order, as the start of a word of the case's number, subject or description;
a case number in short form ("ALC-3", "3"); the requester's username or email. Ranked: the named
case first, then cases whose subject holds every word, then the rest, newest first."""

from __future__ import annotations

import re
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


sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index (tickets.0016)")


def test_an_edit_of_subject_or_body_is_what_search_finds(client, agent, cases):
    # No desk page edits a case's words today; a data fix or a migration does, through the ORM.
    case = cases["unrelated"]
    case.subject, case.body = "Quarterly invoice missing", "The invoice for Zanzibar never came."
    case.save(update_fields=["subject", "body"])
    assert admin_numbers(client, agent, "invoice quarter") == [case.number]
    assert admin_numbers(client, agent, "zanzib") == [case.number]
    assert admin_numbers(client, agent, "licence renewal") == []  # the old words are gone
    Ticket.objects.filter(pk=case.pk).update(subject="Licence renewal again")  # a bulk update too
    assert admin_numbers(client, agent, "renewal licence") == [case.number]
    assert admin_numbers(client, agent, "quarterly") == []


def test_a_deleted_case_leaves_no_words_behind(client, agent, cases):
    cases["unrelated"].delete()
    assert admin_numbers(client, agent, "licence renewal") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # rank 1: the index checked against the case table
            cursor.execute(
                "INSERT INTO tickets_ticket_search (tickets_ticket_search, rank) "
                "VALUES ('integrity-check', 1)"
            )


def _plan(queryset) -> list[str]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


@sqlite_only
@pytest.mark.parametrize("q", ["upgrade login loop", "ALC-3", "3"])
def test_sqlite_search_reads_the_index_never_every_case(agent, customer, cases, q):
    from tickets.selectors import ticket_list_for, ticket_search

    for user in (agent, customer):
        found = ticket_search(ticket_list_for(user), q)
        for plan in (_plan(found), _plan(found.values("pk").order_by()[:1])):
            # Every case table access goes through a key: the FTS5 index, the number, the requester.
            assert not [step for step in plan if re.match(r"SCAN tickets_ticket\b(?!_search)", step)], plan
            assert any(step.startswith("SCAN tickets_ticket_search VIRTUAL TABLE") for step in plan), plan
