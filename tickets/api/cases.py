"""Cases: GET (list) and POST /api/tickets/, GET and PATCH /api/tickets/<number>/."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from lifecycle.models import MajorVersion, Product
from policies.models import Vendor
from policies.selectors import vendor_by_slug
from portal.api import (
    IDEMPOTENCY_KEY,
    KEY_REUSED_ANSWER,
    PrimaryKeyRelatedField,
    Serializer,
    api_submit_once,
)
from portal.idempotency import Submission
from portal.markdown import MAX_LENGTH, TOO_LONG
from portal.models import Organization
from portal.selectors import user_organization
from portal.transactions import retry_once_on_conflict

from .. import selectors, services
from ..filters import ORDERINGS, TicketFilter
from ..models import Kind, Status, TargetState, Ticket, TicketChannel
from ..selectors import SEARCH_HELP
from ..services import billing
from .common import (
    NUMBER,
    UNKNOWN_USER,
    TicketApi,
    TicketDetailOutput,
    TicketSummaryOutput,
    created_data,
    detail_data,
    error_answers,
    ticket_or_404,
)

UNKNOWN_VENDOR = _("Unknown vendor {slug!r}.")
NO_ORGANIZATION = _("Your account does not belong to a customer organization.")
OTHER_ORGANIZATION = _("You can open cases only for your own organization.")
STAFF_NAME_ORGANIZATION = _("Name the customer organization (its slug) the case is for.")
STAFF_NAME_REQUESTER = _("Name the requester (a username) the case is opened for.")
UNKNOWN_ORGANIZATION = _("Unknown organization {slug!r}.")
REQUESTER_IS_SELF = _("Customers open cases as themselves.")
RESOLUTION_NEEDS_STATUS = _("Give a resolution code and message together with status resolved.")
REASON_NEEDS_PRIORITY = _("Give a reason together with the new priority.")
NOT_STAFF = _("Cases are assigned to staff; {username!r} is not on the desk.")


class TicketPagination(CursorPagination):
    """Cursor pages: stable while cases are opened, and no COUNT over the whole desk."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def __init__(self, ordering: tuple[str, ...]):
        self.ordering = ordering


@extend_schema_serializer(component_name="TicketPage")
class TicketPageOutput(Serializer):
    next = serializers.CharField(allow_null=True, help_text=_("URL of the next page, or null."))
    previous = serializers.CharField(allow_null=True, help_text=_("URL of the previous page, or null."))
    results = TicketSummaryOutput(many=True)


LIST_PARAMETERS = [
    OpenApiParameter("status", str, enum=Status.values),
    OpenApiParameter("vendor", str, description=_("Vendor slug, e.g. alectrona.")),
    OpenApiParameter("priority", str, description=_("Priority code, e.g. high.")),
    OpenApiParameter(
        "sla_state", str, enum=TargetState.values, description=_("The case's worst SLA state now.")
    ),
    OpenApiParameter(
        "assignee", str, description=_("Staff only: the assignee's username (400 for customers).")
    ),
    OpenApiParameter(
        "organization", str, description=_("Organization slug (staff; customers see only their own).")
    ),
    OpenApiParameter("search", str, description=SEARCH_HELP),
    OpenApiParameter("ordering", str, enum=list(ORDERINGS), description=_("Default -opened_at.")),
    OpenApiParameter("cursor", str, description=_("From the `next` or `previous` link.")),
    OpenApiParameter("page_size", int, description=_("1 to 100; default 25.")),
]


class TicketListApi(TicketApi):
    @extend_schema(
        operation_id="tickets_list",
        description=_(
            "The cases you may see (a customer: their organization's; staff: all), filtered and sorted by "
            "the query parameters, a page at a time. 400 names a wrong filter."
        ),
        parameters=LIST_PARAMETERS,
        responses={200: TicketPageOutput, **error_answers(400, 401, 404)},
    )
    def get(self, request):
        now = timezone.now()
        filters = TicketFilter(
            request.query_params, queryset=selectors.ticket_list_for(request.user), request=request
        )
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        paginator = TicketPagination(filters.ordering_fields)
        page = paginator.paginate_queryset(filters.qs, request, view=self)
        data = TicketSummaryOutput(page, many=True, context={"now": now, "viewer": request.user}).data
        return paginator.get_paginated_response(data)


