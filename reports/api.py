"""The monitor's API: record an outage, end it. Token authentication only — a monitor is a
program, not a browser session: a staff user's token, or a dedicated user holding the
`reports.add_outage` permission (README, "Reports and availability")."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import Serializer, UtcDateTimeField
from portal.authentication import TokenAuthentication

from .models import END_BEFORE_START, MonitoredService, Outage, OutageCause
from .services import outage_end, outage_record

UNKNOWN_SERVICE = "No monitored service {slug!r}."


class CanRecordOutages(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.has_perm("reports.add_outage")))


class OutageOutputSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    start = UtcDateTimeField()
    end = UtcDateTimeField(allow_null=True)
    counts_as_downtime = serializers.SerializerMethodField()

    class Meta:
        model = Outage
        fields = ["id", "service", "start", "end", "cause", "notes", "reference", "counts_as_downtime"]

    def get_counts_as_downtime(self, outage: Outage) -> bool:
        return not outage.is_excluded


class MonitorApi(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [CanRecordOutages]


class OutageCreateApi(MonitorApi):
    class InputSerializer(Serializer):
        service = serializers.SlugField(help_text="The monitored service's slug.")
        start = UtcDateTimeField()
        end = UtcDateTimeField(required=False, allow_null=True, help_text="Leave out while the outage lasts.")
        cause = serializers.ChoiceField(choices=OutageCause.choices, default=OutageCause.UNPLANNED)
        notes = serializers.CharField(required=False, allow_blank=True, default="")
        reference = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=100,
            help_text="The monitor's own id; posting it again returns the outage already recorded.",
        )

        def validate_service(self, slug: str) -> MonitoredService:
            service = MonitoredService.objects.filter(slug=slug).first()
            if service is None:
                raise serializers.ValidationError(UNKNOWN_SERVICE.format(slug=slug))
            return service

        def validate(self, data: dict) -> dict:
            if data.get("end") is not None and data["end"] <= data["start"]:
                raise serializers.ValidationError({"end": END_BEFORE_START})
            return data

    @extend_schema(
        request=InputSerializer, responses={201: OutageOutputSerializer, 200: OutageOutputSerializer}
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outage, created = outage_record(**serializer.validated_data, by=request.user)
        return Response(
            OutageOutputSerializer(outage).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class OutageEndApi(MonitorApi):
    class InputSerializer(Serializer):
        end = UtcDateTimeField()

    @extend_schema(request=InputSerializer, responses={200: OutageOutputSerializer})
    def post(self, request, outage_id: int):
        outage = get_object_or_404(Outage, pk=outage_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["end"] <= outage.start:
            raise serializers.ValidationError({"end": [END_BEFORE_START]})
        outage = outage_end(outage=outage, end=serializer.validated_data["end"])
        return Response(OutageOutputSerializer(outage).data)
