"""The tickets REST API as its users meet it: a customer, a colleague, a customer of another
organization, the desk, and nobody. Each test acts through the API and asserts what was stored."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from policies.models import TargetKind
from portal.markdown import MAX_LENGTH, TOO_LONG
from portal.models import ApiToken
from portal.services import api_token_create
from tests.factories import MembershipFactory, StaffFactory
from tickets.models import Attachment, Reply, SlaTarget, Status, TargetState, Ticket, TicketCounter
from tickets.services import reply_add, ticket_assign, ticket_open, ticket_wait_on_customer

# Mon 23 Nov 2026, 12:00 in New York (EST, UTC-5): inside Alectrona's 09:00–17:30 window.
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
# Opened two business hours earlier: Mon 10:00 EST.
OPENED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def api(user=None) -> APIClient:
    """A client signed in with the user's API token, as an integration would be. The token reads
    as used just now, so the query counts below measure calls without the once-a-minute write of
    its last use (portal.authentication.LAST_USED_PRECISION)."""
    client = APIClient()
    if user is not None:
        token, key = api_token_create(user=user)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def open_case(user, vendor, priority: str = "medium", at: datetime = OPENED, **kwargs) -> Ticket:
    return ticket_open(
        organization=user.membership.organization,
        requester=user,
        vendor=vendor,
        priority=priority,
        subject=kwargs.pop("subject", "Export fails"),
        body=kwargs.pop("body", "The nightly export stops."),
        at=at,
        **kwargs,
    )


def list_url(**params) -> str:
    from urllib.parse import urlencode

    return reverse("api:ticket-list") + (f"?{urlencode(params)}" if params else "")


def detail_url(ticket: Ticket) -> str:
    return reverse("api:ticket-detail", args=[ticket.number])


def numbers(response) -> list[str]:
    return [row["number"] for row in response.json()["results"]]


def test_customer_lists_their_organizations_cases_only(customer, colleague, outsider, vendors):
    mine = open_case(customer, vendors["alectrona"])
    colleagues = open_case(colleague, vendors["secpod"], priority="high")
    open_case(outsider, vendors["alectrona"])

    response = api(customer).get(list_url())

    assert response.status_code == HTTPStatus.OK
    assert sorted(numbers(response)) == sorted([mine.number, colleagues.number])


def test_staff_list_every_organizations_cases(customer, outsider, agent, vendors):
    cases = [
        open_case(customer, vendors["alectrona"]),
        open_case(outsider, vendors["secpod"], priority="low"),
    ]

    response = api(agent).get(list_url())

    assert sorted(numbers(response)) == sorted(t.number for t in cases)


def test_anonymous_list_is_refused_with_a_token_challenge(db):
    response = api().get(list_url())

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Token")


def test_session_sign_in_works_too(client, customer, vendors):
    case = open_case(customer, vendors["alectrona"])
    client.force_login(customer)

    response = client.get(list_url())

    assert numbers(response) == [case.number]


def test_each_case_carries_its_sla_as_of_now(customer, vendors):
    open_case(customer, vendors["alectrona"])

    row = api(customer).get(list_url()).json()["results"][0]

    # Medium: first response within 4 business hours of Mon 10:00 EST → Mon 14:00 EST = 19:00Z,
    # two hours from NOW. The update clock waits for the desk's first reply.
    first, update = row["sla"]
    assert first["kind"] == TargetKind.FIRST_RESPONSE
    assert first["due_at"] == "2026-11-23T19:00:00+00:00"
    assert first["state"] == TargetState.RUNNING
    assert first["remaining_seconds"] == 2 * 3600
    assert "America/New_York" in first["explanation"]
    assert update == {
        "kind": TargetKind.UPDATE,
        "due_at": None,
        "state": TargetState.NOT_APPLICABLE,
        "remaining_seconds": None,
        "answered_at": None,
        "answered_late": False,
        "explanation": update["explanation"],
    }
    assert row["sla_state"] == TargetState.RUNNING
    assert row["opened_at"] == "2026-11-23T15:00:00+00:00"


def test_a_running_target_past_due_reads_breached_with_negative_remaining(customer, vendors):
    # Urgent: 1 business hour from Mon 10:00 EST → 11:00 EST = 16:00Z, an hour before NOW.
    case = open_case(customer, vendors["alectrona"], priority="urgent")
    assert SlaTarget.objects.get(ticket=case, kind=TargetKind.FIRST_RESPONSE).state == TargetState.RUNNING

    row = api(customer).get(list_url()).json()["results"][0]

    assert row["sla"][0]["state"] == TargetState.BREACHED
    assert row["sla"][0]["remaining_seconds"] == -3600
    assert row["sla_state"] == TargetState.BREACHED


def test_a_paused_target_shows_the_business_time_left_at_the_pause(customer, agent, vendors):
    # Albert Urgent: 8 h on the 24×7 clock from 15:00Z → due 23:00Z; paused at NOW (17:00Z): 6 h left.
    case = open_case(customer, vendors["albert"], priority="urgent")
    ticket_wait_on_customer(ticket=case, by=agent, at=NOW)

    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), tick=False):
        row = api(customer).get(list_url()).json()["results"][0]

    assert row["sla"][0]["state"] == TargetState.PAUSED
    assert row["sla"][0]["remaining_seconds"] == 6 * 3600
    assert row["status"] == Status.WAITING_ON_CUSTOMER


def test_list_filters(customer, colleague, agent, vendors):
    alectrona = open_case(customer, vendors["alectrona"], subject="Printer on fire")
    secpod = open_case(colleague, vendors["secpod"], priority="critical", subject="Scanner hangs")
    ticket_assign(ticket=secpod, assignee=agent, by=agent)
    client = api(customer)

    assert numbers(client.get(list_url(vendor="secpod"))) == [secpod.number]
    assert numbers(client.get(list_url(priority="critical"))) == [secpod.number]
    assert numbers(api(agent).get(list_url(assignee="agent"))) == [secpod.number]  # the desk's filter
    assert numbers(client.get(list_url(status="new", vendor="alectrona"))) == [alectrona.number]
    assert numbers(client.get(list_url(status="closed"))) == []
    assert numbers(client.get(list_url(search="printer"))) == [alectrona.number]
    assert numbers(client.get(list_url(search=secpod.number.lower()))) == [secpod.number]


def test_sla_state_filter_sees_breaches_the_sweep_has_not_recorded(customer, vendors):
    late = open_case(customer, vendors["alectrona"], priority="urgent")  # due 16:00Z, before NOW
    on_time = open_case(customer, vendors["alectrona"], priority="low")

    assert numbers(api(customer).get(list_url(sla_state="breached"))) == [late.number]
    assert numbers(api(customer).get(list_url(sla_state="running"))) == [on_time.number]


def test_staff_filter_by_organization(customer, outsider, agent, vendors):
    open_case(customer, vendors["alectrona"])
    globex = open_case(outsider, vendors["alectrona"])

    assert numbers(api(agent).get(list_url(organization="globex"))) == [globex.number]
    # A customer's filter only narrows what they may see anyway.
    assert numbers(api(customer).get(list_url(organization="globex"))) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"ordering": "subject"}, "ordering"),
        ({"sla_state": "late"}, "sla_state"),
    ],
)
def test_invalid_filters_answer_400_naming_the_parameter(customer, params, field):
    response = api(customer).get(list_url(**params))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == [field]


def test_ordering_by_deadline_puts_cases_without_one_last(customer, agent, vendors):
    later = open_case(customer, vendors["alectrona"], priority="low")  # due Tue
    sooner = open_case(customer, vendors["alectrona"], priority="high")  # due Mon 12:00 EST
    paused = open_case(customer, vendors["alectrona"], priority="medium")
    ticket_wait_on_customer(ticket=paused, by=agent, at=NOW)

    ascending = numbers(api(customer).get(list_url(ordering="next_due_at")))
    descending = numbers(api(customer).get(list_url(ordering="-next_due_at")))

    assert ascending == [sooner.number, later.number, paused.number]
    assert descending == [later.number, sooner.number, paused.number]


@pytest.mark.parametrize(
    "ordering", ["-opened_at", "opened_at", "next_due_at", "-next_due_at", "number", "-number"]
)
def test_cursor_pages_cover_every_case_once(customer, agent, vendors, ordering):
    cases = [
        open_case(customer, vendors["alectrona"], priority=p, at=OPENED.replace(minute=i))
        for i, p in enumerate(["low", "medium", "high", "urgent", "low"])
    ]
    ticket_wait_on_customer(ticket=cases[0], by=agent, at=NOW)  # one without a running deadline
    client, seen = api(customer), []
    url = list_url(page_size=2, ordering=ordering)
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [row["number"] for row in page["results"]]
        url = page["next"]

    assert sorted(seen) == sorted(t.number for t in cases)
    assert len(seen) == len(cases)


def test_list_query_count_does_not_grow_with_the_cases(
    customer, colleague, agent, vendors, django_assert_max_num_queries
):
    listed = []

    def count() -> int:
        client = api(customer)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(list_url())
        assert response.status_code == HTTPStatus.OK
        listed.append(numbers(response))
        return len(queries)

    mine = [
        open_case(customer, vendors[v], priority=p) for v, p in [("alectrona", "high"), ("albert", "urgent")]
    ]
    few = count()
    theirs = []
    for i in range(10):
        case = open_case(colleague, vendors["secpod"], priority="normal", at=OPENED.replace(minute=i))
        ticket_assign(ticket=case, assignee=agent, by=agent)
        reply_add(ticket=case, author=agent, body="Looking.", wait_on_customer=i % 2 == 0, at=NOW)
        theirs.append(case)
    many = count()

    assert many == few
    # What was counted is the list itself: every case of the organization, not an empty page.
    assert [sorted(page) for page in listed] == [
        sorted(t.number for t in mine),
        sorted(t.number for t in mine + theirs),
    ]
    staff = api(agent)
    # The token (with its user), one page of cases with their organization and people joined, their
    # vendors, their priorities (no products or versions named: no query for those), their SLA targets
    # and those targets' priority changes, which the explanations (worded for the reader) list.
    with django_assert_max_num_queries(6):
        response = staff.get(list_url())
    assert response.status_code == HTTPStatus.OK
    rows = {row["number"]: row for row in response.json()["results"]}
    assert sorted(rows) == sorted(t.number for t in mine + theirs)
    people = {(rows[t.number]["requester"], rows[t.number]["assignee"]) for t in theirs}
    assert people == {("bob", "agent")}
    assert [rows[t.number]["vendor"] for t in mine] == ["alectrona", "albert"]
    assert all(row["sla"] and row["sla"][0]["kind"] == "first_response" for row in rows.values())


def test_customer_opens_a_case_for_their_organization(customer, vendors):
    response = api(customer).post(
        list_url(),
        {"vendor": "alectrona", "priority": "high", "subject": "Crash on save", "body": "**Every** time."},
        format="json",
    )

    assert response.status_code == HTTPStatus.CREATED
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert ticket.number.startswith("ALC-")
    assert (ticket.organization, ticket.requester, ticket.channel) == (
        customer.membership.organization,
        customer,
        "api",
    )
    assert ticket.priority.code == "high"
    assert ticket.opened_at == NOW
    assert "<strong>Every</strong>" in ticket.body_html
    assert [row["kind"] for row in response.json()["sla"]] == [TargetKind.FIRST_RESPONSE, TargetKind.UPDATE]
    assert ticket.sla_targets.count() == 2


def test_the_answer_to_opening_is_the_case_as_its_page_shows_it(customer, vendors):
    """The 201 answer is built from the rows just written, without reading them back: it must
    still say exactly what GET says of the new case."""
    client = api(customer)
    created = client.post(
        list_url(),
        {"vendor": "albert", "priority": "high", "subject": "Disk full", "body": "Since *Friday*."},
        format="json",
    )

    assert created.status_code == HTTPStatus.CREATED
    shown = client.get(reverse("api:ticket-detail", args=[created.json()["number"]]))
    assert created.json() == shown.json()


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("vendor", ["albert", "alectrona"])
def test_the_answer_to_opening_is_byte_for_byte_what_get_answers(customer, vendors, vendor, language):
    """Issue 24 builds the 201 answer more cheaply: its bytes, explanations worded in the reader's
    language with their dates and clocks (24×7 and support hours), stay those GET renders."""
    client = api(customer)
    client.credentials(
        HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"], HTTP_ACCEPT_LANGUAGE=language
    )
    created = client.post(
        list_url(), {"vendor": vendor, "priority": "high", "subject": "Disk", "body": "*Now*."}, format="json"
    )

    assert created.status_code == HTTPStatus.CREATED
    assert created["Content-Language"] == language
    shown = client.get(reverse("api:ticket-detail", args=[created.json()["number"]]))
    assert created.content == shown.content
    assert "2026" in created.json()["sla"][0]["explanation"]


def test_opening_a_case_reads_the_policy_once_per_process(customer, vendors):
    """A published policy version is read-only, so its priorities, targets and exclusions are read
    for the first case and remembered. Every later opening costs the statements listed here."""
    client = api(customer)
    payload = {"vendor": "alectrona", "priority": "high", "subject": "Crash", "body": "Details"}
    assert client.post(list_url(), payload, format="json").status_code == HTTPStatus.CREATED

    with CaptureQueriesContext(connection) as queries:
        assert client.post(list_url(), payload, format="json").status_code == HTTPStatus.CREATED

    statements = [q["sql"].split()[0] + " " + _table(q["sql"]) for q in queries]
    assert statements == [
        "SELECT portal_apitoken",  # the token with its user, membership, organization, profile, preferences
        "SELECT policies_vendor",
        "SELECT policies_policyversion",  # the version in force
        "SELECT lifecycle_contract",  # the entitlement
        "SAVEPOINT ",  # the writes, together or not at all
        "UPDATE tickets_ticketcounter",
        "INSERT tickets_ticket",
        "INSERT tickets_historicalticket",
        "INSERT tickets_slatarget",
        "INSERT tickets_slaevent",
        "SAVEPOINT ",
        # the "case received" email and the desk's "new case" email (no assignee, no desk group: the
        # desk address), in one statement
        "INSERT portal_notice",
        "RELEASE ",
        "RELEASE ",
    ]


def _table(sql: str) -> str:
    """The table a statement reads or writes, for a readable statement list. An INSERT names its
    table after INTO (PostgreSQL's bulk insert then reads FROM UNNEST(...))."""
    words = sql.replace('"', "").split()
    keyword = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}.get(words[0])
    return words[words.index(keyword) + 1] if keyword in words else ""


