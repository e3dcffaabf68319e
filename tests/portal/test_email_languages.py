"""Each email in its recipient's language (issue 22 point 1): the profile's, else the
organization's, else LANGUAGE_CODE; its dates in that language and the recipient's zone. The
language is applied in one place, portal.outbox.render_email (translation.override): without it
every email here is written in the active language, English, and these tests fail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from lifecycle.models import Deployment, Plan, Product
from lifecycle.notices import milestone_notices_queue
from lifecycle.services import contract_create, major_version_create
from portal.models import Profile
from tickets.models import Follower
from tickets.services import reply_add, ticket_open

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # a Monday, inside Alectrona's support hours


pytestmark = [
    pytest.mark.django_db,
]


def holds_vipnet_4(customer, vendors):
    """The customer's organization holds a Standard contract for ViPNet Coordinator 4, whose end of
    sales (EOS) is 1 May 2027: a milestone for the lifecycle notices."""
    product = Product.objects.create(vendor=vendors["infotecs"], name="ViPNet Coordinator")
    four = major_version_create(product=product, number=4, ga=date(2023, 9, 1), eos=date(2027, 5, 1))
    return contract_create(
        organization=customer.membership.organization,
        product=product,
        plan=Plan.STANDARD,
        start=date(2026, 1, 1),
        end=date(2027, 12, 31),
        deployment=Deployment.HOSTED,
        license_price=Decimal("0"),
        major_version=four,
    )


def _speaks(user, language: str = "", zone: str = "") -> None:
    Profile.objects.update_or_create(user=user, defaults={"language": language, "timezone": zone})
    user.refresh_from_db()  # the profile as the notices read it


def _open(customer, vendors, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return ticket_open(
            organization=customer.membership.organization,
            requester=customer,
            vendor=vendors["alectrona"],
            priority="high",
            subject="Export fails",
            body="The export fails.",
            at=NOW,
            **fields,
        )


def _to(address: str):
    return [message for message in mail.outbox if message.to == [address]]


def _html(message) -> str:
    return message.alternatives[0][0]


def test_a_russian_profile_gets_the_acknowledgement_in_russian(
    customer, vendors, django_capture_on_commit_callbacks
):
    _speaks(customer, "ru", "Europe/Moscow")
    ticket = _open(customer, vendors, django_capture_on_commit_callbacks)
    [email] = _to(customer.email)
    assert email.subject == f"[{ticket.number}] Мы получили ваше обращение: Export fails"
    assert "Здравствуйте," in email.body and f"Мы получили ваше обращение {ticket.number}" in email.body
    assert "Следить за обращением или дополнить его" in email.body
    assert "We received" not in email.body and "Hello" not in email.body
    # Dates in Russian words and the recipient's zone: "Пн, 23 ноября 2026, 21:00 MSK".
    assert "ноября 2026" in email.body and "MSK" in email.body
    html = _html(email)
    assert '<html lang="ru">' in html and "Мы получили ваше обращение" in html


def test_an_organization_s_language_when_the_person_chose_none(
    customer, organization, vendors, django_capture_on_commit_callbacks
):
    organization.language = "ru"
    organization.save(update_fields=["language"])
    customer.refresh_from_db()
    ticket = _open(customer, vendors, django_capture_on_commit_callbacks)
    [email] = _to(customer.email)
    assert email.subject == f"[{ticket.number}] Мы получили ваше обращение: Export fails"
    assert "Служба поддержки" in email.body


def test_the_person_s_choice_before_the_organization_s(
    customer, organization, vendors, django_capture_on_commit_callbacks
):
    organization.language = "ru"
    organization.save(update_fields=["language"])
    _speaks(customer, "en")
    _open(customer, vendors, django_capture_on_commit_callbacks)
    [email] = _to(customer.email)
    assert "We received your case" in email.subject and "Мы" not in email.body


def test_one_event_each_recipient_in_their_own_language(
    customer, colleague, agent, vendors, django_capture_on_commit_callbacks
):
    """A new case: the Russian customer's acknowledgement is Russian, the desk's new-case notice
    (the desk address: the default) English. A reply from the desk: the Russian requester reads
    it in Russian, the colleague following the case in English."""
    _speaks(customer, "ru")
    ticket = _open(customer, vendors, django_capture_on_commit_callbacks)
    [acknowledgement] = _to(customer.email)
    [desk] = _to(settings.SUPPORT_DESK_EMAIL)
    assert "Мы получили ваше обращение" in acknowledgement.subject
    assert desk.subject.startswith(f"[{ticket.number}] New case from ")
    assert "nobody is assigned yet" in desk.body and "Обращение" not in desk.body
    Follower.objects.create(ticket=ticket, user=colleague, created_at=NOW)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply_add(ticket=ticket, author=agent, body="Which version?", at=NOW + timedelta(minutes=5))
    [russian] = _to(customer.email)
    [english] = _to(colleague.email)
    assert "Dana Desk из службы поддержки ответил(а) в вашем обращении" in russian.body
    assert "Чтобы дополнить обращение" in russian.body or "Служба поддержки" in russian.body
    assert f"Dana Desk of the support desk replied to your case {ticket.number}" in english.body
    assert "Служба" not in english.body


def test_the_desk_default_for_whoever_chose_nothing(customer, vendors, django_capture_on_commit_callbacks):
    _open(customer, vendors, django_capture_on_commit_callbacks)
    [email] = _to(customer.email)
    assert "We received your case" in email.subject and "Hello alice" in email.body.replace(",", "")


def test_the_password_reset_email_in_the_person_s_language(client, customer):
    _speaks(customer, "ru")
    client.post(reverse("password_reset"), {"email": customer.email}, HTTP_ACCEPT_LANGUAGE="en")
    [email] = mail.outbox
    assert email.subject == "Сброс пароля на портале поддержки"
    assert "Здравствуйте" in email.body and "Hello" not in email.body


def test_a_lifecycle_milestone_names_the_milestone_in_russian(
    customer, vendors, django_capture_on_commit_callbacks
):
    """The milestone's name and meaning are the template's words, in the recipient's language,
    not English text computed before rendering."""
    holds_vipnet_4(customer, vendors)
    _speaks(customer, "ru")
    with django_capture_on_commit_callbacks(execute=True):
        assert milestone_notices_queue(today=date(2026, 11, 24)) == 1
    [email] = _to(customer.email)
    assert email.subject == "ViPNet Coordinator 4: окончание продаж (EOS) — 1 мая 2027"
    assert "После этой даты версия больше не продаётся" in email.body
    assert "end of sales" not in email.body


def test_a_policy_change_to_a_russian_and_an_english_customer(vendors, agent, customer, colleague):
    """One publication, two languages: each recipient's email, and the reductions it lists, are
    written in that recipient's language."""
    from policies.models import PolicyChannel
    from policies.services import policy_version_publish
    from portal.outbox import notice_sweep
    from tests.policies.test_services import _draft

    product = Product.objects.create(vendor=vendors["alectrona"], name="Alectrona Cloud")
    contract_create(
        organization=customer.membership.organization,
        product=product,
        plan=Plan.STANDARD,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        deployment=Deployment.HOSTED,
        license_price=Decimal("0"),
    )
    _speaks(customer, "ru")
    published = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    draft = _draft(vendors["alectrona"], key="2027", effective_from=published + timedelta(days=10))
    PolicyChannel.objects.filter(version=draft, channel="chat").delete()
    policy_version_publish(version=draft, published_at=published, acknowledged_by=agent)
    with time_machine.travel(published + timedelta(days=3), tick=False):
        assert notice_sweep().sent == 2
    [russian] = _to(customer.email)
    [english] = _to(colleague.email)
    assert russian.subject.startswith("Политика поддержки Alectrona меняется с ")
    assert "Что меняется не в вашу пользу:" in russian.body
    assert english.subject.startswith("Alectrona support policy changes on ")
    assert "The Chat channel is removed." in english.body


def test_a_staff_notice_in_the_agent_s_language(customer, agent, vendors, django_capture_on_commit_callbacks):
    """The desk's notices follow the same rule: an agent who chose Russian reads a customer's reply
    in Russian; the English customer's own emails stay English."""
    _speaks(agent, "ru", "Europe/Moscow")
    ticket = _open(customer, vendors, django_capture_on_commit_callbacks)
    ticket.assignee = agent
    ticket.save(update_fields=["assignee"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply_add(ticket=ticket, author=customer, body="Version 7.2.", at=NOW + timedelta(minutes=5))
    [desk] = _to(agent.email)
    assert desk.subject == f"Re: [{ticket.number}] Ответ клиента: Export fails"
    assert f"ответил(а) в обращении {ticket.number}" in desk.body and "Текущий статус" in desk.body
    assert "Чтобы ответить клиенту, ответьте на это письмо" in desk.body