PRODUCT_OF_ANOTHER_VENDOR = _("Choose one of {vendor}'s products.")
# A case a customer opens through the API came by the API; staff record a call or a chat they took.
CUSTOMER_CHANNEL = _("A case you open through the API is recorded as api; only staff record another channel.")


class TicketCreateApi(TicketApi):
    @extend_schema_serializer(component_name="TicketOpen")
    class InputSerializer(Serializer):
        vendor = serializers.SlugField(help_text=_("Vendor slug, e.g. alectrona."))
        priority = serializers.CharField(max_length=50, help_text=_("One of the vendor's priority codes."))
        subject = serializers.CharField(max_length=200)
        body = serializers.CharField(
            max_length=MAX_LENGTH,
            error_messages={"max_length": TOO_LONG},
            help_text=format_lazy(_("Markdown, up to {limit} characters."), limit=f"{MAX_LENGTH:,}"),
        )
        kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.INCIDENT)
        channel = serializers.ChoiceField(
            choices=TicketChannel.choices,
            default=TicketChannel.API,
            help_text=_("How the case reached the desk; customers may only send api (the default)."),
        )
        product = PrimaryKeyRelatedField(
            queryset=Product.objects.all(),
            required=False,
            allow_null=True,
            default=None,
            help_text=_(
                "Id of the product the case is about (GET /api/products/); required by vendors that "
                "support licensed products only (Infotecs)."
            ),
        )
        major_version = PrimaryKeyRelatedField(
            queryset=MajorVersion.objects.all(),
            required=False,
            allow_null=True,
            default=None,
            help_text=_("Id of the major version the problem is reproduced in."),
        )
        onsite = serializers.BooleanField(default=False, help_text=_("Ask for an on-site visit."))
        remote_failed = serializers.BooleanField(
            default=False, help_text=_("Remote diagnosis could not solve it (Basic plans' on-site rule).")
        )
        vulnerability = serializers.BooleanField(
            default=False,
            help_text=_(
                "A security vulnerability, where the vendor's policy treats them apart (Infotecs: "
                "fixed free in Extended Support); elsewhere the answer is 400 on this field."
            ),
        )
        cve_id = serializers.CharField(
            max_length=20, required=False, allow_blank=True, default="", help_text=_("e.g. CVE-2026-12345.")
        )
        emergency = serializers.BooleanField(
            default=False,
            help_text=_("A Premium emergency call (immediate reaction, charged per call), where offered."),
        )
        confirm_billable = serializers.BooleanField(
            default=False,
            help_text=_(
                "The customer accepts that this case will be charged. Required (true) when the "
                "entitlement makes the case billable (e.g. Infotecs Extended Support, quota used up, on-site "
                "visits); without it the answer is 400 on this field, saying why the case would be charged."
            ),
        )
        organization = serializers.SlugField(
            required=False, help_text=_("Staff: the customer organization's slug.")
        )
        requester = serializers.CharField(
            max_length=150, required=False, help_text=_("Staff: the username the case is opened for.")
        )

        def validate_vendor(self, slug: str) -> Vendor:
            try:
                return vendor_by_slug(slug)
            except Vendor.DoesNotExist:
                raise serializers.ValidationError(UNKNOWN_VENDOR.format(slug=slug)) from None

        def validate_cve_id(self, value: str) -> str:
            try:
                return billing.cve_id_clean(value)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.message_dict["cve_id"]) from None

        def validate(self, attrs: dict) -> dict:
            product, vendor = attrs.get("product"), attrs["vendor"]
            if product is not None and product.vendor_id != vendor.pk:
                raise serializers.ValidationError(
                    {"product": PRODUCT_OF_ANOTHER_VENDOR.format(vendor=vendor.name)}
                )
            user = self.context["request"].user
            if not user.is_staff and attrs["channel"] != TicketChannel.API:
                raise serializers.ValidationError({"channel": CUSTOMER_CHANNEL})
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
        description=_(
            "Open a case for your organization (staff: for a named organization and requester); answers "
            "with the new case and its SLA deadlines. 400 names the wrong field, e.g. when the case "
            "would be charged and confirm_billable is not true."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: TicketDetailOutput, **error_answers(400, 401, 403), 422: KEY_REUSED_ANSWER},
    )
    def post(self, request):
        # A repeated Idempotency-Key answers with the case the first request opened.
        return api_submit_once(request, scope="tickets.open", create=lambda: self._open(request))

    @staticmethod
    def _open(request) -> Submission:
        serializer = TicketCreateApi.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_open(**serializer.validated_data)
        return Submission(ticket.number, status.HTTP_201_CREATED, created_data(ticket, request.user))


