"""Public, read-only policy API: vendors, the policy in force, and the SLA preview."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import Serializer, UtcDateTimeField

from .describe import calendar_summary
from .models import Vendor
from .selectors import vendor_list, version_detail, version_in_force
from .services import sla_preview, target_hours

UNKNOWN_VENDOR = _("Unknown vendor {slug!r}; choose one of: {choices}.")
OPENED_OUT_OF_RANGE = _("Give a date between the years {first} and {last}.")
# Deadlines lie days or weeks after the opening; far dates would overflow the clock's arithmetic.
OPENED_YEARS = (2000, 2100)
NOT_FOUND = OpenApiResponse(OpenApiTypes.OBJECT, description=_("No such vendor, or no policy in force."))
BAD_INPUT = OpenApiResponse(OpenApiTypes.OBJECT, description=_('{"field": ["message"]}: the wrong field.'))


class TargetSerializer(Serializer):
    kind = serializers.CharField()
    duration = serializers.DecimalField(max_digits=7, decimal_places=2)
    unit = serializers.CharField()
    duration_hours = serializers.SerializerMethodField()
    clock = serializers.CharField(source="clock_name")
    text = serializers.CharField(source="duration_text")

    def get_duration_hours(self, target) -> float:
        return target_hours(target)


class PrioritySerializer(Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField()
    definition = serializers.CharField()
    examples = serializers.ListField(child=serializers.CharField(), source="example_list")
    targets = TargetSerializer(many=True)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^\d{2}:\d{2}:\d{2}$",
        "example": "09:00:00",
        "description": "Wall-clock time in the calendar's time zone (no offset: it changes with DST).",
    }
)
class WallClockTimeField(serializers.TimeField):
    """A window's opening or close: a local time without offset, which OpenAPI's `time` format
    (RFC 3339, offset required) is not."""


class WindowSerializer(Serializer):
    start_weekday = serializers.IntegerField()
    start_time = WallClockTimeField()
    end_weekday = serializers.IntegerField()
    end_time = WallClockTimeField()


class CalendarSerializer(Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()
    business_day_hours = serializers.DecimalField(max_digits=5, decimal_places=2)
    holiday_country = serializers.CharField()
    windows = WindowSerializer(many=True)
    summary = serializers.SerializerMethodField()

    def get_summary(self, calendar) -> str:
        return calendar_summary(calendar)


class VendorSerializer(Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    ticket_prefix = serializers.CharField()
    change_notice_days = serializers.IntegerField()


class VendorListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses=VendorSerializer(many=True))
    def get(self, request):
        return Response(VendorSerializer(vendor_list(), many=True).data)


class VendorPolicyApi(APIView):
    """The policy version in force now, with its priorities, targets and support hours."""

    permission_classes = [AllowAny]
    authentication_classes = []

    class OutputSerializer(Serializer):
        class Meta:
            ref_name = "VendorPolicy"

        vendor = VendorSerializer()
        key = serializers.CharField()
        name = serializers.CharField()
        last_updated = serializers.DateField(
            allow_null=True, help_text=_("Null when the document gives none.")
        )
        effective_from = UtcDateTimeField()
        published_at = UtcDateTimeField()
        channels = serializers.SerializerMethodField()
        priorities = PrioritySerializer(many=True)
        calendars = CalendarSerializer(many=True)
        resolution_codes = serializers.SerializerMethodField()
        exclusions = serializers.SerializerMethodField()

        def get_channels(self, version) -> list[str]:
            return [c.channel for c in version.channels.all()]

        def get_resolution_codes(self, version) -> list[dict[str, str]]:
            return [{"code": r.code, "name": r.name} for r in version.resolution_codes.all()]

        def get_exclusions(self, version) -> list[dict[str, str]]:
            return [{"code": e.code, "text": e.text} for e in version.exclusions.all()]

    @extend_schema(
        description=_(
            "The vendor's support policy in force now: its priorities with their targets, support hours "
            "and calendars, channels, resolution codes and exclusions. Open to everyone; 404 when the "
            "vendor is unknown or has no policy in force."
        ),
        # The URL takes any text, so that a malformed slug gets this API's JSON 404 too.
        parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$")],
        responses={200: OutputSerializer, 404: NOT_FOUND},
    )
    def get(self, request, slug: str):
        vendor = get_object_or_404(Vendor, slug=slug)
        version = version_in_force(vendor=vendor)
        if version is None:
            return Response(
                {"detail": gettext("%(vendor)s has no policy in force.") % {"vendor": vendor.name}},
                status=404,
            )
        return Response(self.OutputSerializer(version_detail(version)).data)


class SlaPreviewApi(APIView):
    """The deadlines a case would get: `vendor`, `priority` and `opened_at` (ISO 8601 with offset)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(Serializer):
        class Meta:
            ref_name = "SlaPreviewQuery"

        vendor = serializers.CharField()
        priority = serializers.CharField()
        opened_at = UtcDateTimeField()

        def validate_vendor(self, slug: str) -> Vendor:
            vendor = Vendor.objects.filter(slug=slug).first()
            if vendor is None:
                choices = ", ".join(vendor_list().values_list("slug", flat=True))
                raise serializers.ValidationError(UNKNOWN_VENDOR.format(slug=slug, choices=choices))
            return vendor

        def validate_opened_at(self, opened_at):
            first, last = OPENED_YEARS
            if not first <= opened_at.year <= last:
                raise serializers.ValidationError(OPENED_OUT_OF_RANGE.format(first=first, last=last))
            return opened_at

    class OutputSerializer(Serializer):
        class Meta:
            ref_name = "SlaPreview"

        class DueSerializer(Serializer):
            kind = serializers.CharField()
            duration_hours = serializers.FloatField()
            clock = serializers.ChoiceField(choices=["24x7", "business"])
            due_at = UtcDateTimeField()

        vendor = serializers.CharField(source="vendor.slug")
        priority = serializers.CharField(source="priority.code")
        opened_at = UtcDateTimeField()
        policy_version = serializers.CharField(source="version.key")
        targets = DueSerializer(many=True)

    @extend_schema(
        description=_(
            "The deadlines (first response, update, resolution) a case of this vendor and priority opened "
            "at opened_at would get under the policy in force then. Open to everyone; 400 names the wrong "
            "parameter."
        ),
        parameters=[
            OpenApiParameter("vendor", str, required=True),
            OpenApiParameter("priority", str, required=True),
            OpenApiParameter(
                "opened_at", OpenApiTypes.DATETIME, required=True, description=_("ISO 8601 with offset")
            ),
        ],
        responses={200: OutputSerializer, 400: BAD_INPUT},
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        preview = sla_preview(
            vendor=params.validated_data["vendor"],
            priority_code=params.validated_data["priority"],
            opened_at=params.validated_data["opened_at"],
        )
        return Response(self.OutputSerializer(preview).data)
