"""The tickets REST API: one view per operation, each with its nested Input/Output serializers.
A view validates, calls one service or selector, and serializes; the rules live in
tickets.services. Two operations share a URL (GET and POST /tickets/, GET and PATCH
/tickets/<number>/): the URL's view class is the composition of the two operation views.

Visibility: every read goes through tickets.selectors, which knows who may see what. A case of
another organization answers 404 exactly like a number that does not exist."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from policies import clock
from policies.models import TargetKind, Vendor
from portal.api import UtcDateTimeField
from portal.models import Organization
from portal.selectors import user_organization

from . import selectors, services
from .downloads import attachment_response
from .filters import ORDERINGS, TicketFilter
from .models import Kind, Status, TargetState, Ticket, TicketChannel
from .services.sla import STATE_RANK, clock_of

UNKNOWN_VENDOR = "Unknown vendor {slug!r}."
NO_ORGANIZATION = "Your account does not belong to a customer organization."
OTHER_ORGANIZATION = "You can open cases only for your own organization."
STAFF_NAME_ORGANIZATION = "Name the customer organization (its slug) the case is for."
STAFF_NAME_REQUESTER = "Name the requester (a username) the case is opened for."
UNKNOWN_ORGANIZATION = "Unknown organization {slug!r}."
UNKNOWN_USER = "Unknown user {username!r}."
REQUESTER_IS_SELF = "Customers open cases as themselves."
DESK_ONLY = "Only the desk can change this."
CUSTOMER_STATUSES = "You can close your case or reopen it; the desk moves it otherwise."
RESOLUTION_NEEDS_STATUS = "Give a resolution code together with status resolved."
REASON_NEEDS_PRIORITY = "Give a reason together with the new priority."
NOT_STAFF = "Cases are assigned to staff; {username!r} is not on the desk."

# Error answers, documented once for every operation (portal.api.exception_handler's shape).
ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT, description='{"field": ["message", …]}: the field that is wrong.'
    ),
    401: OpenApiResponse(
        OpenApiTypes.OBJECT, description="Not signed in: send `Authorization: Token <key>`."
    ),
    403: OpenApiResponse(
        OpenApiTypes.OBJECT, description="Signed in but not allowed (e.g. CSRF on a session)."
    ),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such case, or one you may not see."),
}


NUMBER = OpenApiParameter(
    "number",
    str,
    OpenApiParameter.PATH,
    description="The case number: vendor prefix and sequence.",
    examples=[OpenApiExample("A case", value="ALC-000001")],
)


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


# ---------------------------------------------------------------------------- shared output


def remaining_seconds(target, ticket: Ticket, state: str, now: datetime) -> int | None:
    """Seconds until the target is due: negative when overdue, the business time left at the
    pause for a paused target (its clock is stopped), None once settled or without a deadline."""
    if target.due_at is None:
        return None
    if state == TargetState.PAUSED:
        if target.paused_since is None or target.paused_since >= target.due_at:
            return 0
        return int(
            clock.business_time_between(target.paused_since, target.due_at, clock_of(target)).total_seconds()
        )
    unanswered_breach = state == TargetState.BREACHED and target.fulfilled_at is None and ticket.is_open
    if state == TargetState.RUNNING or unanswered_breach:
        return int((target.due_at - now).total_seconds())
    return None


def sla_rows(ticket: Ticket, now: datetime) -> list[dict]:
    rows = []
    for target in ticket.sla_targets.all():
        state = target.state_at(now)
        rows.append(
            {
                "kind": target.kind,
                "due_at": target.due_at,
                "state": state,
                "remaining_seconds": remaining_seconds(target, ticket, state, now),
                "explanation": target.explanation,
            }
        )
    return rows


@extend_schema_serializer(component_name="SlaTarget")
class SlaOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TargetKind.choices)
    due_at = UtcDateTimeField(allow_null=True)
    state = serializers.ChoiceField(
        choices=TargetState.choices, help_text="As of now: running past due is breached."
    )
    remaining_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Until due (negative when overdue); for a paused target, the business time left.",
    )
    explanation = serializers.CharField()


@extend_schema_serializer(component_name="TicketSummary")
class TicketSummaryOutput(serializers.Serializer):
    number = serializers.CharField()
    vendor = serializers.CharField(source="vendor.slug")
    organization = serializers.CharField(source="organization.slug")
    requester = serializers.CharField(source="requester.username")
    assignee = serializers.CharField(source="assignee.username", allow_null=True)
    priority = serializers.CharField(source="priority.code")
    priority_name = serializers.CharField(source="priority.name")
    kind = serializers.ChoiceField(choices=Kind.choices)
    channel = serializers.ChoiceField(choices=TicketChannel.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    subject = serializers.CharField()
    product = serializers.CharField()
    product_version = serializers.CharField()
    opened_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    next_due_at = UtcDateTimeField(allow_null=True)
    sla_state = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

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
        return SlaOutput(self._rows(ticket), many=True).data


@extend_schema_serializer(component_name="Attachment")
class AttachmentOutput(serializers.Serializer):
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
    body = serializers.CharField(help_text="Markdown, as written.")
    body_html = serializers.CharField(help_text="The body rendered and sanitized.")
    policy_version = serializers.CharField(source="policy_version.key")
    parent = serializers.CharField(source="parent.number", allow_null=True)
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
class ReplyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username")
    author_name = serializers.SerializerMethodField()
    by_staff = serializers.BooleanField()
    internal = serializers.BooleanField()
    body = serializers.CharField()
    body_html = serializers.CharField()
    created_at = UtcDateTimeField()
    attachments = serializers.SerializerMethodField()

    def get_author_name(self, reply) -> str:
        return reply.author.get_full_name() or reply.author.username

    def get_attachments(self, reply) -> list[int]:
        return [attachment.pk for attachment in reply.attachments.all()]


def ticket_or_404(user, number: str) -> Ticket:
    try:
        return selectors.ticket_detail_for(user=user, number=number)
    except Ticket.DoesNotExist:
        raise Http404("No such case.") from None


def detail_data(ticket: Ticket, user) -> dict:
    """The ticket as GET /tickets/<number>/ shows it, re-read so it reflects what was just saved."""
    fresh = ticket_or_404(user, ticket.number)
    return TicketDetailOutput(fresh, context={"now": timezone.now()}).data


class TicketApi(APIView):
    """Token first so that an anonymous call answers 401 with `WWW-Authenticate: Token`."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]


