"""The monitor's API: record an outage, end it; and the desk's: move or cancel planned work (staff
only). Token authentication only — a monitor is a program, not a browser session: a staff user's
token, or a dedicated user holding the `reports.add_outage` permission (README, "Reports and
availability")."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import Serializer, UtcDateTimeField
from portal.authentication import TokenAuthentication

from .models import END_BEFORE_START, THIRD_PARTY_GONE, MonitoredService, Outage, OutageCause
from .services import outage_cancel, outage_end, outage_record, outage_reschedule

UNKNOWN_SERVICE = _("No monitored service {slug!r}.")


class CanRecordOutages(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.has_perm("reports.add_outage")))


class OutageOutputSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    start = UtcDateTimeField()
    end = UtcDateTimeField(allow_null=True)
    announced_at = UtcDateTimeField(allow_null=True, read_only=True)
    cancelled_at = UtcDateTimeField(allow_null=True, read_only=True)
    counts_as_downtime = serializers.BooleanField(read_only=True)

    class Meta:
        model = Outage
        fields = [
            "id",
            "service",
            "start",
            "end",
            "cause",
            "notes",
            "reference",
            "announced_at",
            "cancelled_at",
            "counts_as_downtime",
        ]


class CauseField(serializers.ChoiceField):
    """The causes, and a word for monitors still sending the retired "third_party" (issue 20)."""

    def to_internal_value(self, data):
        if data == "third_party":
            raise serializers.ValidationError(THIRD_PARTY_GONE)
        return super().to_internal_value(data)


class MonitorApi(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [CanRecordOutages]


class OutageCreateApi(MonitorApi):
    class InputSerializer(Serializer):
        service = serializers.SlugField(help_text=_("The monitored service's slug."))
        start = UtcDateTimeField()
        end = UtcDateTimeField(
            required=False, allow_null=True, help_text=_("Leave out while the outage lasts.")
        )
        cause = CauseField(
            choices=OutageCause.choices,
            default=OutageCause.UNPLANNED,
            help_text=_(
                "Every cause but beyond_control, customer_side and emergency_maintenance counts as "
                "downtime outside the Sunday window; scheduled_maintenance and upgrade are excused when "
                "announced MAINTENANCE_NOTICE_HOURS before they begin (recorded in advance, with an end)."
            ),
        )
        notes = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text=_("Required for an excused or announced cause: why, or what the planned work is."),
        )
        reference = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=100,
            help_text=_("The monitor's own id; posting it again returns the outage already recorded."),
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


class IsStaff(BasePermission):
    """Moving or cancelling planned work is the desk's decision, not a monitor's."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class PlannedWorkApi(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsStaff]


