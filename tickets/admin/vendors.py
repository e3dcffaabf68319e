"""The triage list's "with the vendor" filter (issue 20 point 6): cases the desk handed to their
vendor and still waits on (tickets.services.vendors), or the others."""

from __future__ import annotations

from django.contrib import admin


class WithVendorFilter(admin.SimpleListFilter):
    title = "with the vendor"
    parameter_name = "with_vendor"

    def lookups(self, request, model_admin):
        return [("yes", "With the vendor"), ("no", "Not with the vendor")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(with_vendor_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(with_vendor_since__isnull=True)
        return queryset
