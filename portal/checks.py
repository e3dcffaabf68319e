"""System checks: settings that would break a promise refuse the start (manage.py check,
migrate and runserver run them; the Celery worker runs them at boot, config/celery.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

LEASE_TOO_SHORT = "portal.E001"
# A claimed notice's send holds at most two SMTP waits (connecting, then the message's own
# transaction, each bounded by EMAIL_TIMEOUT) plus the "mark sent" UPDATE, for which a third
# timeout is the margin (proportional, so a test's 1 s timeout allows its 3 s lease). A shorter
# lease would let the sweep hand the row to a second worker while the first may still send it.
LEASE_TIMEOUTS = 3


def minimum_lease_seconds(email_timeout: float) -> float:
    return LEASE_TIMEOUTS * email_timeout


@register()
def notice_lease_outlasts_smtp(app_configs=None, **kwargs) -> list[Error]:
    timeout, lease = settings.EMAIL_TIMEOUT, settings.NOTICE_LEASE_SECONDS
    if timeout is None:
        return [
            Error(
                "EMAIL_TIMEOUT is not set: a hung SMTP server would hold a notice past any lease.",
                hint="Set EMAIL_TIMEOUT (seconds), e.g. 30.",
                id=LEASE_TOO_SHORT,
            )
        ]
    if lease < minimum_lease_seconds(timeout):
        return [
            Error(
                f"NOTICE_LEASE_SECONDS ({lease}) must be at least {LEASE_TIMEOUTS} × EMAIL_TIMEOUT "
                f"({minimum_lease_seconds(timeout):g} s): otherwise a notice "
                "still being sent is handed to another worker and sent twice.",
                hint="Raise NOTICE_LEASE_SECONDS or lower EMAIL_TIMEOUT.",
                id=LEASE_TOO_SHORT,
            )
        ]
    return []
