"""Forms of the customer portal: open a case, reply, filter the list; and the priority helper
that turns Albert's impact questions into a suggested priority."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lifecycle.models import MajorVersion, Product
from policies.models import Vendor
from policies.selectors import vendor_list
from portal.markdown import MAX_LENGTH, TOO_LONG

from .models import Kind, Status
from .services import MAX_FILES, attachment_validate

TOO_MANY_FILES = lazy(  # read in the language of the request that gets it
    lambda: (
        ngettext(
            "Attach at most %(count)d file at a time.", "Attach at most %(count)d files at a time.", MAX_FILES
        )
        % {"count": MAX_FILES}
    ),
    str,
)()
CHOOSE_PRIORITY = _("Choose a priority: each level's meaning is shown beside it.")


# ---------------------------------------------------------------------------- priority helper


class UsersAffected:
    ONE = "one"
    SEVERAL = "several"
    MAJORITY = "majority"
    CHOICES = [
        (ONE, _("One person")),
        (SEVERAL, _("Several people or a department")),
        (MAJORITY, _("Most or all users")),
    ]


class Workaround:
    YES = "yes"
    NOT_OPTIMAL = "not_optimal"
    NO = "no"
    CHOICES = [(YES, _("Yes")), (NOT_OPTIMAL, _("Yes, but not a good one")), (NO, _("No"))]


# Vendors whose policy states impact criteria the helper asks about (Albert, seed 002).
IMPACT_HELPER_VENDORS = {"albert"}


def suggest_priority(*, users: str, workaround: str, halted: bool) -> str:
    """Albert's priority for a case, from the policy's impact criteria:
    Urgent — business function halted, no work-around, most users affected (production outage);
    High   — a function halted otherwise, or several/most users affected (major impact);
    Medium — one person with no work-around or a poor one (loss of productivity);
    Low    — one person with a work-around in place (no business impact)."""
    if halted and workaround == Workaround.NO and users == UsersAffected.MAJORITY:
        return "urgent"
    if halted or users in (UsersAffected.SEVERAL, UsersAffected.MAJORITY):
        return "high"
    if workaround == Workaround.YES:
        return "low"
    return "medium"


UNANSWERED = [("", _("Choose…"))]  # no answer is pre-selected: a suggestion needs all three of the customer's


class ImpactForm(forms.Form):
    users = forms.ChoiceField(
        label=_("Who is affected?"), choices=UNANSWERED + UsersAffected.CHOICES, required=False
    )
    workaround = forms.ChoiceField(
        label=_("Is there a work-around?"), choices=UNANSWERED + Workaround.CHOICES, required=False
    )
    halted = forms.ChoiceField(
        label=_("Is a business function halted?"),
        choices=UNANSWERED + [("no", _("No")), ("yes", _("Yes"))],
        required=False,
    )

    def answered(self) -> bool:
        """Whether any question has an answer: each answer re-renders the panel, and the helper
        must stay open on the questions still to answer."""
        return any(self[name].value() for name in self.fields)

    def suggestion(self) -> str | None:
        if not self.is_valid() or not all(
            self.cleaned_data.get(f) for f in ("users", "workaround", "halted")
        ):
            return None
        data = self.cleaned_data
        return suggest_priority(
            users=data["users"], workaround=data["workaround"], halted=data["halted"] == "yes"
        )


# ---------------------------------------------------------------------------- attachments


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the attachment rules before anything is saved."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_FILES:
            raise ValidationError(TOO_MANY_FILES)
        errors = []
        for upload in files:
            super().clean(upload, initial)
            try:
                attachment_validate(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return files


# ---------------------------------------------------------------------------- open a case


class TaggedSelect(forms.Select):
    """A select whose options name their owner (`data-<key>="…"`), so that the page's script can
    offer only the chosen vendor's products and the chosen product's versions. Without the
    script every option shows, and the entitlement check refuses a product of another vendor."""

    def __init__(self, *, key: str, owner: Callable[[Any], object], **kwargs):
        super().__init__(**kwargs)
        self.key, self.owner = key, owner

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)  # None for the empty choice
        if instance is not None:
            option["attrs"][f"data-{self.key}"] = str(self.owner(instance))
        return option


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, product) -> str:
        return f"{product.vendor.name} — {product.name}"


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, version) -> str:
        return f"{version.product.name} {version.name}"


# A description or reply past portal.markdown.MAX_LENGTH gets the service's message on its field.
# A validator, not max_length: that would also set the textarea's maxlength, and a browser cuts
# a pasted text short at it without a word.
BODY_LENGTH = MaxLengthValidator(MAX_LENGTH, message=TOO_LONG)


class TicketOpenForm(forms.Form):
    vendor = forms.ModelChoiceField(
        label=_("Vendor"), queryset=Vendor.objects.none(), to_field_name="slug", empty_label=None
    )
    product = ProductChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("Not about one product"),
        help_text=_("Needed for Infotecs, which supports licensed products only."),
        widget=TaggedSelect(key="vendor", owner=lambda product: product.vendor.slug),
    )
    major_version = VersionChoiceField(
        label=_("Version"),
        queryset=MajorVersion.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("The major version the problem is reproduced in."),
        widget=TaggedSelect(key="product", owner=lambda version: version.product_id),
    )
    onsite = forms.BooleanField(label=_("We need an engineer on site"), required=False)
    remote_failed = forms.BooleanField(label=_("Remote diagnosis could not solve it"), required=False)
    # Issue 21: shown in the policy panel where the vendor's policy offers them (Infotecs).
    vulnerability = forms.BooleanField(label=_("This is a security vulnerability"), required=False)
    cve_id = forms.CharField(
        label=_("CVE id"), max_length=20, required=False, help_text=_("Where known, e.g. CVE-2026-12345.")
    )
    emergency = forms.BooleanField(
        label=_("Emergency call: immediate reaction (charged per call, Premium)"), required=False
    )
    # Shown in the policy panel only when the case will be charged; ticket_open decides and refuses.
    confirm_billable = forms.BooleanField(label=_("I understand this case will be charged"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind of case"),
        choices=Kind.choices,
        initial=Kind.INCIDENT,
        widget=forms.RadioSelect,
        help_text=_("Only vendors whose policy separates requests from incidents accept requests."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[], error_messages={"required": CHOOSE_PRIORITY}
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 10}),
        validators=[BODY_LENGTH],
        help_text=_("Markdown: **bold**, *italic*, `code`, lists, links. What happened, what you expected?"),
    )
    files = MultipleFileField(
        label=_("Attachments"), help_text=_("PDF, images, ZIP/Office or text; up to 10 MB each.")
    )

    def __init__(self, *args, priorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = vendor_list()
        self.fields["product"].queryset = Product.objects.select_related("vendor").order_by(
            "vendor__name", "name"
        )
        self.fields["major_version"].queryset = MajorVersion.objects.select_related("product").order_by(
            "product__name", "-number"
        )
        self.fields["priority"].choices = [(p.code, p.name) for p in priorities]

    def clean_cve_id(self) -> str:
        from .services.billing import cve_id_clean

        try:
            return cve_id_clean(self.cleaned_data["cve_id"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["cve_id"]) from None


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 6}),
        validators=[BODY_LENGTH],
    )
    files = MultipleFileField(label=_("Attach files"))


# ---------------------------------------------------------------------------- my cases


class StatusFilter:
    ALL = ""
    OPEN = "open"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CHOICES = [
        (ALL, _("All cases")),
        (OPEN, _("Open")),
        (WAITING, _("Waiting on you")),
        (RESOLVED, _("Resolved or closed")),
    ]
    STATUSES = {
        OPEN: (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER),
        WAITING: (Status.WAITING_ON_CUSTOMER,),
        RESOLVED: (Status.RESOLVED, Status.CLOSED),
    }


class TicketFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Show"), choices=StatusFilter.CHOICES, required=False)
    vendor = forms.ChoiceField(label=_("Vendor"), required=False)
    product = forms.ChoiceField(label=_("Product"), required=False)
    requester = forms.ChoiceField(label=_("Opened by"), required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def __init__(self, *args, vendors, products, requesters=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].choices = [("", _("All vendors"))] + [(v.slug, v.name) for v in vendors]
        self.fields["product"].choices = [("", _("All products"))] + [(str(p.pk), p.name) for p in products]
        if requesters is None:
            del self.fields["requester"]
        else:
            self.fields["requester"].choices = [("", _("Anyone"))] + [
                (u.username, u.get_full_name() or u.username) for u in requesters
            ]
