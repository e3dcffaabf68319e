"""Reads of the mailroom: which stored emails a person may download from the portal."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse

from tickets.models import Ticket

from .models import InboundMessage, Outcome


def originals_for(user) -> QuerySet[InboundMessage]:
    """The emails that became part of a conversation `user` may see: the one that opened a case,
    and those that became its replies (never internal, but held to the replies' own rule). Mail
    that joined no conversation (quarantined, refused, ignored) stays with the staff, in admin."""
    replied = Q(outcome=Outcome.REPLIED, reply__isnull=False)
    if not user.is_staff:
        replied &= Q(reply__internal=False)
    return InboundMessage.objects.filter(ticket__in=Ticket.objects.visible_to(user)).filter(
        Q(outcome=Outcome.OPENED, reply__isnull=True) | replied
    )


def original_for(*, user, number: str, message_id: int) -> InboundMessage:
    """One email of case `number` that `user` may download; InboundMessage.DoesNotExist otherwise
    (whether or not it exists, so an id or a number from elsewhere reveals nothing)."""
    return originals_for(user).get(pk=message_id, ticket__number=number)


def case_originals(sender, *, ticket: Ticket, replies: list, user, **kwargs) -> dict:
    """Receiver of tickets.signals.case_originals (connected in MailroomConfig.ready): the case
    page's links to the emails behind its opening (None) and its replies (by id). One query."""
    shown = {reply.pk for reply in replies}
    found = {}
    for pk, reply_id in originals_for(user).filter(ticket=ticket).values_list("pk", "reply_id"):
        if reply_id is None or reply_id in shown:
            found[reply_id] = reverse("mailroom:original", args=[ticket.number, pk])
    return found
