"""Probes for load balancers and orchestrators (issue 23 point 2), with django-health-check.

- `/healthz`: the process is alive and answers. Nothing is touched, so a database outage does not
  make a balancer kill every web process at once (the pages answer their own 503 meanwhile).
- `/readyz`: the database, the broker, the file storage and the cache each answer within
  READYZ_TIMEOUT_SECONDS, all probed at once; 503 when one does not, so the balancer stops
  sending this node requests until it does.

Both are answered by `Probes`, the first middleware: before the host check (a balancer probes a
node by its address, not the site's name), the HTTPS redirect, sessions, two-factor sign-in and
any rate limit. The answer names each dependency with "ok" or "unavailable" and nothing else: no
host, port, version or error text (those go to the log, through django-health-check's logger).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import HttpResponse
from health_check import checks
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

PROBES = {"/healthz": "liveness", "/readyz": "readiness"}


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis answers its PING, the file-system broker's
    folder is there): what every request that enqueues a notice needs."""

    def run(self) -> None:
        from config.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=self.timeout.total_seconds())
        except Exception as error:  # kombu raises its transports' own errors
            raise ServiceUnavailable("broker unreachable") from error


def readiness_checks() -> dict[str, HealthCheck]:
    bound = datetime.timedelta(seconds=settings.READYZ_TIMEOUT_SECONDS)
    probes = {
        "database": checks.Database(),
        "broker": Broker(),
        "storage": checks.Storage(),
        "cache": checks.Cache(),
    }
    for probe in probes.values():
        probe.timeout = bound
    return probes


async def _readiness() -> dict[str, bool]:
    probes = readiness_checks()
    results = await asyncio.gather(*(probe.get_result() for probe in probes.values()))
    return {name: result.error is None for name, result in zip(probes, results, strict=True)}


def _answer(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def liveness() -> HttpResponse:
    return _answer(200, {"status": "ok"})


def readiness() -> HttpResponse:
    reachable = async_to_sync(_readiness)()
    ready = all(reachable.values())
    return _answer(
        200 if ready else 503,
        {
            "status": "ok" if ready else "unavailable",
            "checks": {name: "ok" if ok else "unavailable" for name, ok in reachable.items()},
        },
    )


class Probes:
    """Answers /healthz and /readyz (GET or HEAD) before any other middleware runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None or request.method not in {"GET", "HEAD"}:
            return self.get_response(request)
        return liveness() if probe == "liveness" else readiness()
