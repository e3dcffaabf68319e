"""Operations on people's settings."""

from __future__ import annotations

from django.db import transaction

from .models import MANDATORY_NOTICES, NoticePreference


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
