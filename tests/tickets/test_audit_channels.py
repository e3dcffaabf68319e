"""One rule, four channels: a case moved through the customer portal, the REST API, email (the
mailroom) or Django admin obeys the same rule of tickets.services (its `by`), refuses the same way
with a clear answer and nothing half-saved, and afterwards every channel shows the same case.

Each channel's move is compared with the service's own on a twin case opened at the same moment:
the same status, the same targets (state, due, pause), the same SLA events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import display_for_field
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from mailroom.models import Outcome
from mailroom.services import message_ingest
from portal.models import Notice, NoticeKind
from portal.selectors import user_timezone
from tests.mailroom.conftest import case_placeholders, corpus
from tickets.models import Reply, SlaEvent, SlaTarget, Status, Ticket
from tickets.services import (
    reply_add,
    ticket_close,
    ticket_open,
    ticket_resolve,
    ticket_wait_on_customer,
)
from tickets.services.replies import CLOSED_CASE
from tickets.services.tickets import BAD_TRANSITION, DESK_ONLY

from .test_admin import _change_payload

pytestmark = pytest.mark.django_db

# Mon 23 Nov 2026, 12:00 in New York: inside Alectrona's 09:00–17:30 window.
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
OPENED = NOW - timedelta(hours=2)
WAITED = NOW - timedelta(hours=1)
CHANGELIST = reverse("admin:tickets_ticket_changelist")
REPLY = "replies-2-0"
TOKEN = re.compile(r'<input type="hidden" name="submit_token" value="([^"]+)">')


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def open_case(customer, vendors, django_capture_on_commit_callbacks) -> Ticket:
    with django_capture_on_commit_callbacks(execute=True):
        return ticket_open(
            organization=customer.membership.organization,
            requester=customer,
            vendor=vendors["alectrona"],
            priority="high",
            subject="Export fails",
            body="The export fails.",
            at=OPENED,
        )


@pytest.fixture
def pair(customer, vendors, django_capture_on_commit_callbacks):
    """Two cases opened at the same moment: one moved through a channel, its twin by the service."""
    return [open_case(customer, vendors, django_capture_on_commit_callbacks) for _ in range(2)]


def snapshot(ticket: Ticket) -> dict:
    """Everything a transition decides, comparable between two cases opened at the same moment."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    targets = SlaTarget.objects.filter(ticket=ticket).order_by("kind")
    events = SlaEvent.objects.filter(target__ticket=ticket).order_by("at", "id")
    return {
        "status": ticket.status,
        "priority": ticket.priority.code,
        "assignee": ticket.assignee_id,
        "resolution": ticket.resolution_code_id,
        "times": (ticket.first_responded_at, ticket.resolved_at, ticket.closed_at),
        "next_due_at": ticket.next_due_at,
        "sla_state": ticket.sla_state,
        "targets": [
            (t.kind, t.state, t.started_at, t.due_at, t.paused, t.paused_since, t.met_at, t.breached_at)
            for t in targets
        ],
        "events": [(e.target.kind, e.kind, e.at, e.due_at, e.code) for e in events],
        "replies": [(r.body, r.internal, r.by_staff, r.created_at) for r in ticket.replies.order_by("id")],
    }


def unchanged_since(ticket: Ticket, before: dict) -> None:
    assert snapshot(ticket) == before


# ---------------------------------------------------------------------------- the channels


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def web(client, user):
    client.force_login(user)
    return client


def deliver(raw: bytes, vendors, capture):
    with capture(execute=True):
        return message_ingest(raw=raw, vendor=vendors["alectrona"], received_at=timezone.now())


EMAIL_OF = {"customer": "reply_gmail.eml", "agent": "reply_staff.eml", "outsider": "reply_outsider.eml"}


def email_reply(ticket: Ticket, who: str, vendors, capture, body: str = ""):
    kind = NoticeKind.NEW_CASE if who == "agent" else NoticeKind.TICKET_RECEIVED
    raw = corpus(EMAIL_OF[who], **case_placeholders(ticket, kind=kind))
    if body:
        raw = raw.replace(b"Thanks, 4.3 fixed the export.", body.encode())
    # Each test delivers one message per Message-ID: a second delivery would be a duplicate.
    raw = raw.replace(b"Message-ID: <", f"Message-ID: <{ticket.number}.".encode(), 1)
    return deliver(raw, vendors, capture)


