"""portal.parsers: the API reads JSON bodies nested up to MAX_JSON_DEPTH and refuses deeper ones
with a 400 on every write, where 10,000 levels were a RecursionError (a 500)."""

from __future__ import annotations

from http import HTTPStatus
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient

from portal.parsers import JSON_TOO_DEEP, MAX_JSON_DEPTH, JSONParser


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def writes(customer, agent, vendors):
    """Every JSON write of the API, each with a user allowed to make it."""
    from tests.reports.factories import OutageFactory
    from tickets.services import ticket_open

    outage = OutageFactory(start=timezone.now())
    ticket = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        body="It fails.",
    )
    return [
        (customer, "post", reverse("api:ticket-list")),
        (agent, "patch", reverse("api:ticket-detail", args=[ticket.number])),
        (customer, "post", reverse("api:ticket-replies", args=[ticket.number])),
        (agent, "post", reverse("api:outage-create")),
        (agent, "post", reverse("api:outage-end", args=[outage.pk])),
    ]


@pytest.mark.parametrize("body", [_nested(10_000), '{"a":' * 10_000 + "1" + "}" * 10_000, _nested(33)])
def test_a_json_body_nested_too_deep_answers_400_on_every_write(writes, body):
    """10,000 levels were a RecursionError in the JSON decoder: a 500 on any write."""
    for user, method, url in writes:
        client = APIClient()
        client.force_authenticate(user)
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == HTTPStatus.BAD_REQUEST, url
        assert response.json() == {"non_field_errors": [JSON_TOO_DEEP]}, url


def test_json_nested_up_to_the_limit_is_read():
    parser = JSONParser()
    assert parser.parse(BytesIO(_nested(MAX_JSON_DEPTH).encode())) is not None
    in_text = '{"body": "' + "[" * 100 + '"}'  # brackets inside a string are text, not nesting
    assert parser.parse(BytesIO(in_text.encode())) == {"body": "[" * 100}
    with pytest.raises(ParseError):
        parser.parse(BytesIO(_nested(MAX_JSON_DEPTH + 1).encode()))


def test_a_nul_in_a_json_body_answers_400_on_every_write(writes):
    """Named where it is, whatever the write reads of its body (tests/portal/test_query_nul.py)."""
    for user, method, url in writes:
        client = APIClient()
        client.force_authenticate(user)
        response = getattr(client, method)(url, '{"note\\u0000": 1}', content_type="application/json")
        assert response.status_code == HTTPStatus.BAD_REQUEST, url
        assert response.json() == {"note": ["Null characters are not allowed."]}, url


@pytest.mark.parametrize("body", ['"a\\u0000b"', '["a\\u0000b"]', '[{"a": "\\u0000"}]'])
def test_a_nul_in_a_body_that_is_no_object_is_named_as_no_field(body):
    with pytest.raises(ParseError) as refused:
        JSONParser().parse(BytesIO(body.encode()))
    assert refused.value.detail == {"non_field_errors": ["Null characters are not allowed."]}


def _form_bodies():
    """The API's two form encodings, each with a NUL in a field's name and in another's value."""
    from urllib.parse import urlencode

    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    fields = {"subject": "Fine", "note\x00": "1"}
    yield urlencode(fields), "application/x-www-form-urlencoded"
    yield encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT


def test_a_nul_in_a_form_encoded_patch_answers_400_naming_it(agent, writes):
    """A PATCH in a form's encoding is DRF's to parse (Django reads a form only for a POST, which
    config.limits.WellFormedRequest checks): a NUL in a lookup's value was a 500 on PostgreSQL,
    which refuses one in any query. The API's two PATCHes, a case and an outage."""
    from tests.reports.factories import OutageFactory

    outage = OutageFactory(start=timezone.now())
    patches = [url for _, method, url in writes if method == "patch"]
    patches.append(reverse("api:outage-reschedule", args=[outage.pk]))
    for url in patches:
        for body, content_type in _form_bodies():
            client = APIClient()
            client.force_authenticate(agent)
            response = client.generic("PATCH", url, body, content_type=content_type)
            assert response.status_code == HTTPStatus.BAD_REQUEST, (url, content_type)
            assert response.json() == {"note": ["Null characters are not allowed."]}, (url, content_type)
