"""Staff see every message and its outcome, download the original, and empty the quarantine:
open a message as a case for an organization, add its sender to one and open it, or discard it.
A case's page lists its emails."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from mailroom.models import ImapCursor, InboundMessage, Outcome
from portal.models import Membership, Profile
from tests.mailroom.conftest import NOW, corpus
from tickets.models import Ticket, TicketChannel

pytestmark = pytest.mark.django_db

MESSAGES = reverse("admin:mailroom_inboundmessage_changelist")
QUARANTINE = reverse("admin:mailroom_quarantinedmessage_changelist")


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def stranger(deliver):
    return deliver(corpus("unknown_sender.eml"))


def test_the_messages_list_filters_by_outcome_and_vendor_and_searches(
    staff_client, customer, stranger, deliver
):
    opened = deliver(corpus("new_gmail_plain.eml"))
    assert staff_client.get(MESSAGES).status_code == HTTPStatus.OK
    by_outcome = staff_client.get(MESSAGES, {"outcome__exact": Outcome.OPENED})
    assert list(by_outcome.context["cl"].result_list) == [opened]
    by_vendor = staff_client.get(MESSAGES, {"vendor__id__exact": stranger.vendor_id})
    assert by_vendor.context["cl"].result_count == 2
    search = staff_client.get(MESSAGES, {"q": "someone@unknown.example"})
    assert list(search.context["cl"].result_list) == [stranger]
    change = staff_client.get(reverse("admin:mailroom_inboundmessage_change", args=[opened.pk]))
    assert change.status_code == HTTPStatus.OK and opened.ticket.number in change.text
    # Messages come in by mail and are kept: no add, no delete.
    assert staff_client.get(reverse("admin:mailroom_inboundmessage_add")).status_code == HTTPStatus.FORBIDDEN


def test_staff_download_the_original_and_nobody_else(staff_client, client, customer, stranger):
    url = reverse("admin:mailroom_inboundmessage_raw", args=[stranger.pk])
    response = staff_client.get(url)
    assert response.status_code == HTTPStatus.OK and response["Content-Type"] == "message/rfc822"
    assert b"".join(response.streaming_content) == corpus("unknown_sender.eml")
    client.logout()
    client.force_login(customer)
    assert client.get(url).status_code == HTTPStatus.FOUND  # to the admin sign-in


def test_the_quarantine_lists_only_what_waits_for_staff(staff_client, customer, stranger, deliver):
    deliver(corpus("new_gmail_plain.eml"))
    response = staff_client.get(QUARANTINE)
    assert list(response.context["cl"].result_list) == [InboundMessage.objects.get(pk=stranger.pk)]


def act(staff_client, action: str, message, **data):
    return staff_client.post(
        QUARANTINE, {"action": action, ACTION_CHECKBOX_NAME: [message.pk], "apply": "1", **data}, follow=True
    )


def test_open_as_a_case_for_an_organization(
    staff_client, agent, customer, stranger, django_capture_on_commit_callbacks
):
    form = staff_client.post(QUARANTINE, {"action": "open_for", ACTION_CHECKBOX_NAME: [stranger.pk]})
    assert form.status_code == HTTPStatus.OK and "Pricing for 200 seats?" in form.text
    organization = customer.membership.organization
    with django_capture_on_commit_callbacks(execute=True):
        act(staff_client, "open_for", stranger, organization=organization.pk, requester=customer.pk)
    stranger.refresh_from_db()
    case = stranger.ticket
    assert (stranger.outcome, stranger.handled_by, case.requester) == (Outcome.OPENED, agent, customer)
    assert case.channel == TicketChannel.EMAIL and case.opened_at == NOW
    assert case.subject == "Pricing for 200 seats?" and "who can I talk to?" in case.body
    # The stranger was never answered; the requester hears of the case.
    assert "someone@unknown.example" not in [m.to[0] for m in mail.outbox]
    assert customer.email in [m.to[0] for m in mail.outbox]


def test_the_requester_must_belong_to_the_organization(staff_client, outsider, customer, stranger):
    response = act(
        staff_client,
        "open_for",
        stranger,
        organization=customer.membership.organization.pk,
        requester=outsider.pk,
    )
    assert "charlie is not a member of Acme Analytics." in response.text
    stranger.refresh_from_db()
    assert stranger.outcome == Outcome.QUARANTINED and Ticket.objects.count() == 0


def test_add_the_sender_to_an_organization_and_open(
    staff_client, organization, stranger, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        act(staff_client, "add_sender_and_open", stranger, organization=organization.pk)
    stranger.refresh_from_db()
    member = Membership.objects.get(user__email="someone@unknown.example")
    assert member.organization == organization and member.user.get_full_name() == "Someone New"
    assert stranger.outcome == Outcome.OPENED and stranger.ticket.requester == member.user
    # Now a member, the sender gets the acknowledgement, in their own thread.
    [ack] = [m for m in mail.outbox if m.to == ["someone@unknown.example"]]
    assert ack.message()["In-Reply-To"] == "<unknown-1@unknown.example>"


def test_discard(staff_client, agent, stranger):
    act(staff_client, "discard", stranger)
    stranger.refresh_from_db()
    assert (stranger.outcome, stranger.handled_by) == (Outcome.DISCARDED, agent)
    assert "Discarded by agent." in stranger.reason
    # Acting again on a message no longer waiting does nothing.
    response = act(staff_client, "discard", stranger)
    assert Ticket.objects.count() == 0 and response.status_code == HTTPStatus.OK


def test_the_case_page_lists_its_emails(staff_client, customer, deliver):
    message = deliver(corpus("new_gmail_plain.eml"))
    page = staff_client.get(reverse("admin:tickets_ticket_change", args=[message.ticket_id]))
    assert page.status_code == HTTPStatus.OK
    assert "emails about this case" in page.text.lower() or "Emails about this case" in page.text
    assert reverse("admin:mailroom_inboundmessage_raw", args=[message.pk]) in page.text
    assert re.search(r'field-channel.*?<div class="readonly">Email</div>', page.text, re.S)  # its channel


def test_the_imap_mailboxes_show_how_far_each_folder_is_read(staff_client, vendors):
    from mailroom.models import ImapCursor

    ImapCursor.objects.create(
        mailbox="desk@imap.example.test:993/INBOX",
        vendor=vendors["secpod"],
        uidvalidity=1700000000,
        last_uid=42,
    )
    url = reverse("admin:mailroom_imapcursor_changelist")
    html = staff_client.get(url).content.decode()
    assert "desk@imap.example.test:993/INBOX" in html and "1700000000" in html and "42" in html
    assert staff_client.get(url, {"q": "imap.example"}).status_code == HTTPStatus.OK
    assert staff_client.get(reverse("admin:mailroom_imapcursor_add")).status_code == HTTPStatus.FORBIDDEN


# ------------------------------------------------------------------ names (issue 22)


@pytest.mark.parametrize("model", [InboundMessage, ImapCursor], ids=lambda m: m.__name__)
def test_every_field_and_the_model_are_named_for_translation(model):
    """The admin shows a field's verbose_name; one derived from the attribute ("from address") is
    English in every language, so each field names itself through gettext."""
    unnamed = [
        f.name for f in model._meta.get_fields() if f.concrete and not f.auto_created and not f._verbose_name
    ]
    assert unnamed == []
    assert (
        "verbose_name" in model._meta.original_attrs and "verbose_name_plural" in model._meta.original_attrs
    )


def test_the_message_page_names_its_fields_in_russian(staff_client, agent, customer, deliver):
    Profile.objects.update_or_create(user=agent, defaults={"language": "ru"})
    opened = deliver(corpus("new_gmail_plain.eml"))
    page = staff_client.get(reverse("admin:mailroom_inboundmessage_change", args=[opened.pk]))
    assert page.status_code == HTTPStatus.OK
    for label in ("Адрес отправителя", "Получено", "Исход", "Способ доставки"):
        assert label in page.text
    changelist = staff_client.get(MESSAGES)
    assert "Входящие письма" in changelist.text
