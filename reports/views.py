"""The monthly report in the portal: customers see their own organization's, staff any
organization's or all of them. The same report prints cleanly and downloads as CSV."""

from __future__ import annotations

import re
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.errors import BadInput
from portal.exports import csv_response
from portal.models import Organization
from portal.selectors import user_organization
from portal.throttles import back_to, counts_as_write

from . import charts, exports, selectors
from .availability import month_of, months_back

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The months a report can cover: its charts reach a year back and its links a month ahead.
FIRST_YEAR, LAST_YEAR = 2000, 2999
# Lazy: the message is read in the language of the request that gets it.
MONTH_INVALID = lazy(
    lambda: (
        gettext("give a month as YYYY-MM, from %(first)s-01 to %(last)s-12.")
        % {"first": FIRST_YEAR, "last": LAST_YEAR}
    ),
    str,
)()


def _scope(request) -> Organization | None:
    """The organization the report covers; None means every organization (staff only).
    A customer naming another organization gets a 404, as for any object not theirs."""
    slug = request.GET.get("organization", "")
    if request.user.is_staff:
        return get_object_or_404(Organization, slug=slug) if slug else None
    own = user_organization(request.user)
    if own is None or (slug and slug != own.slug):
        raise Http404(_("No report here."))
    return own


def _month(request) -> date:
    """?month=YYYY-MM, else the current month in the desk's zone. Any other month is refused
    (400), never replaced by this month's figures under the month asked for."""
    value = request.GET.get("month", "")
    if not value:
        return month_of(timezone.now(), selectors.report_zone())
    match = MONTH.match(value)
    if match is None or not (1 <= int(match[2]) <= 12 and FIRST_YEAR <= int(match[1]) <= LAST_YEAR):
        raise BadInput("month", MONTH_INVALID)
    return date(int(match[1]), int(match[2]), 1)


def _report(request) -> selectors.MonthlyReport:
    return selectors.monthly_report(month=_month(request), now=timezone.now(), organization=_scope(request))


def _context(request, report: selectors.MonthlyReport) -> dict:
    previous_month = months_back(report.month, 2)[0]
    next_month = date(report.month.year + report.month.month // 12, report.month.month % 12 + 1, 1)
    query = (
        f"&organization={report.organization.slug}" if request.user.is_staff and report.organization else ""
    )
    return {
        "report": report,
        "query": query,
        "previous_month": previous_month,
        "next_month": next_month,
        "met_rate_chart": charts.met_rate_chart(report.met_rates),
        "availability": [
            {"entry": entry, "month": entry.months[-1], "chart": charts.availability_chart(entry)}
            for entry in report.services
        ],
        "organizations": Organization.objects.only("slug", "name") if request.user.is_staff else None,
    }


@login_required
def report(request):
    report = _report(request)
    return render(request, "reports/report.html", _context(request, report))


@login_required
def report_print(request):
    report = _report(request)
    return render(request, "reports/print.html", _context(request, report))


def _filename(report: selectors.MonthlyReport, what: str) -> str:
    scope = report.organization.slug if report.organization else "all"
    return f"{what}-{scope}-{report.month:%Y-%m}.csv"


@login_required
def compliance_csv(request):
    report = _report(request)
    return csv_response(exports.compliance_lines(report), _filename(report, "sla-compliance"))


@login_required
def availability_csv(request):
    report = _report(request)
    return csv_response(exports.availability_lines(report), _filename(report, "availability"))


def period_scope(user, organization_slug: str, vendor_slug: str, month: str):
    """(organization, vendor, month) of a period the user may see; 404 otherwise (another
    organization's period is answered as one that does not exist)."""
    from policies.models import Vendor

    organization = get_object_or_404(Organization, slug=organization_slug)
    if not user.is_staff and getattr(user_organization(user), "pk", None) != organization.pk:
        raise Http404(_("No such period."))
    vendor = get_object_or_404(Vendor, slug=vendor_slug)
    match = MONTH.match(month)
    if match is None or not (1 <= int(match[2]) <= 12 and FIRST_YEAR <= int(match[1]) <= LAST_YEAR):
        raise Http404(_("No such period."))
    return organization, vendor, date(int(match[1]), int(match[2]), 1)


def _object_id(request) -> int:
    """The posted item's id; one that is not a whole number (or has thousands of digits) is no item
    of any period: 400 naming `object_id`, never a 500."""
    from .periods import NOT_AN_ITEM

    try:
        return int(request.POST.get("object_id") or 0)
    except ValueError:
        raise BadInput("object_id", NOT_AN_ITEM) from None


@login_required
@counts_as_write(back_to("reports:period", "organization", "vendor", "month"))  # a decision, a close
def period(request, organization: str, vendor: str, month: str):
    """The month's review (issue 20 point 3): every pause and exclusion with evidence and effect;
    the organization admin accepts or disputes each, staff close the period."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.shortcuts import redirect

    from . import periods

    organization, vendor, month_start = period_scope(request.user, organization, vendor, month)
    current = periods.period_get(organization=organization, vendor=vendor, month=month_start)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "close":
                periods.period_close(period=current, by=request.user)
                messages.success(request, _("The period is closed; its figures are frozen."))
            else:
                periods.period_review(
                    period=current,
                    by=request.user,
                    item=request.POST.get("item", ""),
                    object_id=_object_id(request),
                    decision=request.POST.get("decision", ""),
                    comment=request.POST.get("comment", ""),
                )
                messages.success(request, _("Your decision is recorded."))
        except PermissionDenied:
            raise
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(request.path)
    membership = getattr(request.user, "membership", None) if not request.user.is_staff else None
    return render(
        request,
        "reports/period.html",
        {
            "period": current,
            "organization": organization,
            "vendor": vendor,
            "items": periods.period_items(current),
            "can_review": bool(membership and membership.role == "admin") and not current.is_closed,
            "can_close": request.user.is_staff and not current.is_closed,
        },
    )


def _duration(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    hours, rest = divmod(minutes, 60)
    if rest:
        return gettext("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": rest}
    return gettext("%(hours)d h") % {"hours": hours}


@login_required
def vendor_responsiveness(request):
    """Staff only (issue 20 point 6): how long each vendor took to answer the desk in a month."""
    from django.core.exceptions import PermissionDenied

    from .responsiveness import vendor_responsiveness as rows_of

    if not request.user.is_staff:
        raise PermissionDenied(_("The vendor-responsiveness table is the desk's."))
    month = _month(request)
    rows = [
        {"row": row, "median": _duration(row.median_minutes), "longest": _duration(row.longest_minutes)}
        for row in rows_of(month=month, now=timezone.now())
    ]
    return render(
        request,
        "reports/vendor_responsiveness.html",
        {"month": month, "rows": rows, "previous_month": months_back(month, 2)[0]},
    )
