"""API plumbing shared by every app: one error shape, one datetime format."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.utils.formatting import lazy_format
from rest_framework.utils.serializer_helpers import BindingDict
from rest_framework.views import exception_handler as drf_exception_handler

from . import idempotency
from .errors import DATABASE_OUTAGES, DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE, ApplicationError

NEEDS_OFFSET = _("Give a date and time in ISO 8601 with a UTC offset, e.g. 2026-03-06T16:45:00-05:00.")


def exception_handler(exc, context):
    """Django ValidationError and ApplicationError answer 400 in DRF's shape:
    {"field": ["message", …]}, with "non_field_errors" for the rest; a database outage answers
    503 {"detail": …} with Retry-After."""
    if isinstance(exc, DATABASE_OUTAGES):
        return Response(
            {"detail": DATABASE_UNAVAILABLE},
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ApplicationError):
        exc = exceptions.ValidationError({"non_field_errors": [exc.message], **exc.extra})
    return drf_exception_handler(exc, context)


class Serializer(serializers.Serializer):
    """DRF's Serializer, cheaper to build. DRF deep-copies every declared field for every
    instance, which runs each field's __init__ again (choices, validators, messages): 1.4 ms for
    a case's 30 fields here, more than turning the case into JSON. A declared field is a
    prototype that is never bound, so a shallow copy is enough for a leaf field; a field that
    holds other fields bound to it (a nested serializer, a list, dict or many-related field) is
    deep-copied as DRF does, so that its children reach this instance and its context — but for
    a `many=True` serializer, whose list and child are copied without their __init__ (_list_copy)."""

    @cached_property
    def fields(self) -> BindingDict:
        """DRF's (which it builds from `get_fields`, not used here), without binding each leaf
        field anew: bind() derives a field's name, label, source and method name from its name
        alone, the same for every instance, so a class's leaf fields are bound once
        (`_bound_templates`) and each instance's are copies of those with this instance as their
        parent. Containers are copied (`_field_copy`) and bound to this instance."""
        fields = BindingDict(self)
        for name, template in _bound_templates(self).items():
            if template is None:
                fields[name] = _field_copy(self._declared_fields[name])
            else:
                fields.fields[name] = clone = _shallow(template)
                clone.parent = self
        return fields


_CONTAINERS = (
    serializers.BaseSerializer,
    serializers.ListField,
    serializers.DictField,
    serializers.ManyRelatedField,
)
# What a serializer keeps of its own use (fields, data, errors): never copied from a prototype.
_OWN_STATE = frozenset(
    {"fields", "_data", "_errors", "_validated_data", "initial_data", "parent", "field_name"}
)
_TEMPLATES: dict[type, dict[str, serializers.Field | None]] = {}


def _bound_templates(serializer: Serializer) -> dict[str, serializers.Field | None]:
    """Per serializer class, each declared leaf field copied and bound to its name (its parent
    removed again), None for a container. Made by the class's first instance."""
    templates = _TEMPLATES.get(type(serializer))
    if templates is None:
        templates = {}
        for name, field in serializer._declared_fields.items():
            if isinstance(field, _CONTAINERS):
                templates[name] = None
                continue
            template = _field_copy(field)
            template.bind(field_name=name, parent=serializer)
            del template.parent
            templates[name] = template
        _TEMPLATES[type(serializer)] = templates
    return templates


def _shallow(field: serializers.Field) -> serializers.Field:
    # What copy.copy makes of a field (DRF's define no __copy__ and no __slots__): a new instance
    # of its class holding the same attributes, without copy's reduce protocol around it.
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


def _field_copy(field: serializers.Field) -> serializers.Field:
    if type(field) is serializers.ListSerializer and isinstance(field.child, serializers.BaseSerializer):
        return _list_copy(field)
    if isinstance(field, _CONTAINERS):
        return copy.deepcopy(field)
    if "_messages_reworded" not in field.__dict__:
        _reword_each_time(field)
    return _shallow(field)


def _list_copy(field: serializers.ListSerializer) -> serializers.ListSerializer:
    """A `many=True` serializer field: what deepcopy makes of it (the list and its child built
    again from their arguments, the child bound to the list) without running both __init__s
    again. The child is bound as its prototype is (to the name ""), to this copy, and comes
    without its prototype's own state: its fields are made when first read, bound to it (and
    through this copy to the instance and its context)."""
    clone = _shallow(field)
    for name in _OWN_STATE.intersection(clone.__dict__):
        del clone.__dict__[name]
    child = object.__new__(type(field.child))
    child.__dict__.update((key, value) for key, value in vars(field.child).items() if key not in _OWN_STATE)
    child.field_name, child.parent = field.child.field_name, clone
    clone.child = child
    return clone


