"""The desk's reminders of a case waiting on the customer (issue 20 point 2): GET lists them (the
case's viewers), POST sends one (the desk's alone: 403 for customers, 400 unless waiting)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.api import Serializer, UtcDateTimeField

from ..models import Chase
from ..services.chases import ticket_chase
from .common import CaseRecordsApi


class ChaseOutput(Serializer):
    id = serializers.IntegerField()
    at = UtcDateTimeField()
    automatic = serializers.BooleanField()
    by = serializers.SerializerMethodField(help_text=_("Who at the desk; empty for the automatic reminder."))
    message = serializers.CharField()
    waiting_since = UtcDateTimeField(source="wait.started_at")

    def get_by(self, chase: Chase) -> str:
        return (chase.by.get_full_name() or chase.by.username) if chase.by_id else ""


class ChaseCollectionApi(CaseRecordsApi):
    name = "chases"
    output = ChaseOutput

    class InputSerializer(Serializer):
        message = serializers.CharField(
            required=False, allow_blank=True, default="", help_text=_("Added to the reminder's email.")
        )

    def rows(self, ticket):
        return Chase.objects.filter(wait__ticket=ticket).select_related("wait", "by").order_by("at", "pk")

    def record(self, *, ticket, by, data):
        return ticket_chase(ticket=ticket, by=by, message=data["message"])