class Answer:
    """What a channel answered: whether it did it, and the words it said why not."""

    def __init__(self, done: bool, said: str = ""):
        self.done, self.said = done, said

    def __repr__(self) -> str:
        return f"Answer(done={self.done}, said={self.said!r})"


def portal_reply(client, user, ticket, body) -> Answer:
    response = web(client, user).post(reverse("tickets:reply", args=[ticket.number]), {"body": body})
    if response.status_code == HTTPStatus.FOUND:
        return Answer(True)
    if response.status_code == HTTPStatus.NOT_FOUND:
        return Answer(False, "404")
    form = response.context["reply_form"]
    return Answer(False, " ".join(e for errors in form.errors.values() for e in errors))


def api_reply(user, ticket, body, **extra) -> Answer:
    response = api(user).post(
        reverse("api:ticket-replies", args=[ticket.number]), {"body": body, **extra}, format="json"
    )
    if response.status_code == HTTPStatus.CREATED:
        return Answer(True)
    if response.status_code == HTTPStatus.NOT_FOUND:
        return Answer(False, "404")
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    return Answer(False, " ".join(m for errors in response.json().values() for m in errors))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def admin_reply(client, user, ticket, body, **extra) -> Answer:
    web(client, user)
    fields = {f"{REPLY}-body": body, **extra}
    if user.is_staff:  # the page as the agent's browser has it: its fields and its one-time token
        [token] = TOKEN.findall(
            client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
        )
        fields["submit_token"] = token
    payload = _change_payload(client, ticket, **fields) if user.is_staff else fields
    response = client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]), payload, follow=True)
    return admin_answer(response)


def email_answer(message, customer_words: bool = True) -> Answer:
    if message.outcome == Outcome.REPLIED:
        return Answer(True)
    if message.outcome == Outcome.QUARANTINED:
        return Answer(False, "quarantined")
    assert message.outcome == Outcome.REFUSED, message.reason
    return Answer(False, message.reason)


def reply_by(channel: str, who: str, ticket, body: str, *, client, users, vendors, capture) -> Answer:
    user = users[who]
    if channel == "portal":
        return portal_reply(client, user, ticket, body)
    if channel == "api":
        return api_reply(user, ticket, body)
    if channel == "email":
        return email_answer(email_reply(ticket, who, vendors, capture, body))
    if channel == "admin":
        return admin_reply(client, user, ticket, body)
    raise AssertionError(channel)


@pytest.fixture
def users(customer, agent, outsider, colleague):
    return {"customer": customer, "agent": agent, "outsider": outsider, "colleague": colleague}


@pytest.fixture
def by(client, users, vendors, django_capture_on_commit_callbacks):
    """`by(channel, who, ticket, body)`: a reply sent through that channel."""

    def send(channel: str, who: str, ticket: Ticket, body: str = "Thanks, 4.3 fixed the export.") -> Answer:
        return reply_by(
            channel,
            who,
            ticket,
            body,
            client=client,
            users=users,
            vendors=vendors,
            capture=django_capture_on_commit_callbacks,
        )

    return send


BODY = "Thanks, 4.3 fixed the export."


# ---------------------------------------------------------------------------- customer replies


@pytest.mark.parametrize("channel", ["portal", "api", "email"])
def test_a_customer_reply_to_a_waiting_case_resumes_it_as_the_service_does(
    pair, customer, agent, by, channel
):
    moved, twin = pair
    for ticket in pair:
        ticket_wait_on_customer(ticket=ticket, by=agent, at=WAITED)
    assert by(channel, "customer", moved).done
    reply_add(ticket=twin, author=customer, body=BODY, at=NOW)
    assert snapshot(moved) == snapshot(twin)
    assert snapshot(moved)["status"] == Status.OPEN


@pytest.mark.parametrize("channel", ["portal", "api", "email"])
def test_a_customer_reply_to_a_resolved_case_reopens_it_as_the_service_does(
    pair, customer, agent, by, channel
):
    moved, twin = pair
    for ticket in pair:
        ticket_resolve(ticket=ticket, by=agent, resolution_code="workaround", message="Use 4.3", at=WAITED)
    assert by(channel, "customer", moved).done
    reply_add(ticket=twin, author=customer, body=BODY, at=NOW)
    assert snapshot(moved) == snapshot(twin)
    assert snapshot(moved)["status"] == Status.OPEN


