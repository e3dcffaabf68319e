"""Look-ups whose SQL the ORM builds once per database, not on every call.

For the few queries every request of a hot path runs (the API token with its user's rows, the
vendor an opening names, the version in force, the customer's contracts): building the SQL of a
QuerySet, joins and columns, costs more than SQLite takes to run it.
`CompiledGet(Model, lambda mark: Model.objects.filter(field=mark))` compiles the QuerySet once
with marker values (exact matches or comparisons: each marker must reach the SQL as its field
adapts it), then each call runs that SQL with the values in the markers' places and turns the
rows into instances as the QuerySet would (the compiler's converters, then select_related's
populators: related rows cached, missing ones cached as missing; a list's rows peers of each
other as the fetch mode has them).

The markers' kinds say how a value reaches the SQL: "str" and "int" as they are, "datetime" as
the database's datetime columns store it (`connection.ops.adapt_datetimefield_value`: a UTC
string on SQLite, the aware value on PostgreSQL). A QuerySet of values (`values_list`) gives
its rows (`rows`), one of instances its instances (`get`, `all`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from weakref import ref as weak_ref

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


def _marker(kind: str, i: int):
    if kind == "str":
        return f"portal.compiled:mark{i}"
    if kind == "int":
        return -7_300_000_001 - i  # no key is negative
    if kind == "datetime":
        return datetime(1001, 1, 1, 0, 0, i, 1, tzinfo=UTC)
    raise ValueError(f"A compiled look-up has no parameter kind {kind!r}")


class _Compiled:
    def __init__(self, queryset: QuerySet, alias: str, kinds: tuple[str, ...], marks: list):
        self.model, self.alias, self.fetch_mode = queryset.model, alias, queryset._fetch_mode
        ops = connections[alias].ops
        self.adapters = [ops.adapt_datetimefield_value if kind == "datetime" else None for kind in kinds]
        self.compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.places = []  # per marker, where its value goes among the parameters
        for adapter, mark in zip(self.adapters, marks, strict=True):
            adapted = adapter(mark) if adapter else mark
            places = [i for i, p in enumerate(self.params) if type(p) is type(adapted) and p == adapted]
            if not places:
                raise ValueError(f"A compiled look-up's marker did not reach its SQL as it is: {mark!r}")
            self.places.append(places)
        select, klass_info = self.compiler.select, self.compiler.klass_info
        self.converters = self.compiler.get_converters([column for column, _, _ in select])
        self.klass_info = klass_info
        if klass_info is not None:
            self.start, self.end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            self.names = [column.target.attname for column, _, _ in select[self.start : self.end]]
            self.populators = get_related_populators(klass_info, select, alias, self.fetch_mode)

    def rows(self, values, limit: int | None = None) -> list[tuple]:
        params = list(self.params)
        for adapter, places, value in zip(self.adapters, self.places, values, strict=True):
            value = adapter(value) if adapter else value
            for place in places:
                params[place] = value
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        if self.converters and rows:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows

    def instance(self, row):
        instance = self.model.from_db(
            self.alias, self.names, row[self.start : self.end], fetch_mode=self.fetch_mode
        )
        for populator in self.populators:
            populator.populate(row, instance)
        return instance


class CompiledGet:
    """`build(*marks)` is the QuerySet with one marker per parameter, of `kinds` ("str" by
    default); `get(*values)` answers as `build(*values).get()` does (DoesNotExist,
    MultipleObjectsReturned), `all(*values)` as `list(build(*values))`, `rows(*values)` as
    `list(build(*values))` of a values QuerySet."""

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], kinds: tuple[str, ...] = ("str",)):
        self.model, self.build, self.kinds = model, build, kinds
        self.compiled: dict[tuple[str, str], _Compiled] = {}

    def _compiled(self) -> _Compiled:
        alias = router.db_for_read(self.model)
        key = (alias, connections[alias].vendor)
        compiled = self.compiled.get(key)
        if compiled is None:
            marks = [_marker(kind, i) for i, kind in enumerate(self.kinds)]
            queryset = self.build(*marks).using(alias)
            compiled = self.compiled[key] = _Compiled(queryset, alias, self.kinds, marks)
        return compiled

    def get(self, *values):
        compiled = self._compiled()
        rows = compiled.rows(values, limit=2)
        if not rows:
            raise self.model.DoesNotExist(f"{self.model._meta.object_name} matching query does not exist.")
        if len(rows) > 1:
            raise self.model.MultipleObjectsReturned(f"More than one {self.model._meta.object_name} matched.")
        return compiled.instance(rows[0])

    def all(self, *values) -> list:
        compiled = self._compiled()
        found = [compiled.instance(row) for row in compiled.rows(values)]
        if compiled.fetch_mode.track_peers and found:
            peers = [weak_ref(instance) for instance in found]
            for instance in found:
                instance._state.peers = peers
        return found

    def rows(self, *values) -> list[tuple]:
        return self._compiled().rows(values)
