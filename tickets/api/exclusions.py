"""Exclusions on a case (issue 20 point 1): GET lists them (the case's viewers), POST records
one, POST …/decline/ declines the case out of scope (the desk's alone: 403 for customers)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from policies.models import TargetKind
from portal.api import Serializer, UtcDateTimeField

from ..models import Attachment, CaseExclusion
from ..services.exclusions import ticket_decline, ticket_exclude
from .common import NUMBER, CaseRecordsApi, TicketApi, desk_only, detail_data, error_answers, ticket_or_404


class ExclusionOutput(Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(source="exclusion.code")
    text = serializers.CharField(source="exclusion.text")
    target = serializers.SerializerMethodField()
    reason = serializers.CharField()
    declined = serializers.BooleanField()
    recorded_at = UtcDateTimeField()
    attachments = serializers.SerializerMethodField()

    def get_target(self, record: CaseExclusion) -> str | None:
        return record.target.kind if record.target_id else None

    def get_attachments(self, record: CaseExclusion) -> list[int]:
        return [attachment.pk for attachment in record.attachments.all()]


class ExclusionCollectionApi(CaseRecordsApi):
    name = "exclusions"
    output = ExclusionOutput

    class InputSerializer(Serializer):
        code = serializers.CharField(help_text=_("One of the vendor's exclusion codes."))
        reason = serializers.CharField(allow_blank=True, help_text=_("Why, with the evidence."))
        target = serializers.ChoiceField(
            choices=TargetKind.choices, required=False, allow_null=True, help_text=_("Empty: the whole case.")
        )
        attachments = serializers.ListField(
            child=serializers.IntegerField(),
            required=False,
            default=list,
            help_text=_("The case's attachment ids."),
        )

    def rows(self, ticket):
        return ticket.exclusions.select_related("exclusion", "target").prefetch_related("attachments")

    def record(self, *, ticket, by, data):
        return ticket_exclude(
            ticket=ticket,
            by=by,
            code=data["code"],
            reason=data["reason"],
            target_kind=data.get("target"),
            attachments=list(Attachment.objects.filter(pk__in=data["attachments"])),
        )


class DeclineApi(TicketApi):
    class InputSerializer(Serializer):
        code = serializers.CharField(help_text=_("The exclusion the case falls under."))
        reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="tickets_decline",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={200: ExclusionOutput, **error_answers(400, 401, 403, 404)},
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        desk_only(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket_decline(ticket=ticket, by=request.user, **serializer.validated_data)
        return Response(detail_data(ticket, request.user))
