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

`InsertCompiledOnce` does the same for the INSERTs of the hot writes (an opening's case, its
history row, targets, events and notices): the SQL of each shape (model, columns, rows, returned
columns) is built by the ORM once and checked against the values the ORM would send; later rows of
that shape send the same SQL, each value prepared as the ORM prepares it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from weakref import ref as weak_ref

from django.db import connections, models, router
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import AutoField, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery


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


# ------------------------------------------------------------------------------ INSERTs built once

# Field classes whose get_db_prep_save hands values of these exact types to the driver unchanged (a
# str, or any str such as a TextChoices member, to a CharField; an int to an IntegerField; None to
# any of them): those values skip the call.
_TEXT = frozenset({str, type(None)})
_INT = frozenset({int, type(None)})
_AS_IS_BY_FIELD = {
    models.CharField: _TEXT,
    models.TextField: _TEXT,
    models.EmailField: _TEXT,
    models.SlugField: _TEXT,
    models.IntegerField: _INT,
    models.PositiveIntegerField: _INT,
    models.PositiveSmallIntegerField: _INT,
    models.SmallIntegerField: _INT,
    models.BigIntegerField: _INT,
    models.AutoField: _INT,
    models.BigAutoField: _INT,
    models.BooleanField: frozenset({bool, type(None)}),
}
_ADAPT_INTEGER = BaseDatabaseOperations.adapt_integerfield_value  # integers as they are
MOST_ROWS = 16  # larger INSERTs (the sweeps' batches) are the ORM's: their compiling is spread thin


def _as_is(field, connection) -> frozenset:
    if type(field) in (models.ForeignKey, models.OneToOneField):
        return _as_is(field.target_field, connection)  # a key is prepared as the column it points to
    types = _AS_IS_BY_FIELD.get(type(field), frozenset())
    if types is _INT and type(connection.ops).adapt_integerfield_value is not _ADAPT_INTEGER:
        return frozenset()  # a driver's typed integers (psycopg's Int2, Int4, Int8): the ORM's call
    return types


def _own_placeholder(field) -> bool:
    """A field whose values' placeholder is its own (geometries, a database's binary syntax), not
    "%s": their SQL may change with the value. A binary column's changes only for an expression,
    which the ORM builds every time."""
    if type(field) is models.BinaryField:
        return False
    return getattr(field, "get_placeholder_sql", None) is not None


def _same_value(mine, theirs) -> bool:
    """Whether a value this module prepared is the one the ORM prepared: equal, or the same
    driver wrapper of equal values (psycopg's Jsonb for a JSON column, equal only to itself)."""
    if type(mine) is not type(theirs):
        return False
    if mine == theirs:
        return True
    wrapped = getattr(mine, "obj", _Uncompilable)
    return wrapped is not _Uncompilable and wrapped == getattr(theirs, "obj", _Uncompilable)


class _Uncompilable(Exception):
    """A shape whose SQL depends on its values (expressions, database defaults, placeholders of
    the field's own): the ORM builds it every time."""


