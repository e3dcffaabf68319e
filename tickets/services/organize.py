"""Organizing cases: merging a duplicate into the case that is kept, and the people who follow a
case. Splitting into subordinate incidents is `ticket_split` (tickets.py), an opening.

Who may: merging is the desk's; following is for members of the case's organization, who follow
(or stop following) themselves, and the desk may add or remove any of those members. Nobody of
another organization ever follows a case."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.selectors import user_membership

from .. import notices
from ..models import Attachment, Follower, Reply, Status, Ticket
from ..words import Cause, Note, Reason, Said, stored_reason
from . import sla
from .tickets import _desk_only, _lock, _save, reply_save

MERGE_ACROSS = gettext_lazy("A duplicate is merged only into a case of the same organization and vendor.")
MERGE_ITSELF = gettext_lazy("Choose another case to merge this one into.")
MERGE_CLOSED = gettext_lazy("Case {number} is closed; reopen it first or choose another case.")
MERGE_DUPLICATE = gettext_lazy("Case {number} was merged into another case already.")
NOT_A_COLLEAGUE = gettext_lazy("Only members of the case's organization can follow it.")
FOLLOW_YOURSELF = gettext_lazy("You can start or stop following a case only for yourself.")


def _lock_pair(a: Ticket, b: Ticket) -> tuple[Ticket, Ticket]:
    # In id order, so two merges of the same pair the other way round cannot deadlock.
    first, second = sorted([a, b], key=lambda t: t.pk)
    locked = {t.pk: t for t in (_lock(first), _lock(second))}
    return locked[a.pk], locked[b.pk]


def _check_merge(duplicate: Ticket, into: Ticket) -> None:
    if duplicate.pk == into.pk:
        raise ValidationError({"into": MERGE_ITSELF})
    if (duplicate.organization_id, duplicate.vendor_id) != (into.organization_id, into.vendor_id):
        raise ValidationError({"into": MERGE_ACROSS})
    for case, field in ((duplicate, "status"), (into, "into")):
        if case.merged_into_id is not None:
            raise ValidationError({field: MERGE_DUPLICATE.format(number=case.number)})
        if case.status == Status.CLOSED:
            raise ValidationError({field: MERGE_CLOSED.format(number=case.number)})


def _move_subordinates(duplicate: Ticket, into: Ticket, at: datetime) -> None:
    """The duplicate's subordinate incidents become the kept case's (each keeps its own clocks; only
    its parent changes, in its history). When the kept case is itself one of them, it takes the
    duplicate's place under the duplicate's parent instead of becoming its own."""
    if into.parent_id == duplicate.pk:
        into.parent_id = duplicate.parent_id
    incidents = Ticket.objects.select_for_update(of=("self",)).filter(parent=duplicate).exclude(pk=into.pk)
    for incident in incidents:
        incident.parent = into
        incident._change_reason = stored_reason(
            Reason.INCIDENT_MOVED, {"duplicate": duplicate.number, "into": into.number}
        )
        incident.updated_at = at
        incident.save(update_fields=["parent", "updated_at"])


@transaction.atomic
def ticket_merge(
    *, duplicate: Ticket, into: Ticket, by, message: str = "", at: datetime | None = None
) -> Ticket:
    """Merge `duplicate` into `into`, the case that is kept: the duplicate's description (as a
    reply from its requester, dated when it was opened), replies and attachments move, and its
    requester, followers and subordinate incidents follow the kept case. The kept case's SLA
    outcomes stand: nothing moved answers or reopens it. The duplicate is closed with a pointer
    (`merged_into`); its own
    unanswered first response is withdrawn (one already overdue stays breached), it uses no
    ticket of a quota, and its requester is told, with the desk's `message`."""
    _desk_only(by)
    duplicate, into = _lock_pair(duplicate, into)
    at = at or timezone.now()
    _check_merge(duplicate, into)
    Reply.objects.filter(ticket=duplicate).update(ticket=into)
    opening = reply_save(
        ticket=into,
        author=duplicate.requester,
        note=Said(
            Note.MERGED_FROM,
            {"number": duplicate.number, "subject": duplicate.subject, "body": duplicate.body},
        ),
        internal=False,
        at=duplicate.opened_at,
    )
    # The files of the duplicate's description come with it; the rest stay with their replies.
    Attachment.objects.filter(ticket=duplicate, reply=None).update(ticket=into, reply=opening)
    Attachment.objects.filter(ticket=duplicate).update(ticket=into)
    people = {duplicate.requester_id, *duplicate.followers.values_list("user_id", flat=True)}
    for user_id in people - {into.requester_id}:
        Follower.objects.get_or_create(
            ticket=into, user_id=user_id, defaults={"added_by": by, "created_at": at}
        )
    _move_subordinates(duplicate, into, at)
    note = reply_save(
        ticket=duplicate,
        author=by,
        note=Said(Note.MERGED_INTO, {"number": into.number, "message": message.strip()}),
        internal=False,
        at=at,
    )
    if duplicate.status != Status.RESOLVED:  # a resolved case's clocks stopped already
        sla.sla_withdraw(ticket=duplicate, at=at, cause=Said(Cause.MERGED, {"number": into.number}))
    duplicate.status, duplicate.closed_at, duplicate.merged_into = Status.CLOSED, at, into
    duplicate.resolved_at = duplicate.resolved_at or at
    duplicate._change_reason = stored_reason(Cause.MERGED, {"number": into.number})
    notices.ticket_merged(duplicate, into=into, reply=note)
    _save(into, at)
    return _save(duplicate, at)


# ---------------------------------------------------------------------------- followers


def _check_colleague(ticket: Ticket, user) -> None:
    membership = user_membership(user)
    if membership is None or membership.organization_id != ticket.organization_id:
        raise ValidationError({"user": NOT_A_COLLEAGUE})


def _check_may_change(ticket: Ticket, user, by) -> None:
    """The desk adds or removes any member; a member starts or stops following for themselves."""
    if by.is_staff:
        return
    _check_colleague(ticket, by)
    if user.pk != by.pk:
        raise ValidationError({"user": FOLLOW_YOURSELF})


@transaction.atomic
def follower_add(*, ticket: Ticket, user, by, at: datetime | None = None) -> Follower | None:
    """`user` follows `ticket` and is copied on its public emails (tickets.notices); None for its
    requester, who gets them anyway. Repeating it is a no-op."""
    _check_may_change(ticket, user, by)
    _check_colleague(ticket, user)
    if user.pk == ticket.requester_id:
        return None
    follower, _ = Follower.objects.get_or_create(
        ticket=ticket, user=user, defaults={"added_by": by, "created_at": at or timezone.now()}
    )
    return follower


@transaction.atomic
def follower_remove(*, ticket: Ticket, user, by) -> None:
    """`user` no longer follows `ticket`. Repeating it is a no-op."""
    _check_may_change(ticket, user, by)
    Follower.objects.filter(ticket=ticket, user=user).delete()
