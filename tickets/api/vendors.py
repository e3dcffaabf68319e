"""The vendor's side of a case (issue 20 point 6), the desk's alone (403 for customers): GET lists
the case's handings to the vendor, POST hands it over (with the vendor's case reference), POST
…/answered/ records the vendor's answer. The desk's clocks are not touched by either."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from portal.api import Serializer, UtcDateTimeField

from ..models import VendorHandoff
from ..services.tickets import DESK_ONLY
from ..services.vendors import ticket_hand_to_vendor, ticket_vendor_answered
from .common import NUMBER, TicketApi, error_answers, ticket_or_404


class HandoffOutput(Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    sent_at = UtcDateTimeField()
    answered_at = UtcDateTimeField(allow_null=True)
    minutes_to_answer = serializers.SerializerMethodField()

    def get_minutes_to_answer(self, handoff: VendorHandoff) -> int | None:
        if handoff.answered_at is None:
            return None
        return round((handoff.answered_at - handoff.sent_at).total_seconds() / 60)


class InputSerializer(Serializer):
    reference = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100, help_text=_("The vendor's case number.")
    )


def _desk_case(request, number: str):
    ticket = ticket_or_404(request.user, number)
    if not request.user.is_staff:
        raise PermissionDenied(DESK_ONLY)
    return ticket


class VendorHandoffCollectionApi(TicketApi):
    @extend_schema(
        operation_id="tickets_vendor_handoffs_list",
        parameters=[NUMBER],
        responses={200: HandoffOutput(many=True), **error_answers(401, 403, 404)},
    )
    def get(self, request, number: str):
        ticket = _desk_case(request, number)
        return Response(HandoffOutput(ticket.vendor_handoffs.order_by("sent_at", "pk"), many=True).data)

    @extend_schema(
        operation_id="tickets_vendor_handoffs_create",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={201: HandoffOutput, **error_answers(400, 401, 403, 404)},
    )
    def post(self, request, number: str):
        ticket = _desk_case(request, number)
        serializer = InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handoff = ticket_hand_to_vendor(ticket=ticket, by=request.user, **serializer.validated_data)
        return Response(HandoffOutput(handoff).data, status=status.HTTP_201_CREATED)


class VendorAnsweredApi(TicketApi):
    @extend_schema(
        operation_id="tickets_vendor_answered",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={200: HandoffOutput, **error_answers(400, 401, 403, 404)},
    )
    def post(self, request, number: str):
        ticket = _desk_case(request, number)
        serializer = InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handoff = ticket_vendor_answered(ticket=ticket, by=request.user, **serializer.validated_data)
        return Response(HandoffOutput(handoff).data)
