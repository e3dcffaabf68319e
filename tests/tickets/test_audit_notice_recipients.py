"""Audit: every email a case's life, the SLA sweep and the contract fan-outs promise (SPEC §6) goes
to exactly the right people, once each, through the outbox and the locmem backend.

One cast for every event. Acme (America/Chicago): the requester alice; fay, a follower who reads
Russian in Tokyo; bob, a colleague who follows nothing; mo, a follower who muted the kind under
test; gone, a follower since deactivated. Globex: charlie, with a case of his own at the same vendor.
Staff: kim, the assignee (in Alectrona's desk group, Russian, Berlin); lee, other staff (a desk
manager, not in the group); sam, in the desk group and a desk manager, who muted new cases.

Recipients are compared as sets of addresses and counted (one email each), then the event's notice
is written again, the sweep and the outbox sweep run again, and no second email goes out."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail

from lifecycle.models import Deployment, Plan
from lifecycle.notices import milestone_notices_queue, policy_change_notices_sweep
from lifecycle.services import contract_create, major_version_save
from policies.services import policy_version_publish
from portal.models import NoticeKind, NoticePreference, Profile
from portal.outbox import notice_sweep, thread_id
from tests.factories import MembershipFactory, StaffFactory
from tests.policies.test_services import _draft
from tickets import notices
from tickets.models import Follower
from tickets.notices import DESK_MANAGERS_GROUP
from tickets.reply_address import reply_token_in, reply_token_ticket
from tickets.services import (
    reply_add,
    ticket_assign,
    ticket_change_priority,
    ticket_open,
    ticket_resolve,
    ticket_wait_on_customer,
)
from tickets.services.chases import ticket_chase
from tickets.services.sweep import sla_sweep

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=NY)  # Mon; Alectrona High: first response by 12:00 NY
CYRILLIC = re.compile("[А-Яа-яЁё]")


class Cast:
    pass


@pytest.fixture
def cast(organization, other_organization, vendors, django_capture_on_commit_callbacks):
    c = Cast()
    c.vendor = vendors["alectrona"]
    member = lambda name, org=organization: MembershipFactory(user__username=name, organization=org).user  # noqa: E731
    c.alice, c.fay, c.bob, c.mo, c.gone = (member(n) for n in ("alice", "fay", "bob", "mo", "gone"))
    c.charlie = member("charlie", other_organization)
    Profile.objects.create(user=c.fay, language="ru", timezone="Asia/Tokyo")
    c.kim, c.lee, c.sam = (StaffFactory(username=n) for n in ("kim", "lee", "sam"))
    Profile.objects.create(user=c.kim, language="ru", timezone="Europe/Berlin")
    desk = Group.objects.create(name="Alectrona desk")
    desk.user_set.add(c.kim, c.sam)
    Group.objects.create(name=DESK_MANAGERS_GROUP).user_set.add(c.lee, c.sam)
    c.vendor.desk_group = desk
    c.vendor.save()
    NoticePreference.objects.create(user=c.sam, muted_kinds=[NoticeKind.NEW_CASE])
    c.customers = {c.alice, c.fay, c.bob, c.mo, c.gone, c.charlie}
    c.staff = {c.kim, c.lee, c.sam}
    with django_capture_on_commit_callbacks(execute=True):
        c.case = _open(c.alice, c.vendor)
        c.other = _open(c.charlie, c.vendor)
    for person in (c.fay, c.mo, c.gone):
        Follower.objects.create(ticket=c.case, user=person, created_at=OPENED)
    c.gone.is_active = False
    c.gone.save()
    return c


def _open(requester, vendor, at=OPENED):
    return ticket_open(
        organization=requester.membership.organization,
        requester=requester,
        vendor=vendor,
        priority="high",
        subject=f"Export fails for {requester.username}",
        body="It fails",
        at=at,
    )


def mute(person, kind):
    NoticePreference.objects.update_or_create(user=person, defaults={"muted_kinds": [kind]})


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run `action` and deliver what it queued (after commit, the eager worker); return the emails
    it sent, emptying the outbox first."""

    def run(action):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        run.result = result
        return list(mail.outbox)

    return run


def addresses(messages) -> Counter:
    return Counter(address for m in messages for address in m.to)


def assert_exactly(messages, people, *, desk=False):
    expected = {p.email for p in people} | ({settings.SUPPORT_DESK_EMAIL} if desk else set())
    sent = addresses(messages)
    assert set(sent) == expected
    assert all(count == 1 for count in sent.values()), sent


