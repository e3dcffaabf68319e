"""One outcome per message of the corpus (SPEC §7), asserted on the stored rows and on the email
that went back, or did not."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail

from mailroom.models import InboundMessage, Outcome
from tests.mailroom.conftest import NOW, corpus
from tickets.models import Reply, Ticket, TicketChannel

pytestmark = pytest.mark.django_db

CORPUS_OUTCOMES = [
    ("new_gmail_plain.eml", "alectrona", Outcome.OPENED),
    ("new_outlook_html_only.eml", "alectrona", Outcome.OPENED),
    ("new_utf8_base64.eml", "alectrona", Outcome.OPENED),
    ("new_windows1251.eml", "secpod", Outcome.OPENED),
    ("new_koi8r.eml", "albert", Outcome.OPENED),
    ("new_latin1.eml", "alectrona", Outcome.OPENED),
    ("new_attachments.eml", "alectrona", Outcome.OPENED),
    ("new_forwarded.eml", "alectrona", Outcome.OPENED),
    ("new_no_message_id.eml", "alectrona", Outcome.OPENED),
    ("new_garbage_date.eml", "alectrona", Outcome.OPENED),
    ("new_inline_image.eml", "alectrona", Outcome.OPENED),
    ("infotecs_no_product.eml", "infotecs", Outcome.REFUSED),
    ("reply_outlook.eml", "alectrona", Outcome.REPLIED),
    ("reply_gmail.eml", "alectrona", Outcome.REPLIED),
    ("reply_apple.eml", "alectrona", Outcome.REPLIED),
    ("reply_thunderbird.eml", "alectrona", Outcome.REPLIED),
    ("reply_staff.eml", "alectrona", Outcome.REPLIED),
    ("reply_outsider.eml", "alectrona", Outcome.QUARANTINED),
    ("reply_no_references.eml", "alectrona", Outcome.REFUSED),
    ("reply_forged_token.eml", "alectrona", Outcome.QUARANTINED),
    ("auto_reply_outlook.eml", "alectrona", Outcome.IGNORED),
    ("auto_vacation_precedence.eml", "alectrona", Outcome.IGNORED),
    ("bounce_dsn.eml", "alectrona", Outcome.IGNORED),
    ("list_mail.eml", "alectrona", Outcome.IGNORED),
    ("our_own_notice.eml", "alectrona", Outcome.IGNORED),
    ("unknown_sender.eml", "alectrona", Outcome.QUARANTINED),
    ("dmarc_fail.eml", "alectrona", Outcome.QUARANTINED),
    ("garbage.eml", "alectrona", Outcome.QUARANTINED),
]


@pytest.fixture
def people(customer, agent, outsider):
    return customer, agent, outsider


def test_the_table_covers_the_whole_corpus():
    from tests.mailroom.conftest import CORPUS

    assert sorted(name for name, _, _ in CORPUS_OUTCOMES) == sorted(p.name for p in CORPUS.glob("*.eml"))


@pytest.mark.parametrize(("name", "vendor", "outcome"), CORPUS_OUTCOMES)
def test_each_message_gets_its_one_outcome_and_is_stored_raw(name, vendor, outcome, people, answer, deliver):
    raw = answer(name)
    tickets_before, replies_before = Ticket.objects.count(), Reply.objects.count()
    message = deliver(raw, vendor=vendor)
    stored = InboundMessage.objects.get()
    assert stored.pk == message.pk and stored.outcome == outcome, stored.reason
    assert stored.reason
    with stored.raw.open("rb") as file:
        assert file.read() == raw
    assert stored.size == len(raw) and stored.received_at == NOW
    assert Ticket.objects.count() == tickets_before + (outcome == Outcome.OPENED)
    assert Reply.objects.count() == replies_before + (outcome == Outcome.REPLIED)
    if outcome == Outcome.OPENED:
        assert stored.ticket.channel == TicketChannel.EMAIL
    # Who hears back: a member whose case opened (the acknowledgement) or was refused, in the
    # portal's words; never the sender of a reply (the case's page has it), of automatic mail or
    # of a quarantined message.
    answered = [m for m in mail.outbox if m.to == [stored.from_address]]
    assert bool(answered) == (outcome in (Outcome.OPENED, Outcome.REFUSED)), [m.subject for m in answered]
    assert (stored.answered_at is not None) == bool(answered)
    if outcome in (Outcome.IGNORED, Outcome.QUARANTINED):
        assert [m for m in mail.outbox if m.to != [settings.SUPPORT_DESK_EMAIL]] == []


def test_every_message_is_stored_once_however_often_it_is_fetched(people, answer, deliver):
    for name, vendor, _ in CORPUS_OUTCOMES:
        deliver(answer(name), vendor=vendor)
    rows, tickets, replies, sent = (
        InboundMessage.objects.count(),
        Ticket.objects.count(),
        Reply.objects.count(),
        len(mail.outbox),
    )
    again = [deliver(answer(name), vendor=vendor) for name, vendor, _ in CORPUS_OUTCOMES]
    assert {m.outcome for m in again} == {Outcome.DUPLICATE}
    assert (
        InboundMessage.objects.count(),
        Ticket.objects.count(),
        Reply.objects.count(),
        len(mail.outbox),
    ) == (
        rows,
        tickets,
        replies,
        sent,
    )
    assert set(InboundMessage.objects.values_list("times_seen", flat=True)) == {2}


def test_a_message_without_message_id_is_keyed_by_the_hash_of_its_bytes(customer, deliver):
    raw = corpus("new_no_message_id.eml")
    message = deliver(raw)
    assert message.message_id.startswith("sha256:") and len(message.message_id) == 71
    assert deliver(raw).outcome == Outcome.DUPLICATE
    assert Ticket.objects.count() == 1
