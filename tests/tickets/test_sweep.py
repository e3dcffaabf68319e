"""The SLA sweep: breaches written down and escalated, warnings at the configured share, each
notice once however often the sweep runs, and a cost that follows the targets coming due."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail

from portal.models import Notice, NoticeKind
from tests.factories import StaffFactory
from tickets.models import SlaEvent, SlaTarget, TargetState, Ticket
from tickets.notices import DESK_MANAGERS_GROUP
from tickets.services import reply_add, ticket_assign, ticket_open
from tickets.services.sweep import sla_sweep

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=NY)  # Monday; High: first response due 12:00 New York


def sweep(at: datetime, django_capture_on_commit_callbacks):
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        return sla_sweep(now=at)


@pytest.fixture
def case(customer, vendors):
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        body="x",
        at=OPENED,
    )


@pytest.fixture
def managers(db):
    group = Group.objects.create(name=DESK_MANAGERS_GROUP)
    people = [StaffFactory(username=name, email=f"{name}@desk.test") for name in ("mia", "max")]
    group.user_set.add(*people)
    return people


def first_response(ticket: Ticket):
    return ticket.sla_targets.get(kind="first_response")


def test_the_warning_time_is_the_configured_share_of_business_time(case, settings):
    # 75 % of 2 business hours from 10:00 = 11:30 New York.
    assert first_response(case).warn_at == datetime(2026, 11, 23, 11, 30, tzinfo=NY)


def test_a_target_past_due_is_breached_at_its_deadline_and_escalated_once(
    case, managers, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    at = datetime(2026, 11, 23, 12, 1, tzinfo=NY)
    result = sweep(at, django_capture_on_commit_callbacks)
    again = sweep(at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    target, case = first_response(case), Ticket.objects.get(pk=case.pk)
    assert (target.state, target.breached_at) == (
        TargetState.BREACHED,
        datetime(2026, 11, 23, 12, 0, tzinfo=NY),
    )
    assert target.events.filter(kind=SlaEvent.Kind.BREACHED, at=at).count() == 1
    assert case.sla_state == TargetState.BREACHED and case.next_due_at is None
    assert (result.breached, again.breached) == (1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["max@desk.test", "mia@desk.test"]
    assert mail.outbox[0].subject == f"[{case.number}] SLA breached: first response of Acme Analytics"


def test_without_desk_managers_the_escalation_goes_to_the_desk(
    case, settings, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    sweep(datetime(2026, 11, 23, 12, 1, tzinfo=NY), django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[settings.SUPPORT_DESK_EMAIL]]


def test_a_target_met_in_time_is_not_breached(case, agent, django_capture_on_commit_callbacks):
    reply_add(ticket=case, author=agent, body="On it", at=datetime(2026, 11, 23, 11, 0, tzinfo=NY))
    mail.outbox.clear()
    assert sweep(datetime(2026, 11, 23, 12, 1, tzinfo=NY), django_capture_on_commit_callbacks).breached == 0
    assert first_response(case).state == TargetState.MET
    assert mail.outbox == []


def test_the_warning_goes_to_the_assignee_once(case, agent, django_capture_on_commit_callbacks):
    ticket_assign(ticket=case, assignee=agent, by=agent, at=OPENED)
    mail.outbox.clear()
    assert sweep(datetime(2026, 11, 23, 11, 29, tzinfo=NY), django_capture_on_commit_callbacks).warned == 0
    assert sweep(datetime(2026, 11, 23, 11, 31, tzinfo=NY), django_capture_on_commit_callbacks).warned == 1
    assert sweep(datetime(2026, 11, 23, 11, 32, tzinfo=NY), django_capture_on_commit_callbacks).warned == 0
    [message] = mail.outbox
    assert message.to == [agent.email]
    assert "75 % of the first response target" in message.body
    assert first_response(case).warned_at is not None


def test_an_unassigned_case_warns_the_desk(case, settings, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    sweep(datetime(2026, 11, 23, 11, 31, tzinfo=NY), django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[settings.SUPPORT_DESK_EMAIL]]
    assert Notice.objects.filter(kind=NoticeKind.SLA_WARNING, recipient=None).count() == 1


def test_the_share_is_configurable(customer, vendors, settings):
    settings.SLA_WARNING_SHARE = 0.5
    case = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export",
        body="x",
        at=OPENED,
    )
    assert first_response(case).warn_at == datetime(2026, 11, 23, 11, 0, tzinfo=NY)


def test_the_sweep_cost_does_not_grow_with_open_cases(customer, vendors, django_assert_max_num_queries):
    def open_case(at):
        return ticket_open(
            organization=customer.membership.organization,
            requester=customer,
            vendor=vendors["alectrona"],
            priority="low",
            subject="x",
            body="x",
            at=at,
        )

    later = [open_case(OPENED + timedelta(days=day + 7)) for day in range(20)]  # not yet due
    due = [open_case(OPENED) for _ in range(5)]
    with django_assert_max_num_queries(16):
        result = sla_sweep(now=OPENED + timedelta(days=3))
    assert result.breached == len(due)
    # Written down, not only counted: the due cases' first responses and the cases themselves.
    states = dict(Ticket.objects.values_list("number", "sla_state"))
    assert {states[t.number] for t in due} == {TargetState.BREACHED}
    assert {states[t.number] for t in later} == {TargetState.RUNNING}
    breached = SlaTarget.objects.filter(state=TargetState.BREACHED)
    assert sorted(breached.values_list("ticket__number", "kind")) == sorted(
        (t.number, "first_response") for t in due
    )


def test_a_burst_of_breaches_is_one_email_per_manager_listing_them(
    customer, vendors, managers, django_capture_on_commit_callbacks
):
    cases = [
        ticket_open(
            organization=customer.membership.organization,
            requester=customer,
            vendor=vendors["alectrona"],
            priority="high",
            subject=f"Case {i}",
            body="x",
            at=OPENED,
        )
        for i in range(3)
    ]
    mail.outbox.clear()
    assert sweep(datetime(2026, 11, 23, 12, 1, tzinfo=NY), django_capture_on_commit_callbacks).breached == 3
    assert sorted(m.to[0] for m in mail.outbox) == ["max@desk.test", "mia@desk.test"]
    message = mail.outbox[0]
    assert message.subject == "SLA breached: 3 cases"
    assert all(case.number in message.body for case in cases)
    assert all(case.number in message.alternatives[0].content for case in cases)
