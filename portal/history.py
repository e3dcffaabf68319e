"""django-simple-history, with its manager class built once.

`Model.history` is a descriptor that builds a new manager class (`Manager.from_queryset`, which
walks the queryset class with `inspect`) on every access, and simple-history reads it on every
save of a tracked model: about 0.2 ms each time, for a class that never changes.
Every tracked model uses `HistoricalRecords` from here, and every admin of one `HistoryAdmin`, whose
history page words each change reason in the reader's language where the model's admin knows how."""

from __future__ import annotations

from functools import cache

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.http import Http404
from simple_history import manager, models
from simple_history.admin import SimpleHistoryAdmin

from portal.compiled import CompiledInserts


class HistoryManager(manager.HistoryManager):
    @classmethod
    @cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


class HistoricalRecords(models.HistoricalRecords):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("history_manager", HistoryManager)
        # The historical row of each save is inserted with SQL built once (portal.compiled).
        kwargs.setdefault("bases", (CompiledInserts,))
        super().__init__(*args, **kwargs)


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin, whose history pages answer 404 for an id no row can have ("abc"
    for a numeric key), as Django's own change page does: simple-history hands the id to the
    query as it comes, and the ValueError was a 500."""

    def history_view(self, request, object_id, extra_context=None):
        _valid_or_404(self.model._meta.pk, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_reason_words(self, reason: str | None) -> str:
        """A change reason as the history page shows it: as stored, unless the model's admin words
        the codes its services store (tickets.words.reason_words)."""
        return reason or ""

    def render_history_view(self, request, template, context, **kwargs):
        for record in context["page_obj"].object_list:
            record.history_change_reason = self.history_reason_words(record.history_change_reason)
        return super().render_history_view(request, template, context, **kwargs)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _valid_or_404(self.model._meta.pk, object_id)
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        _valid_or_404(history.model._meta.pk, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


def _valid_or_404(field: Field, value: str) -> None:
    try:
        field.to_python(value)
    except ValidationError:
        raise Http404(f"No {field.model._meta.verbose_name} with that id.") from None
