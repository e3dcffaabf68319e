"""Reads for the staff changelist and the API lists: one place that knows which rows a user may see
and which relations each row needs, so a page costs a constant number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from tickets.models import SlaTarget, Ticket


def ticket_list_for(user) -> QuerySet[Ticket]:
    """The tickets `user` may see, with everything a list row shows joined or prefetched."""
    return (
        Ticket.objects.visible_to(user)
        .select_related("vendor", "organization", "requester", "assignee", "priority")
        .prefetch_related(Prefetch("sla_targets", queryset=SlaTarget.objects.order_by("kind")))
    )
