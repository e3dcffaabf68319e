"""DRF throttles: writes (POST, PUT, PATCH, DELETE) per signed-in person, at settings.API_WRITE_RATE;
reads are not counted. Anonymous callers cannot write (every write needs a sign-in).

The portal's forms that create something (portal.idempotency.form_submit_once: open a case, reply,
close, reopen) count on the same counter: one budget per person, browser and API together, so
the browser is no way around the API's rate. Past it `check_form_write` raises TooManyWrites, a
ValidationError the form shows, and the view answers the form as sent with 429.

Every other portal post that changes something or costs the server (follow, split, quotes, orders,
pilots, a visit, tokens, recovery codes, the calendar address, a period review, the Markdown
preview, the open-case panel) is wrapped in `counts_as_write`: the same check before the view
runs; past the rate the view does not run and its `refused` answers (`back_to` a page with the
message, as close and reopen do, or `as_fragment` with 429 for the page's script). A view that
re-renders what was typed (orders, pilots, the profile) calls `check_form_write` itself."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
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


Refused = Callable[..., HttpResponse]


def counts_as_write(refused: Refused):
    """A portal view whose posts are writes: each counts (check_form_write) before the view runs;
    past the rate the view does not run and `refused(request, error, **view_kwargs)` answers.
    Reads (GET, HEAD) are not counted. Put it under login_required (and require_POST)."""

    def decorate(view):
        @functools.wraps(view)
        def counted(request, *args, **kwargs):
            if request.method not in SAFE_METHODS:
                try:
                    check_form_write(request)
                except TooManyWrites as error:
                    return refused(request, error, **kwargs)
            return view(request, *args, **kwargs)

        return counted

    return decorate


def back_to(url_name: str, *kwarg_names: str, anchor: str = "") -> Refused:
    """A button's refusal: the message, and back to its page (`url_name` with those of the view's
    arguments), as close and reopen answer."""

    def refused(request, error: TooManyWrites, **kwargs) -> HttpResponse:
        messages.error(request, " ".join(error.messages))
        return redirect(reverse(url_name, kwargs={name: kwargs[name] for name in kwarg_names}) + anchor)

    return refused


def as_fragment(request, error: TooManyWrites, **kwargs) -> HttpResponse:
    """A fragment endpoint's refusal: 429 with the message as an error list, as a too-long
    preview says its message."""
    html = format_html('<ul class="errorlist"><li>{}</li></ul>', " ".join(error.messages))
    return HttpResponse(html, status=error.status)
