"""A changed email address takes effect only from a link sent to it (issue 22 point 4): the
address receives password resets, so an open session alone must not be able to redirect them.

The link carries a signed token naming the person, the address it was issued against and the
new one; it is spent once the change is made (the old address no longer matches) and expires
after EMAIL_CHANGE_MAX_AGE. The old address is told, without the link. Like Django's password
reset, both emails are sent by the web process itself (they concern an account, not a case)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .selectors import email_language

SALT = "portal.email-change"
EMAIL_CHANGE_MAX_AGE = 3 * 24 * 3600


class LinkRefused(Exception):
    """The link is forged, expired, spent, or another person's."""


def email_change_request(*, user, new_email: str, confirm_url) -> None:
    """Send the confirmation link to `new_email` and a warning to the current address.
    `confirm_url(token)` makes the absolute link (the caller knows the host)."""
    token = signing.dumps({"user": user.pk, "old": user.email, "new": new_email}, salt=SALT)
    context = {"user": user, "new_email": new_email, "old_email": user.email, "link": confirm_url(token)}
    with translation.override(email_language(user)):  # both in the person's language
        send_mail(
            _("Confirm your new email address"),
            render_to_string("registration/email_change_confirm.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            [new_email],
        )
        if user.email:
            send_mail(
                _("Your email address is being changed"),
                render_to_string("registration/email_change_notice.txt", context),
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
            )


def email_change_confirm(*, token: str, user) -> str:
    """Make the change the link asks for, for the signed-in `user`; the new address."""
    try:
        claim = signing.loads(token, salt=SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature as refused:
        raise LinkRefused(gettext_lazy("This link is not valid or has expired.")) from refused
    if claim.get("user") != user.pk:
        raise LinkRefused(gettext_lazy("This link was sent for another account."))
    person = get_user_model().objects.get(pk=user.pk)
    if person.email != claim["old"]:
        raise LinkRefused(gettext_lazy("This link has been used, or the address changed since it was sent."))
    person.email = claim["new"]
    person.full_clean()
    person.save(update_fields=["email"])
    return person.email