# ---------------------------------------------------------------------------- list and open


class TicketPagination(CursorPagination):
    """Cursor pages: stable while cases are opened, and no COUNT over the whole desk."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def __init__(self, ordering: tuple[str, ...]):
        self.ordering = ordering


@extend_schema_serializer(component_name="TicketPage")
class TicketPageOutput(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="URL of the next page, or null.")
    previous = serializers.CharField(allow_null=True, help_text="URL of the previous page, or null.")
    results = TicketSummaryOutput(many=True)


LIST_PARAMETERS = [
    OpenApiParameter("status", str, enum=Status.values),
    OpenApiParameter("vendor", str, description="Vendor slug, e.g. alectrona."),
    OpenApiParameter("priority", str, description="Priority code, e.g. high."),
    OpenApiParameter(
        "sla_state", str, enum=TargetState.values, description="The case's worst SLA state now."
    ),
    OpenApiParameter("assignee", str, description="Username of the assignee."),
    OpenApiParameter(
        "organization", str, description="Organization slug (staff; customers see only their own)."
    ),
    OpenApiParameter("search", str, description="Part of the case number or the subject."),
    OpenApiParameter("ordering", str, enum=list(ORDERINGS), description="Default -opened_at."),
    OpenApiParameter("cursor", str, description="From the `next` or `previous` link."),
    OpenApiParameter("page_size", int, description="1 to 100; default 25."),
]


class TicketListApi(TicketApi):
    @extend_schema(
        operation_id="tickets_list",
        parameters=LIST_PARAMETERS,
        responses={200: TicketPageOutput, **_errors(400, 401, 404)},
    )
    def get(self, request):
        now = timezone.now()
        filters = TicketFilter(
            request.query_params, queryset=selectors.ticket_list_for(request.user), request=request
        )
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        paginator = TicketPagination(ORDERINGS[filters.ordering_key])
        page = paginator.paginate_queryset(filters.qs, request, view=self)
        data = TicketSummaryOutput(page, many=True, context={"now": now}).data
        return paginator.get_paginated_response(data)


class TicketCreateApi(TicketApi):
    @extend_schema_serializer(component_name="TicketOpen")
    class InputSerializer(serializers.Serializer):
        vendor = serializers.SlugField(help_text="Vendor slug, e.g. alectrona.")
        priority = serializers.CharField(max_length=50, help_text="One of the vendor's priority codes.")
        subject = serializers.CharField(max_length=200)
        body = serializers.CharField(max_length=100_000, help_text="Markdown.")
        kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.INCIDENT)
        channel = serializers.ChoiceField(choices=TicketChannel.choices, default=TicketChannel.API)
        product = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        product_version = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        organization = serializers.SlugField(
            required=False, help_text="Staff: the customer organization's slug."
        )
        requester = serializers.CharField(
            max_length=150, required=False, help_text="Staff: the username the case is opened for."
        )

        def validate_vendor(self, slug: str) -> Vendor:
            vendor = Vendor.objects.filter(slug=slug).first()
            if vendor is None:
                raise serializers.ValidationError(UNKNOWN_VENDOR.format(slug=slug))
            return vendor

        def validate(self, attrs: dict) -> dict:
            user = self.context["request"].user
            resolve = self._for_staff if user.is_staff else self._for_customer
            attrs["organization"], attrs["requester"] = resolve(
                user, attrs.get("organization"), attrs.get("requester")
            )
            return attrs

        @staticmethod
        def _for_customer(user, slug: str | None, username: str | None) -> tuple[Organization, object]:
            # The organization comes from the membership; naming another one is refused, not ignored.
            organization = user_organization(user)
            if organization is None:
                raise serializers.ValidationError({"organization": NO_ORGANIZATION})
            if slug is not None and slug != organization.slug:
                raise serializers.ValidationError({"organization": OTHER_ORGANIZATION})
            if username is not None and username != user.get_username():
                raise serializers.ValidationError({"requester": REQUESTER_IS_SELF})
            return organization, user

        @staticmethod
        def _for_staff(user, slug: str | None, username: str | None) -> tuple[Organization, object]:
            errors = {}
            organization = Organization.objects.filter(slug=slug).first() if slug else None
            requester = get_user_model().objects.filter(username=username).first() if username else None
            if slug is None:
                errors["organization"] = STAFF_NAME_ORGANIZATION
            elif organization is None:
                errors["organization"] = UNKNOWN_ORGANIZATION.format(slug=slug)
            if username is None:
                errors["requester"] = STAFF_NAME_REQUESTER
            elif requester is None:
                errors["requester"] = UNKNOWN_USER.format(username=username)
            if errors:
                raise serializers.ValidationError(errors)
            return organization, requester

    @extend_schema(
        operation_id="tickets_create",
        request=InputSerializer,
        responses={201: TicketDetailOutput, **_errors(400, 401, 403)},
    )
    def post(self, request):
        serializer = TicketCreateApi.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_open(**serializer.validated_data)
        return Response(detail_data(ticket, request.user), status=status.HTTP_201_CREATED)


class TicketCollectionApi(TicketListApi, TicketCreateApi):
    """GET /api/tickets/ lists the cases you may see; POST opens one."""


# ---------------------------------------------------------------------------- one case


class TicketDetailApi(TicketApi):
    @extend_schema(
        operation_id="tickets_retrieve",
        parameters=[NUMBER],
        responses={200: TicketDetailOutput, **_errors(401, 404)},
    )
    def get(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        return Response(TicketDetailOutput(ticket, context={"now": timezone.now()}).data)


STAFF_FIELDS = ("priority", "priority_reason", "assignee", "resolution_code")
CUSTOMER_TARGETS = (Status.OPEN, Status.CLOSED)


class TicketUpdateApi(TicketApi):
    @extend_schema_serializer(component_name="TicketChange")
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[s for s in Status.choices if s[0] != Status.NEW],
            required=False,
            help_text="waiting / open (resume or reopen) / resolved (with resolution_code) / closed. "
            "Customers may close their case or reopen it.",
        )
        resolution_code = serializers.CharField(
            max_length=50, required=False, help_text="Staff, with resolved."
        )
        priority = serializers.CharField(max_length=50, required=False, help_text="Staff: a priority code.")
        priority_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
        assignee = serializers.CharField(
            max_length=150, required=False, allow_null=True, help_text="Staff: a staff username, or null."
        )

        def validate(self, attrs: dict) -> dict:
            user = self.context["request"].user
            if not user.is_staff:
                refused = {field: DESK_ONLY for field in STAFF_FIELDS if field in attrs}
                if attrs.get("status", Status.OPEN) not in CUSTOMER_TARGETS:
                    refused["status"] = CUSTOMER_STATUSES
                if refused:
                    raise serializers.ValidationError(refused)
            if "resolution_code" in attrs and attrs.get("status") != Status.RESOLVED:
                raise serializers.ValidationError({"resolution_code": RESOLUTION_NEEDS_STATUS})
            if "priority_reason" in attrs and "priority" not in attrs:
                raise serializers.ValidationError({"priority_reason": REASON_NEEDS_PRIORITY})
            if attrs.get("assignee"):
                attrs["assignee"] = self._staff_user(attrs["assignee"])
            return attrs

        @staticmethod
        def _staff_user(username: str):
            assignee = get_user_model().objects.filter(username=username).first()
            if assignee is None:
                raise serializers.ValidationError({"assignee": UNKNOWN_USER.format(username=username)})
            if not assignee.is_staff:
                raise serializers.ValidationError({"assignee": NOT_STAFF.format(username=username)})
            return assignee

    @extend_schema(
        operation_id="tickets_partial_update",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={200: TicketDetailOutput, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        serializer = TicketUpdateApi.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        # Several changes in one request apply together or not at all.
        with transaction.atomic():
            for change in ticket_changes(ticket, request.user, serializer.validated_data):
                ticket = change()
        return Response(detail_data(ticket, request.user))


def ticket_changes(ticket: Ticket, by, data: dict) -> list:
    """One service call per requested change, in the order a person would make them: assign,
    reprioritise (so a resolution is measured at the new priority), then move the status."""
    changes = []
    if "assignee" in data:
        changes.append(lambda: services.ticket_assign(ticket=ticket, assignee=data["assignee"], by=by))
    if "priority" in data:
        changes.append(
            lambda: services.ticket_change_priority(
                ticket=ticket, priority=data["priority"], reason=data.get("priority_reason", ""), by=by
            )
        )
    if "status" in data:
        changes.append(lambda: status_change(ticket, by, data["status"], data.get("resolution_code", "")))
    return changes


def status_change(ticket: Ticket, by, target: str, resolution_code: str) -> Ticket:
    """The one service that moves the case to `target` from where it is now."""
    ticket.refresh_from_db(fields=["status"])
    if target == Status.WAITING_ON_CUSTOMER:
        return services.ticket_wait_on_customer(ticket=ticket, by=by)
    if target == Status.RESOLVED:
        return services.ticket_resolve(ticket=ticket, by=by, resolution_code=resolution_code)
    if target == Status.CLOSED:
        return services.ticket_close(ticket=ticket, by=by)
    if ticket.status == Status.WAITING_ON_CUSTOMER and by.is_staff:
        return services.ticket_resume(ticket=ticket, by=by, detail="The desk resumed the case")
    return services.ticket_reopen(ticket=ticket, by=by)


class TicketItemApi(TicketDetailApi, TicketUpdateApi):
    """GET /api/tickets/<number>/ shows a case; PATCH changes it."""


# ---------------------------------------------------------------------------- conversation


class ReplyListApi(TicketApi):
    @extend_schema(
        operation_id="tickets_replies_list",
        parameters=[NUMBER],
        responses={200: ReplyOutput(many=True), **_errors(401, 404)},
    )
    def get(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        replies = selectors.reply_list_for(user=request.user, ticket=ticket)
        return Response(ReplyOutput(replies, many=True).data)


class ReplyCreateApi(TicketApi):
    @extend_schema_serializer(component_name="ReplyNew")
    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=100_000, help_text="Markdown.")
        internal = serializers.BooleanField(
            default=False, help_text="Staff: an internal note, never shown to customers."
        )
        wait_on_customer = serializers.BooleanField(
            default=False,
            help_text="Staff: the reply asks the customer something; the clocks pause until they answer.",
        )

        def validate_wait_on_customer(self, value: bool) -> bool:
            if value and not self.context["request"].user.is_staff:
                raise serializers.ValidationError(DESK_ONLY)
            return value

    @extend_schema(
        operation_id="tickets_replies_create",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={201: ReplyOutput, **_errors(400, 401, 403, 404)},
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        serializer = ReplyCreateApi.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        reply = services.reply_add(ticket=ticket, author=request.user, **serializer.validated_data)
        return Response(ReplyOutput(reply).data, status=status.HTTP_201_CREATED)


class ReplyCollectionApi(ReplyListApi, ReplyCreateApi):
    """GET /api/tickets/<number>/replies/ reads the conversation; POST adds to it."""


# ---------------------------------------------------------------------------- attachments


class AttachmentUploadApi(TicketApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema_serializer(component_name="AttachmentUpload")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(
            help_text="PDF, PNG, JPEG, GIF, ZIP (Office files included) or plain text, checked on content."
        )

    @extend_schema(
        operation_id="tickets_attachments_create",
        parameters=[NUMBER],
        request={"multipart/form-data": InputSerializer},
        responses={201: AttachmentOutput, **_errors(400, 401, 403, 404)},
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        serializer = AttachmentUploadApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.attachment_add(
            ticket=ticket, uploaded_by=request.user, upload=serializer.validated_data["file"]
        )
        return Response(AttachmentOutput(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadApi(TicketApi):
    @extend_schema(
        operation_id="tickets_attachments_retrieve",
        parameters=[
            NUMBER,
            OpenApiParameter(
                "attachment_id", int, OpenApiParameter.PATH, examples=[OpenApiExample("A file", value=1)]
            ),
        ],
        responses={(200, "*/*"): OpenApiTypes.BINARY, **_errors(401, 404)},
    )
    def get(self, request, number: str, attachment_id: str):
        # Matched as text so that a malformed id gets this API's 404, not the site's HTML one.
        if not attachment_id.isascii() or not attachment_id.isdigit():
            raise Http404("No such attachment.")
        return attachment_response(user=request.user, number=number, attachment_id=int(attachment_id))


@extend_schema(exclude=True)
class NotFoundApi(TicketApi):
    permission_classes = [AllowAny]

    def get(self, request, *args, **kwargs):
        raise Http404("No such endpoint.")

    # An unknown URL under /api/tickets/ is a 404 whatever the verb.
    post = put = patch = delete = get
