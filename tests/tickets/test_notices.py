"""The emails a case's life promises its requester (SPEC §6), each once, in their time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail

from portal.models import Notice, NoticeKind, NoticePreference, Profile
from portal.outbox import thread_id
from tickets.services import reply_add, ticket_open, ticket_resolve, ticket_resume, ticket_wait_on_customer

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def customer_mail() -> list:
    """The emails to customers: the desk hears of new cases and customer replies too."""
    return [m for m in mail.outbox if m.to != [settings.SUPPORT_DESK_EMAIL]]


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run the service and deliver what it queued, the way the worker does after commit."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


@pytest.fixture
def case(customer, vendors, send):
    return send(
        ticket_open,
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        body="It **fails**",
        at=datetime(2026, 11, 23, 10, 0, tzinfo=NY),
    )


def test_case_received_mails_the_requester_its_deadline_in_their_time_zone(case, customer):
    [message] = customer_mail()
    assert message.to == [customer.email]
    assert message.subject == f"[{case.number}] We received your case: Export fails"
    # High: first response 2 business hours from Mon 10:00 New York = 12:00 NY = 11:00 in Chicago.
    assert "First response: by Mon 23 Nov 2026, 11:00 CST" in message.body
    html = message.alternatives[0].content
    assert "Mon 23 Nov 2026, 11:00 CST" in html and case.number in html


def test_the_requesters_own_zone_wins_over_the_organizations(customer, vendors, send):
    Profile.objects.create(user=customer, timezone="Asia/Tokyo")
    send(
        ticket_open,
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export",
        body="x",
        at=datetime(2026, 11, 23, 10, 0, tzinfo=NY),
    )
    assert "Tue 24 Nov 2026, 02:00 JST" in customer_mail()[0].body


def test_colleagues_and_outsiders_are_not_mailed(
    colleague, org_admin, outsider, customer, agent, vendors, send
):
    # The colleagues exist before the case is opened: a notice to the whole organization would
    # reach them (the `case` fixture is opened before any colleague a test asks for).
    case = send(
        ticket_open,
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        body="x",
        at=datetime(2026, 11, 23, 10, 0, tzinfo=NY),
    )
    send(reply_add, ticket=case, author=agent, body="Which version?", wait_on_customer=True)
    send(ticket_resolve, ticket=case, by=agent, resolution_code="workaround", message="Use 2.1")
    assert [m.to for m in customer_mail()] == [[customer.email]] * 3
    people = set(Notice.objects.filter(recipient__isnull=False).values_list("recipient__username", flat=True))
    assert people == {"alice"}


def test_a_staff_reply_mails_the_reply_once(case, agent, send):
    mail.outbox.clear()
    send(reply_add, ticket=case, author=agent, body="Please try **2.1**.")
    [message] = mail.outbox
    assert message.subject == f"Re: [{case.number}] Export fails"
    assert "Please try **2.1**." in message.body
    assert "<strong>2.1</strong>" in message.alternatives[0].content
    assert message.extra_headers["In-Reply-To"] == thread_id(case.number)


def test_an_internal_note_never_mails_the_customer(case, agent, send):
    mail.outbox.clear()
    send(reply_add, ticket=case, author=agent, body="Customer is on 1.9", internal=True)
    assert mail.outbox == []
    assert not Notice.objects.filter(kind=NoticeKind.STAFF_REPLY).exists()


def test_a_customer_reply_mails_the_desk_not_the_customer(case, customer, send):
    mail.outbox.clear()
    send(reply_add, ticket=case, author=customer, body="More logs attached")
    [message] = mail.outbox
    assert message.to == [settings.SUPPORT_DESK_EMAIL]
    assert "More logs attached" in message.body


def test_a_reply_that_waits_on_the_customer_is_one_email_saying_so(case, agent, send):
    mail.outbox.clear()
    send(reply_add, ticket=case, author=agent, body="Which version?", wait_on_customer=True)
    [message] = mail.outbox
    assert "Which version?" in message.body
    assert "waiting for your answer" in message.body
    assert not Notice.objects.filter(kind=NoticeKind.WAITING_ON_YOU).exists()


def test_each_wait_on_the_customer_mails_once(case, agent, send):
    mail.outbox.clear()
    send(ticket_wait_on_customer, ticket=case, by=agent)
    send(ticket_wait_on_customer, ticket=case, by=agent)  # repeating is a no-op
    send(ticket_resume, ticket=case, by=agent)
    send(ticket_wait_on_customer, ticket=case, by=agent)
    assert [m.subject for m in mail.outbox] == [f"[{case.number}] Waiting on you: Export fails"] * 2


def test_resolved_names_the_resolution_in_words(case, agent, send):
    mail.outbox.clear()
    send(
        ticket_resolve,
        ticket=case,
        by=agent,
        resolution_code="workaround",
        message="Restart with **--safe**.",
    )
    [message] = mail.outbox
    assert message.subject == f"[{case.number}] Resolved: Export fails"
    assert "Resolution: Provided a reasonable solution or workaround" in message.body
    assert "Restart with **--safe**." in message.body
    assert "<strong>--safe</strong>" in message.alternatives[0].content


def test_a_muted_kind_is_not_sent(customer, agent, case, send):
    NoticePreference.objects.create(user=customer, muted_kinds=[NoticeKind.STAFF_REPLY])
    mail.outbox.clear()
    send(reply_add, ticket=case, author=agent, body="Try again")
    assert mail.outbox == []
