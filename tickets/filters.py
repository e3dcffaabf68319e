"""Filters, search and ordering of the ticket list API.

Every filter narrows a selector's queryset in SQL; nothing here iterates rows. Ordering is
applied by the cursor paginator (tickets.api), which needs a value per row it can compare:
`next_due_at` is null for cases with no running clock, so it is ordered through a
non-null stand-in that puts those cases last."""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django.db.models import DateTimeField, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .deadlines import overdue_q
from .models import Status, TargetState, Ticket
from .selectors import SEARCH_HELP, SEARCH_ORDERING, ticket_search

# Sort keys of cases without a running deadline: after every real deadline, whichever direction.
NO_DEADLINE_LATEST = datetime(9999, 12, 31, tzinfo=UTC)
NO_DEADLINE_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)

ORDERINGS = {
    "-opened_at": ("-opened_at", "-id"),
    "opened_at": ("opened_at", "id"),
    "next_due_at": ("due_order", "id"),
    "-next_due_at": ("-due_order", "-id"),
    "number": ("number",),
    "-number": ("-number",),
}
DEFAULT_ORDERING = "-opened_at"
ASSIGNEE_IS_THE_DESKS = _("Only staff filter by assignee.")


def with_due_order(queryset: QuerySet[Ticket], ordering: str) -> QuerySet[Ticket]:
    """Annotate the sort key the paginator compares when the list is ordered by deadline."""
    if ordering not in ("next_due_at", "-next_due_at"):
        return queryset
    stand_in = NO_DEADLINE_LATEST if ordering == "next_due_at" else NO_DEADLINE_EARLIEST
    return queryset.annotate(
        due_order=Coalesce(
            "next_due_at", Value(stand_in, output_field=DateTimeField()), output_field=DateTimeField()
        )
    )


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    vendor = django_filters.CharFilter(field_name="vendor__slug", help_text=_("Vendor slug, e.g. alectrona."))
    priority = django_filters.CharFilter(
        field_name="priority__code", help_text=_("Priority code, e.g. high.")
    )
    sla_state = django_filters.ChoiceFilter(
        choices=TargetState.choices, method="filter_sla_state", help_text=_("The case's worst SLA state now.")
    )
    assignee = django_filters.CharFilter(
        field_name="assignee__username", help_text=_("Staff: username of the assignee.")
    )
    organization = django_filters.CharFilter(
        field_name="organization__slug", help_text=_("Organization slug (customers only ever see their own).")
    )
    search = django_filters.CharFilter(method="filter_search", help_text=SEARCH_HELP)
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS],
        method="filter_ordering",
        empty_label=None,
        help_text=format_lazy(_("Sort order; default {default}."), default=DEFAULT_ORDERING),
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def is_valid(self) -> bool:
        """The assignee filter is the desk's: a customer trying usernames would learn who works
        there (the API names no staff to customers), so any value from a customer answers 400."""
        valid = super().is_valid()
        if self.data.get("assignee") is not None and not self.request.user.is_staff:
            self.form.add_error("assignee", ASSIGNEE_IS_THE_DESKS)
            return False
        return valid

    def filter_search(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        # Ranked (tickets.selectors.SEARCH_ORDERING) unless the request orders the list itself.
        return ticket_search(queryset, value)

    def filter_sla_state(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        """As of now, like the `sla` of each row: a running deadline already passed is a breach
        even before the sweep has written it down (next_due_at is the earliest running one)."""
        overdue = overdue_q(timezone.now(), "next_due_at")
        if value == TargetState.BREACHED:
            return queryset.filter(Q(sla_state=TargetState.BREACHED) | overdue)
        return queryset.filter(Q(sla_state=value) & ~overdue)

    def filter_ordering(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return with_due_order(queryset, value)

    @property
    def ordering_fields(self) -> tuple[str, ...]:
        """What the paginator orders by: the one asked for, else a search's rank, else the default."""
        asked = self.form.cleaned_data.get("ordering")
        if not asked and (self.form.cleaned_data.get("search") or "").strip():
            return SEARCH_ORDERING
        return ORDERINGS[asked or DEFAULT_ORDERING]

    @property
    def ordering_key(self) -> str:
        return self.form.cleaned_data.get("ordering") or DEFAULT_ORDERING
