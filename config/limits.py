"""The project shell's request-body limit (it knows which views take files, so it sits above the
apps). Request bodies are refused from their Content-Length, before anything reads them (issue 18
point 8): an anonymous 100 MiB post to the sign-in page costs a header, not 100 MiB of reading.

Every request may send REQUEST_MAX_BYTES; the views that take attachments (the case form, the
reply form, the API's upload) may send UPLOAD_MAX_BYTES: MAX_FILES attachments of
ATTACHMENT_MAX_BYTES each and the form's text. DATA_UPLOAD_MAX_MEMORY_SIZE still caps what Django
parses of a body without a length, and the attachment rules check each file afterwards.

An address's parameters or a posted form's fields that hold a NUL character are refused too (400,
the parameter named), and a path that holds one names nothing (404): no text of this product may
hold one, and PostgreSQL refuses them in any query, so a filter or a field that passed one on was a
500 there.

A JSON body under the API is portal.parsers.JSONParser's to refuse (DRF reads it only in the view):
a NUL anywhere in it, a key's included, answers 400 naming where, in the same words as here.

The refusals are in the reader's language: every middleware's request step (portal.middleware.
UserLanguage's included: the profile's, else the organization's, else the cookie or Accept-Language)
has run before any process_view, so the language is active here."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound

from portal.middleware import is_api_path
from portal.parsers import NUL_REFUSED, nul_field

# view names (namespace:url_name) that take files
UPLOAD_VIEWS = frozenset({"tickets:open", "tickets:reply", "api:ticket-attachments"})
TOO_LARGE = _("Request body too large: at most %(limit)s bytes.")
BAD_LENGTH = _("Bad Content-Length.")
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
NUL_IN_PARAMETER = _("“%(parameter)s”: Null characters are not allowed.")


def upload_max_bytes() -> int:
    from tickets.services import MAX_FILES

    return MAX_FILES * settings.ATTACHMENT_MAX_BYTES + settings.REQUEST_MAX_BYTES


def declared_length(request) -> int | None:
    """The body's length as the client declared it: 0 without one, None when it is no length."""
    value = request.META.get("CONTENT_LENGTH") or "0"
    return int(value) if value.isascii() and value.isdigit() else None


def nul_parameter(request) -> str | None:
    """The first of the address's parameters whose name or value holds a NUL character, else None
    (the query string is parsed only when it holds an encoded NUL at all)."""
    query = request.META.get("QUERY_STRING", "")
    if "%00" not in query and "\x00" not in query:
        return None
    return nul_field(request.GET)


def _refused_for_nul(request, parameter: str) -> HttpResponse:
    if is_api_path(request.path):
        return JsonResponse({parameter: [str(NUL_REFUSED)]}, status=HTTPStatus.BAD_REQUEST)
    return HttpResponse(
        gettext(NUL_IN_PARAMETER) % {"parameter": parameter},
        status=HTTPStatus.BAD_REQUEST,
        content_type="text/plain",
    )


class WellFormedRequest:
    """Refuses a Content-Length that is no number, and an address's parameters or a posted form's
    fields that hold a NUL character (the API in JSON, the parameter as the field), in the
    reader's language: listed after portal.middleware.UserLanguage and before django-prometheus's
    last middleware, whose request step reads the length with int() (a 500 on every path before
    this one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if declared_length(request) is None:
            return HttpResponse(gettext(BAD_LENGTH), status=HTTPStatus.BAD_REQUEST, content_type="text/plain")
        if "\x00" in request.path:  # names nothing (a case number, a vendor's slug with a NUL)
            if is_api_path(request.path):
                return JsonResponse({"detail": str(NotFound.default_detail)}, status=HTTPStatus.NOT_FOUND)
            raise Http404("A NUL in the path")
        parameter = nul_parameter(request)
        if parameter is not None:
            return _refused_for_nul(request, parameter)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """A posted form's fields likewise, once RequestBodyLimit (listed earlier, so its
        process_view ran first) has let the body through: a form's field that saves its text as
        it comes (an address, a saved view's name) was a 500 on PostgreSQL. JSON bodies are
        portal.parsers.JSONParser's to refuse."""
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return None
        parameter = nul_field(request.POST)
        return None if parameter is None else _refused_for_nul(request, parameter)


class RequestBodyLimit:
    """Listed before CsrfViewMiddleware, whose process_view reads the form: this one's runs first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        length = declared_length(request) or 0  # WellFormedRequest has refused one that is no number
        uploads = request.resolver_match is not None and request.resolver_match.view_name in UPLOAD_VIEWS
        limit = upload_max_bytes() if uploads else settings.REQUEST_MAX_BYTES
        if length > limit:
            response = HttpResponse(
                gettext(TOO_LARGE) % {"limit": number_format(limit, force_grouping=True)},
                status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                content_type="text/plain",
            )
            response["Connection"] = "close"  # the unread body is not worth draining
            return response
        return None
