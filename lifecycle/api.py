"""Lifecycle API: the public milestone preview, products with their versions and phases, and
the customer's contracts with this contract year's quota."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import Serializer, page_of

from .dates import EARLIEST_DATE, LATEST_DATE, compute_milestones, notice_by
from .selectors import contract_list, contract_quota, product_list

EOS_BEFORE_GA = _("End of sales cannot be before general availability.")
NEXT_GA_BEFORE_GA = _("The next major version cannot be generally available before this one.")
DATE_OUT_OF_RANGE = f"Give a date from {EARLIEST_DATE:%Y-%m-%d} to {LATEST_DATE:%Y-%m-%d}."


class LifecycleDateField(serializers.DateField):
    """A date the milestone arithmetic can carry (lifecycle.dates.EARLIEST_DATE … LATEST_DATE)."""

    default_error_messages = {"out_of_range": DATE_OUT_OF_RANGE}

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            self.fail("out_of_range")
        return day


class Pagination(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class LifecyclePreviewApi(APIView):
    """EOMS and EOL for a major version, as SPEC §3 computes them, and the last days on which
    customers must be told about each milestone (six months before)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(Serializer):
        ga = LifecycleDateField()
        eos = LifecycleDateField()
        next_major_ga = LifecycleDateField(required=False, allow_null=True, default=None)

        def validate(self, data):
            if data["eos"] < data["ga"]:
                raise serializers.ValidationError({"eos": EOS_BEFORE_GA})
            if data["next_major_ga"] is not None and data["next_major_ga"] < data["ga"]:
                raise serializers.ValidationError({"next_major_ga": NEXT_GA_BEFORE_GA})
            return data

    class OutputSerializer(Serializer):
        class NoticeSerializer(Serializer):
            eos = serializers.DateField()
            eoms = serializers.DateField()
            eol = serializers.DateField()

        eoms = serializers.DateField()
        eol = serializers.DateField()
        eoms_provisional = serializers.BooleanField()
        eoms_bound = serializers.ChoiceField(choices=["eos", "next_ga", "five_years"])
        notice_by = NoticeSerializer()

    @extend_schema(
        description=_(
            "A major version's end of mainstream support (EOMS) and end of life (EOL) computed from its "
            "general availability (ga), end of sales (eos) and, if known, the next major version's GA, "
            "with the last day by which customers must be told of each milestone (six months before). "
            "Open to everyone; 400 names the wrong date."
        ),
        parameters=[
            OpenApiParameter("ga", str, required=True, description=_("YYYY-MM-DD")),
            OpenApiParameter("eos", str, required=True, description=_("YYYY-MM-DD")),
            OpenApiParameter("next_major_ga", str, required=False, description=_("YYYY-MM-DD")),
        ],
        responses=OutputSerializer,
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        ga, eos = params.validated_data["ga"], params.validated_data["eos"]
        milestones = compute_milestones(ga=ga, eos=eos, next_major_ga=params.validated_data["next_major_ga"])
        result = {
            "eoms": milestones.eoms,
            "eol": milestones.eol,
            "eoms_provisional": milestones.eoms_provisional,
            "eoms_bound": milestones.eoms_bound,
            "notice_by": {
                "eos": notice_by(eos),
                "eoms": notice_by(milestones.eoms),
                "eol": notice_by(milestones.eol),
            },
        }
        return Response(self.OutputSerializer(result).data)


class MajorVersionSerializer(Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    # Null until known: no announcement recorded, no GA or EOS date yet (and so no EOMS or EOL).
    announced_at = serializers.DateField(allow_null=True)
    ga = serializers.DateField(allow_null=True)
    eos = serializers.DateField(allow_null=True)
    eoms = serializers.DateField(allow_null=True)
    eol = serializers.DateField(allow_null=True)
    eoms_provisional = serializers.BooleanField()
    eoms_overridden = serializers.SerializerMethodField()
    eol_overridden = serializers.SerializerMethodField()
    override_reason = serializers.CharField()
    phase = serializers.SerializerMethodField()
    minor_versions = serializers.SerializerMethodField()

    def get_eoms_overridden(self, version) -> bool:
        return version.eoms_override is not None

    def get_eol_overridden(self, version) -> bool:
        return version.eol_override is not None

    def get_phase(self, version) -> str:
        return str(version.phase_at(self.context["today"]))

    def get_minor_versions(self, version) -> list[dict[str, str]]:
        return [
            {"name": m.name, "released_on": m.released_on.isoformat()} for m in version.minor_versions.all()
        ]


class ProductSerializer(Serializer):
    id = serializers.IntegerField()
    vendor = serializers.CharField(source="vendor.slug")
    name = serializers.CharField()
    versions = MajorVersionSerializer(many=True, source="major_versions.all")


class ProductListApi(APIView):
    """Every product with its major versions, computed dates and phase today."""

    class OutputSerializer(ProductSerializer):
        pass

    @extend_schema(
        operation_id="products_list",
        description=_(
            "Every product with its major versions, their computed dates and phase today, a page at a time."
        ),
        responses=page_of(OutputSerializer, "ProductPage"),
    )
    def get(self, request):
        paginator = Pagination()
        page = paginator.paginate_queryset(
            product_list().order_by("vendor__name", "name"), request, view=self
        )
        context = {"today": timezone.localdate()}
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True, context=context).data)


