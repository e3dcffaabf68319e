"""Issue 22 point 1: the API schema's own words — what an operation does, what a parameter and an
error answer mean (drf-spectacular's `description`s) — follow the reader's language, as the fields'
help texts do (test_schema_words.py)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import yaml
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_after():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _schema(client, language: str) -> dict:
    response = client.get(reverse("api:schema"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == HTTPStatus.OK
    return yaml.safe_load(response.content)


def _parameter(operation: dict, name: str) -> str:
    return next(p["description"] for p in operation["parameters"] if p["name"] == name)


@pytest.mark.parametrize(
    ("language", "merge", "number", "not_found", "key", "month", "vendor_missing", "ga"),
    [
        (
            "en",
            "Staff: merge this case, a duplicate, into `into`",
            "The case number: vendor prefix and sequence.",
            "No such case, or one you may not see.",
            "Optional; any unique string",
            "YYYY-MM, a UTC month.",
            "No such vendor, or no policy in force.",
            "YYYY-MM-DD",
        ),
        (
            "ru",
            "Для сотрудников: объединить это обращение-дубликат с обращением `into`",
            "Номер обращения: префикс поставщика и порядковый номер.",
            "Такого обращения нет, или оно вам недоступно.",
            "Необязательный; любая уникальная строка",
            "ГГГГ-ММ, месяц по UTC.",
            "Такого поставщика нет, или у него нет действующей политики.",
            "ГГГГ-ММ-ДД",
        ),
    ],
)
def test_operations_parameters_and_answers_in_the_readers_language(
    client, customer, language, merge, number, not_found, key, month, vendor_missing, ga
):
    client.force_login(customer)
    paths = _schema(client, language)["paths"]
    merging = paths["/api/tickets/{number}/merge/"]["post"]
    assert merging["description"].startswith(merge)
    assert _parameter(merging, "number") == number
    assert merging["responses"]["404"]["description"] == not_found
    assert _parameter(paths["/api/tickets/"]["post"], "Idempotency-Key").startswith(key)
    statement = next(ops["get"] for path, ops in paths.items() if "{month}" in path and "statement" in path)
    assert _parameter(statement, "month") == month
    policy = next(ops["get"] for path, ops in paths.items() if path.endswith("/policy/"))
    assert policy["responses"]["404"]["description"] == vendor_missing
    dates = next(ops["get"] for ops in paths.values() if "get" in ops and any(
        p["name"] == "ga" for p in ops["get"].get("parameters", [])
    ))  # fmt: skip
    assert _parameter(dates, "ga") == ga
