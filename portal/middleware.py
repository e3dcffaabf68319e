"""Middleware of the portal core."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .errors import DATABASE_OUTAGES, DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE
from .selectors import person_settings_load, user_language
from .twofactor import two_factor_enabled, verification_pending, with_next

# Where config.urls mounts the API: under it, refusals answer JSON rather than a page.
API_PREFIX = "/api/"
TWO_FACTOR_NEEDED = _("Enter your two-factor code at /accounts/two-factor/ first, or use an API token.")


def is_api_path(path: str) -> bool:
    """Whether `path` (request.path) is the API's, whose answers are JSON: the one test of it."""
    return path.startswith(API_PREFIX)


class UserLanguage(LocaleMiddleware):
    """Django's LocaleMiddleware (Content-Language, Vary: Accept-Language), with the language a
    signed-in person or their organization chose ahead of the browser's (portal.selectors)."""

    def process_request(self, request):
        try:
            person_settings_load(request.user)
            chosen = user_language(request.user)
        except DATABASE_OUTAGES:  # the page answers the styled 503, in the browser's language
            chosen = None
        language = chosen or translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class TwoFactorRequired:
    """Before any page, the admin's included, a person who owes a second factor
    (portal.twofactor.verification_pending) is sent to enter it — or to enrol an app, staff who have
    none — and brought back to the page after. Only those pages, sign-out and static files are open
    to them; the API answers 403 to such a session (a token call is signed in by its token)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if verification_pending(request) and not self._open(request.path):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        return path in (reverse("two-factor-verify"), reverse("two-factor-setup"), reverse("logout"))

    @staticmethod
    def _refuse(request):
        if is_api_path(request.path):
            return JsonResponse({"detail": TWO_FACTOR_NEEDED}, status=HTTPStatus.FORBIDDEN)
        page = "two-factor-verify" if two_factor_enabled(request.user) else "two-factor-setup"
        return redirect(with_next(page, request.get_full_path()))


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
