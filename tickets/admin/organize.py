"""Organizing cases in the triage list and on the case page: search read by rank, merge, split into
subordinate incidents and followers. Each goes through tickets.services; nothing here has a rule."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from policies.selectors import version_terms

from .. import services
from ..models import Follower, Ticket
from ..selectors import SEARCH_ORDERING


class SearchRankedChangeList(ChangeList):
    """A search is read by rank (tickets.selectors.ticket_search) unless a column header was clicked."""

    def get_ordering(self, request, queryset):
        ranked = "search_rank" in queryset.query.annotations
        if ranked and self.query.strip() and ORDER_VAR not in self.params:
            return list(SEARCH_ORDERING)
        return super().get_ordering(request, queryset)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each row's link from one reversed address with the list's filters already kept: the
        # stock row reverses its address, then resolves it again to add the filters (a fifth of
        # the list's time with a filter on). The rows' links then have no filters left to add.
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[PK_SLOT],
            current_app=self.model_admin.admin_site.name,
        )
        context = {"preserved_filters": self.preserved_filters, "opts": self.opts}
        self._row_url = add_preserved_filters(context, url)
        self.preserved_filters = ""

    def url_for_result(self, result) -> str:
        return self._row_url.replace(PK_SLOT, str(quote(getattr(result, self.pk_attname))), 1)


PK_SLOT = "__pk__"  # a placeholder no quoted key contains: admin's quote() escapes "_" as "_5F"


# ---------------------------------------------------------------------------- bulk actions


def _signature(ticket: Ticket) -> tuple:
    # What an action can change: equal before and after means the service had nothing to do.
    return (
        ticket.status,
        ticket.priority_id,
        ticket.assignee_id,
        ticket.resolution_code_id,
        ticket.merged_into_id,
        ticket.vulnerability,
        ticket.cve_id,
    )


def apply_each(model_admin, request, tickets, service, done: str, **arguments) -> None:
    """Apply one service to every selected case and report, case by case, what happened: changed,
    already so (the service had nothing to do), or refused and why. A refusal rolls back only its
    case: each service call is its own transaction."""
    changed, unchanged = [], []
    for ticket in tickets:
        before = _signature(ticket)
        try:
            after = service(ticket=ticket, by=request.user, **arguments)
        except ValidationError as error:
            model_admin.message_user(request, f"{ticket.number}: {' '.join(error.messages)}", messages.ERROR)
            continue
        (unchanged if after is not None and _signature(after) == before else changed).append(ticket.number)
    if changed:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d case %(done)s: %(numbers)s.",
                "%(count)d cases %(done)s: %(numbers)s.",
                len(changed),
            )
            % {"count": len(changed), "done": done, "numbers": ", ".join(changed)},
            messages.SUCCESS,
        )
    if unchanged:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d case already so, nothing changed: %(numbers)s.",
                "%(count)d cases already so, nothing changed: %(numbers)s.",
                len(unchanged),
            )
            % {"count": len(unchanged), "numbers": ", ".join(unchanged)},
            messages.INFO,
        )


# ---------------------------------------------------------------------------- merge, split, followers


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("Merge into case"), max_length=20, help_text=_("The case that is kept, e.g. ALC-000003.")
    )
    message = forms.CharField(
        label=_("Message to the customer"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SplitForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}))
    priority = forms.ChoiceField(label=_("Priority"))

    def __init__(self, *args, priorities, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = priorities
        self.fields["priority"].initial = current


class FollowerForm(forms.Form):
    username = forms.CharField(label=_("Member of the case's organization"), max_length=150)


class FollowerInline(admin.TabularInline):
    """Who is copied on the case's public emails; added with the "Add a follower…" action."""

    model = Follower
    fk_name = "ticket"
    fields = ["user", "added_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        # The people each row names, in the same query (a lazy look-up per follower otherwise).
        return super().get_queryset(request).select_related("user", "added_by")

    def has_add_permission(self, request, obj=None):
        return False


def _form_page(model_admin, request, tickets, form, title: str, action: str) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "form": form,
        "tickets": tickets,
        "action_name": action,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
        "single": False,
    }
    return TemplateResponse(request, "admin/tickets/ticket/action_form.html", context)


def _posted(request):
    return request.POST if "apply" in request.POST else None


class OrganizeActions:
    """Merge, split and add a follower: admin actions of TicketAdmin, through tickets.services."""

    @admin.action(description=_("Merge into another case…"), permissions=["change"])
    def merge(self, request, queryset):
        form = MergeForm(_posted(request))
        tickets = list(queryset.select_related("vendor", "priority"))
        if not form.is_valid():
            return _form_page(self, request, tickets, form, "Merge into another case", "merge")
        into = Ticket.objects.filter(number=form.cleaned_data["into"].strip().upper()).first()
        if into is None:
            self.message_user(
                request,
                gettext("No case %(number)s.") % {"number": form.cleaned_data["into"]},
                messages.ERROR,
            )
            return None

        def merge_one(*, ticket, by):
            services.ticket_merge(duplicate=ticket, into=into, by=by, message=form.cleaned_data["message"])

        apply_each(
            self, request, tickets, merge_one, gettext("merged into %(number)s") % {"number": into.number}
        )
        return None

    @admin.action(description=_("Split into a subordinate incident…"), permissions=["change"])
    def split(self, request, queryset):
        tickets = list(queryset.select_related("vendor", "priority", "policy_version")[:2])
        if len(tickets) != 1:
            self.message_user(request, _("Choose one case to split."), messages.ERROR)
            return None
        parent = tickets[0]
        priorities = [(p.code, p.name) for p in version_terms(parent.policy_version).priorities.values()]
        form = SplitForm(_posted(request), priorities=priorities, current=parent.priority.code)
        if not form.is_valid():
            return _form_page(self, request, tickets, form, "Split into a subordinate incident", "split")
        try:
            child = services.ticket_split(parent=parent, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            self.message_user(request, f"{parent.number}: {' '.join(error.messages)}", messages.ERROR)
            return None
        self.message_user(
            request,
            gettext("%(parent)s: split into %(child)s, on its own clock from now.")
            % {"parent": parent.number, "child": child.number},
        )
        return None

    @admin.action(description=_("Add a follower…"), permissions=["change"])
    def add_follower(self, request, queryset):
        form = FollowerForm(_posted(request))
        tickets = list(queryset.select_related("vendor", "priority"))
        if not form.is_valid():
            return _form_page(self, request, tickets, form, "Add a follower", "add_follower")
        user = get_user_model().objects.filter(username=form.cleaned_data["username"]).first()
        if user is None:
            self.message_user(
                request,
                gettext("No user %(username)s.") % {"username": form.cleaned_data["username"]},
                messages.ERROR,
            )
            return None

        def follow(*, ticket, by):
            services.follower_add(ticket=ticket, user=user, by=by)

        apply_each(
            self, request, tickets, follow, gettext("followed by %(username)s") % {"username": user.username}
        )
        return None
