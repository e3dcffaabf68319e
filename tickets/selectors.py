"""Reads for the staff changelist and the API lists: one place that knows which rows a user may see
and which relations each row needs, so a page costs a constant number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from tickets.models import Attachment, Reply, SlaTarget, Ticket

# What a case row shows, loaded in a fixed number of queries: its organization and people joined,
# the small look-up tables (vendors, priorities, products, versions) prefetched, one IN query each
# and none for a key that is empty on every row. Each join multiplies PostgreSQL's planning time, and
# the case table's many indexes multiply it again: at 100,000 cases the list with all seven joined
# took 39 ms to plan and 1 ms to run; with three joined it plans in 1 ms.
CASE_JOINS = ("organization", "requester", "assignee")
CASE_LOOKUPS = ("vendor", "priority", "product", "major_version")
CASE_PAGE_LOOKUPS = ("parent", "resolution_code", "policy_version")  # what a case's own page adds


def ticket_list_for(user) -> QuerySet[Ticket]:
    """The tickets `user` may see, with everything a list row shows joined or prefetched."""
    return (
        Ticket.objects.visible_to(user)
        .select_related(*CASE_JOINS)
        .prefetch_related(*CASE_LOOKUPS, Prefetch("sla_targets", queryset=SlaTarget.objects.order_by("kind")))
    )


def ticket_detail_for(*, user, number: str) -> Ticket:
    """One case `user` may see, with what its detail shows. Raises Ticket.DoesNotExist for a
    number the user may not see, so callers answer 404 whether or not it exists elsewhere."""
    return (
        ticket_list_for(user)
        .prefetch_related(
            *CASE_PAGE_LOOKUPS,
            Prefetch("attachments", queryset=_attachments_for(user)),
            Prefetch("subordinates", queryset=Ticket.objects.order_by("number")),
        )
        .get(number=number)
    )


def _attachments_for(user) -> QuerySet[Attachment]:
    # A file attached to an internal note is as private as the note.
    attachments = Attachment.objects.order_by("created_at", "id")
    return attachments if user.is_staff else attachments.exclude(reply__internal=True)


def reply_list_for(*, user, ticket: Ticket) -> QuerySet[Reply]:
    """The conversation of a case as `user` sees it: customers never see internal notes."""
    replies = Reply.objects.filter(ticket=ticket).select_related("author").prefetch_related("attachments")
    return replies if user.is_staff else replies.filter(internal=False)


def attachment_for(*, user, number: str, attachment_id: int) -> Attachment:
    """An attachment of a case `user` may see; Attachment.DoesNotExist otherwise."""
    visible = Ticket.objects.visible_to(user).filter(number=number)
    return _attachments_for(user).select_related("ticket").get(pk=attachment_id, ticket__in=visible)
