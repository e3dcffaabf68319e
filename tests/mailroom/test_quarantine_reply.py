"""A reply held in the quarantine (the loop guard's, a stranger's to a case) that staff judge fine is
added to its case from admin, as the email path would have added it, exactly once; a message that
knows no case, a case that takes no reply, or a sender who may not reply on it is refused with a
message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError

from mailroom.models import InboundMessage, Outcome
from mailroom.services import message_add_to_case
from portal.models import Membership, Role
from tests.mailroom.conftest import NOW, corpus
from tests.mailroom.test_admin import act
from tests.mailroom.test_reply_loop import LIMIT, reply_to_case
from tickets.models import Reply, Status
from tickets.services import ticket_merge, ticket_open

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limit(settings):
    settings.MAIL_REPLIES_PER_HOUR = LIMIT


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def held(case, deliver) -> InboundMessage:
    """The 11th reply from one address to the case in an hour: quarantined by the loop guard."""
    for n in range(LIMIT):
        deliver(reply_to_case(case, n), received_at=NOW + timedelta(minutes=n))
    message = deliver(reply_to_case(case, LIMIT), received_at=NOW + timedelta(minutes=LIMIT))
    assert (message.outcome, message.ticket) == (Outcome.QUARANTINED, case)
    mail.outbox.clear()
    return message


def test_a_held_reply_is_added_to_its_case_once(
    staff_client, agent, customer, case, held, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = act(staff_client, "add_to_case", held)
    assert f"added as a reply to {case.number}" in response.text
    held.refresh_from_db()
    replies = Reply.objects.filter(ticket=case, author=customer).order_by("created_at", "pk")
    assert replies.count() == LIMIT + 1
    reply = replies.last()
    assert (held.outcome, held.reply, held.ticket, held.sender) == (Outcome.REPLIED, reply, case, customer)
    assert held.handled_by == agent and held.handled_at is not None
    assert f"Added by agent as a reply to {case.number}." in held.reason
    # The same body the email path builds: the reply's text, cut from any quoted history.
    assert (
        reply.body
        == "Thank you for your email. It has been received and will be dealt with as soon as possible."
    )
    # Nothing is sent back to the sender (the desk is told of the reply, as of any other).
    assert customer.email not in [m.to[0] for m in mail.outbox]

    # Run again on the same message (a second click, a second staff member's page still listing it,
    # whose service call holds the row as it was read then): nothing changes.
    again = act(staff_client, "add_to_case", held)
    assert again.status_code == 200
    stale = InboundMessage.objects.get(pk=held.pk)
    stale.outcome = Outcome.QUARANTINED
    with pytest.raises(ValidationError, match=r"no longer in the quarantine \(added a reply\)"):
        message_add_to_case(message=stale, by=agent)
    assert Reply.objects.filter(ticket=case, author=customer).count() == LIMIT + 1
    held.refresh_from_db()
    assert held.reason.count("Added by agent") == 1


def test_a_message_that_knows_no_case_is_refused_with_a_message(staff_client, customer, deliver):
    stranger = deliver(corpus("unknown_sender.eml"))
    assert (stranger.outcome, stranger.ticket) == (Outcome.QUARANTINED, None)
    response = act(staff_client, "add_to_case", stranger)
    assert response.status_code == 200
    assert "It replies to no case: open it as a case, or discard it." in response.text
    stranger.refresh_from_db()
    assert (stranger.outcome, stranger.handled_by, Reply.objects.count()) == (Outcome.QUARANTINED, None, 0)


def test_a_merged_duplicates_held_reply_is_refused_with_a_message(
    staff_client, agent, customer, case, held, vendors
):
    kept = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails again",
        body="The export still fails.",
        at=NOW - timedelta(hours=2),
    )
    ticket_merge(duplicate=case, into=kept, by=agent, at=NOW + timedelta(minutes=LIMIT + 1))
    before = Reply.objects.count()
    response = act(staff_client, "add_to_case", held)
    assert response.status_code == 200
    assert f"This case was merged into {kept.number}" in response.text
    held.refresh_from_db()
    case.refresh_from_db()
    assert (held.outcome, held.handled_by, case.status) == (Outcome.QUARANTINED, None, Status.CLOSED)
    assert Reply.objects.count() == before


def test_a_stranger_to_the_case_is_refused_with_a_message(staff_client, case, outsider, deliver):
    """The rule of the email path: only someone who may see the case replies on it."""
    raw = reply_to_case(case, 500, sender=f"Charlie <{outsider.email}>")
    stranger = deliver(raw, received_at=NOW)
    assert (stranger.outcome, stranger.ticket) == (Outcome.QUARANTINED, case)
    response = act(staff_client, "add_to_case", stranger)
    assert f"{outsider.email} may not reply on {case.number}" in response.text
    stranger.refresh_from_db()
    assert stranger.outcome == Outcome.QUARANTINED
    assert not Reply.objects.filter(ticket=case, author=outsider).exists()


def test_a_strangers_reply_is_added_once_staff_made_them_a_member(staff_client, customer, case, deliver):
    """Who may reply is decided when staff act, by the email path's rules: the sender found by address."""
    raw = reply_to_case(case, 600, sender="New Colleague <new@example.test>")
    held = deliver(raw, received_at=NOW)
    assert (held.outcome, held.ticket, held.sender) == (Outcome.QUARANTINED, case, None)
    assert "not the address of anyone in the portal" in act(staff_client, "add_to_case", held).text
    colleague = get_user_model().objects.create_user(username="new", email="new@example.test")
    Membership.objects.create(user=colleague, organization=case.organization, role=Role.MEMBER)
    act(staff_client, "add_to_case", held)
    held.refresh_from_db()
    assert (held.outcome, held.sender, held.reply.author, held.reply.ticket) == (
        Outcome.REPLIED,
        colleague,
        colleague,
        case,
    )
