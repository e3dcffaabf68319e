"""Infotecs' services through the API (issue 21): on a case, the desk's work, expenses and remote
diagnosis sessions, the customer's on-site request and the quotes the customer accepts or declines;
apart from a case, orders (feature requests, additional services) and pilot-version requests.

A view validates, calls one service of tickets.services.billing and serializes; the rules live
there. A case or order of another organization answers 404 exactly like one that does not exist;
what only the desk records answers 403 to a customer; bad input answers 400 naming the field."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from lifecycle.models import Contract, MajorVersion
from portal.api import PrimaryKeyRelatedField, Serializer, UtcDateTimeField
from portal.models import Organization
from portal.selectors import user_organization

from ..models import (
    Attachment,
    ExpenseKind,
    OnsiteVisit,
    Order,
    OrderKind,
    RemoteSession,
    SessionOutcome,
    WorkLocation,
)
from ..services import billing
from .common import NUMBER, CaseRecordsApi, TicketApi, desk_only, error_answers, person_shown, ticket_or_404

ORDER_ID = OpenApiParameter("order_id", int, OpenApiParameter.PATH, description=_("The order's id."))
NO_ORGANIZATION = _("Only members of a customer organization order; staff name the organization.")
UNKNOWN_ORGANIZATION = _("No organization {slug!r}.")
MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


class _Viewer:
    """A serializer mixin: people as the viewer may see them (staff usernames, else names)."""

    def shown(self, person) -> str | None:
        return person_shown(person, self.context.get("viewer"))


# ---------------------------------------------------------------------------- output


@extend_schema_serializer(component_name="WorkEntry")
class WorkEntryOutput(_Viewer, Serializer):
    id = serializers.IntegerField()
    started_at = UtcDateTimeField()
    minutes = serializers.IntegerField()
    location = serializers.ChoiceField(choices=WorkLocation.choices)
    specialist = serializers.SerializerMethodField()
    description = serializers.CharField()
    recorded_at = UtcDateTimeField()

    def get_specialist(self, entry) -> str | None:
        return self.shown(entry.specialist)


@extend_schema_serializer(component_name="Expense")
class ExpenseOutput(Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ExpenseKind.choices)
    incurred_on = serializers.DateField()
    amount = serializers.DecimalField(**MONEY, help_text=_("As paid, in `currency`; never converted."))
    currency = serializers.CharField()
    description = serializers.CharField()
    receipt = serializers.IntegerField(source="receipt_id", allow_null=True, help_text=_("An attachment id."))
    recorded_at = UtcDateTimeField()


@extend_schema_serializer(component_name="RemoteSession")
class RemoteSessionOutput(_Viewer, Serializer):
    id = serializers.IntegerField()
    started_at = UtcDateTimeField()
    minutes = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=SessionOutcome.choices)
    specialist = serializers.SerializerMethodField()
    notes = serializers.CharField()

    def get_specialist(self, session) -> str | None:
        return self.shown(session.specialist)


@extend_schema_serializer(component_name="OnsiteVisit")
class OnsiteVisitOutput(_Viewer, Serializer):
    requested_at = UtcDateTimeField()
    requested_by = serializers.SerializerMethodField()
    address = serializers.CharField()
    scheduled_for = UtcDateTimeField(allow_null=True)
    arrived_at = UtcDateTimeField(allow_null=True)

    def get_requested_by(self, visit) -> str | None:
        return self.shown(visit.requested_by)


@extend_schema_serializer(component_name="Order")
class OrderOutput(_Viewer, Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=OrderKind.choices)
    state = serializers.CharField()
    organization = serializers.CharField(source="organization.slug")
    contract = serializers.IntegerField(source="contract_id", allow_null=True)
    ticket = serializers.CharField(source="ticket.number", allow_null=True, default=None)
    major_version = serializers.CharField(allow_null=True, default=None)
    description = serializers.CharField()
    requested_by = serializers.SerializerMethodField()
    requested_at = UtcDateTimeField()
    price = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("Null until quoted."))
    currency = serializers.CharField()
    quote_text = serializers.CharField()
    quoted_at = UtcDateTimeField(allow_null=True)
    accepted_by = serializers.SerializerMethodField()
    accepted_at = UtcDateTimeField(allow_null=True)
    declined_at = UtcDateTimeField(allow_null=True)
    delivered_at = UtcDateTimeField(allow_null=True)
    download_reference = serializers.CharField(help_text=_("Pilot versions, once fulfilled."))

    def get_requested_by(self, order) -> str | None:
        return self.shown(order.requested_by)

    def get_accepted_by(self, order) -> str | None:
        return self.shown(order.accepted_by)


def _out(serializer, instance, request, **kwargs) -> dict:
    return serializer(instance, context={"viewer": request.user}, **kwargs).data


# ---------------------------------------------------------------------------- a case's services


class WorkCollectionApi(CaseRecordsApi):
    name = "work"
    output = WorkEntryOutput

    class InputSerializer(Serializer):
        started_at = UtcDateTimeField()
        minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
        location = serializers.ChoiceField(choices=WorkLocation.choices, default=WorkLocation.REMOTE)
        description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def rows(self, ticket):
        return ticket.work_entries.select_related("specialist")

    def record(self, *, ticket, by, data):
        return billing.work_record(ticket=ticket, by=by, **data)


class ExpenseCollectionApi(CaseRecordsApi):
    name = "expenses"
    output = ExpenseOutput

    class InputSerializer(Serializer):
        kind = serializers.ChoiceField(choices=ExpenseKind.choices)
        incurred_on = serializers.DateField()
        amount = serializers.DecimalField(max_digits=12, decimal_places=2)
        currency = serializers.CharField(max_length=3, help_text=_("ISO 4217, e.g. EUR or RUB."))
        description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        receipt = PrimaryKeyRelatedField(
            queryset=Attachment.objects.all(),
            required=False,
            allow_null=True,
            default=None,
            help_text=_("Id of the receipt attached to this case."),
        )

    def rows(self, ticket):
        return ticket.expenses.all()

    def record(self, *, ticket, by, data):
        return billing.expense_record(ticket=ticket, by=by, **data)


class RemoteSessionCollectionApi(CaseRecordsApi):
    name = "remote_sessions"
    output = RemoteSessionOutput

    class InputSerializer(Serializer):
        started_at = UtcDateTimeField()
        minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
        outcome = serializers.ChoiceField(
            choices=SessionOutcome.choices, help_text=_("failed: remote help could not solve it.")
        )
        notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    def rows(self, ticket):
        return RemoteSession.objects.filter(ticket=ticket).select_related("specialist")

    def record(self, *, ticket, by, data):
        return billing.remote_session_record(ticket=ticket, by=by, **data)


class OnsiteVisitApi(TicketApi):
    class InputSerializer(Serializer):
        confirm_billable = serializers.BooleanField(
            default=False,
            help_text=_(
                "The customer accepts the visit's charge; without it the answer is 400 on this "
                "field, saying what would be charged."
            ),
        )
        address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="tickets_onsite_retrieve",
        parameters=[NUMBER],
        responses={200: OnsiteVisitOutput, **error_answers(401, 404)},
    )
    def get(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        visit = OnsiteVisit.objects.filter(ticket=ticket).select_related("requested_by").first()
        if visit is None:
            raise Http404(_("No on-site visit was requested for this case."))
        return Response(_out(OnsiteVisitOutput, visit, request))

    @extend_schema(
        operation_id="tickets_onsite_request",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={201: OnsiteVisitOutput, **error_answers(400, 401, 404)},
        description=_(
            "Ask for an on-site visit after remote diagnosis failed (a critical Basic case) or "
            "as a Premium emergency: the same entitlement rules as at opening."
        ),
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = billing.onsite_request(ticket=ticket, by=request.user, **serializer.validated_data)
        return Response(_out(OnsiteVisitOutput, visit, request), status=status.HTTP_201_CREATED)


class OnsiteScheduleApi(TicketApi):
    class InputSerializer(Serializer):
        scheduled_for = UtcDateTimeField(help_text=_("When the specialist is expected on site."))

    @extend_schema(
        operation_id="tickets_onsite_schedule",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={200: OnsiteVisitOutput, **error_answers(400, 401, 403, 404)},
        description=_("The desk schedules the case's requested on-site visit (again to move it)."),
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        desk_only(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = billing.visit_schedule(ticket=ticket, by=request.user, **serializer.validated_data)
        return Response(_out(OnsiteVisitOutput, visit, request))


class OnsiteArrivalApi(TicketApi):
    class InputSerializer(Serializer):
        at = UtcDateTimeField(required=False, help_text=_("When the specialist arrived; now if left out."))

    @extend_schema(
        operation_id="tickets_onsite_arrival",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={200: OnsiteVisitOutput, **error_answers(400, 401, 403, 404)},
        description=_(
            "The desk records the specialist's arrival on site (on-site work is logged only "
            "after it); recording it again keeps the first arrival."
        ),
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        desk_only(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = billing.visit_arrive(ticket=ticket, by=request.user, at=serializer.validated_data.get("at"))
        return Response(_out(OnsiteVisitOutput, visit, request))


@extend_schema_serializer(component_name="Classification")
class ClassificationOutput(Serializer):
    vulnerability = serializers.BooleanField()
    cve_id = serializers.CharField()
    billable = serializers.BooleanField()
    billable_reason = serializers.CharField()
    agreement_required = serializers.BooleanField()


class ClassificationApi(TicketApi):
    class InputSerializer(Serializer):
        vulnerability = serializers.BooleanField()
        cve_id = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
        reason = serializers.CharField(max_length=2000, help_text=_("Why: kept as an internal note."))

    @extend_schema(
        operation_id="tickets_classification_update",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={200: ClassificationOutput, **error_answers(400, 401, 403, 404)},
        description=_(
            "The desk re-classifies a case as a vulnerability or not, with a reason (an "
            "internal note and the case history); its charge is decided again by the rules of its "
            "opening day."
        ),
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        desk_only(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = billing.ticket_reclassify(ticket=ticket, by=request.user, **serializer.validated_data)
        return Response(ClassificationOutput(ticket).data)


class QuoteCollectionApi(CaseRecordsApi):
    name = "quotes"
    output = OrderOutput

    class InputSerializer(Serializer):
        price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
        quote_text = serializers.CharField(max_length=5000, help_text=_("What the price covers."))

    def rows(self, ticket):
        return ticket.orders.filter(kind=OrderKind.CASE_WORK).select_related(
            "organization", "ticket", "requested_by", "accepted_by", "major_version__product"
        )

    def record(self, *, ticket, by, data):
        return billing.case_quote(ticket=ticket, by=by, **data)


def _case_quote_or_404(request, number: str, order_id: int) -> Order:
    ticket = ticket_or_404(request.user, number)
    quote = ticket.orders.filter(pk=order_id, kind=OrderKind.CASE_WORK).first()
    if quote is None:
        raise Http404(_("No such quote on this case."))
    return quote


class QuoteAcceptApi(TicketApi):
    @extend_schema(
        operation_id="tickets_quotes_accept",
        parameters=[NUMBER, ORDER_ID],
        request=None,
        responses={200: OrderOutput, **error_answers(400, 401, 404)},
    )
    def post(self, request, number: str, order_id: int):
        order = billing.order_accept(order=_case_quote_or_404(request, number, order_id), by=request.user)
        return Response(_out(OrderOutput, order, request))


class QuoteDeclineApi(TicketApi):
    @extend_schema(
        operation_id="tickets_quotes_decline",
        parameters=[NUMBER, ORDER_ID],
        request=None,
        responses={200: OrderOutput, **error_answers(400, 401, 404)},
    )
    def post(self, request, number: str, order_id: int):
        order = billing.order_decline(order=_case_quote_or_404(request, number, order_id), by=request.user)
        return Response(_out(OrderOutput, order, request))


# ---------------------------------------------------------------------------- orders and pilots


def _orders(user):
    return Order.objects.visible_to(user).select_related(
        "organization", "ticket", "requested_by", "accepted_by", "major_version__product"
    )


def _order_or_404(request, order_id: int) -> Order:
    order = _orders(request.user).filter(pk=order_id).first()
    if order is None:
        raise Http404(_("No such order."))
    return order


def _organization(request, slug: str | None) -> Organization:
    """A customer's own organization; staff name the one they act for."""
    if not request.user.is_staff:
        organization = user_organization(request.user)
        if organization is None or (slug and slug != organization.slug):
            raise serializers.ValidationError({"organization": NO_ORGANIZATION})
        return organization
    organization = Organization.objects.filter(slug=slug).first() if slug else None
    if organization is None:
        message = UNKNOWN_ORGANIZATION.format(slug=slug) if slug else NO_ORGANIZATION
        raise serializers.ValidationError({"organization": message})
    return organization