@pytest.mark.parametrize("channel", ["portal", "api", "email"])
def test_a_customer_reply_to_a_closed_case_is_refused_alike_and_changes_nothing(
    pair, customer, agent, by, channel
):
    ticket = pair[0]
    ticket_resolve(ticket=ticket, by=agent, resolution_code="workaround", message="Use 4.3", at=WAITED)
    ticket_close(ticket=ticket, by=customer, at=WAITED + timedelta(minutes=5))
    before = snapshot(ticket)
    answer = by(channel, "customer", ticket)
    assert not answer.done and str(CLOSED_CASE) in answer.said
    unchanged_since(ticket, before)


@pytest.mark.parametrize("channel", ["portal", "api", "email", "admin"])
def test_a_staff_reply_to_a_closed_case_is_refused_alike_and_changes_nothing(
    pair, customer, agent, by, channel
):
    ticket = pair[0]
    ticket_resolve(ticket=ticket, by=agent, resolution_code="workaround", message="Use 4.3", at=WAITED)
    ticket_close(ticket=ticket, by=customer, at=WAITED + timedelta(minutes=5))
    before = snapshot(ticket)
    answer = by(channel, "agent", ticket, "Please try version 4.3, it fixes the pool size.")
    assert not answer.done and str(CLOSED_CASE) in answer.said
    unchanged_since(ticket, before)


@pytest.mark.parametrize("channel", ["portal", "api", "email", "admin"])
def test_a_staff_reply_answers_the_case_as_the_service_does(pair, agent, by, channel):
    moved, twin = pair
    text = "Please try version 4.3, it fixes the pool size."
    assert by(channel, "agent", moved, text).done
    reply_add(ticket=twin, author=agent, body=text, at=NOW)
    assert snapshot(moved) == snapshot(twin)


# ---------------------------------------------------------------------------- the desk's changes


def api_patch(user, ticket, data) -> Answer:
    response = api(user).patch(reverse("api:ticket-detail", args=[ticket.number]), data, format="json")
    if response.status_code == HTTPStatus.OK:
        return Answer(True)
    if response.status_code == HTTPStatus.NOT_FOUND:
        return Answer(False, "404")
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    return Answer(False, " ".join(m for errors in response.json().values() for m in errors))


def admin_answer(response) -> Answer:
    """An admin page's answer: refused when it says an error, or when the desk's pages are not
    this person's (the sign-in page)."""
    if response.redirect_chain and "/login/" in response.redirect_chain[-1][0]:
        return Answer(False, "sign-in")
    said = [m.message for m in response.context["messages"] if m.level_tag == "error"]
    form = response.context.get("form")
    if form is not None and form.errors:
        said += [e for errors in form.errors.values() for e in errors]
    return Answer(not said, " ".join(said))


def admin_action(client, user, ticket, action: str, **data) -> Answer:
    web(client, user)
    payload = {"action": action, ACTION_CHECKBOX_NAME: [ticket.pk], **data}
    return admin_answer(client.post(CHANGELIST, payload, follow=True))


def admin_case_tool(client, user, ticket, tool: str, **data) -> Answer:
    web(client, user)
    url = reverse(f"admin:tickets_ticket_{tool}", args=[ticket.pk])
    return admin_answer(client.post(url, data, follow=True))


def admin_assign(client, user, ticket, assignee) -> Answer:
    web(client, user)
    payload = _change_payload(client, ticket) if user.is_staff else {}
    payload["assignee"] = assignee.pk if assignee else ""
    response = client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]), payload, follow=True)
    return admin_answer(response)


RESOLVING = {"resolution_code": "workaround", "message": "Use 4.3."}


def desk_change(channel: str, action: str, user, ticket, client, agent) -> Answer:
    """One of the desk's changes, through the API or admin, as its staff UI offers it."""
    if action == "wait":
        if channel == "api":
            return api_patch(user, ticket, {"status": "waiting"})
        return admin_action(client, user, ticket, "wait_on_customer")
    if action == "resolve":
        if channel == "api":
            return api_patch(user, ticket, {"status": "resolved", **RESOLVING})
        return admin_case_tool(client, user, ticket, "resolve", **RESOLVING)
    if action == "priority":
        if channel == "api":
            return api_patch(user, ticket, {"priority": "urgent", "priority_reason": "Production down"})
        return admin_case_tool(client, user, ticket, "priority", priority="urgent", reason="Production down")
    if action == "assign":
        if channel == "api":
            return api_patch(user, ticket, {"assignee": agent.username})
        return admin_assign(client, user, ticket, agent)
    if action == "reply_then_wait":
        if channel == "api":
            return api_reply(user, ticket, "Which version?", wait_on_customer=True)
        return admin_reply(client, user, ticket, "Which version?", **{f"{REPLY}-wait_on_customer": "on"})
    raise AssertionError(action)


