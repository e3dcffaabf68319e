"""Security headers (issue 18 point 7): a strict Content-Security-Policy on every answer, with no
inline script anywhere, and `Cache-Control: private, no-store` on everything a signed-in person gets."""

from __future__ import annotations

import re
from http import HTTPStatus
from pathlib import Path

from django.urls import reverse
from rest_framework.test import APIClient

from portal.services import api_token_create

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# A <script> without src runs inline, unless it holds JSON data (Django's json_script).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


def test_pages_carry_a_strict_policy(client, db):
    directives = policy(client.get(reverse("home")))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]


def test_no_template_has_inline_script_or_event_handlers():
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if INLINE_SCRIPT.search(path.read_text()) or HANDLER.search(path.read_text())
    ]
    assert offenders == []


def test_the_admin_renders_under_the_policy(client, agent):
    client.force_login(agent)
    pages = ("admin:index", "admin:tickets_ticket_changelist", "admin:auth_user_add")
    for url in map(reverse, pages):
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK and "Content-Security-Policy" in response
        assert not INLINE_SCRIPT.search(response.content.decode()), url


def test_api_docs_load_their_script_from_a_file(client, customer):
    client.force_login(customer)
    body = client.get(reverse("api:docs")).content.decode()
    assert not INLINE_SCRIPT.search(body)


def test_signed_in_pages_are_not_stored(client, customer):
    client.force_login(customer)
    response = client.get(reverse("tickets:list"))
    assert response["Cache-Control"] == "private, no-store"


def test_token_api_answers_are_not_stored(customer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=customer)[1]}")
    response = client.get(reverse("api:ticket-list"))
    assert response.status_code == HTTPStatus.OK and response["Cache-Control"] == "private, no-store"


def test_anonymous_pages_may_be_cached(client, db):
    assert "no-store" not in client.get(reverse("home")).get("Cache-Control", "")
