"""The API's JSON parser (DRF's DEFAULT_PARSER_CLASSES). Its own module: DRF reads that setting
while rest_framework.views is imported, so the parser cannot live beside code that imports it."""

from __future__ import annotations

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import exceptions, parsers

# Every request body of this API is an object of plain values, a few levels deep at most.
# Deeper nesting is refused before any view sees it: 10,000 levels made the JSON decoder, or
# anything that walks the data afterwards (fingerprints, serializers), raise RecursionError.
MAX_JSON_DEPTH = 32
JSON_TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels is refused."
# No text of this product may hold a NUL, and PostgreSQL refuses one in any query. The API's one
# wording for it (DRF's CharField and config.limits' refusals of parameters and form fields say
# the same: Django's validator's message, in the reader's language).
NUL_REFUSED = ProhibitNullCharactersValidator.message


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with a 400 in the API's error shape a body nested deeper than
    MAX_JSON_DEPTH, and one that holds a NUL anywhere (a value, a list's item, a nested object's
    value or any object's key): named where it is, as DRF names a field, before any serializer
    reads it. A CharField refused one already, but a key, a value no serializer reads, or a field
    of another kind (a choice, a lookup) is no CharField's."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError({"non_field_errors": [JSON_TOO_DEEP]}) from None
        if _nesting_exceeds(data, MAX_JSON_DEPTH):
            raise exceptions.ParseError({"non_field_errors": [JSON_TOO_DEEP]})
        where = nul_path(data)
        if where is not None:  # a body that is no object has no field to name
            where = where if isinstance(data, dict) else ["non_field_errors"]
            raise exceptions.ParseError(_named(where, [NUL_REFUSED]))
        return data


class FormParser(parsers.FormParser):
    """DRF's form parser, refusing a field whose name or value holds a NUL as JSONParser does. Django
    reads a form only for a POST, which config.limits.WellFormedRequest checks; a PATCH in a form's
    encoding is parsed here (a NUL in a lookup's value was a 500 on PostgreSQL)."""

    def parse(self, stream, media_type=None, parser_context=None):
        return _without_nul(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing a NUL in a field's name or value (FormParser's reasons)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _without_nul(parsed.data)
        _without_nul(parsed.files)
        return parsed


def nul_field(data) -> str | None:
    """The first field of a form (a QueryDict, or a MultiValueDict of files) whose name or value holds
    a NUL, named without it; else None."""
    for name, values in data.lists():
        if "\x00" in name or any(isinstance(value, str) and "\x00" in value for value in values):
            return name.replace("\x00", "")
    return None


def _without_nul(data):
    field = nul_field(data)
    if field is not None:
        raise exceptions.ParseError({field: [NUL_REFUSED]})
    return data


def nul_path(data: object) -> list[str] | None:
    """Where the first NUL in parsed JSON is, in the body's order: the keys and list positions
    down to it (a key that holds one named without it), [] for a top-level string; else None.
    Walked with a stack of its own."""
    pending: list[tuple[object, list[str]]] = [(data, [])]
    while pending:
        value, path = pending.pop()
        if path and "\x00" in path[-1]:
            return [*path[:-1], path[-1].replace("\x00", "")]
        if isinstance(value, str) and "\x00" in value:
            return path
        if isinstance(value, dict):
            pending.extend((child, [*path, key]) for key, child in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend((value[index], [*path, str(index)]) for index in reversed(range(len(value))))
    return None


def _named(path: list[str], messages: list) -> dict:
    """DRF's shape of an error at `path` in an object: {"field": [...]}, a list's item or a nested
    key one level further down ({"field": {"0": [...]}})."""
    detail: object = messages
    for key in reversed(path):
        detail = {key: detail}
    return detail


def _nesting_exceeds(data: object, limit: int) -> bool:
    """Whether lists and objects nest deeper than `limit` (a scalar is depth 0), walked with a
    stack of its own so that the check cannot recurse too deep itself."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in value)
    return False
