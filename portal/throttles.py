"""DRF throttles: writes (POST, PUT, PATCH, DELETE) per signed-in person, at settings.API_WRITE_RATE;
reads are not counted. Anonymous callers cannot write (every write needs a sign-in).

The portal's forms that create something (portal.idempotency.form_submit_once: open a case, reply,
close, reopen) count on the same counter: one budget per person, browser and API together, so
the browser is no way around the API's rate. Past it `check_form_write` raises TooManyWrites, a
ValidationError the form shows, and the view answers the form as sent with 429."""

from __future__ import annotations

import math
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext
from rest_framework.throttling import UserRateThrottle

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteRateThrottle(UserRateThrottle):
    scope = "write"

    def get_rate(self) -> str:
        # Read when used, not at import, so the setting (and a test's override) applies.
        return settings.API_WRITE_RATE

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class TooManyWrites(ValidationError):
    """A form write past the person's write rate; `status` is the HTTP status to answer with."""

    status = HTTPStatus.TOO_MANY_REQUESTS


def check_form_write(request) -> None:
    """Count a portal form's write against the person's API_WRITE_RATE, as the API counts its
    own; raise TooManyWrites, saying how long to wait, once it is used up."""
    throttle = WriteRateThrottle()
    if throttle.allow_request(request, None):
        return
    seconds = max(math.ceil(throttle.wait() or 1), 1)
    raise TooManyWrites(
        ngettext(
            "You sent too many changes in a short time: wait %(seconds)d second, then send this again.",
            "You sent too many changes in a short time: wait %(seconds)d seconds, then send this again.",
            seconds,
        )
        % {"seconds": seconds}
    )
