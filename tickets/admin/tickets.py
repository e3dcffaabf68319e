"""Django admin is the staff UI: triage in the changelist, the case on its detail page. Every change
goes through tickets.services; nothing here knows a rule of its own."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.lookups import IsNull
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy

from policies.models import PriorityLevel, ResolutionCode
from policies.words import due_words
from portal.history import HistoryAdmin
from portal.idempotency import KeyReused, Submission, form_submit_once
from portal.selectors import person_name, user_timezone

from ..models import Reply, Status, TargetState, Ticket
from ..selectors import SEARCH_HELP, ticket_search
from ..services import (
    attachment_add,
    canned_replies_for,
    canned_reply_render,
    reopen_offered,
    reply_add,
    ticket_assign,
    ticket_change_priority,
    ticket_close,
    ticket_open,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_wait_on_customer,
)
from ..services.billing import ticket_reclassify
from ..services.vendors import ticket_set_vendor_reference
from ..views import ALREADY_SENT, REPLY_SCOPE
from ..words import Cause, Said, reason_words
from .casetables import case_table
from .desk import BUILT_IN_VIEWS, save_view, saved_views_for
from .forms import (
    PersonChoiceField,
    PriorityChangeForm,
    ReclassifyForm,
    ResolveForm,
    TicketAddForm,
    choices_of,
    version_ids,
)
from .inlines import (
    CONVERSATION_COLUMNS,
    AttachmentInline,
    NewReplyFormSet,
    NewReplyInline,
    SlaTargetInline,
    conversation,
)
from .listing import (
    BADGE_COLOURS,
    BADGE_LABELS,
    AssigneeFilter,
    CappedCountPaginator,
    MineFilter,
    OpenFilter,
    PriorityFilter,
    SlaStateFilter,
    live_sla_state,
)
from .organize import FollowerInline, OrganizeActions, SearchRankedChangeList, apply_each
from .vendors import VendorAndChaseActions, WithVendorFilter

User = get_user_model()
MIXED_VENDORS = gettext_lazy(
    "Select cases of one vendor: each vendor has its own {what}. Filter the list by vendor first."
)
# The case page's buttons for the moves a case can make from its status, each the list's action of that
# name for the one case (TicketAdmin.resume_view…): (name, label, offered for the case). Only offered:
# whether the move is allowed is the service's to say.
CASE_MOVES = [
    ("resume", gettext_lazy("Resume"), lambda ticket: ticket.status == Status.WAITING_ON_CUSTOMER),
    ("close", gettext_lazy("Close"), lambda ticket: ticket.status == Status.RESOLVED),
    ("reopen", gettext_lazy("Reopen"), reopen_offered),
]
# Next deadline first, cases without one (paused, no target, closed) after them, newest first; the
# ticket_triage index holds exactly this order, so a page is read from it without a sort.
TRIAGE_ORDER = [
    IsNull(F("next_due_at"), True).asc(),
    F("next_due_at").asc(),
    F("opened_at").desc(),
    F("id").asc(),
]


@admin.register(Ticket)
class TicketAdmin(OrganizeActions, VendorAndChaseActions, HistoryAdmin):
    list_display = [
        "number",
        "subject",
        "organization",
        "vendor",
        "priority",
        "status",
        "assignee_name",
        "next_due",
        "sla_badge",
    ]
    list_display_links = ["number"]
    list_filter = [
        "vendor",
        PriorityFilter,
        OpenFilter,
        "status",
        SlaStateFilter,
        AssigneeFilter,
        MineFilter,
        WithVendorFilter,
    ]
    list_select_related = ["organization", "vendor", "priority", "assignee"]
    search_fields = ["number", "subject", "requester__username", "requester__email"]
    search_help_text = SEARCH_HELP
    # Already total (id last), so the changelist adds no "-pk" of its own that would force a sort.
    ordering = TRIAGE_ORDER
    paginator = CappedCountPaginator
    show_full_result_count = False
    # Facet counts would run one COUNT over 100,000 tickets per filter choice.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    # The assignee is a plain select of the desk's people by name (a few dozen), not an autocomplete.
    autocomplete_fields = ["organization", "requester", "vendor", "product", "major_version"]
    change_list_template = "admin/tickets/ticket/change_list.html"
    actions = [
        "assign_to_me",
        "change_priority",
        "wait_on_customer",
        "resolve",
        "resume",
        "close",
        "reopen",
        "reclassify",
        "merge",
        "split",
        "add_follower",
        "chase",
        "hand_to_vendor",
        "vendor_answered",
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
        (None, {"fields": ["number", "subject", "status", "assignee", "sla_badge", "next_due"]}),
        (
            "Case",
            {
                "fields": [
                    "organization",
                    "requester_name",
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
                    "vendor_reference",
                    "with_vendor_since",
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
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            # Django's own wording for the stock column (its admin catalog translates it).
            format_html(gettext("Select this object for an action - {}"), obj.number),
        )

    @admin.display(description=gettext_lazy("Next due"), ordering=F("next_due_at").asc(nulls_last=True))
    def next_due(self, ticket: Ticket) -> str:
        """In the agent's zone (changelist_view and change_view activate it), named, and relative.
        strftime rather than the localized date filter: a fifth of the cost, same reading for staff."""
        if ticket.next_due_at is None:
            return "—"
        local = timezone.localtime(ticket.next_due_at)
        return format_html(
            '<time datetime="{}" title="{}">{}</time> <span class="due-in">{}</span>',
            ticket.next_due_at.isoformat(),
            timezone.get_current_timezone_name(),
            local.strftime("%a %d %b %H:%M %Z"),
            due_words(ticket.next_due_at - timezone.now()),
        )

    @admin.display(description=gettext_lazy("Assignee"), ordering="assignee__first_name")
    def assignee_name(self, ticket: Ticket) -> str:
        return person_name(ticket.assignee) if ticket.assignee_id else "—"

    @admin.display(description=gettext_lazy("Requester"))
    def requester_name(self, ticket: Ticket) -> str:
        return format_html("{} &lt;{}&gt;", person_name(ticket.requester), ticket.requester.email)

    @admin.display(description=gettext_lazy("SLA"))
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
        editable = {"assignee", "vendor_reference"}
        return [f for _, options in self.change_fieldsets for f in options["fields"] if f not in editable]

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        # The conversation is no inline: change_view reads it in one query for the template.
        # Nor are the read-only sections (CASE_TABLES): plain tables, one query each.
        return [NewReplyInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = User.objects.filter(is_staff=True).order_by("first_name", "last_name")
            kwargs["form_class"] = PersonChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("Body"))
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
        if "vendor_reference" in form.changed_data:
            ticket_set_vendor_reference(
                ticket=obj, by=request.user, reference=form.cleaned_data["vendor_reference"]
            )

    def save_formset(self, request, form, formset, change):
        if isinstance(formset, NewReplyFormSet):
            # The admin's change message reads these, as if formset.save() had run.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for reply_form in formset.forms:
                if not reply_form.has_changed() or not reply_form.cleaned_data.get("body"):
                    continue
                try:
                    reply = self._send_reply_once(request, formset.instance, reply_form.cleaned_data)
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                except KeyReused:
                    self.message_user(request, ALREADY_SENT, messages.ERROR)
                else:
                    if reply is not None:
                        formset.new_objects.append(reply)
            return
        super().save_formset(request, form, formset, change)

    def _send_reply_once(self, request, ticket: Ticket, data: dict) -> Reply | None:
        """The reply box carries the portal's one-time token (portal.idempotency): a double click
        on "Send", or the browser sending the page again, adds (and mails) the reply once. Returns
        the reply this request added, None when its token had sent it already."""
        added = []

        def create() -> Submission:
            reply = self._send_reply(request, ticket, data)
            added.append(reply)
            return Submission(str(reply.pk))

        form_submit_once(request, scope=REPLY_SCOPE, target=ticket.number, create=create)
        return added[0] if added else None

    @staticmethod
    def _send_reply(request, ticket: Ticket, data: dict):
        """The reply and its files in one transaction, as the portal sends them: a refused file
        sends no reply."""
        with transaction.atomic():
            reply = reply_add(
                ticket=ticket,
                author=request.user,
                body=data["body"],
                internal=data.get("internal", False),
                wait_on_customer=data.get("wait_on_customer", False),
            )
            for upload in data.get("files") or []:
                attachment_add(ticket=ticket, uploaded_by=request.user, upload=upload, reply=reply)
        return reply

    # -- the agent's zone, saved views, canned replies

    def changelist_view(self, request, extra_context=None):
        context = {
            **(extra_context or {}),
            "agent_zone": str(_agent_zone(request)),
            "built_in_views": BUILT_IN_VIEWS,
            "saved_views": saved_views_for(request.user),
            "current_query": request.GET.urlencode(),
        }
        return self._in_agents_zone(request, super().changelist_view, request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if ticket is not None:
            context["canned_replies"] = list(canned_replies_for(ticket))
            context["agent_zone"] = str(_agent_zone(request))
            context["conversation"] = conversation(ticket)
            context["conversation_columns"] = CONVERSATION_COLUMNS
            context["case_tables"] = [case_table(table, self, request, ticket) for table in self.CASE_TABLES]
            context["case_moves"] = self._case_moves(request, ticket)
        return self._in_agents_zone(request, super().change_view, request, object_id, form_url, context)

    def _case_moves(self, request, ticket: Ticket) -> list[dict]:
        if not self.has_change_permission(request, ticket):
            return []
        return [
            {"url": reverse(f"admin:tickets_ticket_{name}", args=[ticket.pk]), "label": label}
            for name, label, offered in CASE_MOVES
            if offered(ticket)
        ]

    # Every foreign key the case page shows, read with the case (a lazy query each otherwise).
    CASE_PAGE_RELATED = [
        "organization",
        "requester",
        "assignee",
        "vendor",
        "policy_version__vendor",
        "priority",
        "product",
        "major_version",
        "parent",
        "resolution_code",
    ]

    # The case page's read-only sections, in order: their columns are these inlines', rendered as tables.
    CASE_TABLES = [SlaTargetInline, AttachmentInline, FollowerInline]

    def get_object(self, request, object_id, from_field=None):
        """The case once per request, with what its page shows: change_view reads it for the
        canned replies, then the admin's own view reads it again."""
        cache = request.__dict__.setdefault("_tickets_case", {})
        key = (object_id, from_field)
        if key not in cache:
            queryset = self.get_queryset(request).select_related(*self.CASE_PAGE_RELATED)
            field = Ticket._meta.pk if from_field is None else Ticket._meta.get_field(from_field)
            try:  # as ModelAdmin.get_object, on the joined queryset
                cache[key] = queryset.get(**{field.name: field.to_python(object_id)})
            except (Ticket.DoesNotExist, ValidationError, ValueError):
                cache[key] = None
        return cache[key]

    @staticmethod
    def _in_agents_zone(request, view, *args):
        """Times on the page in the agent's own zone: rendered here, inside the override, since a
        TemplateResponse would otherwise render after the view returned (in the server's zone)."""
        with timezone.override(_agent_zone(request)):
            response = view(*args)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response

    def response_change(self, request, obj):
        # "Send" under the reply box saves like "Save and continue editing": back to the case.
        if "_send" in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        response = super().response_change(request, obj)
        # The admin keeps the page's query string; a canned reply, once sent, is not filled in again.
        if isinstance(response, HttpResponseRedirect) and "canned=" in response["Location"]:
            url = urlsplit(response["Location"])
            query = urlencode([(k, v) for k, v in parse_qsl(url.query) if k != "canned"])
            response["Location"] = urlunsplit(url._replace(query=query))
        return response

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        canned_id = request.GET.get("canned", "")
        if isinstance(inline, NewReplyInline) and request.method == "GET" and canned_id.isdecimal():
            canned = get_object_or_404(canned_replies_for(obj), pk=int(canned_id))
            text = canned_reply_render(canned=canned, ticket=obj, agent=request.user)
            kwargs["initial"] = [{"body": text}]
            self.message_user(
                request,
                gettext(
                    "“%(title)s” is filled in for %(number)s below: read it, change what you need, then send."
                )
                % {"title": canned.title, "number": obj.number},
                messages.INFO,
            )
        return kwargs

    def history_reason_words(self, reason: str | None) -> str:
        return reason_words(reason)  # stored as a code and its values, worded for the agent reading

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("views/save/", view(save_view), name="tickets_ticket_save_view"),
            path("<path:object_id>/resolve/", view(self.resolve_view), name="tickets_ticket_resolve"),
            path("<path:object_id>/priority/", view(self.priority_view), name="tickets_ticket_priority"),
            path(
                "<path:object_id>/reclassify/", view(self.reclassify_view), name="tickets_ticket_reclassify"
            ),
            path("<path:object_id>/resume/", view(self.resume_view), name="tickets_ticket_resume"),
            path("<path:object_id>/close/", view(self.close_view), name="tickets_ticket_close"),
            path("<path:object_id>/reopen/", view(self.reopen_view), name="tickets_ticket_reopen"),
            *super().get_urls(),
        ]

    # -- actions

    def _each(self, request, queryset, service, done: str, **arguments) -> None:
        """Apply one service to every selected ticket, reported case by case (organize.apply_each)."""
        apply_each(self, request, queryset, service, done, **arguments)

    @admin.action(description=gettext_lazy("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(request, queryset, ticket_assign, gettext("assigned to you"), assignee=request.user)

    @admin.action(description=gettext_lazy("Mark waiting on customer"), permissions=["change"])
    def wait_on_customer(self, request, queryset):
        self._each(request, queryset, ticket_wait_on_customer, gettext("now wait on the customer"))

    @admin.action(description=gettext_lazy("Resume (back to open)"), permissions=["change"])
    def resume(self, request, queryset, *, single: bool = False):
        """The desk resumes a case waiting on the customer: its paused clocks run again, the wait credited."""
        resumed = Said(Cause.DESK_RESUMED)
        self._each(request, queryset, ticket_resume, gettext("back to open"), cause=resumed)

    @admin.action(description=gettext_lazy("Close resolved cases"), permissions=["change"])
    def close(self, request, queryset, *, single: bool = False):
        self._each(request, queryset, ticket_close, gettext("closed"))

    @admin.action(description=gettext_lazy("Reopen"), permissions=["change"])
    def reopen(self, request, queryset, *, single: bool = False):
        self._each(request, queryset, ticket_reopen, gettext("reopened"))

    def _one_vendor(self, request, queryset, what: str) -> bool:
        if queryset.order_by().values("vendor_id").distinct().count() > 1:
            self.message_user(request, MIXED_VENDORS.format(what=what), messages.ERROR)
            return False
        return True

    @admin.action(description=gettext_lazy("Change priority…"), permissions=["change"])
    def change_priority(self, request, queryset, *, single: bool = False):
        if not self._one_vendor(request, queryset, "priorities"):
            return None
        rows = PriorityLevel.objects.filter(version__in=version_ids(queryset)).order_by("rank")
        current = set(queryset.order_by().values_list("priority__code", flat=True).distinct())
        form = PriorityChangeForm(
            request.POST if "apply" in request.POST or single and request.method == "POST" else None,
            choices=choices_of(rows.values_list("code", "name")),
            current=current.pop() if len(current) == 1 else None,
        )
        if form.is_valid():
            self._each(
                request,
                queryset,
                ticket_change_priority,
                gettext("changed priority"),
                priority=form.cleaned_data["priority"],
                reason=form.cleaned_data["reason"],
            )
            return None
        return self._action_page(
            request, queryset, form, gettext("Change priority"), "change_priority", single=single
        )

    @admin.action(description=gettext_lazy("Resolve with code…"), permissions=["change"])
    def resolve(self, request, queryset, *, single: bool = False):
        if not self._one_vendor(request, queryset, gettext("resolution codes")):
            return None
        rows = ResolutionCode.objects.filter(version__in=version_ids(queryset)).order_by("id")
        form = ResolveForm(
            request.POST if "apply" in request.POST or single and request.method == "POST" else None,
            choices=choices_of(rows.values_list("code", "name")),
        )
        if form.is_valid():
            self._each(
                request,
                queryset,
                ticket_resolve,
                gettext("resolved"),
                resolution_code=form.cleaned_data["resolution_code"],
                message=form.cleaned_data["message"],
            )
            return None
        return self._action_page(request, queryset, form, "Resolve", "resolve", single=single)

    @admin.action(description=gettext_lazy("Re-classify as a vulnerability or not…"), permissions=["change"])
    def reclassify(self, request, queryset, *, single: bool = False):
        """Issue 21 point 3: the re-classification service, with its reason, for each chosen case."""
        one = queryset.first() if single else None
        form = ReclassifyForm(
            request.POST if "apply" in request.POST or single and request.method == "POST" else None,
            current=one.vulnerability if one is not None else None,
            cve_id=one.cve_id if one is not None else "",
        )
        if form.is_valid():
            self._each(
                request,
                queryset,
                ticket_reclassify,
                gettext("re-classified"),
                vulnerability=form.cleaned_data["vulnerability"],
                cve_id=form.cleaned_data["cve_id"],
                reason=form.cleaned_data["reason"],
            )
            return None
        return self._action_page(request, queryset, form, gettext("Re-classify"), "reclassify", single=single)

    def _case_action(self, request, object_id: str, action) -> HttpResponseRedirect | TemplateResponse:
        """One case's "Resolve…", "Change priority…" or a move (resume, close, reopen) from its page:
        the action's own form and service, for a queryset of that case; back to the case when done."""
        ticket = self.get_object(request, object_id)
        if ticket is None:
            return HttpResponseRedirect(reverse("admin:tickets_ticket_changelist"))
        if not self.has_change_permission(request, ticket):
            raise PermissionDenied
        response = action(request, self.get_queryset(request).filter(pk=ticket.pk), single=True)
        if response is None:
            return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
        return response

    def resolve_view(self, request, object_id: str):
        return self._case_action(request, object_id, self.resolve)

    def priority_view(self, request, object_id: str):
        return self._case_action(request, object_id, self.change_priority)

    def reclassify_view(self, request, object_id: str):
        return self._case_action(request, object_id, self.reclassify)

    def _case_move(self, request, object_id: str, action):
        """A button of the case page that moves it at once (resume, close, reopen): posted only, so
        a link followed or prefetched moves nothing."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return self._case_action(request, object_id, action)

    def resume_view(self, request, object_id: str):
        return self._case_move(request, object_id, self.resume)

    def close_view(self, request, object_id: str):
        return self._case_move(request, object_id, self.close)

    def reopen_view(self, request, object_id: str):
        return self._case_move(request, object_id, self.reopen)

    def _action_page(
        self, request: HttpRequest, queryset, form, title: str, action: str, *, single: bool = False
    ) -> TemplateResponse:
        context = {
            "single": single,
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


def _agent_zone(request):
    """The agent's zone, looked up once per request (the page, its times and the override)."""
    if not hasattr(request, "_agent_zone"):
        request._agent_zone = user_timezone(request.user)
    return request._agent_zone
