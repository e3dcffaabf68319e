"""The triage list's "with the vendor" filter (issue 20 point 6): cases the desk handed to their
vendor and still waits on (tickets.services.vendors), or the others; and the issue's actions on
cases: chasing the customer, handing to the vendor and its answer."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..services import chases, vendors


class WithVendorFilter(admin.SimpleListFilter):
    title = _("with the vendor")
    parameter_name = "with_vendor"

    def lookups(self, request, model_admin):
        return [("yes", _("With the vendor")), ("no", _("Not with the vendor"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(with_vendor_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(with_vendor_since__isnull=True)
        return queryset


# ---------------------------------------------------------------------------- actions (issue 20)


class ChaseForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the customer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional: what the desk still needs. The reminder is recorded with its time."),
    )


def _chase(*, ticket, by, message: str = "") -> None:
    chases.ticket_chase(ticket=ticket, by=by, message=message)


def _hand_over(*, ticket, by) -> None:
    vendors.ticket_hand_to_vendor(ticket=ticket, by=by)


def _answered(*, ticket, by) -> None:
    vendors.ticket_vendor_answered(ticket=ticket, by=by)


class VendorAndChaseActions:
    """The desk's reminder to a customer a case waits on (tickets.services.chases.ticket_chase),
    and handing cases to their vendor and recording its answer (tickets.services.vendors), each
    reported case by case. The vendor's case number itself is edited on the case page."""

    @admin.action(description=_("Remind the customer (chase)…"), permissions=["change"])
    def chase(self, request, queryset):
        form = ChaseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._each(request, queryset, _chase, gettext("reminded"), message=form.cleaned_data["message"])
            return None
        return self._action_page(request, queryset, form, gettext("Remind the customer"), "chase")

    @admin.action(description=_("Hand to the vendor"), permissions=["change"])
    def hand_to_vendor(self, request, queryset):
        self._each(request, queryset, _hand_over, gettext("handed to the vendor"))

    @admin.action(description=_("The vendor answered"), permissions=["change"])
    def vendor_answered(self, request, queryset):
        self._each(request, queryset, _answered, gettext("answered by the vendor"))
