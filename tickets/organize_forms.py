"""The portal's form for splitting a case into a subordinate incident (tickets.services.ticket_split)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.markdown import MAX_LENGTH, TOO_LONG


class SplitForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea,
        max_length=MAX_LENGTH,
        error_messages={"max_length": TOO_LONG},
    )
    priority = forms.CharField(label=_("Priority"), max_length=50)
