"""The Orders page's forms (issue 21 point 6): what the customer orders, and which pilot version."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Contract, MajorVersion

from ..models import OrderKind


class OrderForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What you order"),
        choices=[
            (OrderKind.FEATURE_REQUEST, _("A feature request (Premium option; priced separately)")),
            (OrderKind.ADDITIONAL_SERVICE, _("An additional service (charged under your SLA)")),
        ],
        widget=forms.RadioSelect,
    )
    contract = forms.ModelChoiceField(label=_("Contract"), queryset=Contract.objects.none(), empty_label=None)
    description = forms.CharField(
        label=_("What you need"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )

    def __init__(self, *args, contracts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts
        self.fields["contract"].label_from_instance = lambda c: (
            f"{c.get_plan_display()} {c.reference or c.pk} — {c.product.name}"
        )


class PilotForm(forms.Form):
    major_version = forms.ModelChoiceField(
        label=_("Announced version"), queryset=MajorVersion.objects.none(), empty_label=None
    )
    note = forms.CharField(label=_("What you will try it on"), required=False, max_length=2000)

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["major_version"].queryset = MajorVersion.objects.filter(pk__in=[v.pk for v in versions])
