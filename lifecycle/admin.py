"""Staff admin for products, versions, contracts and the quota ledger. Saves go through the
services, so computed dates are recomputed and contract rules are checked the same way as
everywhere else."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.history import HistoryAdmin

from .models import (
    Contract,
    ContractTarget,
    LedgerKind,
    MajorVersion,
    MinorVersion,
    PremiumOption,
    Product,
    QuotaLedgerEntry,
)
from .services import (
    contract_validate,
    major_version_delete,
    major_version_save,
    product_milestones_recompute,
    quota_exchange_validate,
)


class MajorVersionInline(admin.TabularInline):
    model = MajorVersion
    fields = ["number", "name", "ga", "eos", "eoms", "eol", "eoms_provisional"]
    readonly_fields = ["number", "name", "ga", "eos", "eoms", "eol", "eoms_provisional"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # versions are added on their own page, so their dates are recomputed


@admin.register(Product)
class ProductAdmin(HistoryAdmin):
    list_display = ["name", "vendor", "version_count"]
    list_filter = ["vendor"]
    list_select_related = ["vendor"]
    search_fields = ["name", "vendor__name"]
    inlines = [MajorVersionInline]

    @admin.display(description=_("Major versions"))
    def version_count(self, product: Product) -> int:
        return product.major_versions.count()


class MinorVersionInline(admin.TabularInline):
    model = MinorVersion
    extra = 0


@admin.register(MajorVersion)
class MajorVersionAdmin(HistoryAdmin):
    list_display = ["__str__", "ga", "eos", "eoms_display", "eol_display", "phase_today"]
    list_filter = ["product__vendor", "product", "eoms_provisional"]
    list_select_related = ["product"]
    search_fields = ["name", "product__name"]
    autocomplete_fields = ["product"]
    readonly_fields = ["eoms", "eol", "eoms_provisional", "eoms_bound"]
    inlines = [MinorVersionInline]
    fieldsets = [
        (None, {"fields": ["product", "number", "name", "announced_at", "ga", "eos"]}),
        (_("Computed (SPEC §3)"), {"fields": ["eoms", "eol", "eoms_provisional", "eoms_bound"]}),
        (
            _("Override (stated otherwise in the product life cycle)"),
            {"fields": ["eoms_override", "eol_override", "override_reason"]},
        ),
    ]

    @admin.display(description=_("EOMS"), ordering="eoms")
    def eoms_display(self, version: MajorVersion) -> str:
        if version.eoms is None:
            return "—"
        suffix = (
            gettext(" (override)")
            if version.eoms_override
            else gettext(" (provisional)")
            if version.eoms_provisional
            else ""
        )
        return f"{version.eoms:%Y-%m-%d}{suffix}"

    @admin.display(description=_("EOL"), ordering="eol")
    def eol_display(self, version: MajorVersion) -> str:
        if version.eol is None:
            return "—"
        return f"{version.eol:%Y-%m-%d}{gettext(' (override)') if version.eol_override else ''}"

    @admin.display(description=_("Phase today"))
    def phase_today(self, version: MajorVersion) -> str:
        return version.phase_words_at(timezone.localdate())

    def save_model(self, request, obj, form, change):
        major_version_save(version=obj)

    def delete_model(self, request, obj):
        major_version_delete(version=obj)

    def delete_queryset(self, request, queryset):
        products = {v.product for v in queryset}
        queryset.delete()
        for product in products:
            product_milestones_recompute(product=product)


class ContractForm(forms.ModelForm):
    """The vendor follows the product; the rule that spans contracts (Premium needs a Basic
    one) runs after the model's own validation, so the form shows it like any other error."""

    class Meta:
        model = Contract
        fields = [
            "organization",
            "product",
            "major_version",
            "reference",
            "plan",
            "deployment",
            "start",
            "end",
            "license_price",
            "currency",
            "authorized_contacts",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("product"):
            self.instance.vendor = cleaned["product"].vendor
        organization = cleaned.get("organization")
        strangers = [
            person.username
            for person in cleaned.get("authorized_contacts") or []
            if organization is None
            or getattr(getattr(person, "membership", None), "organization_id", None) != organization.pk
        ]
        if strangers:
            self.add_error(
                "authorized_contacts",
                gettext("Not members of the organization: %(names)s.") % {"names": ", ".join(strangers)},
            )
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                contract_validate(contract=self.instance)
            except ValidationError as error:
                self.add_error(None, error)


class QuotaLedgerForm(forms.ModelForm):
    """Staff record exchanges; uses are written by the cases themselves (quota_use_record)."""

    class Meta:
        model = QuotaLedgerEntry
        fields = ["contract", "contract_year", "kind", "tickets", "premium_service", "recorded_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:
            self.fields["kind"].choices = [(LedgerKind.EXCHANGE.value, LedgerKind.EXCHANGE.label)]

    def _post_clean(self):
        super()._post_clean()
        if not self.errors and self.instance._state.adding:
            try:
                quota_exchange_validate(
                    contract=self.instance.contract,
                    contract_year=self.instance.contract_year,
                    tickets=self.instance.tickets,
                )
            except ValidationError as error:
                self.add_error(None, error)


class PremiumOptionInline(admin.TabularInline):
    model = PremiumOption
    extra = 0


class ContractTargetInline(admin.TabularInline):
    model = ContractTarget
    extra = 0


@admin.register(Contract)
class ContractAdmin(HistoryAdmin):
    form = ContractForm
    list_display = ["__str__", "organization", "vendor", "plan", "deployment", "start", "end", "price"]
    list_filter = ["vendor", "plan", "deployment"]
    list_select_related = ["organization", "vendor", "product", "major_version"]
    search_fields = ["reference", "organization__name", "product__name"]
    autocomplete_fields = ["product", "major_version", "authorized_contacts"]
    readonly_fields = ["vendor"]
    inlines = [PremiumOptionInline, ContractTargetInline]
    date_hierarchy = "start"

    @admin.display(description=_("License price"), ordering="license_price")
    def price(self, contract: Contract) -> str:
        return format_html("{} {}", contract.license_price, contract.currency)


@admin.register(PremiumOption)
class PremiumOptionAdmin(admin.ModelAdmin):
    list_display = ["contract", "kind", "price", "note"]
    list_filter = ["kind"]
    list_select_related = ["contract__organization", "contract__product", "contract__major_version"]
    search_fields = ["contract__reference", "contract__organization__name", "note"]
    autocomplete_fields = ["contract"]


@admin.register(ContractTarget)
class ContractTargetAdmin(admin.ModelAdmin):
    list_display = ["contract", "priority_code", "kind", "duration", "unit", "calendar"]
    list_filter = ["kind", "unit"]
    list_select_related = [
        "contract__organization",
        "contract__product",
        "contract__major_version",
        "calendar",
    ]
    search_fields = ["contract__reference", "contract__organization__name", "priority_code"]
    autocomplete_fields = ["contract"]


@admin.register(QuotaLedgerEntry)
class QuotaLedgerEntryAdmin(admin.ModelAdmin):
    list_display = [
        "contract",
        "contract_year",
        "kind",
        "tickets",
        "ticket_number",
        "premium_service",
        "recorded_at",
        "recorded_by",
    ]
    list_filter = ["kind"]
    list_select_related = [
        "contract__organization",
        "contract__product",
        "contract__major_version",
        "recorded_by",
    ]
    search_fields = [
        "contract__reference",
        "contract__organization__name",
        "premium_service",
        "ticket_number",
    ]
    autocomplete_fields = ["contract"]
    readonly_fields = ["recorded_by"]
    form = QuotaLedgerForm

    def get_readonly_fields(self, request, obj=None):
        # A use follows its case (resolved, reopened): shown, never edited by hand.
        if obj is not None and obj.kind == LedgerKind.USE:
            return [*self.form._meta.fields, "ticket_number", "recorded_by"]
        return super().get_readonly_fields(request, obj)

    def get_changeform_initial_data(self, request):
        return {"recorded_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