class ProductDetailApi(APIView):
    class OutputSerializer(ProductSerializer):
        pass

    @extend_schema(responses=OutputSerializer)
    def get(self, request, product_id: int):
        product = get_object_or_404(product_list(), pk=product_id)
        return Response(self.OutputSerializer(product, context={"today": timezone.localdate()}).data)


class ContractListApi(APIView):
    """The requesting customer's organization's contracts (staff: all), each with this contract
    year's quota for Basic plans (null for plans without one)."""

    class OutputSerializer(Serializer):
        class EntitlementSerializer(Serializer):
            allowance = serializers.IntegerField()
            used = serializers.IntegerField()
            remaining = serializers.IntegerField()
            carried_over = serializers.IntegerField()
            exchanged = serializers.IntegerField()
            billable_count = serializers.IntegerField()

        id = serializers.IntegerField()
        reference = serializers.CharField()
        organization = serializers.CharField(source="organization.slug")
        vendor = serializers.CharField(source="vendor.slug")
        product = serializers.IntegerField(source="product_id")
        product_name = serializers.CharField(source="product.name")
        major_version = serializers.CharField(source="major_version.name", allow_null=True, default=None)
        plan = serializers.CharField()
        deployment = serializers.CharField()
        start = serializers.DateField()
        end = serializers.DateField()
        license_price = serializers.DecimalField(max_digits=14, decimal_places=2)
        currency = serializers.CharField()
        premium_options = serializers.SerializerMethodField()
        entitlement = serializers.SerializerMethodField()

        def get_premium_options(self, contract) -> list[dict[str, str]]:
            return [
                {"kind": o.kind, "price": f"{o.price:.2f}", "note": o.note}
                for o in contract.premium_options.all()
            ]

        @extend_schema_field(EntitlementSerializer(allow_null=True))
        def get_entitlement(self, contract) -> dict | None:
            quota = contract_quota(contract=contract, on=self.context["today"])
            return self.EntitlementSerializer(quota).data if quota is not None else None

    @extend_schema(
        operation_id="contracts_list",
        description=_(
            "Your organization's contracts (staff: every organization's), each with this contract year's "
            "quota of cases for Basic plans (null for plans without one). 401 when not signed in."
        ),
        responses=page_of(OutputSerializer, "ContractPage"),
    )
    def get(self, request):
        paginator = Pagination()
        page = paginator.paginate_queryset(contract_list(user=request.user), request, view=self)
        context = {"today": timezone.localdate()}
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True, context=context).data)
