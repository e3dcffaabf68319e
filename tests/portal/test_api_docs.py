"""The interactive API docs at /api/docs/ open, and everything they load comes from the portal
itself (no CDN: the portal must work offline)."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

# Every src= or href= of the page, quoted either way.
ASSET_REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


@pytest.fixture
def docs_page(client):
    return client.get(reverse("api:docs"))


@pytest.mark.django_db
def test_the_api_docs_open(docs_page):
    assert docs_page.status_code == HTTPStatus.OK
    assert b"swagger-ui" in docs_page.content

    # The page's start-up script, a file under the Content-Security-Policy, asks for our own schema.
    script = docs_page.client.get(reverse("api:docs"), {"script": ""})
    assert script.status_code == HTTPStatus.OK
    assert reverse("api:schema").encode() in script.content


@pytest.mark.django_db
def test_the_api_docs_load_nothing_from_another_host(docs_page):
    page = docs_page.content.decode()
    references = ASSET_REFERENCE.findall(page)

    assert references, "the page loads its scripts and styles"
    assert [ref for ref in references if EXTERNAL.match(ref)] == []
    assert not re.search(r"https?://(?!testserver[/:])", page), "no address outside the app in the page"


@pytest.mark.django_db
def test_the_swagger_ui_bundle_the_docs_load_is_served(settings, docs_page):
    # Tests run with DEBUG off and no collectstatic: let WhiteNoise serve from the app folders.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    bundle = next(
        ref for ref in ASSET_REFERENCE.findall(docs_page.content.decode()) if "swagger-ui-bundle" in ref
    )
    assert bundle.startswith(settings.STATIC_URL) or bundle.startswith("/" + settings.STATIC_URL)

    response = Client().get(bundle)  # a new client, so WhiteNoise starts with the settings above

    assert response.status_code == HTTPStatus.OK
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"SwaggerUIBundle" in body
