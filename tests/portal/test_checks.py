"""The portal refuses to start when a setting would break a promise it makes (portal.checks)."""

from __future__ import annotations

import pytest
from django.core.checks import Error, registry

from portal.checks import LEASE_TOO_SHORT, notice_lease_outlasts_smtp


def lease_errors() -> list[Error]:
    return [message for message in notice_lease_outlasts_smtp() if message.id == LEASE_TOO_SHORT]


def test_the_check_runs_at_every_start():
    assert notice_lease_outlasts_smtp in registry.registry.get_checks()


@pytest.mark.parametrize(
    ("lease", "timeout", "refused"),
    [
        (300, 30, False),  # the defaults
        (90, 30, False),  # exactly 3 × 30
        (89, 30, True),
        (300, 200, True),  # an SMTP reply could arrive after a second worker took the row
        (3, 1, False),  # the service tests' short lease
        (300, None, True),  # no SMTP timeout at all: no lease is long enough
    ],
)
def test_the_lease_must_outlast_three_smtp_timeouts(settings, lease, timeout, refused):
    settings.NOTICE_LEASE_SECONDS, settings.EMAIL_TIMEOUT = lease, timeout
    assert bool(lease_errors()) is refused
