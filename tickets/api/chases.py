"""The desk's reminders of a case waiting on the customer (issue 20 point 2): GET lists them (the
case's viewers), POST sends one (the desk's alone: 403 for customers, 400 unless waiting)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from portal.api import Serializer, UtcDateTimeField

from ..models import Chase
from ..services.chases import ticket_chase
from ..services.tickets import DESK_ONLY
from .common import NUMBER, TicketApi, error_answers, ticket_or_404


class ChaseOutput(Serializer):
    id = serializers.IntegerField()
    at = UtcDateTimeField()
    automatic = serializers.BooleanField()
    by = serializers.SerializerMethodField(help_text="Who at the desk; empty for the automatic reminder.")
    message = serializers.CharField()
    waiting_since = UtcDateTimeField(source="wait.started_at")

    def get_by(self, chase: Chase) -> str:
        return (chase.by.get_full_name() or chase.by.username) if chase.by_id else ""


class ChaseCollectionApi(TicketApi):
    class InputSerializer(Serializer):
        message = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="Added to the reminder's email."
        )

    @extend_schema(
        operation_id="tickets_chases_list",
        parameters=[NUMBER],
        responses={200: ChaseOutput(many=True), **error_answers(401, 404)},
    )
    def get(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        chases = Chase.objects.filter(wait__ticket=ticket).select_related("wait", "by").order_by("at", "pk")
        return Response(ChaseOutput(chases, many=True).data)

    @extend_schema(
        operation_id="tickets_chases_create",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={201: ChaseOutput, **error_answers(400, 401, 403, 404)},
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        if not request.user.is_staff:
            raise PermissionDenied(DESK_ONLY)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chase = ticket_chase(ticket=ticket, by=request.user, message=serializer.validated_data["message"])
        return Response(ChaseOutput(chase).data, status=status.HTTP_201_CREATED)
