"""Infotecs' services in the staff admin (issue 21): work entries, expenses, remote sessions,
on-site visits and orders, listed and searchable by case, with small edits. What a change means
(quoting, delivering, a visit's arrival) is tickets.services.billing's: the order's state moves
through the API or its actions here, not by editing the state field."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Expense, OnsiteVisit, Order, OrderState, RemoteSession, WorkEntry
from ..services import billing


@admin.register(WorkEntry)
class WorkEntryAdmin(admin.ModelAdmin):
    list_display = ["ticket", "started_at", "minutes", "location", "specialist"]
    list_filter = ["location"]
    search_fields = ["ticket__number", "description"]
    list_select_related = ["ticket", "specialist"]
    raw_id_fields = ["ticket", "specialist"]
    date_hierarchy = "started_at"
    fields = ["ticket", "started_at", "minutes", "location", "specialist", "description", "recorded_at"]
    readonly_fields = ["recorded_at"]

    def has_add_permission(self, request) -> bool:
        return False  # logged through the case (API or billing.work_record), which checks the charge


@admin.register(Expense)
class ExpenseAdmin(admin.ModelAdmin):
    list_display = ["ticket", "incurred_on", "kind", "amount", "currency", "recorded_by"]
    list_filter = ["kind", "currency"]
    search_fields = ["ticket__number", "description"]
    list_select_related = ["ticket", "recorded_by"]
    raw_id_fields = ["ticket", "receipt", "recorded_by"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(RemoteSession)
class RemoteSessionAdmin(admin.ModelAdmin):
    list_display = ["ticket", "started_at", "minutes", "outcome", "specialist"]
    list_filter = ["outcome"]
    search_fields = ["ticket__number", "notes"]
    list_select_related = ["ticket", "specialist"]
    raw_id_fields = ["ticket", "specialist"]
    # The form's order (the model's fields start with SpecialistTime's, inherited).
    fields = ["ticket", "started_at", "minutes", "outcome", "specialist", "notes"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OnsiteVisit)
class OnsiteVisitAdmin(admin.ModelAdmin):
    list_display = ["ticket", "requested_at", "scheduled_for", "arrived_at", "address"]
    search_fields = ["ticket__number", "address"]
    list_select_related = ["ticket"]
    fields = ["ticket", "requested_at", "requested_by", "address", "scheduled_for", "arrived_at"]
    readonly_fields = ["ticket", "requested_at", "requested_by"]
    actions = ["arrived_now"]

    def has_add_permission(self, request) -> bool:
        return False  # the customer asks from the case page (billing.onsite_request)

    @admin.action(description=_("The specialist arrived on site now"))
    def arrived_now(self, request, queryset):
        """billing.visit_arrive on each: a visit already arrived keeps its first arrival."""
        done = 0
        for visit in queryset.select_related("ticket"):
            if visit.arrived_at is None:
                billing.visit_arrive(ticket=visit.ticket, by=request.user)
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d arrival recorded.", "%(count)d arrivals recorded.", done) % {"count": done},
            messages.SUCCESS,
        )


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "state", "organization", "ticket", "price", "currency", "requested_at"]
    list_filter = ["kind", "state"]
    search_fields = ["description", "organization__name", "ticket__number"]
    list_select_related = ["organization", "ticket"]
    readonly_fields = [
        "organization", "contract", "ticket", "major_version", "kind", "state", "requested_by",
        "requested_at", "quoted_by", "quoted_at", "accepted_by", "accepted_at", "declined_at", "delivered_at",
    ]  # fmt: skip
    fields = ["description", "price", "currency", "quote_text", "download_reference", *readonly_fields]
    actions = ["deliver"]

    def has_add_permission(self, request) -> bool:
        return False  # ordered from the portal or the API

    def save_model(self, request, obj, form, change):
        """A price given to a requested order is its quote (billing.order_quote: who and when)."""
        super().save_model(request, obj, form, change)
        if change and obj.state == OrderState.REQUESTED and obj.price is not None:
            billing.order_quote(order=obj, by=request.user, price=obj.price, quote_text=obj.quote_text)

    @admin.action(description=_("Deliver the chosen accepted orders (pilots: give the download reference)"))
    def deliver(self, request, queryset):
        done = 0
        for order in queryset:
            try:
                billing.order_deliver(
                    order=order, by=request.user, download_reference=order.download_reference
                )
                done += 1
            except ValidationError as error:
                self.message_user(request, f"#{order.pk}: {' '.join(error.messages)}", messages.ERROR)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d order delivered.", "%(count)d orders delivered.", done) % {"count": done},
                messages.SUCCESS,
            )
