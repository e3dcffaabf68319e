"""Django admin is the staff UI: triage in the changelist, the case on its detail page. Every change
goes through tickets.services; nothing here knows a rule of its own."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from policies.models import PriorityLevel, ResolutionCode
from portal.history import HistoryAdmin

from ..models import TargetState, Ticket
from ..selectors import SEARCH_HELP, ticket_search
from ..services import (
    reply_add,
    ticket_assign,
    ticket_change_priority,
    ticket_open,
    ticket_resolve,
    ticket_wait_on_customer,
)
from .forms import PriorityChangeForm, ResolveForm, TicketAddForm, choices_of, version_ids
from .inlines import AttachmentInline, NewReplyFormSet, NewReplyInline, ReplyInline, SlaTargetInline
from .listing import (
    BADGE_COLOURS,
    BADGE_LABELS,
    AssigneeFilter,
    CappedCountPaginator,
    MineFilter,
    PriorityFilter,
    SlaStateFilter,
    live_sla_state,
)
from .organize import FollowerInline, OrganizeActions, SearchRankedChangeList, apply_each

User = get_user_model()


@admin.register(Ticket)
class TicketAdmin(OrganizeActions, HistoryAdmin):
    list_display = [
        "number",
        "subject",
        "organization",
        "vendor",
        "priority",
        "status",
        "assignee",
        "next_due",
        "sla_badge",
    ]
    list_display_links = ["number"]
    list_filter = ["vendor", PriorityFilter, "status", SlaStateFilter, AssigneeFilter, MineFilter]
    list_select_related = ["organization", "vendor", "priority", "assignee"]
    search_fields = ["number", "subject", "requester__username", "requester__email"]
    search_help_text = SEARCH_HELP
    # Matches the ticket_opened index (-opened_at, id) exactly, and already total, so the changelist
    # adds no "-pk" of its own that would force a sort of the whole table.
    ordering = ["-opened_at", "id"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    # Facet counts would run one COUNT over 100,000 tickets per filter choice.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    autocomplete_fields = ["organization", "requester", "vendor", "assignee", "product", "major_version"]
    actions = [
        "assign_to_me",
        "change_priority",
        "wait_on_customer",
        "resolve",
        "merge",
        "split",
        "add_follower",
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "organization",
                    "requester",
                    "vendor",
                    "product",
                    "major_version",
                    "onsite_requested",
                    "remote_failed",
                    "priority_code",
                    "kind",
                    "channel",
                    "subject",
                    "body",
                    "confirm_billable",
                ]
            },
        )
    ]
    change_fieldsets = [
        (None, {"fields": ["number", "subject", "status", "assignee", "sla_badge", "next_due_at"]}),
        (
            "Case",
            {
                "fields": [
                    "organization",
                    "requester",
                    "vendor",
                    "policy_version",
                    "priority",
                    "kind",
                    "channel",
                    "product",
                    "major_version",
                    "onsite_requested",
                    "parent",
                    "resolution_code",
                    "billable",
                    "billable_reason",
                ]
            },
        ),
        ("Description", {"fields": ["description"]}),
        ("Times", {"fields": ["opened_at", "updated_at", "first_responded_at", "resolved_at", "closed_at"]}),
    ]

    # -- list

    def action_checkbox(self, obj):
        # The stock column renders a form widget's template for every row: a fifth of the page's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" '
            'aria-label="Select this object for an action - {}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            obj.number,
        )

    @admin.display(description="Next due", ordering="next_due_at")
    def next_due(self, ticket: Ticket) -> str:
        # strftime rather than the localized date filter: a fifth of the cost, same reading for staff.
        if ticket.next_due_at is None:
            return "—"
        return timezone.localtime(ticket.next_due_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="SLA")
    def sla_badge(self, ticket: Ticket) -> str:
        state = live_sla_state(ticket, timezone.now())
        label = BADGE_LABELS.get(state) or TargetState(state).label
        return format_html(
            '<span class="sla-badge sla-{}" style="background:{}; color:#fff; padding:1px 6px; '
            'border-radius:8px; white-space:nowrap">{}</span>',
            state,
            BADGE_COLOURS.get(state, "#999"),
            label,
        )

    def get_search_results(self, request, queryset, search_term):
        """The portal's and the API's search, ranked (tickets.selectors.ticket_search)."""
        return ticket_search(queryset, search_term), False

    def get_changelist(self, request, **kwargs):
        return SearchRankedChangeList

    def has_delete_permission(self, request, obj=None):
        # A case is a record (numbers are never reused, history is kept): close it, never delete it.
        return False

    # -- detail and add

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TicketAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        editable = {"assignee"}
        return [f for _, options in self.change_fieldsets for f in options["fields"] if f not in editable]

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [SlaTargetInline, ReplyInline, NewReplyInline, AttachmentInline, FollowerInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = User.objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Body")
    def description(self, ticket: Ticket) -> str:
        # body_html is sanitized by portal.markdown (nh3) when the ticket is opened.
        return format_html("<div class='ticket-body'>{}</div>", mark_safe(ticket.body_html))  # noqa: S308

    def save_model(self, request, obj, form, change):
        if not change:
            ticket = ticket_open(**form.service_arguments())
            for field in Ticket._meta.concrete_fields:
                setattr(obj, field.attname, getattr(ticket, field.attname))
            obj._state.adding = False
            return
        if "assignee" in form.changed_data:
            ticket_assign(ticket=obj, assignee=form.cleaned_data["assignee"], by=request.user)

    def save_formset(self, request, form, formset, change):
        if isinstance(formset, NewReplyFormSet):
            # The admin's change message reads these, as if formset.save() had run.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for reply_form in formset.forms:
                if not reply_form.has_changed() or not reply_form.cleaned_data.get("body"):
                    continue
                try:
                    reply = reply_add(
                        ticket=formset.instance,
                        author=request.user,
                        body=reply_form.cleaned_data["body"],
                        internal=reply_form.cleaned_data.get("internal", False),
                        wait_on_customer=reply_form.cleaned_data.get("wait_on_customer", False),
                    )
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                else:
                    formset.new_objects.append(reply)
            return
        super().save_formset(request, form, formset, change)

    # -- actions

    def _each(self, request, queryset, service, done: str, **arguments) -> None:
        """Apply one service to every selected ticket, reported case by case (organize.apply_each)."""
        apply_each(self, request, queryset, service, done, **arguments)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(request, queryset, ticket_assign, "assigned to you", assignee=request.user)

    @admin.action(description="Mark waiting on customer", permissions=["change"])
    def wait_on_customer(self, request, queryset):
        self._each(request, queryset, ticket_wait_on_customer, "now wait on the customer")

    @admin.action(description="Change priority…", permissions=["change"])
    def change_priority(self, request, queryset):
        rows = PriorityLevel.objects.filter(version__in=version_ids(queryset)).order_by("rank")
        form = PriorityChangeForm(
            request.POST if "apply" in request.POST else None,
            choices=choices_of(rows.values_list("code", "name")),
        )
        if form.is_valid():
            self._each(
                request,
                queryset,
                ticket_change_priority,
                "changed priority",
                priority=form.cleaned_data["priority"],
                reason=form.cleaned_data["reason"],
            )
            return None
        return self._action_page(request, queryset, form, "Change priority", "change_priority")

    @admin.action(description="Resolve with code…", permissions=["change"])
    def resolve(self, request, queryset):
        rows = ResolutionCode.objects.filter(version__in=version_ids(queryset)).order_by("id")
        form = ResolveForm(
            request.POST if "apply" in request.POST else None,
            choices=choices_of(rows.values_list("code", "name")),
        )
        if form.is_valid():
            self._each(
                request,
                queryset,
                ticket_resolve,
                "resolved",
                resolution_code=form.cleaned_data["resolution_code"],
                message=form.cleaned_data["message"],
            )
            return None
        return self._action_page(request, queryset, form, "Resolve", "resolve")

    def _action_page(self, request: HttpRequest, queryset, form, title: str, action: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "tickets": queryset.select_related("vendor", "priority"),
            "action_name": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/tickets/ticket/action_form.html", context)