def test_customer_cannot_open_a_case_for_another_organization(customer, other_organization, vendors):
    response = api(customer).post(
        list_url(),
        {"vendor": "alectrona", "priority": "high", "subject": "x", "body": "y", "organization": "globex"},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "organization" in response.json()
    assert not Ticket.objects.exists()


def test_staff_name_the_organization_and_requester(agent, customer, vendors):
    client = api(agent)
    payload = {
        "vendor": "secpod",
        "priority": "low",
        "subject": "Phoned in",
        "body": "Caller says…",
        "channel": "phone",
    }

    refused = client.post(list_url(), payload, format="json")
    opened = client.post(list_url(), {**payload, "organization": "acme", "requester": "alice"}, format="json")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert set(refused.json()) == {"organization", "requester"}
    assert opened.status_code == HTTPStatus.CREATED
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.organization.slug, ticket.channel) == (customer, "acme", "phone")


def test_staff_cannot_open_for_a_requester_outside_the_organization(agent, customer, outsider, vendors):
    response = api(agent).post(
        list_url(),
        {
            "vendor": "secpod",
            "priority": "low",
            "subject": "x",
            "body": "y",
            "organization": "acme",
            "requester": "charlie",
        },
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "organization" in response.json()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vendor": "acme-soft"}, "vendor"),
        ({"priority": "p0"}, "priority"),
        ({"kind": "request"}, "kind"),  # Alectrona does not distinguish requests
        ({"subject": "   "}, "subject"),
        ({"body": ""}, "body"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_invalid_case_answers_400_naming_the_field_and_saves_nothing(customer, vendors, change, field):
    payload = {"vendor": "alectrona", "priority": "medium", "subject": "Crash", "body": "Details", **change}

    response = api(customer).post(list_url(), payload, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()
    assert not Ticket.objects.exists()
    assert not SlaTarget.objects.exists()
    assert not TicketCounter.objects.filter(last_number__gt=0).exists()


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1.5", "99999999999999999999999"])
@pytest.mark.parametrize("field", ["product", "major_version"])
def test_an_id_no_row_can_have_answers_400_naming_the_field(customer, vendors, field, number):
    """1e400 is JSON for infinity, which no integer id can be (OverflowError before): 400."""
    body = f'{{"vendor": "infotecs", "priority": "normal", "subject": "S", "body": "B", "{field}": {number}}}'

    response = api(customer).post(list_url(), body, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()
    assert not Ticket.objects.exists()


def test_a_description_or_reply_past_the_cap_answers_400_naming_the_limit(customer, vendors):
    case = open_case(customer, vendors["alectrona"])
    long_body = "x" * (MAX_LENGTH + 1)
    opened = api(customer).post(
        list_url(),
        {"vendor": "alectrona", "priority": "high", "subject": "S", "body": long_body},
        format="json",
    )
    replied = api(customer).post(replies_url(case), {"body": long_body}, format="json")

    assert (opened.status_code, replied.status_code) == (HTTPStatus.BAD_REQUEST, HTTPStatus.BAD_REQUEST)
    assert opened.json() == replied.json() == {"body": [TOO_LONG]}
    assert Ticket.objects.count() == 1 and not case.replies.exists()


def test_a_resolving_message_past_the_cap_answers_400_on_message(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"])
    data = {"status": "resolved", "resolution_code": "workaround", "message": "x" * (MAX_LENGTH + 1)}

    response = api(agent).patch(detail_url(case), data, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"message": [TOO_LONG]}
    case.refresh_from_db()
    assert case.status == Status.NEW and not case.replies.exists()


def test_opening_is_all_or_nothing(customer, vendors, monkeypatch):
    """A failure after the case row and its number exist (here: starting the clocks) leaves
    neither the case, nor its targets, nor a consumed number."""
    from django.core.exceptions import ValidationError

    from tickets.services import sla

    def refuse(**kwargs):
        raise ValidationError({"priority": "No clock for this priority."})

    monkeypatch.setattr(sla, "sla_start", refuse)

    response = api(customer).post(
        list_url(),
        {"vendor": "alectrona", "priority": "medium", "subject": "Crash", "body": "Details"},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"priority": ["No clock for this priority."]}
    assert not Ticket.objects.exists()
    assert not TicketCounter.objects.filter(last_number__gt=0).exists()


def test_customer_without_an_organization_cannot_open(db, vendors):
    from tests.factories import UserFactory

    response = api(UserFactory(username="drifter")).post(
        list_url(),
        {"vendor": "alectrona", "priority": "medium", "subject": "Crash", "body": "x"},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "organization" in response.json()


def test_customer_and_colleague_see_the_case(customer, colleague, vendors):
    case = open_case(customer, vendors["alectrona"], body="See `log.txt`")

    for user in (customer, colleague):
        response = api(user).get(detail_url(case))
        assert response.status_code == HTTPStatus.OK
        body = response.json()
        assert body["number"] == case.number
        assert body["requester"] == "alice"
        assert body["policy_version"] == case.policy_version.key
        assert "<code>log.txt</code>" in body["body_html"]
        assert body["sla"][0]["due_at"] == "2026-11-23T19:00:00+00:00"


def test_staff_change_priority_with_a_reason(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"], priority="low")

    response = api(agent).patch(
        detail_url(case), {"priority": "urgent", "priority_reason": "Production down"}, format="json"
    )

    assert response.status_code == HTTPStatus.OK
    case.refresh_from_db()
    assert case.priority.code == "urgent"
    # Recomputed from the original opening: 1 business hour from Mon 10:00 EST → 16:00Z.
    first = SlaTarget.objects.get(ticket=case, kind=TargetKind.FIRST_RESPONSE)
    assert first.due_at == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    assert "Production down" in case.history.first().history_change_reason
    assert response.json()["priority"] == "urgent"


def test_staff_move_a_case_through_its_statuses(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"])
    client = api(agent)

    def move(**data):
        response = client.patch(detail_url(case), data, format="json")
        case.refresh_from_db()
        return response

    assert move(status="waiting").status_code == HTTPStatus.OK
    assert case.status == Status.WAITING_ON_CUSTOMER
    assert SlaTarget.objects.get(ticket=case, kind=TargetKind.FIRST_RESPONSE).state == TargetState.PAUSED
    move(status="open")
    assert case.status == Status.OPEN
    assert SlaTarget.objects.get(ticket=case, kind=TargetKind.FIRST_RESPONSE).state == TargetState.RUNNING
    refused = move(status="resolved")
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert {"resolution_code", "message"} <= set(refused.json())
    assert case.status == Status.OPEN
    move(status="resolved", resolution_code="workaround", message="Use the work-around.")
    assert case.replies.get().body == "Use the work-around."
    assert (case.status, case.resolution_code.code) == (Status.RESOLVED, "workaround")
    move(status="closed")
    assert case.status == Status.CLOSED
    move(status="open")
    assert case.status == Status.OPEN


def test_staff_assign_and_unassign(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"])
    other_agent = StaffFactory(username="eve")

    api(agent).patch(detail_url(case), {"assignee": "eve"}, format="json")
    case.refresh_from_db()
    assert case.assignee == other_agent
    refused = api(agent).patch(detail_url(case), {"assignee": "alice"}, format="json")
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "assignee" in refused.json()
    api(agent).patch(detail_url(case), {"assignee": None}, format="json")
    case.refresh_from_db()
    assert case.assignee is None


def test_several_changes_apply_together_or_not_at_all(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"], priority="low")

    response = api(agent).patch(
        detail_url(case),
        {"priority": "urgent", "assignee": "agent", "status": "resolved", "resolution_code": "nope"},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "resolution_code" in response.json()
    case.refresh_from_db()
    assert (case.priority.code, case.assignee, case.status) == ("low", None, Status.NEW)


def test_customer_closes_and_reopens_their_case(customer, colleague, vendors):
    case = open_case(customer, vendors["alectrona"])

    closed = api(colleague).patch(detail_url(case), {"status": "closed"}, format="json")
    case.refresh_from_db()
    assert closed.status_code == HTTPStatus.OK
    assert case.status == Status.CLOSED

    api(customer).patch(detail_url(case), {"status": "open"}, format="json")
    case.refresh_from_db()
    assert case.status == Status.OPEN


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"priority": "urgent"}, "priority"),
        ({"assignee": "agent"}, "assignee"),
        ({"status": "waiting"}, "status"),
        ({"status": "resolved", "resolution_code": "workaround"}, "status"),
        ({"status": "new"}, "status"),
    ],
)
def test_customer_cannot_make_desk_changes(customer, agent, vendors, data, field):
    case = open_case(customer, vendors["alectrona"], priority="low")

    response = api(customer).patch(detail_url(case), data, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()
    case.refresh_from_db()
    assert (case.priority.code, case.assignee, case.status) == ("low", None, Status.NEW)


def replies_url(ticket: Ticket) -> str:
    return reverse("api:ticket-replies", args=[ticket.number])


def test_customer_replies(customer, vendors):
    case = open_case(customer, vendors["alectrona"])

    response = api(customer).post(replies_url(case), {"body": "Any news?"}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    reply = Reply.objects.get(ticket=case)
    assert (reply.author, reply.body, reply.internal, reply.by_staff) == (customer, "Any news?", False, False)
    assert response.json()["created_at"] == "2026-11-23T17:00:00+00:00"


def test_staff_reply_meets_first_response_and_can_wait_on_the_customer(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"])

    api(agent).post(replies_url(case), {"body": "Which version?", "wait_on_customer": True}, format="json")

    case.refresh_from_db()
    assert case.status == Status.WAITING_ON_CUSTOMER
    assert case.first_responded_at == NOW
    assert SlaTarget.objects.get(ticket=case, kind=TargetKind.FIRST_RESPONSE).state == TargetState.MET


def test_internal_notes_are_hidden_from_customers(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"])
    api(agent).post(
        replies_url(case), {"body": "Customer is on an old build", "internal": True}, format="json"
    )
    api(agent).post(replies_url(case), {"body": "Please upgrade."}, format="json")

    seen_by_customer = api(customer).get(replies_url(case)).json()
    seen_by_staff = api(agent).get(replies_url(case)).json()

    assert [r["body"] for r in seen_by_customer] == ["Please upgrade."]
    assert [(r["body"], r["internal"]) for r in seen_by_staff] == [
        ("Customer is on an old build", True),
        ("Please upgrade.", False),
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": "x", "internal": True}, "internal"),
        ({"body": "x", "wait_on_customer": True}, "wait_on_customer"),
        ({"body": "  "}, "body"),
    ],
)
def test_customer_reply_refusals_name_the_field(customer, vendors, data, field):
    case = open_case(customer, vendors["alectrona"])

    response = api(customer).post(replies_url(case), data, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()
    assert not Reply.objects.exists()


def upload_url(ticket: Ticket) -> str:
    return reverse("api:ticket-attachments", args=[ticket.number])


def upload(client, ticket: Ticket, name: str, content: bytes):
    return client.post(upload_url(ticket), {"file": SimpleUploadedFile(name, content)}, format="multipart")


def test_upload_and_download(customer, colleague, vendors):
    case = open_case(customer, vendors["alectrona"])

    response = upload(api(customer), case, "screen.png", PNG)

    assert response.status_code == HTTPStatus.CREATED
    attachment = Attachment.objects.get(ticket=case)
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "screen.png",
        "image/png",
        len(PNG),
    )
    download = api(colleague).get(response.json()["url"])
    assert download.status_code == HTTPStatus.OK
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert download["X-Content-Type-Options"] == "nosniff"
    detail = api(customer).get(detail_url(case)).json()
    assert [a["filename"] for a in detail["attachments"]] == ["screen.png"]


def test_upload_over_the_limit_is_refused(customer, vendors, settings):
    settings.ATTACHMENT_MAX_BYTES = 32
    case = open_case(customer, vendors["alectrona"])

    response = upload(api(customer), case, "screen.png", PNG)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most 32 bytes" in response.json()["file"][0]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.png", b"just some text, not an image\n"),
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48),
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("report.pdf", PNG),
    ],
)
def test_upload_with_a_forged_type_is_refused(customer, vendors, name, content):
    case = open_case(customer, vendors["alectrona"])

    response = upload(api(customer), case, name, content)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == ["file"]
    assert not Attachment.objects.exists()


def test_staff_upload_to_any_case(customer, agent, vendors):
    case = open_case(customer, vendors["alectrona"])

    response = upload(api(agent), case, "trace.log", b"INFO start\nERROR boom\n")

    assert response.status_code == HTTPStatus.CREATED
    assert Attachment.objects.get().content_type == "text/plain"


def test_new_member_can_use_the_api(organization, vendors):
    member = MembershipFactory(user__username="dave", organization=organization).user

    response = api(member).get(list_url())

    assert response.status_code == HTTPStatus.OK