def desk_service(action: str, ticket, agent) -> None:
    from tickets.services import ticket_assign, ticket_change_priority

    if action == "wait":
        ticket_wait_on_customer(ticket=ticket, by=agent, at=NOW)
    elif action == "resolve":
        ticket_resolve(ticket=ticket, by=agent, at=NOW, **{k: v for k, v in RESOLVING.items()})
    elif action == "priority":
        ticket_change_priority(ticket=ticket, by=agent, priority="urgent", reason="Production down", at=NOW)
    elif action == "assign":
        ticket_assign(ticket=ticket, by=agent, assignee=agent, at=NOW)
    elif action == "reply_then_wait":
        reply_add(ticket=ticket, author=agent, body="Which version?", wait_on_customer=True, at=NOW)


DESK_ACTIONS = ["wait", "resolve", "priority", "assign", "reply_then_wait"]


@pytest.mark.parametrize("channel", ["api", "admin"])
@pytest.mark.parametrize("action", DESK_ACTIONS)
def test_a_desk_change_does_what_the_service_does(pair, client, agent, channel, action):
    moved, twin = pair
    assert desk_change(channel, action, agent, moved, client, agent).done
    desk_service(action, twin, agent)
    assert snapshot(moved) == snapshot(twin)


@pytest.mark.parametrize("channel", ["api", "admin"])
@pytest.mark.parametrize("action", DESK_ACTIONS)
def test_a_customer_makes_no_desk_change_by_any_channel(pair, client, customer, agent, channel, action):
    ticket = pair[0]
    before = snapshot(ticket)
    answer = desk_change(channel, action, customer, ticket, client, agent)
    assert not answer.done
    # The API says the service's words; admin is not the customer's at all.
    if channel == "api":
        assert str(DESK_ONLY) in answer.said
    else:
        assert answer.said == "sign-in"
    unchanged_since(ticket, before)


@pytest.mark.parametrize("channel", ["api", "admin"])
@pytest.mark.parametrize("action", ["wait", "resolve"])
def test_a_closed_case_refuses_the_desk_alike(pair, client, customer, agent, channel, action):
    ticket = pair[0]
    ticket_resolve(ticket=ticket, by=agent, at=WAITED, **RESOLVING)
    ticket_close(ticket=ticket, by=customer, at=WAITED + timedelta(minutes=5))
    before = snapshot(ticket)
    answer = desk_change(channel, action, agent, ticket, client, agent)
    words = {"wait": "set to wait on the customer", "resolve": "resolved"}[action]
    assert not answer.done
    assert BAD_TRANSITION.format(current="closed", action=words) in answer.said
    unchanged_since(ticket, before)


@pytest.mark.parametrize("channel", ["api", "admin"])
def test_resolving_without_a_message_is_refused_alike(pair, client, agent, channel):
    ticket = pair[0]
    before = snapshot(ticket)
    if channel == "api":
        answer = api_patch(
            agent, ticket, {"status": "resolved", "resolution_code": "workaround", "message": " "}
        )
    else:
        answer = admin_case_tool(client, agent, ticket, "resolve", resolution_code="workaround", message=" ")
    assert not answer.done and answer.said
    unchanged_since(ticket, before)


# ---------------------------------------------------------------------------- submitted twice


def test_the_admin_reply_box_sent_twice_makes_one_reply(pair, client, agent):
    ticket = pair[0]
    web(client, agent)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    [token] = TOKEN.findall(client.get(url).content.decode())
    payload = _change_payload(client, ticket, **{f"{REPLY}-body": "We are on it.", "submit_token": token})
    first = client.post(url, payload)
    again = client.post(url, payload)  # a double click on "Send", or the browser's resubmit
    assert (first.status_code, again.status_code) == (HTTPStatus.FOUND, HTTPStatus.FOUND)
    assert Reply.objects.filter(ticket=ticket).count() == 1
    assert Notice.objects.filter(reference=ticket.number, kind=NoticeKind.STAFF_REPLY).count() == 1


