"""Monthly statements in the portal (issue 21 point 2): organization administrators read their
organization's, staff any; a page, a printable view (Print → Save as PDF) and a CSV. Another
organization's statement answers 404, a member who is not an administrator 404 too."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lifecycle.dates import add_months
from portal.errors import BadInput
from portal.exports import csv_response

from .. import statements
from ..views import MONTH, MONTH_INVALID


def month_or_none(value: str) -> date | None:
    """The first day of a YYYY-MM month, or None if `value` is not one (the page and the API)."""
    match = MONTH.match(value)
    if match is None or not (1 <= int(match[2]) <= 12 and 2000 <= int(match[1]) <= 2999):
        return None
    return date(int(match[1]), int(match[2]), 1)


def _month(value: str) -> date:
    month = month_or_none(value)
    if month is None:
        raise BadInput("month", MONTH_INVALID)
    return month


def _contract(request, contract_id: int):
    return get_object_or_404(statements.statement_contracts(user=request.user), pk=contract_id)


@login_required
def statement_list(request):
    contracts = list(statements.statement_contracts(user=request.user))
    if not contracts and not request.user.is_staff:
        raise Http404(gettext_lazy("No statements here."))
    today = timezone.now().date().replace(day=1)
    months = [add_months(today, -i) for i in range(6)]
    return render(request, "reports/statements.html", {"contracts": contracts, "months": months})


def _data(request, contract_id: int, month: str):
    contract = _contract(request, contract_id)
    return contract, statements.statement_for(contract=contract, month=_month(month))


@login_required
def statement_detail(request, contract_id: int, month: str, printable: bool = False):
    contract, data = _data(request, contract_id, month)
    template = "reports/statement_print.html" if printable else "reports/statement.html"
    return render(request, template, {"contract": contract, "s": data, "month_value": month})


@login_required
def statement_csv(request, contract_id: int, month: str):
    _, data = _data(request, contract_id, month)
    rows: list[list[object]] = [["section", "item", "detail", "hours", "amount", "currency"]]
    if data.quota:
        q = data.quota
        rows.append(["quota", f"contract year {q.contract_year}", f"allowance {q.allowance}", "", "", ""])
        rows.append(["quota", "carried over", "", "", q.carried_over, ""])
        rows.append(["quota", "used this month", "", "", q.used_this_month, ""])
        rows.append(["quota", "left", "", "", q.remaining, ""])
    for case in data.cases:
        rows.append(["case", case.number, case.reason, case.hours, case.work_amount, data.currency])
        if case.emergency_calls:
            rows.append(["emergency call", case.number, "", "", case.emergency_amount, data.currency])
        for e in case.expenses:
            rows.append(["expense", case.number, f"{e.kind}: {e.description}", "", e.amount, e.currency])
    for line in data.premium_options:
        rows.append(["premium option", line.what, "", "", line.amount, line.currency])
    for line in data.orders:
        rows.append(["order", line.what, "", "", line.amount, line.currency])
    for currency, total in data.totals.items():
        rows.append(["total", "", "", "", total, currency])
    return csv_response(rows, f"statement-{data.contract_id}-{data.month}.csv")


@login_required
@require_POST
def statement_close_view(request, contract_id: int, month: str):
    if not request.user.is_staff:
        raise Http404(gettext_lazy("No statements here."))
    contract = _contract(request, contract_id)
    try:
        statements.statement_close(contract=contract, month=_month(month), by=request.user)
        messages.success(request, gettext_lazy("The statement is closed: its figures no longer change."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("reports:statement", contract_id=contract.pk, month=month)
