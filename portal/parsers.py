"""The API's JSON parser (DRF's DEFAULT_PARSER_CLASSES). Its own module: DRF reads that setting
while rest_framework.views is imported, so the parser cannot live beside code that imports it."""

from __future__ import annotations

from rest_framework import exceptions, parsers

# Every request body of this API is an object of plain values, a few levels deep at most.
# Deeper nesting is refused before any view sees it: 10,000 levels made the JSON decoder, or
# anything that walks the data afterwards (fingerprints, serializers), raise RecursionError.
MAX_JSON_DEPTH = 32
JSON_TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels is refused."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than MAX_JSON_DEPTH with a 400 in the
    API's error shape."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError({"non_field_errors": [JSON_TOO_DEEP]}) from None
        if _nesting_exceeds(data, MAX_JSON_DEPTH):
            raise exceptions.ParseError({"non_field_errors": [JSON_TOO_DEEP]})
        return data


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