def test_the_admin_reply_box_token_sent_again_with_another_text_adds_nothing(pair, client, agent):
    ticket = pair[0]
    web(client, agent)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    [token] = TOKEN.findall(client.get(url).content.decode())
    client.post(
        url, _change_payload(client, ticket, **{f"{REPLY}-body": "We are on it.", "submit_token": token})
    )
    edited = _change_payload(client, ticket, **{f"{REPLY}-body": "Second thoughts.", "submit_token": token})
    answer = admin_answer(client.post(url, edited, follow=True))
    assert not answer.done and "already sent" in answer.said
    assert [r.body for r in Reply.objects.filter(ticket=ticket)] == ["We are on it."]


def test_each_rendering_of_the_admin_case_page_sends_its_own_reply(pair, client, agent):
    ticket = pair[0]
    web(client, agent)
    for text in ("First answer.", "First answer."):  # the same words, sent from two renderings
        assert admin_reply(client, agent, ticket, text).done
    assert Reply.objects.filter(ticket=ticket).count() == 2


# ---------------------------------------------------------------------------- strangers


def outsider_attempts(client, outsider, ticket, vendors, capture) -> dict[str, Answer]:
    web(client, outsider)
    answers = {}
    for name in ("detail", "reply", "close", "reopen", "split"):
        url = reverse(f"tickets:{name}", args=[ticket.number])
        response = client.get(url) if name == "detail" else client.post(url, {"body": "hi", "subject": "x"})
        answers[f"portal {name}"] = Answer(
            response.status_code != HTTPStatus.NOT_FOUND, str(response.status_code)
        )
    answers["api detail"] = Answer(
        api(outsider).get(reverse("api:ticket-detail", args=[ticket.number])).status_code
        != HTTPStatus.NOT_FOUND
    )
    for status in ("closed", "open", "waiting", "resolved"):
        answers[f"api {status}"] = api_patch(outsider, ticket, {"status": status})
    answers["api reply"] = api_reply(outsider, ticket, "hi")
    answers["email reply"] = email_answer(email_reply(ticket, "outsider", vendors, capture))
    web(client, outsider)
    answers["admin"] = admin_answer(
        client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]), follow=True)
    )
    return answers


@pytest.mark.parametrize("state", ["new", "waiting", "resolved", "closed"])
def test_a_customer_of_another_organization_does_nothing_by_any_channel(
    pair, client, customer, agent, outsider, vendors, django_capture_on_commit_callbacks, state
):
    ticket = pair[0]
    if state == "waiting":
        ticket_wait_on_customer(ticket=ticket, by=agent, at=WAITED)
    if state in ("resolved", "closed"):
        ticket_resolve(ticket=ticket, by=agent, at=WAITED, **RESOLVING)
    if state == "closed":
        ticket_close(ticket=ticket, by=customer, at=WAITED + timedelta(minutes=5))
    before, cases = snapshot(ticket), Ticket.objects.count()
    answers = outsider_attempts(client, outsider, ticket, vendors, django_capture_on_commit_callbacks)
    # Everywhere the case does not exist for them: 404, quarantined, or not their pages at all.
    assert {name: (a.done, a.said) for name, a in answers.items()} == {
        **{f"portal {name}": (False, "404") for name in ("detail", "reply", "close", "reopen", "split")},
        "api detail": (False, ""),
        **{f"api {status}": (False, "404") for status in ("closed", "open", "waiting", "resolved")},
        "api reply": (False, "404"),
        "email reply": (False, "quarantined"),
        "admin": (False, "sign-in"),
    }
    unchanged_since(ticket, before)
    assert Ticket.objects.count() == cases


# ---------------------------------------------------------------------------- close and reopen


def portal_move(client, user, ticket, name: str) -> Answer:
    response = web(client, user).post(reverse(f"tickets:{name}", args=[ticket.number]), follow=True)
    said = [m.message for m in response.context["messages"] if m.level_tag == "error"]
    return Answer(not said, " ".join(said))


def customer_move(channel, action, client, user, ticket) -> Answer:
    if channel == "portal":
        return portal_move(client, user, ticket, {"close": "close", "reopen": "reopen"}[action])
    return api_patch(user, ticket, {"status": {"close": "closed", "reopen": "open"}[action]})