def _reword_each_time(field: serializers.Field) -> None:
    """The copies share their prototype's validators. DRF words a length or value limit with
    lazy_format, which keeps its first wording: one Russian reader's error would have been every
    later reader's. Each such message becomes Django's format_lazy, worded anew each time it is
    shown, in the reader's language; done once per prototype, before any copy validates."""
    for validator in field.validators:
        message = getattr(validator, "message", None)
        if isinstance(message, lazy_format) and message.result is None:
            validator.message = format_lazy(message.format_string, *message.args, **message.kwargs)
    field._messages_reworded = True


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """DRF's, refusing a number no id can be with its own 400. JSON's 1e400 parses as float
    infinity, and Django's int() of it raises OverflowError, which DRF does not catch (it
    catches TypeError and ValueError): a 500 before."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except OverflowError:
            self.fail("incorrect_type", data_type=type(data).__name__)


class UtcDateTimeField(serializers.DateTimeField):
    """Aware datetimes in, ISO 8601 with an explicit +00:00 offset out. A value without an
    offset is refused rather than guessed."""

    default_error_messages = {"naive": NEEDS_OFFSET, "invalid": NEEDS_OFFSET}

    def to_internal_value(self, value):
        if isinstance(value, str):
            # A "+" in an unencoded query string arrives as a space: put it back.
            value = value.strip().replace(" ", "+")
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                self.fail("invalid")
        elif isinstance(value, datetime):
            parsed = value
        else:
            self.fail("invalid")
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail("naive")
        return parsed

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(UTC).isoformat()


class AutoSchema(SpectacularAutoSchema):
    """Components of nested serializers are named after their view (VendorPolicyApi.OutputSerializer
    → VendorPolicyOutput): every view nests an `OutputSerializer`, and one flat name for all of
    them would make each overwrite the others in the schema."""

    def get_serializer_name(self, serializer, direction):
        *outer, inner = type(serializer).__qualname__.split(".")
        if not outer or any("<" in part for part in outer):
            return super().get_serializer_name(serializer, direction)
        return "".join(part.removesuffix("Serializer").removesuffix("Api") for part in outer) + inner


def page_of(serializer_class: type[serializers.Serializer], name: str) -> serializers.Serializer:
    """The OpenAPI shape of a PageNumberPagination page of `serializer_class` rows (an APIView that
    paginates by hand is not wrapped by drf-spectacular on its own)."""
    page = type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
    return page()


# ---------------------------------------------------------------------------- idempotency

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=_(
        "Optional; any unique string of 1 to 255 printable ASCII characters, e.g. a UUID. Sending "
        "the same request again with the same key (a retry after a timeout, two requests in flight) "
        "creates nothing more: it answers with the first request's status and body, with the header "
        "`Idempotent-Replayed: true`. Keys are per user and kept 24 hours. The same key with a "
        "different body or for another case answers 422. A request refused with 400 claims nothing: "
        "correct it and send it again with the same key."
    ),
)
KEY_REUSED_ANSWER = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=_('{"Idempotency-Key": ["message"]}: the key was already used for a different request.'),
)


class IdempotencyKeyReused(exceptions.APIException):
    """422 as the IETF Idempotency-Key draft answers a key reused with another payload: the
    request is well-formed, but this key stands for a different one."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def api_submit_once(
    request, *, scope: str, target: str = "", create: Callable[[], idempotency.Submission]
) -> Response:
    """A creating API operation, run once per Idempotency-Key (portal.idempotency). `create`
    validates, creates and returns the answer as a Submission (reference, status, body)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not idempotency.well_formed(key):
        raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [idempotency.BAD_KEY]})
    data = request.data  # parsed here whatever `create` reads: a malformed body answers 400

    def fingerprinted() -> str:  # made by submit_once only for a request with a key
        return idempotency.fingerprint(scope, target, dict(data.lists()) if hasattr(data, "lists") else data)

    try:
        submission = idempotency.submit_once(
            user=request.user, scope=scope, key=key, fingerprint=fingerprinted, create=create
        )
    except idempotency.KeyReused as reused:
        raise IdempotencyKeyReused({IDEMPOTENCY_HEADER: [reused.message]}) from None
    response = Response(submission.body, status=submission.status)
    if submission.replayed:
        response["Idempotent-Replayed"] = "true"
    return response
