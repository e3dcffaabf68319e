"""Case emails come from the vendor's support address, with a per-case reply address whose token
nobody can guess, `Auto-Submitted: auto-generated` and a line saying a reply adds to the case;
the threading headers stay (SPEC §7)."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils.crypto import salted_hmac

from policies.models import Vendor
from portal.outbox import thread_id
from tickets.reply_address import REPLY_TOKEN_SALT, reply_address, reply_token, reply_token_ticket
from tickets.services import reply_add, ticket_open

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
TOKEN = re.compile(r"^alectrona\+(alc-\d{6}\.[0-9a-f]{24})@support\.portal\.test$")


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def open_case(send, customer, vendor, subject="Export fails"):
    return send(
        ticket_open,
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendor,
        priority="high",
        subject=subject,
        body="It fails",
        at=datetime(2026, 11, 23, 10, 0, tzinfo=NY),
    )


def to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_the_acknowledgement_comes_from_the_vendor_with_the_cases_reply_address(send, customer, vendors):
    case = open_case(send, customer, vendors["alectrona"])
    [message] = to(customer.email)
    mime = message.message()
    assert mime["From"] == "Alectrona Support <alectrona@support.portal.test>"
    name, address = parseaddr(mime["Reply-To"])
    assert name == "Alectrona Support"
    token = TOKEN.match(address)[1]
    assert token == reply_token(case) and reply_token_ticket(token) == case
    assert mime["Auto-Submitted"] == "auto-generated"
    # The threading headers stay: every email about the case refers to its thread root.
    assert mime["In-Reply-To"] == mime["References"] == thread_id(case.number)
    line = f"Reply to this email to add to case {case.number}"
    assert line in message.body
    assert line in message.alternatives[0].content


def test_each_case_has_its_own_token_and_a_forged_one_matches_nothing(send, customer, vendors):
    first = open_case(send, customer, vendors["alectrona"])
    second = open_case(send, customer, vendors["alectrona"], subject="Import fails")
    assert reply_token(first) != reply_token(second)
    number, mac = reply_token(first).split(".")
    other_mac = reply_token(second).split(".")[1]
    assert reply_token_ticket(f"{number}.{other_mac}") is None  # another case's proof
    assert reply_token_ticket(f"{number}.{'0' * 24}") is None
    assert reply_token_ticket(f"{number}.{mac[:-1]}") is None
    assert reply_token_ticket(number) is None
    assert reply_token_ticket(f"{number.upper()}.{mac.upper()}") == first  # an MTA that upper-cases


def test_a_token_made_with_a_retired_secret_still_matches_while_it_is_a_fallback(
    send, customer, vendors, settings
):
    case = open_case(send, customer, vendors["alectrona"])
    token = reply_token(case)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789"
    assert reply_token(case) != token
    assert reply_token_ticket(token) == case
    settings.SECRET_KEY_FALLBACKS = []
    assert reply_token_ticket(token) is None


def test_the_token_is_a_keyed_hash_not_a_function_of_the_number_alone(send, customer, vendors):
    case = open_case(send, customer, vendors["alectrona"])
    unkeyed = salted_hmac(
        REPLY_TOKEN_SALT, f"{case.pk}:{case.number}", secret="guess", algorithm="sha256"
    ).hexdigest()[:24]
    assert reply_token(case).split(".")[1] != unkeyed


def test_the_desk_hears_of_the_case_from_the_vendor_address_and_can_answer_by_reply(send, customer, vendors):
    case = open_case(send, customer, vendors["alectrona"])
    [message] = to(settings.SUPPORT_DESK_EMAIL)
    mime = message.message()
    assert mime["From"] == "Alectrona Support <alectrona@support.portal.test>"
    assert parseaddr(mime["Reply-To"])[1] == reply_address(case)
    assert mime["Auto-Submitted"] == "auto-generated"
    assert "Reply to this email to answer the customer" in message.body
    assert "Reply to this email to answer the customer" in message.alternatives[0].content


def test_a_staff_reply_notice_carries_the_same_reply_address(send, customer, agent, vendors):
    case = open_case(send, customer, vendors["alectrona"])
    mail.outbox.clear()
    send(reply_add, ticket=case, author=agent, body="Try 4.3")
    [message] = to(customer.email)
    assert parseaddr(message.message()["Reply-To"])[1] == reply_address(case)


def test_a_vendor_without_a_support_address_mails_from_the_default_with_no_reply_address(
    send, customer, vendors
):
    Vendor.objects.filter(slug="secpod").update(support_email="")
    case = open_case(send, customer, Vendor.objects.get(slug="secpod"))
    [message] = to(customer.email)
    mime = message.message()
    assert mime["From"] == settings.DEFAULT_FROM_EMAIL
    assert mime["Reply-To"] is None
    assert mime["Auto-Submitted"] == "auto-generated"
    assert "Reply to this email" not in message.body
    assert reply_address(case) == ""
