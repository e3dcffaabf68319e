"""Middleware of the portal core."""

from __future__ import annotations


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
