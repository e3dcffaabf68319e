"""The reader's language (issue 22 point 1): the profile's, else the organization's, else the
browser's; the footer's switch, which a signed-in person's profile keeps; Russian plural forms and
dates."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from portal.models import Profile
from portal.views import code_wait

ROOT = Path(__file__).resolve().parents[2]


def test_the_browser_s_language_when_nobody_chose_one(client, db):
    russian = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="ru">' in russian
    assert "Портал поддержки" in russian and "Войти" in russian
    assert "Support portal" not in russian
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '<html lang="en">' in english and "Sign in" in english


def test_the_profile_s_language_comes_before_the_browser_s(client, customer):
    Profile.objects.create(user=customer, language="ru")
    client.force_login(customer)
    page = client.get(reverse("tickets:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Мои обращения" in page
    assert "My cases" not in page


def test_the_organization_s_language_when_the_person_chose_none(client, customer, organization):
    organization.language = "ru"
    organization.save()
    client.force_login(customer)
    assert "Ваш профиль" in client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    Profile.objects.update_or_create(user=customer, defaults={"language": "en"})
    assert "Your profile" in client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()


def test_the_footer_switch_saves_a_signed_in_person_s_choice(client, customer):
    client.force_login(customer)
    page = client.get(reverse("profile")).content.decode()
    assert 'action="/i18n/setlang/"' in page and 'name="language"' in page
    response = client.post(reverse("set_language"), {"language": "ru", "next": reverse("tickets:list")})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == reverse("tickets:list")
    assert Profile.objects.get(user=customer).language == "ru"
    # the profile wins over the browser from now on, on any device
    assert "Мои обращения" in client.get(reverse("tickets:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_footer_switch_for_a_visitor_sets_the_cookie_only(client, db):
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.cookies["django_language"].value == "ru"
    assert "Войти" in client.get(reverse("home")).content.decode()
    assert not Profile.objects.exists()


def test_the_switch_ignores_a_language_the_portal_does_not_offer(client, customer):
    client.force_login(customer)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert not Profile.objects.filter(user=customer).exclude(language="").exists()


def test_the_profile_page_chooses_the_language(client, customer):
    client.force_login(customer)
    page = client.get(reverse("profile")).content.decode()
    assert 'name="language"' in page and "Русский" in page
    response = client.post(
        reverse("profile"), {"email": customer.email, "timezone": "", "language": "ru", "first_name": "Alice"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Profile.objects.get(user=customer).language == "ru"
    assert "Профиль сохранён." in client.get(reverse("profile")).content.decode()


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 секунду"), (2, "2 секунды"), (5, "5 секунд"), (21, "21 секунду"), (12, "12 секунд")],
)
def test_russian_plural_forms_in_python(seconds, words):
    with translation.override("ru"):
        assert f"Подождите {words} " in code_wait(seconds)
    with translation.override("en"):
        assert ("second," if seconds == 1 else "seconds,") in code_wait(seconds)


@pytest.mark.parametrize(
    ("days", "words"), [(1, "1 день"), (3, "3 дня"), (5, "5 дней"), (30, "30 дней"), (22, "22 дня")]
)
def test_russian_plural_forms_in_templates(days, words):
    template = Template(
        "{% load i18n %}{% blocktranslate trimmed count days=days %}changes announced {{ days }} day ahead"
        "{% plural %}changes announced {{ days }} days ahead{% endblocktranslate %}"
    )
    with translation.override("ru"):
        assert template.render(Context({"days": days})) == f"об изменениях объявляют за {words}"


def test_dates_in_the_reader_s_language():
    when = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)
    template = Template('{{ when|date:_("D j M Y H:i T") }}')
    with translation.override("en"):
        assert template.render(Context({"when": when})) == "Wed 2 Dec 2026 14:05 UTC"
    with translation.override("ru"):
        assert template.render(Context({"when": when})) == "Ср, 2 декабря 2026, 14:05 UTC"