def bring_to(state: str, ticket, customer, agent) -> None:
    if state == "waiting":
        ticket_wait_on_customer(ticket=ticket, by=agent, at=WAITED)
    if state in ("resolved", "closed"):
        ticket_resolve(ticket=ticket, by=agent, at=WAITED, **RESOLVING)
    if state == "closed":
        ticket_close(ticket=ticket, by=customer, at=WAITED + timedelta(minutes=5))


@pytest.mark.parametrize("channel", ["portal", "api"])
@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("new", "close"),  # withdraws the unanswered first response
        ("waiting", "close"),
        ("resolved", "close"),
        ("resolved", "reopen"),
        ("closed", "reopen"),
        ("new", "reopen"),  # nothing to do
        ("closed", "close"),  # nothing to do
        ("waiting", "reopen"),  # refused: the customer answers by replying
    ],
)
def test_a_customer_closes_and_reopens_as_the_service_does(
    pair, client, customer, colleague, agent, channel, state, action
):
    from django.core.exceptions import ValidationError

    from tickets.services import ticket_reopen

    moved, twin = pair
    for ticket in pair:
        bring_to(state, ticket, customer, agent)
    answer = customer_move(channel, action, client, colleague, moved)
    service = {"close": ticket_close, "reopen": ticket_reopen}[action]
    try:
        service(ticket=twin, by=colleague, at=NOW)
    except ValidationError as error:
        assert not answer.done and " ".join(error.messages) in answer.said
    else:
        assert answer.done, answer
    assert snapshot(moved) == snapshot(twin)


@pytest.mark.parametrize("channel", ["portal", "api"])
def test_the_desk_closing_an_unresolved_case_is_told_to_resolve_it_alike(pair, client, agent, channel):
    from tickets.services.tickets import RESOLVE_FIRST

    ticket = pair[0]
    before = snapshot(ticket)
    answer = customer_move(channel, "close", client, agent, ticket)
    assert not answer.done and str(RESOLVE_FIRST) in answer.said
    unchanged_since(ticket, before)


# ---------------------------------------------------------------------------- what each page shows

PORTAL_TARGET = re.compile(
    r'<div class="target">\s*<p><strong>([^<]+)</strong> <span class="badge state-(\w+)">.*?'
    r'(?:<time datetime="([^"]+)">.*?)?</div>',
    re.S,
)
ADMIN_STATUS = re.compile(r'field-status">.*?<div class="readonly">([^<]*)</div>', re.S)
ADMIN_NEXT_DUE = re.compile(r'field-next_due">.*?<div class="readonly">(?:<time datetime="([^"]+)")?', re.S)


def utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def seen_by_api(user, ticket) -> dict:
    data = api(user).get(reverse("api:ticket-detail", args=[ticket.number])).json()
    return {
        "status": data["status"],
        "next_due_at": utc(data["next_due_at"]),
        "targets": {row["kind"]: (row["state"], utc(row["due_at"])) for row in data["sla"]},
    }


def seen_on_the_portal(client, user, ticket) -> dict:
    from policies.models import TargetKind

    html = web(client, user).get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    kinds = {str(label): kind for kind, label in TargetKind.choices}
    deadlines = html[html.index('id="deadlines"') :]
    return {
        "status": re.search(r'class="badge big status-(\w+)"', html).group(1),
        "targets": {
            kinds[label]: (state, utc(due)) for label, state, due in PORTAL_TARGET.findall(deadlines)
        },
    }


def seen_in_admin(client, agent, ticket) -> dict:
    from policies.models import TargetKind
    from tickets.models import TargetState

    response = web(client, agent).get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    html = response.content.decode()
    [table] = [t for t in response.context["case_tables"] if t["id"] == "sla_targets"]
    kinds = {str(label): kind for kind, label in TargetKind.choices}
    states = {str(label): state for state, label in TargetState.choices}
    targets = {}
    for row in table["rows"]:
        cells = dict(row)
        state = re.search(r">([^<]+)</span>", cells["state_now"]).group(1)
        targets[kinds[str(cells["kind"])]] = (states[state], str(cells["due_at"]))
    statuses = {str(label): status for status, label in Status.choices}
    return {
        "status": statuses[ADMIN_STATUS.search(html).group(1)],
        "next_due_at": utc(ADMIN_NEXT_DUE.search(html).group(1)),
        "targets": targets,
    }


