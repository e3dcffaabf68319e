"""The client's address, behind a known number of reverse proxies (settings.TRUSTED_PROXY_COUNT).

Each proxy appends the address it received the request from to X-Forwarded-For, so with N proxies
of ours the client is the N-th entry from the right; anything left of it was written by the client
and may be forged. With no proxy (N = 0) the header is ignored. A request carrying fewer entries
than N did not come through our proxies, and its peer address is used. django-axes
(AXES_CLIENT_IP_CALLABLE), the password-reset throttle and DRF (NUM_PROXIES) agree on it."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]
