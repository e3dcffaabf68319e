"""Issue 22 point 1: the API schema's field descriptions (serializer help texts) follow the reader's
language, as the API's error messages do."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk_language_after():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _schema(client, language: str) -> str:
    response = client.get(reverse("api:schema"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "One of the vendor's priority codes."),
        ("ru", "Один из кодов приоритета поставщика."),
    ],
)
def test_the_schema_describes_fields_in_the_readers_language(client, customer, language, said):
    client.force_login(customer)
    text = _schema(client, language)
    assert said in text
    assert ("Staff: a priority code." in text) == (language == "en")
    assert ("Markdown до 20,000 символов" in text) == (language == "ru")
