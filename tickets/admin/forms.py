"""Forms of the staff UI: the intermediate pages of two actions, and opening a case for a customer."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from policies.models import PriorityLevel, Vendor
from policies.selectors import version_in_force
from portal.selectors import person_name

from ..forms import MultipleFileField
from ..models import Reply, Ticket
from ..services import ticket_open


class PriorityChangeForm(forms.Form):
    priority = forms.ChoiceField(label=_("New priority"))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, choices, current: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = choices
        # The case's own priority, so a slip of the mouse changes nothing rather than raising it.
        self.fields["priority"].initial = current


class ResolveForm(forms.Form):
    resolution_code = forms.ChoiceField(label=_("Resolution"))
    message = forms.CharField(
        label=_("Message to the customer"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Sent with the resolution and shown on the case: it is the desk's answer."),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolution_code"].choices = choices


class ReclassifyForm(forms.Form):
    """Issue 21 point 3: the desk re-classifies a case as a vulnerability or not, with a reason
    (tickets.services.billing.ticket_reclassify decides the charge again)."""

    vulnerability = forms.BooleanField(
        label=_("A vulnerability"),
        required=False,
        help_text=_("On an Extended Support version a vulnerability is fixed free; an ordinary bug is not."),
    )
    cve_id = forms.CharField(
        label=_("CVE id"), max_length=30, required=False, help_text=_("Where known, e.g. CVE-2026-4321.")
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept as an internal note and in the case's history."),
    )

    def __init__(self, *args, current: bool | None = None, cve_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if current is not None:  # one case: its own classification to start from
            self.fields["vulnerability"].initial = current
            self.fields["cve_id"].initial = cve_id


def choices_of(rows) -> list[tuple[str, str]]:
    """(code, label) pairs, one per code: selected tickets of several vendors share codes."""
    seen: dict[str, str] = {}
    for code, name in rows:
        seen.setdefault(code, f"{name} ({code})")
    return list(seen.items())


def version_ids(queryset: QuerySet[Ticket]) -> QuerySet:
    return queryset.order_by().values("policy_version_id").distinct()


class TicketAddForm(forms.ModelForm):
    """Opening a case for a customer (by phone, say): the service decides everything else."""

    priority_code = forms.ChoiceField(label=_("Priority"))
    remote_failed = forms.BooleanField(
        label=_("Remote help could not solve it"),
        required=False,
        help_text=_(
            "With an on-site visit: on Basic, a critical case qualifies only after remote help failed."
        ),
    )
    confirm_billable = forms.BooleanField(
        label=_("The customer accepts the charge"),
        required=False,
        help_text=_("A case that will be charged (an on-site visit, say) is opened only once they have."),
    )

    class Meta:
        model = Ticket
        fields = [
            "organization",
            "requester",
            "vendor",
            "product",
            "major_version",
            "onsite_requested",
            "subject",
            "body",
            "kind",
            "channel",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority_code"].choices = self._priority_choices()

    @staticmethod
    def _priority_choices() -> list:
        in_force = [version_in_force(vendor=vendor) for vendor in Vendor.objects.all()]
        priorities = (
            PriorityLevel.objects.filter(version__in=[v for v in in_force if v is not None])
            .select_related("version__vendor")
            .order_by("version__vendor__name", "rank")
        )
        groups: dict[str, list] = {}
        for priority in priorities:
            groups.setdefault(priority.version.vendor.name, []).append((priority.code, priority.name))
        return list(groups.items())

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "organization": data["organization"],
            "requester": data["requester"],
            "vendor": data["vendor"],
            "priority": data["priority_code"],
            "subject": data["subject"],
            "body": data["body"],
            "kind": data["kind"],
            "channel": data["channel"],
            "product": data.get("product"),
            "major_version": data.get("major_version"),
            "onsite": data.get("onsite_requested", False),
            "remote_failed": data.get("remote_failed", False),
            "confirm_billable": data.get("confirm_billable", False),
        }

    # The service names its arguments; this form names some of them after the model's fields.
    SERVICE_FIELDS = {"onsite": "onsite_requested"}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # Try the real service and roll it back: its rules decide, here and in save_model alike.
        try:
            with transaction.atomic():
                ticket_open(**self.service_arguments())
                transaction.set_rollback(True)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                field = self.SERVICE_FIELDS.get(field, field)
                self.add_error(field if field in self.fields else None, problems)
        return cleaned


class PersonChoiceField(forms.ModelChoiceField):
    """People by name ("Dana Desk"), as the desk calls them, not by username."""

    def label_from_instance(self, obj) -> str:
        return person_name(obj)


class NewReplyForm(forms.ModelForm):
    wait_on_customer = forms.BooleanField(required=False, label=_("Then wait on the customer"))
    # The portal's field: every file passes the customers' checks (size, type by content) first.
    files = MultipleFileField(label=_("Attach files"))

    class Meta:
        model = Reply
        fields = ["body", "internal"]
