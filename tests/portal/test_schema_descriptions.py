"""Issue 22: the API schema (/api/schema/, /api/docs/) describes operations to API users in their
language. drf-spectacular would publish every view's, action's and serializer's docstring as a
description: developer notes, English only, some about internals ("Token first so that…",
"Issue 20 point 3…"). Only the descriptions written for API users (extend_schema(description=…),
through gettext) reach the schema."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.functional import Promise
from drf_spectacular.generators import SchemaGenerator

# What only a developer's note says: issue and spec references, implementation words.
DEVELOPER_NOTES = re.compile(r"Issue \d|Token first|SPEC|§|DRF|[Ss]erializer|[Dd]ocstring|__")
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
METHODS = ("get", "post", "put", "patch", "delete")

# Operations whose docstring told API users something: each keeps a public description.
DESCRIBED = [
    ("get", "/api/contracts/"),
    ("get", "/api/lifecycle/preview/"),
    ("get", "/api/products/"),
    ("get", "/api/sla/preview/"),
    ("get", "/api/vendors/{slug}/policy/"),
    ("get", "/api/tickets/"),
    ("post", "/api/tickets/"),
    ("get", "/api/tickets/{number}/"),
    ("patch", "/api/tickets/{number}/"),
    ("get", "/api/tickets/{number}/replies/"),
    ("post", "/api/tickets/{number}/replies/"),
    ("get", "/api/tickets/{number}/followers/"),
    ("post", "/api/tickets/{number}/followers/"),
    ("patch", "/api/outages/{outage_id}/"),
    ("post", "/api/outages/{outage_id}/cancel/"),
    ("get", "/api/periods/{organization}/{vendor}/{month}/"),
    ("post", "/api/periods/{organization}/{vendor}/{month}/close/"),
    ("post", "/api/periods/{organization}/{vendor}/{month}/reviews/"),
]


def _schema(language: str) -> dict:
    """The schema as `language`'s reader gets it, its lazy strings worded while that language is on."""
    with translation.override(language):
        return _worded(SchemaGenerator().get_schema(request=None, public=True))


def _worded(node):
    if isinstance(node, dict):
        return {key: _worded(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_worded(value) for value in node]
    return str(node) if isinstance(node, Promise) else node


def _descriptions(node, where: str = ""):
    """(where, text) for every description in the schema: operations, components, properties."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield where, value
            else:
                yield from _descriptions(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _descriptions(value, f"{where}/{index}")


def _operations(schema: dict) -> dict[tuple[str, str], dict]:
    return {
        (method, path): operation
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
    }


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict]:
    return {language: _schema(language) for language in ("en", "ru")}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_no_developer_note_reaches_the_schema(schemas, language):
    notes = [
        (where, text) for where, text in _descriptions(schemas[language]) if DEVELOPER_NOTES.search(text)
    ]
    assert notes == []


def test_operations_are_described_in_russian_for_a_russian_reader(schemas):
    operations = _operations(schemas["ru"])
    english = {
        key: operation["description"]
        for key, operation in operations.items()
        if operation.get("description") and not CYRILLIC.search(operation["description"])
    }
    assert english == {}
    assert [key for key in DESCRIBED if not operations[key].get("description")] == []
    assert operations["get", "/api/contracts/"]["description"].startswith("Договоры вашей организации")


def test_operations_are_described_in_english_for_an_english_reader(schemas):
    operations = _operations(schemas["en"])
    assert [key for key in operations if CYRILLIC.search(operations[key].get("description", ""))] == []
    assert [key for key in DESCRIBED if not operations[key].get("description")] == []
    assert operations["get", "/api/contracts/"]["description"].startswith("Your organization's contracts")


def test_the_schema_is_titled_in_the_readers_language(client):
    """/api/docs/ heads its page with the schema's title and description: in Russian for a Russian
    reader, as every operation below them."""
    russian = client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="ru").json()["info"]
    english = client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="en").json()["info"]
    assert CYRILLIC.search(russian["title"]) and CYRILLIC.search(russian["description"])
    assert (english["title"], english["description"]) == (
        "Support portal API",
        "Vendor policies, SLA previews and support cases.",
    )
