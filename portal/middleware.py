"""Middleware of the portal core."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import render

from .errors import DATABASE_OUTAGES, DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE


class DatabaseUnavailable:
    """A page whose view meets a database outage answers the styled 503 (templates/503.html)
    with Retry-After instead of a 500. The page is drawn as for a visitor, with no messages:
    the user and the session would need the database that is down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_OUTAGES):
            return None
        context = {"user": AnonymousUser(), "messages": [], "detail": DATABASE_UNAVAILABLE}
        response = render(request, "503.html", context, status=HTTPStatus.SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response


class NoStoreWhenSignedIn:
    """`Cache-Control: private, no-store` on every answer to a signed-in person, page or API
    (issue 18 point 7): cases, replies and contracts must not stay in a shared proxy or in the
    browser's cache after sign-out. DRF sets `request.user` when a token signs the call in, so the
    check after the view sees API callers too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META:
            response["Cache-Control"] = "private, no-store"
        return response