def assert_no_second_email(deliver, again):
    """The event's notice written again and both sweeps run again: nothing more goes out."""
    assert deliver(again) == []
    assert deliver(notice_sweep) == []


def assert_about(messages, case):
    """Each email threads on `case`, answers to `case`'s own reply address, and names no other
    case of the desk's."""
    for message in messages:
        assert message.extra_headers["In-Reply-To"] == thread_id(case.number)
        assert message.extra_headers["References"] == thread_id(case.number)
        [reply_to] = message.reply_to
        token = reply_token_in(parseaddr(reply_to)[1], mailbox=case.vendor.support_email)
        assert reply_token_ticket(token) == case
        text = message.subject + message.body + message.alternatives[0].content
        numbers = set(re.findall(r"[A-Z]{2,5}-\d{4,}", text))
        assert numbers == {case.number}, (message.to, numbers)


def in_russian(message) -> bool:
    return bool(CYRILLIC.search(message.subject + message.body))


def by_address(messages) -> dict:
    return {m.to[0]: m for m in messages}


# ---------------------------------------------------------------------------- a case's life


def test_a_new_case_mails_its_requester_and_the_desk_group_but_not_who_muted_new_cases(
    cast, deliver, organization
):
    sent = deliver(lambda: _open(cast.alice, cast.vendor, at=OPENED + timedelta(minutes=5)))
    case = deliver.result
    assert_exactly(sent, {cast.alice, cast.kim})
    assert_about(sent, case)
    to = by_address(sent)
    assert not in_russian(to[cast.alice.email]) and in_russian(to[cast.kim.email])
    # High: 2 business hours from 10:05 New York = 12:05 NY = 11:05 in Chicago, 18:05 in Berlin.
    assert "11:05 CST" in to[cast.alice.email].body
    assert "18:05 CET" in to[cast.kim.email].body
    targets = list(case.sla_targets.all())
    assert_no_second_email(
        deliver,
        lambda: (
            notices.ticket_received(case, targets=targets),
            notices.new_case_for_desk(case, targets=targets),
        ),
    )


def test_a_staff_reply_mails_the_requester_and_active_unmuted_followers_once(cast, deliver):
    mute(cast.mo, NoticeKind.STAFF_REPLY)
    ticket_assign(ticket=cast.case, assignee=cast.kim, by=cast.kim)
    sent = deliver(
        lambda: reply_add(ticket=cast.case, author=cast.kim, body="Try 2.1", at=OPENED + timedelta(hours=1))
    )
    reply = deliver.result
    assert_exactly(sent, {cast.alice, cast.fay})
    assert_about(sent, cast.case)
    to = by_address(sent)
    assert in_russian(to[cast.fay.email]) and not in_russian(to[cast.alice.email])  # not kim's Russian
    assert_no_second_email(deliver, lambda: notices.staff_replied(cast.case, reply))


def test_waiting_on_you_and_a_reminder_mail_the_cases_people_once_each(cast, deliver):
    mute(cast.mo, NoticeKind.WAITING_ON_YOU)
    sent = deliver(
        lambda: ticket_wait_on_customer(ticket=cast.case, by=cast.kim, at=OPENED + timedelta(hours=1))
    )
    assert_exactly(sent, {cast.alice, cast.fay})
    assert_about(sent, cast.case)
    assert deliver(lambda: ticket_wait_on_customer(ticket=cast.case, by=cast.kim)) == []  # a no-op
    assert deliver(notice_sweep) == []

    mute(cast.mo, NoticeKind.CHASE)
    sent = deliver(lambda: ticket_chase(ticket=cast.case, by=cast.kim, at=OPENED + timedelta(hours=30)))
    chase = deliver.result
    assert_exactly(sent, {cast.alice, cast.fay})
    assert_about(sent, cast.case)
    assert_no_second_email(deliver, lambda: notices.case_chased(cast.case, chase))


def test_a_customer_reply_mails_the_assignee_only(cast, deliver):
    ticket_assign(ticket=cast.case, assignee=cast.kim, by=cast.kim)
    for author in (cast.alice, cast.fay):  # the requester, then a follower
        sent = deliver(
            lambda a=author: reply_add(
                ticket=cast.case, author=a, body="Logs", at=OPENED + timedelta(hours=1)
            )
        )
        reply = deliver.result
        assert_exactly(sent, {cast.kim})
        assert_about(sent, cast.case)
        assert in_russian(sent[0])  # kim's language, not the customer's
        assert_no_second_email(deliver, lambda r=reply: notices.customer_replied(r.ticket, r))


