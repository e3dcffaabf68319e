"""The words static/js shows (issue 22 point 1) come from Django's JavaScript catalog, served by the
portal as a script file (the CSP allows scripts from files only), in the reader's language."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

from django.urls import reverse

CATALOG = reverse("javascript-catalog")
DEADLINES = "The deadlines could not be updated. Press “%s” to try again."
DEADLINES_RU = "Не удалось обновить сроки. Нажмите «%s», чтобы попробовать ещё раз."


def catalog(response) -> dict[str, str]:
    """The translations the script hands to gettext() (its `newcatalog` object, JSON)."""
    found = re.search(r"const newcatalog = (\{.*?\});", response.content.decode(), flags=re.S)
    return json.loads(found.group(1)) if found else {}


def test_the_catalog_is_russian_for_a_russian_reader(client, db):
    response = client.get(CATALOG, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/javascript")
    words = catalog(response)
    assert words[DEADLINES] == DEADLINES_RU
    assert words["The preview could not be shown. Try again in a moment."].startswith("Не удалось показать")


def test_the_catalog_follows_the_persons_own_language(client, customer):
    from portal.models import Profile

    Profile.objects.update_or_create(user=customer, defaults={"language": "ru"})
    client.force_login(customer)
    assert catalog(client.get(CATALOG, HTTP_ACCEPT_LANGUAGE="en"))[DEADLINES] == DEADLINES_RU


def test_an_english_reader_gets_no_russian(client, db):
    assert catalog(client.get(CATALOG, HTTP_ACCEPT_LANGUAGE="en")) == {}


def test_the_case_form_loads_the_catalog_before_its_script(client, customer):
    client.force_login(customer)
    page = client.get(reverse("tickets:open")).content.decode()
    catalog = page.index(f'<script src="{CATALOG}" defer></script>')
    assert catalog < page.index("js/portal.js")
