"""Two-factor sign-in with django-otp: a TOTP app (RFC 6238) and single-use recovery codes.

Who must give a second factor is one rule, `verification_pending`: a signed-in person whose
session is not verified yet, if they are staff and STAFF_TWO_FACTOR is on, or if they turned it
on themselves (remembered in the session at sign-in, so that a page costs no device query).
portal.middleware.TwoFactorRequired applies it to every request; the pages are portal.views'.

The password comes first, through Django's own sign-in page (and django-axes' lock-outs); the code
second. A wrong code makes the next try wait 1, 2, 4… seconds (django-otp's per-device throttle),
and a TOTP code is accepted once."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
# Set at sign-in when the person has a confirmed device: this session owes a code.
PENDING_SESSION_KEY = "portal.two_factor_pending"
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def verification_pending(request) -> bool:
    """The one rule: must this request's person enter a code before anything else?"""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    if user.is_staff and settings.STAFF_TWO_FACTOR:
        return True
    return bool(request.session.get(PENDING_SESSION_KEY))


@receiver(user_logged_in)
def _remember_pending(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[PENDING_SESSION_KEY] = user_has_device(user)


def with_next(page: str, target: str) -> str:
    """The address of a two-factor page (a URL name) that brings the person back to `target`."""
    return f"{reverse(page)}?{urlencode({'next': target}, safe='/')}"


def two_factor_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def new_recovery_codes() -> list[str]:
    return [StaticToken.random_token() for _ in range(RECOVERY_CODES)]


@transaction.atomic
def totp_device_start(*, user) -> TOTPDevice:
    """A new secret for the person's app, unconfirmed until they enter a code from it; an earlier
    unconfirmed one is replaced. A confirmed device stays in force until the new one is confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm `device` with a code from the app: it replaces any earlier device, and a fresh set of
    recovery codes is made and returned (to be shown once). None when the code is wrong."""
    if not device.verify_token(_clean(token)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    return recovery_codes_replace(user=device.user)


@transaction.atomic
def recovery_codes_replace(*, user, codes: list[str] | None = None) -> list[str]:
    """New recovery codes for `user` (the old ones stop working); `codes` only for the demo's."""
    codes = codes if codes is not None else new_recovery_codes()
    device, _ = StaticDevice.objects.update_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_turn_off(*, user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _clean(token: str) -> str:
    return "".join(token.split()).lower()


def two_factor_check(*, user, token: str):
    """The device that accepts `token` — the app for a 6-digit code, else the recovery codes (one is
    used up) — or None. Each device is locked while it checks, so its throttle counts every try."""
    token = _clean(token)
    kind = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            if isinstance(device, kind) and device.verify_token(token):
                return device
    return None


def wait_seconds(user) -> int:
    """Seconds before the person's devices take another try after wrong codes (0: now)."""
    waits = []
    for device in devices_for_user(user):
        allowed, details = device.verify_is_allowed()
        if not allowed and details and details.get("locked_until"):
            waits.append(max(1, int((details["locked_until"] - timezone.now()).total_seconds()) + 1))
    return max(waits, default=0)
