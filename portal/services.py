"""Operations on people's settings."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import MANDATORY_NOTICES, ApiToken, NoticePreference, Profile


def profile_language_set(*, user, language: str) -> Profile:
    """The language a person reads the portal and their emails in ("" follows the organization,
    else the browser)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.language = language
    profile.full_clean()
    profile.save(update_fields=["language"])
    user.profile = profile
    return profile


@transaction.atomic
def notice_preference_set(*, user, wanted: list[str], offered: list[str]) -> NoticePreference:
    """Mute the `offered` kinds not `wanted`; kinds the person was not offered keep their setting,
    and the mandatory ones (policy change, lifecycle) are never stored as muted."""
    preference, _ = NoticePreference.objects.select_for_update().get_or_create(user=user)
    kept = [kind for kind in preference.muted_kinds if kind not in offered]
    muted = kept + [kind for kind in offered if kind not in wanted]
    preference.muted_kinds = [kind for kind in muted if kind not in MANDATORY_NOTICES]
    preference.full_clean()
    preference.save()
    user.notice_preference = preference  # notices read it through the accessor: no stale copy
    return preference


# Tokens one person may keep: each is a row and a line on the profile page, and no client needs
# more; past it a new one is refused until one is revoked.
MAX_API_TOKENS = 20
TOO_MANY_TOKENS = _(
    "You have %(count)d API tokens, the most one person may keep: revoke one you no longer use first."
)


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str = "") -> tuple[ApiToken, str]:
    """A new token and its key, which is returned here once and never stored (only its SHA-256);
    ValidationError once the person has MAX_API_TOKENS."""
    if ApiToken.objects.filter(user=user).count() >= MAX_API_TOKENS:
        raise ValidationError(TOO_MANY_TOKENS, params={"count": MAX_API_TOKENS})
    key = secrets.token_urlsafe(32)  # 256 random bits: a hash without salt or stretching is enough
    token = ApiToken(user=user, name=name, prefix=key[:8], digest=api_token_digest(key))
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, user, token_id: int) -> bool:
    """Delete one of `user`'s tokens; False when `user` has no such token."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def api_tokens_revoke_all(*, user) -> int:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted
