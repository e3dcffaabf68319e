"""Forms of the portal core that Django's own need to differ from."""

from __future__ import annotations

from django.contrib.auth import forms as auth_forms
from django.utils import translation

from .selectors import email_language


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form; its email is written in the account holder's language (issue 22:
    email_language, their profile's, else their organization's, else LANGUAGE_CODE), not the
    language of whoever asked for it on the reset page."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with translation.override(email_language(context["user"])):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
