"""API sign-in: `Authorization: Token <key>` against portal.ApiToken, which keeps only the key's
SHA-256; the user comes loaded with the rows nearly every call reads next."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from portal import logcontext
from portal.compiled import CompiledGet
from portal.models import ApiToken

# Whose cases the caller may see (membership → organization), which time zone their dates
# show in (profile), and which emails they want (notice preference): joined into the token's
# one query instead of three more, one at a time. Missing rows are cached as missing.
USER_RELATED = (
    "user__membership__organization",
    "user__profile",
    "user__notice_preference",
)
# "Last used" is shown to the minute or so: one write a minute per token, not one per call.
LAST_USED_PRECISION = timedelta(minutes=1)


# The token's one query, its SQL built once (building it cost more than running it).
_TOKEN = CompiledGet(
    ApiToken, lambda digest: ApiToken.objects.select_related(*USER_RELATED).filter(digest=digest)
)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's header parsing and messages; the key is looked up by its digest."""

    model = ApiToken

    def authenticate_credentials(self, key: str):
        from portal.services import api_token_digest

        try:
            token = _TOKEN.get(api_token_digest(key))
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        logcontext.bind(user_id=token.user.pk)  # the log lines of this request and its tasks
        return token.user, token