class _Insert:
    """One INSERT shape on one database: the SQL the ORM built for it, and how each column's
    values reach the driver. `first_params` are the ORM's own parameters for the rows it was
    compiled with; `run` sends those, or `params` of any later rows of the same shape."""

    def __init__(self, model: type[Model], fields: tuple, returning: tuple, objs: list, alias: str):
        if any(f.has_db_default() or _own_placeholder(f) for f in fields):
            raise _Uncompilable
        self.alias, self.table, self.returning = alias, model._meta.db_table, returning
        query = InsertQuery(model)
        query.insert_values(list(fields), objs)
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = list(returning) or None
        statements = compiler.as_sql()  # pre_save (auto_now) has run on objs: as the ORM's INSERT
        if len(statements) != 1:
            raise _Uncompilable
        self.sql, self.first_params = statements[0]
        self.returning_params = compiler.returning_params
        connection = connections[alias]
        self.columns = [
            (f, f.attname, as_is, as_is is _TEXT, type(f).pre_save is models.Field.pre_save)
            for f in fields
            for as_is in [_as_is(f, connection)]
        ]
        mine = self.params(objs, pre_save=False)
        if mine is None or len(mine) != len(self.first_params):
            raise _Uncompilable
        if not all(map(_same_value, mine, self.first_params)):
            raise _Uncompilable
        features = connection.features
        if not returning:
            self.fetch = None
        elif (features.can_return_rows_from_bulk_insert and len(objs) > 1) or (
            features.can_return_columns_from_insert and len(objs) == 1
        ):
            self.fetch = "rows"
        elif isinstance(returning[0], AutoField):
            self.fetch = "last id"
        else:
            self.fetch = None
        fetched = {"rows": returning, "last id": returning[:1]}.get(self.fetch, ())
        self.converters = compiler.get_converters([f.get_col(self.table) for f in fetched])
        query.objs = []  # the compiler is kept for its converters, not the rows it was built with
        self.compiler = compiler

    def params(self, objs: list, *, pre_save: bool = True) -> list | None:
        """The values of `objs` as the ORM's INSERT sends them; None if one is an expression."""
        connection = connections[self.alias]
        out = []
        for obj in objs:
            for field, attname, as_is, text, plain in self.columns:
                value = getattr(obj, attname) if plain or not pre_save else field.pre_save(obj, True)
                if type(value) not in as_is and not (text and isinstance(value, str)):  # a choice is a str
                    if hasattr(value, "resolve_expression"):
                        return None
                    value = field.get_db_prep_save(value, connection=connection)
                out.append(value)
        return out

    def run(self, params) -> list:
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            if self.fetch is None:
                return []
            if self.fetch == "rows":
                rows = connection.ops.fetch_returned_rows(cursor, self.returning_params)
            else:
                column = self.returning[0].column
                rows = [(connection.ops.last_insert_id(cursor, self.table, column),)]
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return list(rows)


_inserts: dict[tuple, _Insert | None] = {}


def _expressions(objs: list, fields) -> bool:
    return any(hasattr(getattr(obj, f.attname), "resolve_expression") for obj in objs for f in fields)


class InsertCompiledOnce(QuerySet):
    """A QuerySet (and, as a model's base manager, its `save()`) whose plain INSERTs of a few
    rows send SQL built once per shape, each value prepared as the ORM prepares it (pre_save,
    get_db_prep_save), the returned keys converted as the ORM converts them. Raw inserts,
    conflict clauses, expressions and shapes the check refuses go through the ORM as before."""

    def _insert(
        self,
        objs,
        fields,
        returning_fields=None,
        raw=False,
        using=None,
        on_conflict=None,
        update_fields=None,
        unique_fields=None,
    ):
        objs = list(objs)
        if raw or on_conflict is not None or not fields or not 0 < len(objs) <= MOST_ROWS:
            return super()._insert(
                objs, fields, returning_fields, raw, using, on_conflict, update_fields, unique_fields
            )
        self._for_write = True
        alias = using or self.db
        returning = tuple(returning_fields or ())
        key = (self.model, alias, connections[alias].vendor, tuple(fields), returning, len(objs))
        if key not in _inserts and not _expressions(objs, fields):
            try:
                compiled = _inserts[key] = _Insert(self.model, tuple(fields), returning, objs, alias)
            except _Uncompilable:
                _inserts[key] = None  # refused for its columns, not its values: the ORM's for good
            else:
                return compiled.run(compiled.first_params)
        compiled = _inserts.get(key)
        params = compiled.params(objs) if compiled is not None else None
        if params is None:
            return super()._insert(
                objs, fields, returning_fields, raw, using, on_conflict, update_fields, unique_fields
            )
        return compiled.run(params)

    _insert.alters_data = True
    _insert.queryset_only = False

    def __repr__(self) -> str:
        # A shell shows a QuerySet, as for any model; a model's own subclass keeps its name.
        shown = super().__repr__()
        if type(self) is InsertCompiledOnce:
            return "<QuerySet" + shown.removeprefix("<InsertCompiledOnce")
        return shown


class CompiledInserts(Model):
    """The abstract base of a model whose `save()` of a new row and `bulk_create` go through
    `InsertCompiledOnce`: its `objects` manager is the model's base manager, the one `save()`
    inserts with (a model naming its own `objects` gives it an InsertCompiledOnce QuerySet)."""

    objects = InsertCompiledOnce.as_manager()

    class Meta:
        abstract = True
        base_manager_name = "objects"
