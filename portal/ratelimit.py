"""A fixed-window counter in the cache: `allow(...)` is False once `limit` hits were counted for
the same scope and key in the current window. Shared by every process when CACHE_URL names a
shared cache (Redis); per process with the default local-memory cache."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def allow(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(key.lower().encode()).hexdigest()[:32]  # no addresses in cache keys
    cache_key = f"ratelimit:{scope}:{window}:{digest}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