def _contract(organization: Organization, contract_id: int | None) -> Contract | None:
    """Only the organization's own contracts are found: another's id reads as none given."""
    if contract_id is None:
        return None
    return Contract.objects.filter(organization=organization, pk=contract_id).first()


class OrderCollectionApi(TicketApi):
    class InputSerializer(Serializer):
        kind = serializers.ChoiceField(
            choices=OrderKind.choices, help_text=_("feature_request or additional_service.")
        )
        description = serializers.CharField(max_length=5000)
        contract = serializers.IntegerField(
            min_value=1, max_value=2**31 - 1, help_text=_("Id of your Basic or Premium contract.")
        )
        organization = serializers.SlugField(required=False, help_text=_("Staff: the organization's slug."))

    @extend_schema(
        operation_id="orders_list",
        responses={200: OrderOutput(many=True), **error_answers(401)},
        description=_("Your organization's orders, quotes on cases and pilot requests, newest first."),
    )
    def get(self, request):
        return Response(_out(OrderOutput, _orders(request.user)[:500], request, many=True))

    @extend_schema(
        operation_id="orders_create",
        request=InputSerializer,
        responses={201: OrderOutput, **error_answers(400, 401)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = _organization(request, data.get("organization"))
        order = billing.order_request(
            organization=organization,
            by=request.user,
            kind=data["kind"],
            description=data["description"],
            contract=_contract(organization, data["contract"]),
        )
        return Response(_out(OrderOutput, order, request), status=status.HTTP_201_CREATED)


class OrderItemApi(TicketApi):
    @extend_schema(
        operation_id="orders_retrieve",
        parameters=[ORDER_ID],
        responses={200: OrderOutput, **error_answers(401, 404)},
    )
    def get(self, request, order_id: int):
        return Response(_out(OrderOutput, _order_or_404(request, order_id), request))


class OrderAcceptApi(TicketApi):
    @extend_schema(
        operation_id="orders_accept",
        parameters=[ORDER_ID],
        request=None,
        responses={200: OrderOutput, **error_answers(400, 401, 404)},
    )
    def post(self, request, order_id: int):
        order = billing.order_accept(order=_order_or_404(request, order_id), by=request.user)
        return Response(_out(OrderOutput, order, request))


class OrderDeclineApi(TicketApi):
    @extend_schema(
        operation_id="orders_decline",
        parameters=[ORDER_ID],
        request=None,
        responses={200: OrderOutput, **error_answers(400, 401, 404)},
    )
    def post(self, request, order_id: int):
        order = billing.order_decline(order=_order_or_404(request, order_id), by=request.user)
        return Response(_out(OrderOutput, order, request))


class OrderQuoteApi(TicketApi):
    class InputSerializer(Serializer):
        price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
        quote_text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="orders_quote",
        parameters=[ORDER_ID],
        request=InputSerializer,
        responses={200: OrderOutput, **error_answers(400, 401, 403, 404)},
    )
    def post(self, request, order_id: int):
        order = _order_or_404(request, order_id)
        desk_only(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = billing.order_quote(order=order, by=request.user, **serializer.validated_data)
        return Response(_out(OrderOutput, order, request))


class OrderDeliverApi(TicketApi):
    class InputSerializer(Serializer):
        download_reference = serializers.CharField(
            max_length=500, required=False, allow_blank=True, default="", help_text=_("Pilot versions.")
        )

    @extend_schema(
        operation_id="orders_deliver",
        parameters=[ORDER_ID],
        request=InputSerializer,
        responses={200: OrderOutput, **error_answers(400, 401, 403, 404)},
    )
    def post(self, request, order_id: int):
        order = _order_or_404(request, order_id)
        desk_only(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = billing.order_deliver(order=order, by=request.user, **serializer.validated_data)
        return Response(_out(OrderOutput, order, request))


class PilotCollectionApi(TicketApi):
    class InputSerializer(Serializer):
        major_version = PrimaryKeyRelatedField(
            queryset=MajorVersion.objects.select_related("product"),
            help_text=_("Id of an announced major version before its GA (GET /api/products/)."),
        )
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
        organization = serializers.SlugField(required=False, help_text=_("Staff: the organization's slug."))

    @extend_schema(
        operation_id="pilots_create",
        request=InputSerializer,
        responses={201: OrderOutput, **error_answers(400, 401)},
        description=_(
            "Ask for a pilot version of an announced major version before its general "
            "availability; asking again answers the request already made."
        ),
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = billing.pilot_request(
            organization=_organization(request, data.get("organization")),
            by=request.user,
            major_version=data["major_version"],
            note=data["note"],
        )
        return Response(_out(OrderOutput, order, request), status=status.HTTP_201_CREATED)