def test_a_customer_reply_to_an_unassigned_case_mails_the_desk_group_less_who_muted_it(cast, deliver):
    mute(cast.sam, NoticeKind.CUSTOMER_REPLY)
    sent = deliver(
        lambda: reply_add(ticket=cast.case, author=cast.alice, body="Logs", at=OPENED + timedelta(hours=1))
    )
    assert_exactly(sent, {cast.kim})
    assert_no_second_email(deliver, lambda: notices.customer_replied(cast.case, deliver.result))


def test_a_priority_change_tells_each_recipient_the_deadlines_in_their_own_zone(cast, deliver):
    mute(cast.mo, NoticeKind.PRIORITY_CHANGED)
    at = OPENED + timedelta(minutes=30)
    sent = deliver(lambda: ticket_change_priority(ticket=cast.case, priority="urgent", by=cast.kim, at=at))
    assert_exactly(sent, {cast.alice, cast.fay})
    assert_about(sent, cast.case)
    to = by_address(sent)
    # Urgent: 1 business hour from 10:00 New York = 11:00 NY = 10:00 Chicago = 01:00 next day Tokyo.
    alice, fay = to[cast.alice.email], to[cast.fay.email]
    assert "America/Chicago" in alice.body and "10:00 CST" in alice.body
    assert "Asia/Tokyo" in fay.body and "America/Chicago" not in fay.body
    assert "01:00 JST" in fay.body and in_russian(fay)
    assert_no_second_email(
        deliver,
        lambda: notices.priority_changed(cast.case, old=cast.case.priority, reason="", at=at),
    )


def test_a_resolution_mails_the_cases_people_once(cast, deliver):
    mute(cast.mo, NoticeKind.TICKET_RESOLVED)
    sent = deliver(
        lambda: ticket_resolve(
            ticket=cast.case,
            by=cast.kim,
            resolution_code="workaround",
            message="Use 2.1",
            at=OPENED + timedelta(hours=1),
        )
    )
    assert_exactly(sent, {cast.alice, cast.fay})
    assert_about(sent, cast.case)
    assert (
        deliver(
            lambda: ticket_resolve(ticket=cast.case, by=cast.kim, resolution_code="workaround", message="x")
        )
        == []
    )
    assert deliver(notice_sweep) == []


def test_a_colleague_who_mutes_nothing_and_follows_nothing_is_never_mailed(cast, deliver):
    """The whole life of the case, in one run: bob and Globex hear nothing of it."""
    ticket_assign(ticket=cast.case, assignee=cast.kim, by=cast.kim)
    sent = []
    sent += deliver(
        lambda: reply_add(
            ticket=cast.case,
            author=cast.kim,
            body="Which version?",
            wait_on_customer=True,
            at=OPENED + timedelta(minutes=20),
        )
    )
    sent += deliver(
        lambda: reply_add(ticket=cast.case, author=cast.alice, body="2.0", at=OPENED + timedelta(minutes=30))
    )
    sent += deliver(
        lambda: ticket_change_priority(
            ticket=cast.case, priority="urgent", by=cast.kim, at=OPENED + timedelta(minutes=40)
        )
    )
    sent += deliver(
        lambda: ticket_resolve(
            ticket=cast.case,
            by=cast.kim,
            resolution_code="workaround",
            message="Use 2.1",
            at=OPENED + timedelta(minutes=50),
        )
    )
    told = set(addresses(sent))
    assert told == {cast.alice.email, cast.fay.email, cast.mo.email, cast.kim.email}
    assert not told & {cast.bob.email, cast.gone.email, cast.charlie.email, cast.lee.email, cast.sam.email}
    assert_about(sent, cast.case)


# ---------------------------------------------------------------------------- people who left


def test_a_deactivated_requester_is_not_mailed_but_the_followers_still_are(cast, deliver):
    cast.alice.is_active = False
    cast.alice.save()
    sent = deliver(
        lambda: reply_add(ticket=cast.case, author=cast.kim, body="Try 2.1", at=OPENED + timedelta(hours=1))
    )
    assert_exactly(sent, {cast.fay, cast.mo})


def test_a_requester_who_moved_to_another_organization_is_not_mailed_about_the_old_ones_case(
    cast, deliver, other_organization
):
    membership = cast.alice.membership
    membership.organization = other_organization
    membership.save()
    sent = deliver(
        lambda: reply_add(ticket=cast.case, author=cast.kim, body="Try 2.1", at=OPENED + timedelta(hours=1))
    )
    assert_exactly(sent, {cast.fay, cast.mo})


# ---------------------------------------------------------------------------- the SLA sweep