class TicketCollectionApi(TicketListApi, TicketCreateApi):
    """GET /api/tickets/ lists the cases you may see; POST opens one."""


class TicketDetailApi(TicketApi):
    @extend_schema(
        operation_id="tickets_retrieve",
        description=_("A case you may see, with its SLA targets, attachments and subordinate incidents."),
        parameters=[NUMBER],
        responses={200: TicketDetailOutput, **error_answers(401, 404)},
    )
    def get(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        context = {"now": timezone.now(), "viewer": request.user}
        return Response(TicketDetailOutput(ticket, context=context).data)


class TicketUpdateApi(TicketApi):
    @extend_schema_serializer(component_name="TicketChange")
    class InputSerializer(Serializer):
        status = serializers.ChoiceField(
            choices=[s for s in Status.choices if s[0] != Status.NEW],
            required=False,
            help_text=_(
                "waiting / open (resume or reopen) / resolved (with resolution_code) / closed. "
                "Customers may close their case or reopen it."
            ),
        )
        resolution_code = serializers.CharField(
            max_length=50, required=False, help_text=_("Staff, with resolved.")
        )
        message = serializers.CharField(
            required=False,
            max_length=MAX_LENGTH,
            error_messages={"max_length": TOO_LONG},
            help_text=format_lazy(
                _(
                    "Staff, with resolved: the message to the customer (a public reply, the answer), "
                    "Markdown up to {limit} characters."
                ),
                limit=f"{MAX_LENGTH:,}",
            ),
        )
        priority = serializers.CharField(
            max_length=50, required=False, help_text=_("Staff: a priority code.")
        )
        priority_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
        assignee = serializers.CharField(
            max_length=150, required=False, allow_null=True, help_text=_("Staff: a staff username, or null.")
        )

        def validate(self, attrs: dict) -> dict:
            # Who may make each change is the services' rule (tickets.services, their `by`).
            for field in ("resolution_code", "message"):
                if field in attrs and attrs.get("status") != Status.RESOLVED:
                    raise serializers.ValidationError({field: RESOLUTION_NEEDS_STATUS})
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
        description=_(
            "Change a case: its status, and for staff its priority and assignee; the changes of one request "
            "apply together or not at all. Customers may close their case or reopen it; any other change "
            "answers 400 naming its field."
        ),
        parameters=[NUMBER],
        request=InputSerializer,
        responses={200: TicketDetailOutput, **error_answers(400, 401, 403, 404)},
    )
    def patch(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        serializer = TicketUpdateApi.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        ticket = ticket_changes_apply(ticket, request.user, serializer.validated_data)
        return Response(detail_data(ticket, request.user))


@retry_once_on_conflict
def ticket_changes_apply(ticket: Ticket, by, data: dict) -> Ticket:
    """Several changes in one request apply together or not at all. Their services' own retry
    does not reach inside this transaction, so a conflict aborting it runs all of them once more
    here, on the fresh state (each service locks and re-reads the case)."""
    with transaction.atomic():
        for change in ticket_changes(ticket, by, data):
            ticket = change()
    return ticket


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
        changes.append(lambda: status_change(ticket, by, data))
    return changes


def status_change(ticket: Ticket, by, data: dict) -> Ticket:
    """The one service that moves the case to the status asked for from where it is now."""
    target = data["status"]
    if target == Status.WAITING_ON_CUSTOMER:
        return services.ticket_wait_on_customer(ticket=ticket, by=by)
    if target == Status.RESOLVED:
        return services.ticket_resolve(
            ticket=ticket,
            by=by,
            resolution_code=data.get("resolution_code", ""),
            message=data.get("message", ""),
        )
    if target == Status.CLOSED:
        return services.ticket_close(ticket=ticket, by=by)
    return services.ticket_set_open(ticket=ticket, by=by)  # resume or reopen, chosen under the lock


class TicketItemApi(TicketDetailApi, TicketUpdateApi):
    """GET /api/tickets/<number>/ shows a case; PATCH changes it."""
