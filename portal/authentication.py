"""API sign-in: DRF's token check, loading with the user the rows nearly every call reads next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

# Whose cases the caller may see (membership → organization), which time zone their dates
# show in (profile), and which emails they want (notice preference): joined into the token's
# one query instead of three more, one at a time. Missing rows are cached as missing.
USER_RELATED = (
    "user__membership__organization",
    "user__profile",
    "user__notice_preference",
)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's own check and messages; only the query differs."""

    def authenticate_credentials(self, key: str):
        model = self.get_model()
        try:
            token = model.objects.select_related(*USER_RELATED).get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
