"""The loop guard, the second line of defence behind the automatic-mail signals (mailroom.parsing):
an auto-responder that sends none of them, answering the desk's notice about a case, is added as a
reply; the desk notifies the other side, whose own signal-less responder answers, and so on. Past
MAIL_REPLIES_PER_HOUR replies from one address to one case in an hour, the next is quarantined for
staff and nothing is sent in answer, so the ping-pong stops."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes

import pytest
from django.core import mail

from mailroom.models import InboundMessage, Outcome
from tests.mailroom.conftest import NOW, case_placeholders
from tickets.models import Reply
from tickets.services import ticket_assign, ticket_open

pytestmark = pytest.mark.django_db

LIMIT = 10


@pytest.fixture(autouse=True)
def limit(settings):
    settings.MAIL_REPLIES_PER_HOUR = LIMIT


def responder(*, sender: str, to: str, in_reply_to: str, subject: str, n: int) -> bytes:
    """An auto-responder's answer with none of the automatic-mail signals: no Auto-Submitted,
    Precedence, list or X-Auto* header, an ordinary "Re:" subject."""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Re: {subject}\r\n"
        f"Date: Mon, 23 Nov 2026 16:00:00 +0000\r\nMessage-ID: <responder-{n}@example.test>\r\n"
        f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Thank you for your email. It has been received and will be dealt with as soon as possible.\r\n"
    ).encode()


def reply_to_case(case, n: int, sender: str = "Alice Smith <alice@example.test>") -> bytes:
    places = case_placeholders(case)
    return responder(
        sender=sender, to=places["REPLY_TO"], in_reply_to=places["IN_REPLY_TO"], subject=case.number, n=n
    )


def test_past_the_limit_a_reply_from_one_address_to_one_case_is_quarantined_unanswered(
    case, customer, deliver
):
    added = [deliver(reply_to_case(case, n), received_at=NOW + timedelta(minutes=n)) for n in range(LIMIT)]
    assert [m.outcome for m in added] == [Outcome.REPLIED] * LIMIT
    mail.outbox.clear()
    # The same address, however its sender writes it.
    raw = reply_to_case(case, LIMIT, sender="Alice Smith <Alice@Example.TEST>")
    held = deliver(raw, received_at=NOW + timedelta(minutes=LIMIT))
    assert (held.outcome, held.ticket, held.sender, held.reply) == (Outcome.QUARANTINED, case, customer, None)
    assert held.reason == (
        f"Not added: {LIMIT} replies from alice@example.test to {case.number} in the last hour "
        "(MAIL_REPLIES_PER_HOUR): a loop of automatic replies, or a person writing very often. "
        "Staff can add it as a reply to its case (Add as a reply to its case), or discard it."
    )
    assert (mail.outbox, held.answered_at, held.answers) == ([], None, 0)
    assert Reply.objects.filter(ticket=case, author=customer).count() == LIMIT


def test_the_limit_is_per_case_and_per_hour(case, customer, deliver, vendors):
    for n in range(LIMIT):
        deliver(reply_to_case(case, n), received_at=NOW + timedelta(minutes=n))
    other = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="medium",
        subject="Import fails",
        body="The import fails.",
        at=NOW - timedelta(minutes=30),
    )
    elsewhere = deliver(reply_to_case(other, 100), received_at=NOW + timedelta(minutes=LIMIT))
    assert (elsewhere.outcome, elsewhere.ticket) == (Outcome.REPLIED, other)
    # An hour after the last of the ten, the address is added to the case again.
    later = deliver(reply_to_case(case, 101), received_at=NOW + timedelta(minutes=LIMIT - 1, hours=1))
    assert (later.outcome, later.ticket) == (Outcome.REPLIED, case)


def test_a_new_case_is_not_limited(customer, deliver):
    for n in range(LIMIT + 1):
        raw = (
            f"From: Alice Smith <alice@example.test>\r\nTo: alectrona@support.portal.test\r\n"
            f"Subject: Problem {n}\r\nDate: Mon, 23 Nov 2026 16:00:00 +0000\r\n"
            f"Message-ID: <new-{n}@example.test>\r\nContent-Type: text/plain\r\n\r\nThe export fails.\r\n"
        ).encode()
        assert deliver(raw, received_at=NOW + timedelta(minutes=n)).outcome == Outcome.OPENED


def test_two_signal_less_responders_ping_pong_until_the_limit_stops_it(case, customer, agent, deliver):
    """The customer's responder answers every email of the desk about the case; the assignee's
    answers the desk's "the customer replied" notice, which adds a staff public reply emailed to the
    customer. Each email the desk sends is answered, until one side reaches the limit."""
    ticket_assign(ticket=case, assignee=agent, by=agent, at=NOW - timedelta(minutes=50))
    mail.outbox.clear()
    deliver(reply_to_case(case, 0), received_at=NOW)  # the customer's responder answers the acknowledgement
    sent = 0
    for n in range(1, 10 * LIMIT):
        if not mail.outbox:
            break
        email = mail.outbox.pop(0)
        sent += 1
        head = message_from_bytes(email.message().as_bytes())
        [recipient] = email.to
        assert recipient in (customer.email, agent.email)
        raw = responder(
            sender=recipient, to=head["Reply-To"], in_reply_to=head["Message-ID"], subject=case.number, n=n
        )
        deliver(raw, received_at=NOW + timedelta(seconds=n))
    assert mail.outbox == [], "the ping-pong never stopped"
    replies = Reply.objects.filter(ticket=case)
    # Both sides reached the limit, the customer's last answer was held, and nothing went out for it:
    # one email of the desk for each reply added, LIMIT "the customer replied" and LIMIT staff replies.
    assert (replies.filter(author=customer).count(), replies.filter(author=agent).count()) == (LIMIT, LIMIT)
    assert sent == 2 * LIMIT
    outcomes = list(InboundMessage.objects.order_by("received_at", "pk").values_list("outcome", flat=True))
    assert outcomes == [Outcome.REPLIED] * (2 * LIMIT) + [Outcome.QUARANTINED]
    last = InboundMessage.objects.order_by("-received_at", "-pk").first()
    assert (last.sender, "MAIL_REPLIES_PER_HOUR" in last.reason) == (customer, True)
