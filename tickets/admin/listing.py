"""The triage list: the SLA badge's rule, the filters (each one an index range on Ticket), and a
paginator that keeps a page cheap with 100,000 tickets."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection, models
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy

from policies.models import PriorityLevel, Vendor
from portal.errors import BadInput
from portal.selectors import person_name

from ..deadlines import overdue, overdue_q
from ..models import OPEN_STATUSES, TargetState, Ticket

User = get_user_model()
DUE_SOON = timedelta(hours=1)


class Badge(models.TextChoices):
    """What the triage list's SLA badge and filter show beyond a stored target state (the `sla`
    parameter's values; the escalation email links to ?sla=breached)."""

    BREACHED = (
        TargetState.BREACHED.value,
        gettext_lazy("Breached"),
    )  # stored, or running past due and not yet swept
    DUE_SOON = "due_soon", gettext_lazy("Due within 1 h")
    PAUSED = TargetState.PAUSED.value, gettext_lazy("Paused")


BADGE_COLOURS = {  # each at least 4.5:1 on the admin's white and light grey rows (WCAG 1.4.3)
    Badge.BREACHED: "#ba2121",
    Badge.DUE_SOON: "#8a5100",
    TargetState.RUNNING: "#1b5e20",
    TargetState.PAUSED: "#4d5866",
    TargetState.MET: "#2f5f75",
    TargetState.NOT_APPLICABLE: "#666666",
}
BADGE_LABELS = {Badge.BREACHED: Badge.BREACHED.label, Badge.DUE_SOON: Badge.DUE_SOON.label}
CASE_NUMBER = re.compile(r"([A-Za-z]{2,5})-(\d{6})")  # ALC-000123, as tickets.services numbers them


def live_sla_state(ticket: Ticket, now) -> str:
    """The SLA state a person should see now: the stored worst state, except that a running
    ticket whose next deadline has passed is breached before the sweep writes it down."""
    if overdue(ticket.next_due_at, now):
        return Badge.BREACHED
    if (
        ticket.sla_state == TargetState.RUNNING
        and ticket.next_due_at is not None
        and ticket.next_due_at <= now + DUE_SOON
    ):
        return Badge.DUE_SOON
    return ticket.sla_state


class CappedCountPaginator(Paginator):
    """A changelist paginator for a table of 100,000 tickets.

    COUNT(*) over the whole table for every page view costs more than the page itself, so it counts
    at most CAP rows (an index-only scan that stops early); past that, staff narrow with a filter or
    a search rather than page 100 pages deep, and the pagination template says "more than".

    A page is read in two steps (a "deferred join"): first the 50 ids in list order, then those rows
    with their joins. When the filter's rows come from an index other than the list order's (the SLA
    filters), the database sorts bare ids instead of every matching row joined to four tables."""

    CAP = 5_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values("pk")[: self.CAP].count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = {ticket.pk: ticket for ticket in self.object_list.order_by().filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def breached_case(now) -> Case:
    """Breached: written down by the sweep, or running past its deadline and not yet swept.

    One CASE expression rather than `Q(...) | Q(...)` on purpose. With the OR, SQLite collects every
    breached ticket through two indexes and sorts them all for one page (26,000 of 100,000 in
    bench/tickets.py: 60–120 ms); the CASE leaves it the list order's index (ticket_opened), walked
    until the page is full (~1 ms), and the capped count reads only the covering
    ticket_sla_state_due index (~1 ms). PostgreSQL likewise walks ticket_opened with a filter."""
    condition = Q(sla_state=TargetState.BREACHED) | overdue_q(now, "next_due_at")
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


class SlaStateFilter(admin.SimpleListFilter):
    """Due within 1 h is a range on ticket_next_due_open, paused an equality on ticket_sla_state_due."""

    title = gettext_lazy("SLA state")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return Badge.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == Badge.BREACHED:
            return queryset.alias(is_breached=breached_case(now)).filter(is_breached=True)
        if self.value() == Badge.DUE_SOON:
            return queryset.filter(next_due_at__gte=now, next_due_at__lte=now + DUE_SOON)
        if self.value() == Badge.PAUSED:
            return queryset.filter(sla_state=TargetState.PAUSED)
        return queryset


class PriorityFilter(admin.SimpleListFilter):
    """Priorities per vendor ("Alectrona: High"): vendors' labels and meanings differ, so one code
    across vendors ("high") would mix cases measured against different promises. The value is
    `vendor-slug:code`; each policy version has its own rows, matched by code."""

    title = gettext_lazy("priority")
    parameter_name = "priority"

    def lookups(self, request, model_admin):
        seen: dict[str, str] = {}
        rows = PriorityLevel.objects.order_by("version__vendor__name", "rank", "code").values_list(
            "version__vendor__slug", "version__vendor__name", "code", "name"
        )
        for slug, vendor, code, name in rows:
            seen.setdefault(f"{slug}:{code}", f"{vendor}: {name}")
        return list(seen.items())

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        slug, _, code = self.value().partition(":")
        vendor_id = Vendor.objects.filter(slug=slug).values_list("pk", flat=True).first()
        if vendor_id is None or not code:
            raise BadInput("priority", PRIORITY_INVALID)
        return queryset.filter(vendor_id=vendor_id, priority__code=code)


PRIORITY_INVALID = gettext_lazy("choose a vendor's priority from the filter's list.")


class OpenFilter(admin.SimpleListFilter):
    """New, open or waiting on the customer: the cases the desk still owes something."""

    title = gettext_lazy("open cases")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Open cases only"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    """Staff only: the plain FK filter would list every customer account too."""

    title = gettext_lazy("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        staff = User.objects.filter(is_staff=True).order_by("first_name", "last_name", "username")
        return [("none", gettext_lazy("Unassigned")), *((str(user.pk), person_name(user)) for user in staff)]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        if self.value():
            return queryset.filter(assignee_id=_user_id(self.value()))
        return queryset


ASSIGNEE_INVALID = gettext_lazy("choose “Unassigned” or a member of the desk from the filter's list.")


def _user_id(value: str) -> int:
    """A user id from the address, or 400: "abc" was a ValueError in the query and an id past
    the column's integers an OverflowError (SQLite) or DataError (PostgreSQL), each a 500."""
    field = User._meta.pk
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    try:
        user_id = field.to_python(value)
    except ValidationError:
        user_id = None
    if user_id is None or not low <= user_id <= high:
        raise BadInput("assignee", ASSIGNEE_INVALID)
    return user_id


class MineFilter(admin.SimpleListFilter):
    title = gettext_lazy("mine")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Assigned to me"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(assignee=request.user)
        return queryset
