"""The desk's saved views of the triage list: a name and the list's filters, kept per agent."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from ..models import SavedView

NAME_REQUIRED = _("Name the view.")
DESK_ONLY = _("Only the support desk has saved views.")
# Where on the list one is, not what it lists: a saved view always opens at its first page.
NOT_FILTERS = {"p", "_changelist_filters", "_to_field", "_popup"}


def _filters(query: str) -> str:
    params = QueryDict(query.lstrip("?"), mutable=True)
    for name in NOT_FILTERS:
        params.pop(name, None)
    return params.urlencode()


@transaction.atomic
def saved_view_save(
    *, owner, name: str, query: str, shared: bool, view: SavedView | None = None
) -> SavedView:
    """Create or update the owner's view of that name (saving "Breached" twice updates it)."""
    if not owner.is_staff:
        raise ValidationError({"owner": DESK_ONLY})
    name = name.strip()
    if not name:
        raise ValidationError({"name": NAME_REQUIRED})
    if view is None:
        view = SavedView.objects.filter(owner=owner, name=name).first() or SavedView(owner=owner)
    view.name, view.query, view.shared = name, _filters(query), shared
    view.full_clean()
    view.save()
    return view
