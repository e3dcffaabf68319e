"""A look-up by one value whose SQL the ORM builds once per database, not on every call.

For the few queries every request of a hot path runs (the API token with its user's rows, the
vendor an opening names): building the SQL of a QuerySet, joins and columns, costs more than
SQLite takes to run it. `CompiledGet(Model, lambda mark: Model.objects.filter(field=mark))`
compiles the QuerySet once with a marker value (an exact match: the marker must reach the SQL
as it is), then each `get(value)` runs that SQL with the value in the marker's place and turns
the row into instances as the QuerySet would (the compiler's converters, then select_related's
populators: related rows cached, missing ones cached as missing).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

_MARK = "portal.compiled:mark"  # the one parameter of the compiled look-up


class _Compiled:
    def __init__(self, queryset: QuerySet, alias: str):
        self.model, self.alias, self.fetch_mode = queryset.model, alias, queryset._fetch_mode
        self.compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.at = self.params.index(_MARK)
        select, klass_info = self.compiler.select, self.compiler.klass_info
        self.converters = self.compiler.get_converters([column for column, _, _ in select])
        self.start, self.end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.names = [column.target.attname for column, _, _ in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, alias, self.fetch_mode)

    def get(self, value):
        params = list(self.params)
        params[self.at] = value
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchmany(2)
        if not rows:
            raise self.model.DoesNotExist(f"{self.model._meta.object_name} matching query does not exist.")
        if len(rows) > 1:
            raise self.model.MultipleObjectsReturned(f"More than one {self.model._meta.object_name} matched.")
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        row = rows[0]
        instance = self.model.from_db(
            self.alias, self.names, row[self.start : self.end], fetch_mode=self.fetch_mode
        )
        for populator in self.populators:
            populator.populate(row, instance)
        return instance


class CompiledGet:
    """`build(mark)` is the QuerySet with the marker as its one string parameter; `get(value)`
    answers as `build(value).get()` does (DoesNotExist, MultipleObjectsReturned)."""

    def __init__(self, model: type[Model], build: Callable[[str], QuerySet]):
        self.model, self.build = model, build
        self.compiled: dict[tuple[str, str], _Compiled] = {}

    def get(self, value: str):
        alias = router.db_for_read(self.model)
        key = (alias, connections[alias].vendor)
        compiled = self.compiled.get(key)
        if compiled is None:
            compiled = self.compiled[key] = _Compiled(self.build(_MARK).using(alias), alias)
        return compiled.get(value)
