"""The one application error type; the API turns it into the same JSON shape as a ValidationError.
Pages refuse a parameter they cannot use with BadInput."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class BadInput(BadRequest):
    """A query parameter or part of an address that a page cannot use. Django answers 400 through
    `handler400` (portal.views.bad_request), which names the parameter and says what it takes;
    the API's ValidationError does the same in JSON."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# A database outage (django.db OperationalError or InterfaceError: down, restarting, out of
# connections) answers 503 with this message and Retry-After, on the API and on pages alike:
# the request may succeed when retried, unlike a 500's bug.
DATABASE_UNAVAILABLE = _(
    "The service is briefly unavailable (its database cannot be reached). Please try again in a minute."
)
DATABASE_RETRY_AFTER_SECONDS = 30
DATABASE_OUTAGES = (OperationalError, InterfaceError)
