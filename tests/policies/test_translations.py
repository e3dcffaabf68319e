"""Issue 22: policy texts in the reader's language where the vendor publishes a translation, and
the original with a notice where it publishes one language only."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from policies.services import policy_catalog_load_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk_language_after():
    """A request in Russian leaves Russian active in this thread (the middleware activates the
    reader's language and nothing resets it): the next test starts in the desk's language."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


TRANSLATED = Path(__file__).resolve().parent / "catalog" / "translated.toml"
ONE_LANGUAGE_NOTICE = "Поставщик публикует условия только на английском; показан оригинал."


@pytest.fixture
def bilingua():
    return policy_catalog_load_file(path=TRANSLATED)


def test_the_catalog_loads_the_vendors_translations_per_version(bilingua):
    assert bilingua.language == "en"
    ru = bilingua.translations["ru"]
    assert ru["name"] == "Условия поддержки"
    assert ru["priorities"]["critical"]["definition"] == "Сервис недоступен для всех пользователей."
    assert "minor" not in ru["priorities"]  # not translated: the original is shown
    assert ru["exclusions"]["third-party"] == {"text": "Программное обеспечение третьих лиц."}


def test_a_russian_reader_of_an_english_only_policy_is_told_and_reads_the_original(client):
    page = client.get(reverse("policies:vendor", args=["albert"]), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert ONE_LANGUAGE_NOTICE in page
    assert "Incident with critical impact on the business" in page  # the original, untouched
    assert 'lang="en"' in page


def test_an_english_reader_gets_no_notice(client):
    page = client.get(reverse("policies:vendor", args=["albert"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="policy-language"' not in page


def test_a_translated_version_shows_its_translation(client, bilingua):
    url = reverse("policies:vendor", args=["bilingua"])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Условия поддержки" in page
    assert "Сервис недоступен для всех пользователей." in page
    assert "Никто не может войти в систему" in page
    assert "Работа сервиса восстановлена" in page
    assert "Программное обеспечение третьих лиц." in page
    assert "A cosmetic fault." in page  # the one text the vendor did not translate
    assert "The service is down for every user." not in page
    assert ONE_LANGUAGE_NOTICE not in page
    assert "Ниже — перевод условий, опубликованный поставщиком." in page
    assert 'lang="ru"' in page

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The service is down for every user." in english
    assert "Сервис недоступен" not in english


def test_the_preamble_is_shown_in_the_readers_language(bilingua):
    with translation.override("ru"):
        assert bilingua.shown_exclusions_preamble == "Bilingua не оказывает поддержку в отношении:"
    with translation.override("en"):
        assert bilingua.shown_exclusions_preamble == "Bilingua does not support:"


def test_the_open_case_form_shows_the_priorities_as_the_policy_page_does(client, customer, bilingua):
    """The case form's priority levels are policy texts too: the vendor's translation where it
    publishes one, else the original, marked with its language and the same notice."""
    client.force_login(customer)
    url = reverse("tickets:open_panel")
    albert = client.get(url, {"vendor": "albert"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert ONE_LANGUAGE_NOTICE in albert
    assert '<div class="definition small" lang="en"' in albert
    assert "Incident with critical impact on the business" in albert
    translated = client.get(url, {"vendor": "bilingua"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Сервис недоступен для всех пользователей." in translated
    assert "The service is down for every user." not in translated
    assert "Ниже — перевод условий, опубликованный поставщиком." in translated
    assert ONE_LANGUAGE_NOTICE not in translated
    english = client.get(url, {"vendor": "albert"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="policy-language"' not in english
