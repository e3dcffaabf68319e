"""Issue 15's reproductions, each run again: what the portal shows is what happened (SPEC §2).

Times are written in the vendor's zone so every expected deadline can be checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from portal.models import Notice, NoticeKind, NoticePreference
from tests.factories import StaffFactory
from tickets.admin import live_sla_state
from tickets.admin.listing import SlaStateFilter
from tickets.models import SlaEvent, Status, TargetState, Ticket
from tickets.services import (
    reply_add,
    ticket_assign,
    ticket_change_priority,
    ticket_close,
    ticket_open,
    ticket_reopen,
    ticket_resolve,
    ticket_wait_on_customer,
)
from tickets.services.sweep import sla_sweep
from tickets.services.tickets import DESK_ONLY, RESOLUTION_MESSAGE_REQUIRED, RESOLVE_FIRST

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")


def at(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def _open(customer, vendors, vendor, priority, opened, **kwargs) -> Ticket:
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors[vendor],
        priority=priority,
        subject="Export fails",
        body="It fails",
        at=opened,
        **kwargs,
    )


def first_response(ticket: Ticket):
    return ticket.sla_targets.get(kind="first_response")


def api_sla(user, ticket: Ticket, now: datetime) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    with time_machine.travel(now, tick=False):
        body = client.get(reverse("api:ticket-detail", args=[ticket.number])).json()
    return {row["kind"]: row for row in body["sla"]}


def page(client, user, ticket: Ticket, now: datetime) -> str:
    client.force_login(user)
    with time_machine.travel(now, tick=False):
        return client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()


# ---------------------------------------------------------------------------- late answers


def test_a_late_answer_is_recorded_after_the_sweep_wrote_the_breach(client, customer, agent, vendors):
    # Alectrona Urgent, Tue 1 Dec 2026 10:00 EST: first response due 11:00 (1 business hour).
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    assert sla_sweep(now=at(NY, 2026, 12, 1, 11, 1)).breached == 1
    reply_add(ticket=ticket, author=agent, body="Looking at it", at=at(NY, 2026, 12, 1, 11, 30))

    target = first_response(ticket)
    assert (target.state, target.fulfilled_at) == (TargetState.BREACHED, at(NY, 2026, 12, 1, 11, 30))
    assert target.response_business_time == timedelta(hours=1, minutes=30)
    assert target.events.filter(kind=SlaEvent.Kind.ANSWERED_LATE).count() == 1
    for later in (at(NY, 2026, 12, 1, 11, 31), at(NY, 2026, 12, 2, 11, 30)):
        row = api_sla(customer, ticket, later)["first_response"]
        assert row["state"] == TargetState.BREACHED
        assert row["remaining_seconds"] is None
        assert (row["answered_at"], row["answered_late"]) == ("2026-12-01T16:30:00+00:00", True)
    # A minute later the first response no longer reads "overdue by 31 min" (the update clock,
    # restarted by the answer, runs to 15:30).
    html = page(client, customer, ticket, at(NY, 2026, 12, 1, 11, 31))
    assert "answered late" in html and "overdue by" not in html


def test_an_answer_at_the_deadline_meets_it(customer, agent, vendors):
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    reply_add(ticket=ticket, author=agent, body="Here", at=at(NY, 2026, 12, 1, 11))
    assert first_response(ticket).state == TargetState.MET


# ---------------------------------------------------------------------------- the one breach rule


def test_exactly_at_the_deadline_every_view_says_running(rf, customer, agent, vendors):
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    due = at(NY, 2026, 12, 1, 11)
    ticket.refresh_from_db()

    assert live_sla_state(ticket, due) != "breached"
    assert live_sla_state(ticket, due + timedelta(microseconds=1)) == "breached"
    assert api_sla(customer, ticket, due)["first_response"]["state"] == TargetState.RUNNING
    assert api_sla(customer, ticket, due)["first_response"]["remaining_seconds"] == 0
    with time_machine.travel(due, tick=False):
        breached = SlaStateFilter(rf.get("/", {"sla": "breached"}), {"sla": ["breached"]}, Ticket, None)
        assert not breached.queryset(None, Ticket.objects.all()).exists()
    assert sla_sweep(now=due).breached == 0
    assert first_response(ticket).state == TargetState.RUNNING
    assert sla_sweep(now=due + timedelta(seconds=1)).breached == 1


# ---------------------------------------------------------------------------- priority changes


def test_albert_medium_to_urgent_recounts_the_weekend_wait_on_the_24x7_clock(customer, agent, vendors):
    ticket = _open(customer, vendors, "albert", "medium", at(LA, 2026, 12, 4, 18))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(LA, 2026, 12, 4, 19))
    reply_add(ticket=ticket, author=customer, body="Logs", at=at(LA, 2026, 12, 6, 20))
    ticket_change_priority(ticket=ticket, priority="urgent", by=agent, at=at(LA, 2026, 12, 6, 21))
    # 18:00 + 8 h + the 49 h wait on the 24×7 clock = Mon 7 Dec 03:00 PST.
    target = first_response(ticket)
    assert (target.state, target.due_at) == (TargetState.RUNNING, at(LA, 2026, 12, 7, 3))
    assert target.paused == timedelta(hours=49)


def test_secpod_normal_to_low_credits_only_the_business_hours_of_the_wait(customer, agent, vendors):
    # Normal: 12 h on 24×7. Low: 2 business days on Mon–Fri 00:00–24:00 Asia/Kolkata.
    ticket = _open(customer, vendors, "secpod", "normal", at(KOLKATA, 2026, 12, 4, 12))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(KOLKATA, 2026, 12, 4, 13))
    reply_add(ticket=ticket, author=customer, body="Logs", at=at(KOLKATA, 2026, 12, 5, 13))
    assert first_response(ticket).paused == timedelta(hours=24)  # 24 real hours on 24×7
    ticket_change_priority(ticket=ticket, priority="low", by=agent, at=at(KOLKATA, 2026, 12, 5, 14))
    # The wait Fri 13:00 → Sat 13:00 holds 11 business hours (Friday's rest); 48 h + 11 h from
    # Fri 12:00: Fri 12 h, Mon 24 h, Tue 23 h → Tue 8 Dec 23:00 IST (not Wed 12:00).
    target = first_response(ticket)
    assert target.paused == timedelta(hours=11)
    assert target.due_at == at(KOLKATA, 2026, 12, 8, 23)


def test_a_priority_change_during_a_wait_keeps_the_target_paused(customer, agent, vendors):
    ticket = _open(customer, vendors, "albert", "medium", at(LA, 2026, 12, 4, 18))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(LA, 2026, 12, 4, 19))
    ticket_change_priority(ticket=ticket, priority="urgent", by=agent, at=at(LA, 2026, 12, 5, 9))
    target = first_response(ticket)
    assert (target.state, target.paused_since) == (TargetState.PAUSED, at(LA, 2026, 12, 4, 19))
    reply_add(ticket=ticket, author=customer, body="Logs", at=at(LA, 2026, 12, 6, 20))
    assert first_response(ticket).due_at == at(LA, 2026, 12, 7, 3)


def test_a_wait_that_began_after_the_new_deadline_is_not_credited(customer, agent, vendors):
    # Albert Medium from Mon 09:00, waiting Mon 14:00 → Tue 09:00 and Wed 10:00 → 12:00, raised
    # to Urgent (8 h on 24×7) on Wednesday. The first wait began before the Urgent deadline
    # (Mon 17:00) and counts; the second began after the deadline it gives (Tue 12:00): none.
    ticket = _open(customer, vendors, "albert", "medium", at(LA, 2026, 12, 7, 9))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(LA, 2026, 12, 7, 14))
    reply_add(ticket=ticket, author=customer, body="A", at=at(LA, 2026, 12, 8, 9))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at(LA, 2026, 12, 9, 10))
    reply_add(ticket=ticket, author=customer, body="B", at=at(LA, 2026, 12, 9, 12))
    ticket_change_priority(ticket=ticket, priority="urgent", by=agent, at=at(LA, 2026, 12, 9, 13))
    # 09:00 + 8 h + 19 h (Mon 14:00 → Tue 09:00) = Tue 12:00; the Wed wait came after it.
    target = first_response(ticket)
    assert target.paused == timedelta(hours=19)
    assert target.due_at == at(LA, 2026, 12, 8, 12)


def test_a_priority_change_tells_the_customer_the_new_deadlines(
    customer, agent, vendors, django_capture_on_commit_callbacks
):
    ticket = _open(customer, vendors, "alectrona", "low", at(NY, 2026, 12, 1, 10))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_priority(
            ticket=ticket, priority="urgent", by=agent, reason="Production down", at=at(NY, 2026, 12, 1, 10)
        )
    [message] = [m for m in mail.outbox if m.to == [customer.email]]
    assert message.subject == f"[{ticket.number}] Priority changed to Urgent (Emergency): Export fails"
    assert "from Low to Urgent" in message.body and "Reason: Production down" in message.body
    assert "First response: by Tue 1 Dec 2026, 10:00 CST" in message.body  # 11:00 EST, Chicago


def test_the_priority_change_email_can_be_turned_off(customer, agent, vendors):
    NoticePreference.objects.create(user=customer, muted_kinds=[NoticeKind.PRIORITY_CHANGED])
    ticket = _open(customer, vendors, "alectrona", "low", at(NY, 2026, 12, 1, 10))
    ticket_change_priority(ticket=ticket, priority="urgent", by=agent, at=at(NY, 2026, 12, 1, 10, 5))
    assert not Notice.objects.filter(kind=NoticeKind.PRIORITY_CHANGED).exists()


# ---------------------------------------------------------------------------- resolving, closing


def test_resolving_needs_a_message_which_is_the_answer(customer, agent, vendors):
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    with pytest.raises(ValidationError) as refused:
        ticket_resolve(ticket=ticket, by=agent, resolution_code="workaround", message=" ")
    assert refused.value.message_dict == {"message": [RESOLUTION_MESSAGE_REQUIRED]}
    ticket_resolve(
        ticket=ticket, by=agent, resolution_code="workaround", message="Restart", at=at(NY, 2026, 12, 1, 12)
    )
    ticket.refresh_from_db()
    target = first_response(ticket)
    assert (target.state, target.fulfilled_at) == (TargetState.BREACHED, at(NY, 2026, 12, 1, 12))
    assert ticket.first_responded_at == at(NY, 2026, 12, 1, 12)
    [reply] = ticket.replies.all()
    assert (reply.body, reply.by_staff, reply.internal) == ("Restart", True, False)


def test_a_customer_close_before_any_answer_withdraws_the_first_response(client, customer, vendors):
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    ticket_close(ticket=ticket, by=customer, at=at(NY, 2026, 12, 1, 10, 20))
    target = first_response(ticket)
    assert (target.state, target.fulfilled_at, target.met_at) == (TargetState.WITHDRAWN, None, None)
    html = page(client, customer, ticket, at(NY, 2026, 12, 1, 10, 30))
    assert "Withdrawn" in html and "answered <time" not in html and "Met" not in html

    ticket_reopen(ticket=ticket, by=customer, at=at(NY, 2026, 12, 1, 15))
    ticket.refresh_from_db()
    target = first_response(ticket)
    # A full business hour from the reopening at 15:00.
    assert (target.state, target.due_at) == (TargetState.RUNNING, at(NY, 2026, 12, 1, 16))
    assert ticket.next_due_at == at(NY, 2026, 12, 1, 16)
    assert ticket.sla_state == TargetState.RUNNING


def test_a_close_after_the_deadline_keeps_the_breach(customer, vendors):
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    ticket_close(ticket=ticket, by=customer, at=at(NY, 2026, 12, 1, 11, 5))
    target = first_response(ticket)
    assert (target.state, target.breached_at) == (TargetState.BREACHED, at(NY, 2026, 12, 1, 11))


def test_the_desk_resolves_rather_than_closing_an_unanswered_case(customer, agent, vendors):
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    with pytest.raises(ValidationError) as refused:
        ticket_close(ticket=ticket, by=agent)
    assert refused.value.message_dict == {"status": [RESOLVE_FIRST]}


@pytest.mark.parametrize(
    "service, kwargs",
    [
        (ticket_wait_on_customer, {}),
        (ticket_assign, {"assignee": None}),
        (ticket_change_priority, {"priority": "low"}),
        (ticket_resolve, {"resolution_code": "workaround", "message": "Done"}),
    ],
)
def test_desk_transitions_refuse_a_customer(customer, vendors, service, kwargs):
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    with pytest.raises(ValidationError) as refused:
        service(ticket=ticket, by=customer, **kwargs)
    assert DESK_ONLY in refused.value.messages
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority.code) == (Status.NEW, "urgent")


def test_an_outsider_can_neither_close_reopen_nor_reply(customer, outsider, vendors):
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    for attempt in (
        lambda: ticket_close(ticket=ticket, by=outsider),
        lambda: reply_add(ticket=ticket, author=outsider, body="hi"),
    ):
        with pytest.raises(ValidationError):
            attempt()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not ticket.replies.exists()


# ---------------------------------------------------------------------------- staff are told


def desk_mail() -> list:
    return [m for m in mail.outbox if "Customer reply" in m.subject or "New case" in m.subject]


def test_a_new_case_mails_its_vendors_desk_group_and_a_reply_its_assignee(
    customer, agent, vendors, django_capture_on_commit_callbacks
):
    desk = Group.objects.create(name="Alectrona desk")
    first, second = StaffFactory(username="kim"), StaffFactory(username="lee")
    outside = StaffFactory(username="max")  # staff, but not in the group
    desk.user_set.add(first, second)
    vendors["alectrona"].desk_group = desk
    vendors["alectrona"].save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    assert sorted(m.to[0] for m in desk_mail()) == sorted([first.email, second.email])
    assert outside.email not in [m.to[0] for m in mail.outbox]
    assert all(ticket.number in m.subject for m in desk_mail())

    ticket_assign(ticket=ticket, assignee=agent, by=agent)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply_add(ticket=ticket, author=customer, body="More logs", at=at(NY, 2026, 12, 1, 10, 30))
        reply_add(ticket=ticket, author=agent, body="Thanks", at=at(NY, 2026, 12, 1, 10, 40))
    [told] = desk_mail()
    assert told.to == [agent.email] and "More logs" in told.body
    assert [m.to for m in mail.outbox if m not in desk_mail()] == [[customer.email]]


def test_without_a_group_the_desk_address_hears_of_a_new_case(
    customer, vendors, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _open(customer, vendors, "secpod", "critical", at(NY, 2026, 12, 1, 10))
    [told] = desk_mail()
    assert told.to == [settings.SUPPORT_DESK_EMAIL]
    assert Notice.objects.filter(kind=NoticeKind.NEW_CASE).count() == 1


def test_staff_notices_are_sent_once_when_the_service_runs_twice(customer, agent, vendors):
    ticket = _open(customer, vendors, "alectrona", "urgent", at(NY, 2026, 12, 1, 10))
    reply = reply_add(ticket=ticket, author=customer, body="More", at=at(NY, 2026, 12, 1, 10, 30))
    from tickets import notices

    notices.customer_replied(ticket, reply)  # a retried task, a second worker
    assert Notice.objects.filter(kind=NoticeKind.CUSTOMER_REPLY).count() == 1


def test_an_api_answer_in_utc_matches_the_case_page(client, customer, agent, vendors):
    ticket = _open(customer, vendors, "albert", "urgent", at(LA, 2026, 12, 4, 18))
    row = api_sla(customer, ticket, datetime(2026, 12, 5, 3, 0, tzinfo=UTC))["first_response"]
    assert row["due_at"] == "2026-12-05T10:00:00+00:00"  # 18:00 PST + 8 h = 02:00 PST = 10:00Z
    assert row["remaining_seconds"] == 7 * 3600
    response = page(client, customer, ticket, datetime(2026, 12, 5, 3, 0, tzinfo=UTC))
    assert "due in 7 h" in response
