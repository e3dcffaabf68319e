"""django-simple-history, with its manager class built once.

`Model.history` is a descriptor that builds a new manager class (`Manager.from_queryset`, which
walks the queryset class with `inspect`) on every access, and simple-history reads it on every
save of a tracked model: about 0.2 ms each time, for a class that never changes.
Every tracked model uses `HistoricalRecords` from here; nothing else differs."""

from __future__ import annotations

from functools import cache

from simple_history import manager, models


class HistoryManager(manager.HistoryManager):
    @classmethod
    @cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


class HistoricalRecords(models.HistoricalRecords):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("history_manager", HistoryManager)
        super().__init__(*args, **kwargs)
