"""Hooks on the person's password."""

from __future__ import annotations


class RevokeApiTokens:
    """Not a check: a password "validator" whose `password_changed` deletes the person's API
    tokens. Django calls it from `User.save()` after every `set_password()` — the password change
    and reset pages, the admin's password form, `manage.py changepassword` — so no path that
    changes a password can forget to (issue 18 point 3). Listed in AUTH_PASSWORD_VALIDATORS."""

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is None or user.pk is None:
            return
        from portal.services import api_tokens_revoke_all

        api_tokens_revoke_all(user=user)

    def get_help_text(self) -> str:
        return ""
