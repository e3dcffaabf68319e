"""The desk's own tools beside the triage list: saved views (an agent's filters, kept or shared)
and canned replies (stock answers per vendor, filled for a case before the agent sends them)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.selectors import person_name

from ..models import CannedReply, SavedView
from ..services.canned import PLACEHOLDERS, canned_reply_check
from ..services.desk import saved_view_save

# The views every agent starts with; the changelist's own filters, so a click is an ordinary page.
BUILT_IN_VIEWS = [
    (_("My open cases"), "mine=yes&open=yes"),
    (_("Breached"), "open=yes&sla=breached"),
    (_("Due within 1 h"), "sla=due_soon"),
    (_("Unassigned"), "assignee=none&open=yes"),
]


def saved_views_for(user) -> list[SavedView]:
    """The agent's own views and the ones colleagues shared, with whose they are."""
    return list(SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner"))


@require_POST
def save_view(request: HttpRequest) -> HttpResponseRedirect:
    """Keep the list's current filters under a name (the form under the search box)."""
    changelist = reverse("admin:tickets_ticket_changelist")
    try:
        view = saved_view_save(
            owner=request.user,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
            shared=request.POST.get("shared") == "on",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(changelist)
    messages.success(
        request,
        (
            gettext("View “%(name)s” saved and shared with the desk.")
            if view.shared
            else gettext("View “%(name)s” saved.")
        )
        % {"name": view.name},
    )
    return HttpResponseRedirect(f"{changelist}?{view.query}" if view.query else changelist)


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """An agent's views, and colleagues' shared ones (read-only to anyone but the owner)."""

    list_display = ["name", "owner_name", "shared", "open_link"]
    list_filter = ["shared"]
    search_fields = ["name", "query"]
    fields = ["name", "query", "shared"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("owner")
        return queryset.filter(Q(owner=request.user) | Q(shared=True))

    def _owns(self, request, obj) -> bool:
        return obj is None or obj.owner_id == request.user.pk

    def has_change_permission(self, request, obj=None):
        return self._owns(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._owns(request, obj) and super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk action deletes only the agent's own: a shared view is its owner's to remove.
        queryset.filter(owner=request.user).delete()

    def save_model(self, request, obj, form, change):
        saved = saved_view_save(
            owner=obj.owner if change else request.user,
            name=obj.name,
            query=obj.query,
            shared=obj.shared,
            view=obj if change else None,
        )
        obj.pk, obj.owner_id = saved.pk, saved.owner_id

    @admin.display(description=_("Owner"), ordering="owner__first_name")
    def owner_name(self, view: SavedView) -> str:
        return person_name(view.owner)

    @admin.display(description=_("Open"))
    def open_link(self, view: SavedView) -> str:
        return format_html(
            '<a href="{}?{}">Open the list</a>', reverse("admin:tickets_ticket_changelist"), view.query
        )


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "vendor", "body"]
        help_texts = {
            "body": "Markdown. Placeholders, filled for the case when an agent picks it: "
            + "; ".join(f"{{{name}}} ({meaning})" for name, meaning in PLACEHOLDERS.items())
            + ". Write {{ and }} for a literal brace."
        }

    def clean(self):
        cleaned = super().clean()
        if "body" in cleaned:
            try:
                canned_reply_check(cleaned["body"])
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    form = CannedReplyForm
    list_display = ["title", "vendor_or_all"]
    list_filter = ["vendor"]
    list_select_related = ["vendor"]
    search_fields = ["title", "body"]

    @admin.display(description=_("Vendor"), ordering="vendor__name")
    def vendor_or_all(self, canned: CannedReply) -> str:
        return canned.vendor.name if canned.vendor_id else gettext("All vendors")