def test_an_sla_warning_mails_the_assignee_and_a_breach_the_desk_managers_once(cast, deliver):
    cast.other.delete()  # Globex's case would be warned and breached beside it
    ticket_assign(ticket=cast.case, assignee=cast.kim, by=cast.kim)
    warn = OPENED + timedelta(minutes=95)  # 75 % of the 2 h first response
    sent = deliver(lambda: sla_sweep(now=warn))
    assert_exactly(sent, {cast.kim})
    assert in_russian(sent[0]) and cast.case.number in sent[0].subject
    assert deliver(lambda: sla_sweep(now=warn + timedelta(minutes=1))) == []
    assert deliver(notice_sweep) == []

    mute(cast.sam, NoticeKind.SLA_ESCALATION)
    breach = OPENED + timedelta(hours=2, seconds=1)
    sent = deliver(lambda: sla_sweep(now=breach))
    assert_exactly(sent, {cast.lee})
    assert sent[0].extra_headers["In-Reply-To"] == thread_id(cast.case.number)
    assert deliver(lambda: sla_sweep(now=breach + timedelta(minutes=1))) == []
    assert deliver(notice_sweep) == []


def test_an_sla_warning_on_an_unassigned_case_mails_the_desk_group_less_who_muted_it(cast, deliver):
    """SPEC §6: an unassigned case's staff notices go to the vendor's desk group, the warning too
    (tickets.notices.desk_recipients, the one rule), not to the desk address beside it."""
    cast.other.delete()
    mute(cast.sam, NoticeKind.SLA_WARNING)
    warn = OPENED + timedelta(minutes=95)
    sent = deliver(lambda: sla_sweep(now=warn))
    assert_exactly(sent, {cast.kim})
    assert in_russian(sent[0]) and cast.case.number in sent[0].subject
    assert deliver(lambda: sla_sweep(now=warn + timedelta(minutes=1))) == []
    assert deliver(notice_sweep) == []


def test_an_sla_warning_with_no_desk_group_mails_the_desk_address(cast, deliver):
    cast.other.delete()
    cast.vendor.desk_group = None
    cast.vendor.save()
    sent = deliver(lambda: sla_sweep(now=OPENED + timedelta(minutes=95)))
    assert_exactly(sent, set(), desk=True)


# ---------------------------------------------------------------------------- contract holders


@pytest.fixture
def acme_holds(cast, organization, coordinator):
    """Acme holds a contract for ViPNet Coordinator version 4; Globex holds nothing."""
    four = coordinator.major_versions.get(number=4)
    contract_create(
        organization=organization,
        product=coordinator,
        major_version=four,
        plan=Plan.BASIC,
        start=date(2025, 1, 1),
        end=date(2027, 12, 31),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("10000.00"),
    )
    return four


def test_a_lifecycle_milestone_mails_every_active_member_of_the_holders_once_muted_or_not(
    cast, acme_holds, deliver, coordinator
):
    mute(cast.mo, NoticeKind.LIFECYCLE_MILESTONE)  # mandatory: muting it changes nothing
    acme_holds.eos = date(2027, 5, 1)  # six months and a week from today: due now
    major_version_save(version=acme_holds)
    today = date(2026, 11, 24)
    with time_machine.travel(datetime(2026, 11, 24, 6, tzinfo=UTC), tick=False):
        sent = deliver(lambda: milestone_notices_queue(today=today))
        assert_exactly(sent, {cast.alice, cast.fay, cast.bob, cast.mo})
        assert in_russian(by_address(sent)[cast.fay.email])
        assert not in_russian(by_address(sent)[cast.alice.email])
        assert_no_second_email(deliver, lambda: milestone_notices_queue(today=today))


def test_a_policy_change_mails_every_active_member_of_the_vendors_customers_once(
    cast, acme_holds, deliver, vendors, agent
):
    mute(cast.mo, NoticeKind.POLICY_CHANGE)  # mandatory
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    draft = _draft(vendors["infotecs"], key="2027", effective_from=now + timedelta(days=8))
    with time_machine.travel(now, tick=False):
        assert (
            deliver(lambda: policy_version_publish(version=draft, published_at=now, acknowledged_by=agent))
            == []
        )
    with time_machine.travel(now + timedelta(days=1), tick=False):
        sent = deliver(notice_sweep)
        assert_exactly(sent, {cast.alice, cast.fay, cast.bob, cast.mo})
        assert in_russian(by_address(sent)[cast.fay.email])
        assert_no_second_email(deliver, policy_change_notices_sweep)