def admin_due(due: datetime | None, agent) -> str:
    """A deadline as the admin's read-only column writes it, in the agent's zone."""
    field = SlaTarget._meta.get_field("due_at")
    with timezone.override(user_timezone(agent)):
        return str(display_for_field(due, field, "-"))


def assert_the_channels_agree(client, customer, agent, ticket) -> dict:
    shown = seen_by_api(customer, ticket)
    assert seen_by_api(agent, ticket) == shown
    assert seen_on_the_portal(client, customer, ticket) == {
        "status": shown["status"],
        "targets": shown["targets"],
    }
    assert seen_on_the_portal(client, agent, ticket)["targets"] == shown["targets"]
    assert seen_in_admin(client, agent, ticket) == {
        "status": shown["status"],
        "next_due_at": shown["next_due_at"],
        "targets": {kind: (state, admin_due(due, agent)) for kind, (state, due) in shown["targets"].items()},
    }
    stored = snapshot(ticket)
    assert (shown["status"], shown["next_due_at"]) == (stored["status"], stored["next_due_at"])
    assert [due for _kind, _state, _start, due, *_rest in stored["targets"]] == [
        due for _state, due in shown["targets"].values()
    ]
    return shown


def test_through_a_case_life_the_api_the_portal_and_admin_show_the_same_case(
    pair, client, customer, agent, by, vendors
):
    ticket = pair[0]
    steps = [
        ("opened", lambda: None),
        ("desk waits (admin)", lambda: admin_action(client, agent, ticket, "wait_on_customer")),
        ("customer answers (email)", lambda: by("email", "customer", ticket)),
        ("priority up (API)", lambda: api_patch(agent, ticket, {"priority": "urgent"})),
        ("desk answers (admin)", lambda: by("admin", "agent", ticket, "Try 4.3.")),
        ("desk answers and waits (API)", lambda: api_reply(agent, ticket, "Did it?", wait_on_customer=True)),
        ("customer answers (portal)", lambda: by("portal", "customer", ticket, "Not yet.")),
        ("desk resolves (admin)", lambda: admin_case_tool(client, agent, ticket, "resolve", **RESOLVING)),
        ("customer reopens (API reply)", lambda: by("api", "customer", ticket, "It is back.")),
        ("desk resolves (API)", lambda: api_patch(agent, ticket, {"status": "resolved", **RESOLVING})),
        ("customer closes (portal)", lambda: portal_move(client, customer, ticket, "close")),
        ("customer reopens (portal)", lambda: portal_move(client, customer, ticket, "reopen")),
    ]
    statuses, seen = [], {}
    for minutes, (name, step) in enumerate(steps):
        # 20 minutes apart, inside Alectrona's hours: the waits are credited, the clocks move.
        with time_machine.travel(NOW + timedelta(minutes=20 * minutes), tick=False):
            answer = step()
            assert answer is None or answer.done, (name, answer)
            shown = assert_the_channels_agree(client, customer, agent, ticket)
        statuses.append(shown["status"])
        assert set(shown["targets"]) == {"first_response", "update"}
        if name == "opened":
            assert shown["targets"]["first_response"] == ("running", NOW)
        seen[name] = shown["targets"]
    # Due at 12:00 and unanswered when the desk began to wait at 12:20: breached, whatever came next.
    assert seen["customer answers (email)"]["first_response"] == ("breached", NOW)
    # The update clock (4 business hours) restarted at the 13:40 answer, due 09:10 the next morning,
    # and paused at once; the customer's answer at 14:00 resumed it with those 20 minutes credited.
    paused = datetime(2026, 11, 24, 14, 10, tzinfo=UTC)
    assert seen["desk answers and waits (API)"]["update"] == ("paused", paused)
    assert seen["customer answers (portal)"]["update"] == ("running", paused + timedelta(minutes=20))
    assert statuses == [
        Status.NEW,
        Status.WAITING_ON_CUSTOMER,
        Status.OPEN,
        Status.OPEN,
        Status.OPEN,
        Status.WAITING_ON_CUSTOMER,
        Status.OPEN,
        Status.RESOLVED,
        Status.OPEN,
        Status.RESOLVED,
        Status.CLOSED,
        Status.OPEN,
    ]
