"""What every operation of the tickets API shares: the error answers, the case number
parameter, the output serializers of a case and its SLA, and the base view."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from policies.models import TargetKind
from portal.api import Serializer, UtcDateTimeField
from portal.authentication import TokenAuthentication

from .. import selectors
from ..explain import target_explanation
from ..models import Attachment, Kind, SlaTarget, Status, TargetState, Ticket, TicketChannel
from ..services.sla import STATE_RANK, sla_now
from ..services.tickets import DESK_ONLY

UNKNOWN_USER = _("Unknown user {username!r}.")

# Error answers, documented once for every operation (portal.api.exception_handler's shape).
ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT, description=_('{"field": ["message", …]}: the field that is wrong.')
    ),
    401: OpenApiResponse(
        OpenApiTypes.OBJECT, description=_("Not signed in: send `Authorization: Token <key>`.")
    ),
    403: OpenApiResponse(
        OpenApiTypes.OBJECT, description=_("Signed in but not allowed (e.g. CSRF on a session).")
    ),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description=_("No such case, or one you may not see.")),
}


NUMBER = OpenApiParameter(
    "number",
    str,
    OpenApiParameter.PATH,
    description=_("The case number: vendor prefix and sequence."),
    examples=[OpenApiExample("A case", value="ALC-000001")],
)


def error_answers(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def sla_rows(ticket: Ticket, now: datetime) -> list[dict]:
    rows = []
    for target in ticket.sla_targets.all():
        seen = sla_now(target, ticket=ticket, now=now)
        rows.append(
            {
                "kind": target.kind,
                "due_at": target.due_at,
                "state": seen.state,
                "remaining_seconds": None if seen.left is None else int(seen.left.total_seconds()),
                "answered_at": seen.answered_at,
                "answered_late": seen.late,
                "explanation": target_explanation(target),
            }
        )
    return rows


@extend_schema_serializer(component_name="SlaTarget")
class SlaOutput(Serializer):
    kind = serializers.ChoiceField(choices=TargetKind.choices)
    due_at = UtcDateTimeField(allow_null=True)
    state = serializers.ChoiceField(
        choices=TargetState.choices, help_text=_("As of now: running past due is breached.")
    )
    remaining_seconds = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "Until due (negative when overdue) while the desk owes the answer; for a paused "
            "target, the business time left; null once answered, withdrawn or without a deadline."
        ),
    )
    answered_at = UtcDateTimeField(allow_null=True, help_text=_("The desk's answer, on time or late."))
    answered_late = serializers.BooleanField(help_text=_("The answer came after the deadline."))
    explanation = serializers.CharField()


# One for every case of every answer: building a serializer costs more than using it, and this one
# holds nothing of a request (its rows are plain dicts, worded already; no field reads the context).
SLA_OUTPUT = SlaOutput(many=True)

# What a customer sees for a member of staff without a name: a username is half of a sign-in.
DESK_NAME = _("Support desk")


def person_shown(person, viewer) -> str | None:
    """Staff see usernames (they filter and assign by them); anyone else sees a member of staff by
    name, or as the desk (issue 18 point 2). A serializer given no viewer shows the customer's view."""
    if person is None:
        return None
    if person.is_staff and not getattr(viewer, "is_staff", False):
        return person.get_full_name() or DESK_NAME
    return person.username


