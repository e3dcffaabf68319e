"""Staff UI for availability (services and outages) and the staff dashboard."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy, ngettext

from policies.words import duration_words
from tickets.models import TargetState

from . import charts, selectors
from .availability import month_of, months_back
from .models import Dashboard, MonitoredService, Outage, Statement
from .services import outage_cancel, outage_changes_announce, outage_record

STATE_LABELS = dict(TargetState.choices)


@admin.register(MonitoredService)
class MonitoredServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "vendor", "kind", "timezone", "target_percent", "this_month", "active"]
    list_filter = ["vendor", "kind", "active"]
    list_select_related = ["vendor"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        if "cl" in context:
            # One outage query for the page's services, before the rows render; the figure rides
            # on this request's own instances (the ModelAdmin is shared between threads).
            now = timezone.now()
            services = list(context["cl"].result_list)
            month = month_of(now, selectors.report_zone())
            for entry in selectors.availability_table(services=services, months=[month], now=now):
                entry.service.uptime_this_month = entry.months[0]
        return response

    @admin.display(description=gettext_lazy("Uptime this month"))
    def this_month(self, service: MonitoredService) -> str:
        month = getattr(service, "uptime_this_month", None)
        if month is None:
            return "—"
        if month.is_failure:
            return format_html(
                '<strong style="color:#b3261e">{}% — Service Level Failure</strong>',
                f"{month.uptime_percent:.3f}",
            )
        return f"{month.uptime_percent:.3f}%"


@admin.register(Outage)
class OutageAdmin(admin.ModelAdmin):
    list_display = ["service", "start", "end", "duration", "cause", "announced", "counts", "recorded_by"]
    list_filter = ["cause", "service"]
    list_select_related = ["service", "recorded_by"]
    search_fields = ["service__name", "notes", "reference"]
    autocomplete_fields = ["service"]
    date_hierarchy = "start"
    readonly_fields = ["announced_at", "cancelled_at", "cancelled_by", "recorded_by", "recorded_at"]
    actions = ["cancel_planned_work"]
    fields = [
        "service",
        "start",
        "end",
        "cause",
        "notes",
        "reference",
        "announced_at",
        "cancelled_at",
        "cancelled_by",
        "recorded_by",
        "recorded_at",
    ]

    @admin.display(description=gettext_lazy("Announced"), ordering="announced_at")
    def announced(self, outage: Outage) -> str:
        if outage.cancelled_at is not None:
            return gettext("Cancelled")
        if outage.announced_at is None:
            return "—"
        return gettext("Announced %(duration)s before") % {
            "duration": duration_words(outage.start - outage.announced_at)
        }

    @admin.display(description=gettext_lazy("Duration"))
    def duration(self, outage: Outage) -> str:
        if outage.end is None:
            return gettext("ongoing")
        return duration_words(outage.end - outage.start)

    @admin.display(description=gettext_lazy("Counts as downtime"), boolean=True)
    def counts(self, outage: Outage) -> bool:
        return not outage.is_excluded

    def save_model(self, request: HttpRequest, obj: Outage, form, change: bool) -> None:
        if not change:
            saved, _ = outage_record(
                service=obj.service,
                start=obj.start,
                end=obj.end,
                cause=obj.cause,
                notes=obj.notes,
                reference=obj.reference,
                by=request.user,
            )
            obj.pk = saved.pk
            return
        previous_start, previous_end = form.initial.get("start"), form.initial.get("end")
        super().save_model(request, obj, form, change)
        # Planned work edited into its notice period is announced; announced work that now starts at
        # another time, or ends later, is told to those who were told.
        outage_changes_announce(outage=obj, previous_start=previous_start, previous_end=previous_end)

    @admin.action(description=gettext_lazy("Cancel the selected planned work (tells those who were told)"))
    def cancel_planned_work(self, request: HttpRequest, queryset) -> None:
        cancelled = emails = 0
        for outage in queryset:
            try:
                emails += outage_cancel(outage=outage, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{outage}: {' '.join(error.messages)}", messages.ERROR)
                continue
            cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext(
                    "%(count)d planned work cancelled; %(emails)d notices queued.",
                    "%(count)d planned works cancelled; %(emails)d notices queued.",
                    cancelled,
                )
                % {"count": cancelled, "emails": emails},
                messages.SUCCESS,
            )


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """/admin/reports/dashboard/: the changelist of a table-less model is the dashboard."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_object(self, request: HttpRequest, object_id, from_field=None):
        """No row: the model has no table, so its change, delete and history pages say that nothing
        has that id (they read the table, which was the database's error, a 503)."""
        return None

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(request, "admin/reports/dashboard.html", self._context(request))

    def _context(self, request: HttpRequest) -> dict:
        now = timezone.now()
        months = months_back(month_of(now, selectors.report_zone()), selectors.HISTORY_MONTHS)
        services = selectors.availability_table(
            services=list(selectors.services_for(None)), months=months, now=now
        )
        week_start = selectors.week_start(now)
        breaches = selectors.breaches_between(start=week_start, now=now)
        return {
            **self.admin_site.each_context(request),
            "title": gettext("Staff dashboard"),
            "opts": self.model._meta,
            "now": now,
            "open_by_state": [
                (STATE_LABELS.get(state, state), cases)
                for state, cases in sorted(selectors.open_cases_by_state(now=now).items())
            ],
            "week_start": week_start,
            "breaches": breaches,
            "breaches_total": sum(row["breaches"] for row in breaches),
            "met_rate_chart": charts.met_rate_chart(selectors.monthly_met_rates(months=months, now=now)),
            "availability": [
                {"entry": entry, "month": entry.months[-1], "chart": charts.availability_chart(entry)}
                for entry in services
            ],
            "next_to_breach": [
                {
                    "target": target,
                    "link": self._ticket_link(target),
                    "due_in": duration_words(target.due_at - now, after_preposition=True),
                }
                for target in selectors.next_to_breach(now=now)
            ],
            "report_url": reverse("reports:report"),
            "verdicts": self._verdicts(months=months, services=services, now=now),
        }

    @staticmethod
    def _verdicts(*, months, services, now) -> list[dict]:
        """Issue 20 point 4: per vendor, last month's and this month's Service Level Failure
        verdicts (met rate, availability) and the periods' state, as the monthly report gives them
        (a closed period's verdicts are its frozen ones). This month's report reuses the
        dashboard's availability table, which ends with this month."""
        verdicts, measured = [], {entry.service.vendor.name for entry in services}
        for month in months[-2:]:
            report = selectors.monthly_report(month=month, now=now, organization=None)
            if month == months[-1]:
                report.__dict__["services"] = services  # the cached_property, already computed
            verdicts.append({"month": month, "vendors": report.vendor_summary, "measured": measured})
        return verdicts

    @staticmethod
    def _ticket_link(target) -> str:
        url = reverse("admin:tickets_ticket_change", args=[target.ticket_id])
        return format_html('<a href="{}">{}</a>', url, target.ticket.number)


# ---------------------------------------------------------------------------- statements (issue 21)


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    """Closed monthly statements: frozen, so read-only here; closed from the statement's page."""

    list_display = ["contract", "month", "closed_at", "closed_by", "page"]
    list_select_related = ["contract__organization", "contract__product", "closed_by"]
    search_fields = ["contract__organization__name", "contract__reference"]
    readonly_fields = ["contract", "month", "closed_at", "closed_by", "snapshot"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("Statement"))
    def page(self, statement):
        url = reverse("reports:statement", args=[statement.contract_id, f"{statement.month:%Y-%m}"])
        return format_html('<a href="{}">Page, CSV and print</a>', url)
