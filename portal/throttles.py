"""DRF throttles: writes (POST, PUT, PATCH, DELETE) per signed-in person, at settings.API_WRITE_RATE;
reads are not counted. Anonymous callers cannot write (every write needs a sign-in)."""

from __future__ import annotations

from django.conf import settings
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