@extend_schema_serializer(component_name="TicketSummary")
class TicketSummaryOutput(Serializer):
    number = serializers.CharField()
    vendor = serializers.CharField(source="vendor.slug")
    organization = serializers.CharField(source="organization.slug")
    requester = serializers.CharField(source="requester.username")
    assignee = serializers.SerializerMethodField(
        help_text=_("Staff see the username; customers the person's name, or 'Support desk'.")
    )
    priority = serializers.CharField(source="priority.code")
    priority_name = serializers.CharField(source="priority.name")
    kind = serializers.ChoiceField(choices=Kind.choices)
    channel = serializers.ChoiceField(choices=TicketChannel.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    subject = serializers.CharField()
    product = serializers.CharField(source="product.name", allow_null=True, default=None)
    major_version = serializers.CharField(source="major_version.name", allow_null=True, default=None)
    billable = serializers.BooleanField()
    opened_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    next_due_at = UtcDateTimeField(allow_null=True)
    sla_state = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_assignee(self, ticket: Ticket) -> str | None:
        return person_shown(ticket.assignee, self.context.get("viewer"))

    def _rows(self, ticket: Ticket) -> list[dict]:
        # Computed once per ticket and shared by `sla` and `sla_state`.
        cache = self.context.setdefault("sla_rows", {})
        if ticket.pk not in cache:
            cache[ticket.pk] = sla_rows(ticket, self.context.get("now") or timezone.now())
        return cache[ticket.pk]

    @extend_schema_field(serializers.ChoiceField(choices=TargetState.choices))
    def get_sla_state(self, ticket: Ticket) -> str:
        states = [row["state"] for row in self._rows(ticket)] or [TargetState.NOT_APPLICABLE]
        return min(states, key=STATE_RANK.__getitem__)

    @extend_schema_field(SlaOutput(many=True))
    def get_sla(self, ticket: Ticket) -> list[dict]:
        return SLA_OUTPUT.to_representation(self._rows(ticket))


@extend_schema_serializer(component_name="Attachment")
class AttachmentOutput(Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    reply = serializers.IntegerField(source="reply_id", allow_null=True)
    created_at = UtcDateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return reverse("api:ticket-attachment", args=[attachment.ticket.number, attachment.pk])


@extend_schema_serializer(component_name="TicketDetail")
class TicketDetailOutput(TicketSummaryOutput):
    body = serializers.CharField(help_text=_("Markdown, as written."))
    body_html = serializers.CharField(help_text=_("The body rendered and sanitized."))
    policy_version = serializers.CharField(source="policy_version.key")
    parent = serializers.CharField(source="parent.number", allow_null=True)
    merged_into = serializers.CharField(
        source="merged_into.number", allow_null=True, help_text=_("The case this duplicate was merged into.")
    )
    subordinates = serializers.SerializerMethodField()
    resolution_code = serializers.CharField(source="resolution_code.code", allow_null=True)
    billable = serializers.BooleanField()
    billable_reason = serializers.CharField()
    first_responded_at = UtcDateTimeField(allow_null=True)
    resolved_at = UtcDateTimeField(allow_null=True)
    closed_at = UtcDateTimeField(allow_null=True)
    attachments = AttachmentOutput(many=True)

    def get_subordinates(self, ticket: Ticket) -> list[str]:
        return [child.number for child in ticket.subordinates.all()]


@extend_schema_serializer(component_name="Reply")
class ReplyOutput(Serializer):
    id = serializers.IntegerField()
    author = serializers.SerializerMethodField(
        help_text=_("Staff see the username; customers a staff author's name, or 'Support desk'.")
    )
    author_name = serializers.SerializerMethodField()
    by_staff = serializers.BooleanField()
    internal = serializers.BooleanField()
    body = serializers.CharField(source="shown_body")
    body_html = serializers.CharField(source="shown_body_html")
    created_at = UtcDateTimeField()
    attachments = serializers.SerializerMethodField()

    def get_author(self, reply) -> str:
        return person_shown(reply.author, self.context.get("viewer"))

    def get_author_name(self, reply) -> str:
        if reply.author.is_staff and not getattr(self.context.get("viewer"), "is_staff", False):
            return person_shown(reply.author, self.context.get("viewer"))
        return reply.author.get_full_name() or reply.author.username

    def get_attachments(self, reply) -> list[int]:
        return [attachment.pk for attachment in reply.attachments.all()]


def ticket_or_404(user, number: str) -> Ticket:
    try:
        return selectors.ticket_detail_for(user=user, number=number)
    except Ticket.DoesNotExist:
        raise Http404(_("No such case.")) from None


def _answered_by(queryset: QuerySet, rows: list) -> QuerySet:
    """`queryset` as prefetch_related leaves it: evaluated, answering with `rows`."""
    queryset._result_cache, queryset._prefetch_done = rows, True
    return queryset


def created_data(ticket: Ticket, viewer) -> dict:
    """A case just opened, as GET /tickets/<number>/ shows it, without reading it back: its
    related rows are loaded already, its targets are those `ticket_open` wrote (in the detail's
    kind order), and nothing is attached to or split from it yet."""
    targets = sorted(ticket.opened_targets, key=lambda target: target.kind)
    ticket._prefetched_objects_cache = {
        "sla_targets": _answered_by(SlaTarget.objects.all(), targets),
        "attachments": _answered_by(Attachment.objects.all(), []),
        "subordinates": _answered_by(Ticket.objects.all(), []),
    }
    return TicketDetailOutput(ticket, context={"now": timezone.now(), "viewer": viewer}).data


def detail_data(ticket: Ticket, user) -> dict:
    """The ticket as GET /tickets/<number>/ shows it, re-read so it reflects what was just saved."""
    fresh = ticket_or_404(user, ticket.number)
    return TicketDetailOutput(fresh, context={"now": timezone.now(), "viewer": user}).data


class TicketApi(APIView):
    """Token first so that an anonymous call answers 401 with `WWW-Authenticate: Token`."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]


def desk_only(request) -> None:
    """What only the desk records answers 403 to a customer."""
    if not request.user.is_staff:
        raise PermissionDenied(DESK_ONLY)


# A case's records of one kind (work, expenses, remote sessions, quotes, exclusions, reminders): GET
# lists them to whoever may see the case, POST records one — the desk's alone (403 for customers),
# 400 naming the field. A subclass sets `name` (operation ids tickets_<name>_list and _create),
# `output` (the serializer of a record) and InputSerializer, and defines rows() and record(); the
# OpenAPI of both methods is declared here, once for every subclass. (Comments, not a docstring:
# drf-spectacular would show a docstring as every subclass's description.)
class CaseRecordsApi(TicketApi):
    name: str = ""
    output: type[serializers.Serializer]
    InputSerializer: type[serializers.Serializer]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        extend_schema_view(
            get=extend_schema(
                operation_id=f"tickets_{cls.name}_list",
                parameters=[NUMBER],
                responses={200: cls.output(many=True), **error_answers(401, 404)},
            ),
            post=extend_schema(
                operation_id=f"tickets_{cls.name}_create",
                parameters=[NUMBER],
                request=cls.InputSerializer,
                responses={201: cls.output, **error_answers(400, 401, 403, 404)},
            ),
        )(cls)

    def rows(self, ticket: Ticket):
        raise NotImplementedError

    def record(self, *, ticket: Ticket, by, data: dict):
        raise NotImplementedError

    def serialize(self, instance, *, many: bool = False) -> dict:
        return self.output(instance, many=many, context={"viewer": self.request.user}).data

    def get(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        return Response(self.serialize(self.rows(ticket), many=True))

    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        desk_only(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = self.record(ticket=ticket, by=request.user, data=serializer.validated_data)
        return Response(self.serialize(created), status=status.HTTP_201_CREATED)