class OutageRescheduleApi(PlannedWorkApi):
    """Move planned work that has not begun: a new start, a new end, or both. Announced work is told
    to those who were told (a new start once per start, a later end once per end); work not yet
    announced is announced with its new times when its notice is due."""

    class InputSerializer(Serializer):
        start = UtcDateTimeField(required=False, help_text=_("The new start; leave out to keep it."))
        end = UtcDateTimeField(required=False, help_text=_("The new end; leave out to keep it."))

        def validate(self, data: dict) -> dict:
            if "start" in data and "end" in data and data["end"] <= data["start"]:
                raise serializers.ValidationError({"end": END_BEFORE_START})
            return data

    @extend_schema(
        description=_(
            "Staff: move planned work that has not begun (a new start, a new end, or both). Those already "
            "told of it are told of the change; work not yet announced is announced with its new times. "
            "403 for others."
        ),
        request=InputSerializer,
        responses={200: OutageOutputSerializer},
    )
    def patch(self, request, outage_id: int):
        outage = get_object_or_404(Outage, pk=outage_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outage = outage_reschedule(outage=outage, **serializer.validated_data)
        return Response(OutageOutputSerializer(outage).data)


class OutageCancelApi(PlannedWorkApi):
    """Call off planned work that has not begun; those told of it are told once."""

    @extend_schema(
        description=_(
            "Staff: call off planned work that has not begun; those told of it are told once. 403 for others."
        ),
        request=None,
        responses={200: OutageOutputSerializer},
    )
    def post(self, request, outage_id: int):
        outage = get_object_or_404(Outage, pk=outage_id)
        outage_cancel(outage=outage, by=request.user)
        outage.refresh_from_db()
        return Response(OutageOutputSerializer(outage).data)


# ---------------------------------------------------------------------------- measurement periods


class PeriodApi(APIView):
    """Issue 20 point 3: a month's review, per organization × vendor × month (YYYY-MM). Who may
    see it: staff, and the organization's members (others: 404); who may review: its admin."""

    from rest_framework.authentication import SessionAuthentication

    authentication_classes = [TokenAuthentication, SessionAuthentication]

    def scope(self, request, organization: str, vendor: str, month: str):
        from . import periods
        from .views import period_scope

        if not request.user.is_authenticated:
            from rest_framework.exceptions import NotAuthenticated

            raise NotAuthenticated()
        org, vendor_row, month_start = period_scope(request.user, organization, vendor, month)
        return periods.period_get(organization=org, vendor=vendor_row, month=month_start)


def _period_data(period) -> dict:
    from . import periods

    return {
        "organization": period.organization.slug,
        "vendor": period.vendor.slug,
        "month": f"{period.month:%Y-%m}",
        "status": "closed" if period.is_closed else "provisional",
        "closed_at": period.closed_at,
        "items": [
            {
                "kind": item.kind,
                "object_id": item.object_id,
                "case": item.ticket.number,
                "title": item.title,
                "evidence": item.evidence,
                "effect_minutes": item.effect_minutes,
                "decision": item.decision or None,
                "comment": item.review.comment if item.review else "",
            }
            for item in periods.period_items(period)
        ],
    }


class _Denied:
    @staticmethod
    def call(function, **kwargs):
        from django.core.exceptions import PermissionDenied
        from rest_framework.exceptions import PermissionDenied as ApiDenied

        try:
            return function(**kwargs)
        except PermissionDenied as error:
            raise ApiDenied(str(error)) from None


class PeriodDetailApi(PeriodApi):
    @extend_schema(
        description=_(
            "One organization's month (YYYY-MM) with one vendor: whether it is provisional or closed, and "
            "the pauses and exclusions that count in it with the organization's decisions. For staff and "
            "the organization's members; 404 for others."
        ),
        responses={200: None},
    )
    def get(self, request, organization: str, vendor: str, month: str):
        return Response(_period_data(self.scope(request, organization, vendor, month)))


class PeriodReviewApi(PeriodApi):
    class InputSerializer(Serializer):
        item = serializers.ChoiceField(choices=["wait", "exclusion"])
        object_id = serializers.IntegerField()
        decision = serializers.ChoiceField(choices=["accepted", "disputed"])
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    @extend_schema(
        description=_(
            "The organization's administrator accepts or disputes one pause or exclusion of the month, "
            "until the period closes; answers with the period. 403 for other members, 404 for outsiders."
        ),
        request=InputSerializer,
        responses={200: None},
    )
    def post(self, request, organization: str, vendor: str, month: str):
        from . import periods

        period = self.scope(request, organization, vendor, month)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _Denied.call(periods.period_review, period=period, by=request.user, **serializer.validated_data)
        return Response(_period_data(self.scope(request, organization, vendor, month)))


class PeriodCloseApi(PeriodApi):
    @extend_schema(
        description=_(
            "Staff: close the month, freezing its figures; answers with the period. 403 for customers."
        ),
        request=None,
        responses={200: None},
    )
    def post(self, request, organization: str, vendor: str, month: str):
        from . import periods

        period = self.scope(request, organization, vendor, month)
        period = _Denied.call(periods.period_close, period=period, by=request.user)
        return Response(_period_data(period))
