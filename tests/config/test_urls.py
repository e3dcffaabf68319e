"""config.urls: the API's routes are tried first (issue 24: an API request walked some 60 page
patterns before its own, about 0.1 ms of each), which changes no answer: no page pattern can take a
path under api/, so only the order of the tries moved."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, resolve

from config import urls


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            assert isinstance(pattern, URLPattern)
            yield route


def test_the_api_is_tried_before_the_pages():
    assert str(urls.urlpatterns[0].pattern) == "api/"
    assert resolve("/api/tickets/").namespace == "api"


def test_no_page_pattern_can_take_a_path_under_api():
    pages = list(_routes(urls.urlpatterns[1:]))
    assert len(pages) > 50  # the admin's and the portal's
    for route in pages:
        # The home page ("" exactly), or a route opening with a literal first segment other than api.
        assert route == "" or re.match(r"[a-z0-9_.-]+(/|$)", route), route
        assert not route.startswith("api/"), route


def test_the_apis_mount_is_the_one_the_middleware_tests():
    """portal.middleware.is_api_path, the one test whether a path is the API's (its refusals
    answer JSON: config.limits' NUL refusals, the two-factor 403), reads the prefix config.urls
    mounts the API at."""
    from django.urls import reverse

    from portal.middleware import is_api_path

    assert is_api_path(reverse("api:ticket-list")) and is_api_path(reverse("api:schema"))
    assert not is_api_path("/apis/") and not is_api_path("/tickets/") and not is_api_path("/api")
