"""Monthly statements as JSON (issue 21 point 2): GET /api/statements/ lists the contracts whose
statements you may read, GET /api/statements/<contract>/<YYYY-MM>/ one month's. The same readers as
the page (reports.statements.statement_contracts): staff, and the organization's administrators;
anyone else 404, whether or not the contract exists. Money is a decimal string, never converted."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import Serializer
from portal.authentication import TokenAuthentication

from .. import statements
from ..views import MONTH_INVALID
from .views import month_or_none

MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}
CENT = Decimal("0.01")
MONTH_PARAMETER = OpenApiParameter(
    "month", str, OpenApiParameter.PATH, description=_("YYYY-MM, a UTC month.")
)
CONTRACT_PARAMETER = OpenApiParameter(
    "contract_id", int, OpenApiParameter.PATH, description=_("Contract id.")
)


class StatementApi(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]


@extend_schema_serializer(component_name="StatementContract")
class ContractOutput(Serializer):
    id = serializers.IntegerField()
    organization = serializers.CharField(source="organization.slug")
    product = serializers.CharField(source="product.name")
    plan = serializers.CharField()
    reference = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField()


class StatementExpenseOutput(Serializer):
    kind = serializers.CharField()
    incurred_on = serializers.CharField()
    description = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()


class StatementCaseOutput(Serializer):
    number = serializers.CharField()
    subject = serializers.CharField()
    reason = serializers.CharField(help_text=_("Why the case is charged."))
    vulnerability = serializers.BooleanField()
    minutes = serializers.IntegerField()
    hours = serializers.DecimalField(**MONEY)
    work_amount = serializers.DecimalField(**MONEY, help_text=_("In the contract's currency."))
    emergency_calls = serializers.IntegerField()
    emergency_amount = serializers.DecimalField(**MONEY)
    expenses = StatementExpenseOutput(many=True)


class StatementPriceOutput(Serializer):
    what = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()


class StatementQuotaOutput(Serializer):
    contract_year = serializers.IntegerField()
    allowance = serializers.IntegerField()
    carried_over = serializers.IntegerField()
    used_this_month = serializers.IntegerField()
    used_this_year = serializers.IntegerField()
    remaining = serializers.IntegerField()


@extend_schema_serializer(component_name="Statement")
class StatementOutput(Serializer):
    organization = serializers.CharField()
    contract_id = serializers.IntegerField()
    contract = serializers.CharField()
    month = serializers.CharField()
    currency = serializers.CharField()
    hourly_rate = serializers.DecimalField(**MONEY)
    status = serializers.SerializerMethodField()
    closed_at = serializers.CharField(help_text=_("Empty while provisional."))
    quota = StatementQuotaOutput(allow_null=True)
    cases = StatementCaseOutput(many=True)
    premium_options = StatementPriceOutput(many=True)
    orders = StatementPriceOutput(many=True)
    totals = serializers.DictField(
        child=serializers.DecimalField(**MONEY), help_text=_("One total per currency, never converted.")
    )

    def get_status(self, data) -> str:
        return "closed" if data.closed else "provisional"


def _money(value: Decimal) -> str:
    """A DecimalField(**MONEY)'s representation: two places, as a plain decimal string."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):f}"


def statement_output(data: statements.StatementData) -> dict:
    """StatementOutput(data).data, written directly: DRF's fields cost some 0.1 ms a value, and a
    statement of 2,000 cases has 30,000 of them. StatementOutput stays the schema, and a test
    holds the two equal."""
    quota = data.quota
    return {
        "organization": str(data.organization),
        "contract_id": int(data.contract_id),
        "contract": str(data.contract),
        "month": str(data.month),
        "currency": str(data.currency),
        "hourly_rate": _money(data.hourly_rate),
        "status": "closed" if data.closed else "provisional",
        "closed_at": str(data.closed_at),
        "quota": None
        if quota is None
        else {
            "contract_year": int(quota.contract_year),
            "allowance": int(quota.allowance),
            "carried_over": int(quota.carried_over),
            "used_this_month": int(quota.used_this_month),
            "used_this_year": int(quota.used_this_year),
            "remaining": int(quota.remaining),
        },
        "cases": [
            {
                "number": str(c.number),
                "subject": str(c.subject),
                "reason": str(c.reason),
                "vulnerability": bool(c.vulnerability),
                "minutes": int(c.minutes),
                "hours": _money(c.hours),
                "work_amount": _money(c.work_amount),
                "emergency_calls": int(c.emergency_calls),
                "emergency_amount": _money(c.emergency_amount),
                "expenses": [
                    {
                        "kind": str(e.kind),
                        "incurred_on": str(e.incurred_on),
                        "description": str(e.description),
                        "amount": _money(e.amount),
                        "currency": str(e.currency),
                    }
                    for e in c.expenses
                ],
            }
            for c in data.cases
        ],
        "premium_options": [_price(line) for line in data.premium_options],
        "orders": [_price(line) for line in data.orders],
        "totals": {str(currency): _money(total) for currency, total in data.totals.items()},
    }


def _price(line: statements.PriceLine) -> dict:
    return {"what": str(line.what), "amount": _money(line.amount), "currency": str(line.currency)}


class StatementListApi(StatementApi):
    @extend_schema(operation_id="statements_list", responses={200: ContractOutput(many=True)})
    def get(self, request):
        return Response(ContractOutput(statements.statement_contracts(user=request.user), many=True).data)


class StatementDetailApi(StatementApi):
    @extend_schema(
        operation_id="statements_retrieve",
        parameters=[CONTRACT_PARAMETER, MONTH_PARAMETER],
        responses={200: StatementOutput},
    )
    def get(self, request, contract_id: int, month: str):
        contract = get_object_or_404(statements.statement_contracts(user=request.user), pk=contract_id)
        first = month_or_none(month)
        if first is None:
            raise serializers.ValidationError({"month": [MONTH_INVALID[0].upper() + MONTH_INVALID[1:]]})
        return Response(statement_output(statements.statement_for(contract=contract, month=first)))
