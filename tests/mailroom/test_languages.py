"""The mailroom answers a known sender in their language (issue 22 point 1): their profile's,
else their organization's, else LANGUAGE_CODE; the portal's own refusal in the same words a
portal page of theirs would show, its figures grouped as that language groups them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailroom.models import Outcome
from portal.models import Profile
from tests.mailroom.conftest import corpus
from tests.mailroom.test_services import HeadOnly, to

ROOT = Path(__file__).resolve().parents[2]


pytestmark = [
    pytest.mark.django_db,
]


def _russian(user) -> None:
    Profile.objects.update_or_create(user=user, defaults={"language": "ru"})


def test_a_refusal_to_a_russian_member_is_in_russian(customer, deliver):
    _russian(customer)
    message = deliver(corpus("infotecs_no_product.eml"), vendor="infotecs")
    assert message.outcome == Outcome.REFUSED
    [answer] = to(customer)
    assert answer.subject.startswith("По письму не создано обращение: ")
    for text in (answer.body, answer.alternatives[0].content):
        assert "Здравствуйте" in text and "в поддержку Infotecs не удалось создать обращение" in text
        assert "Выберите продукт Infotecs, которого касается обращение." in text  # lifecycle's words
        assert "Создайте обращение на портале" in text
        assert "Choose" not in text and "Hello" not in text


def test_an_organization_in_russian_is_answered_in_russian(customer, organization, deliver):
    organization.language = "ru"
    organization.save(update_fields=["language"])
    deliver(corpus("infotecs_no_product.eml"), vendor="infotecs")
    [answer] = to(customer)
    assert answer.subject.startswith("По письму не создано обращение: ")


def test_the_same_refusal_to_an_english_member_stays_english(customer, deliver):
    deliver(corpus("infotecs_no_product.eml"), vendor="infotecs")
    [answer] = to(customer)
    assert answer.subject.startswith("Your email could not be opened as a case: ")
    assert "Choose the Infotecs product the case is about." in answer.body


def test_sizes_in_a_russian_refusal_are_grouped_the_russian_way(customer, deliver, settings):
    _russian(customer)
    settings.MAIL_MAX_BYTES = 10_000
    raw = corpus("new_gmail_plain.eml") + b"x" * 200_000
    message = deliver(HeadOnly(raw, limit=70_000), size=len(raw))
    [answer] = to(customer)
    assert "принимает письма размером не более 10\xa0000 (в байтах)" in answer.body
    assert "10,000" in message.reason  # the desk's own record stays in the desk's language


def test_a_reply_the_desk_cannot_confirm_is_refused_in_russian(case, customer, answer, deliver):
    _russian(customer)
    deliver(answer("reply_no_references.eml"))
    [email] = to(customer)
    assert email.subject.startswith(f"[{case.number}] Письмо не добавлено в обращение: ")
    assert "не является ответом ни на одно наше письмо" in email.body
    assert "Служба поддержки · Выбрать, какие письма получать" in email.body  # _base.txt's footer
