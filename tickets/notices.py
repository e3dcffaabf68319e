"""Which emails a ticket change promises, and the staff notices of the SLA sweep
(tickets.services.sweep decides what is due; the functions here only write the emails).

The notice functions are called by tickets.services inside their transaction and write outbox
rows (portal.outbox); the emails go out after commit. A notice about a case goes to its
requester and its followers only (case_recipients): other colleagues see the case in the portal
but are not mailed about it. Internal notes never mail a customer."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from portal.models import Notice, NoticeKind, NoticeState
from portal.outbox import (
    context_snapshots,
    notice_build,
    notice_save,
    notice_wanted,
    notices_queue,
    notices_save,
)
from portal.selectors import user_membership, user_timezone

from .models import SlaTarget, Status, TargetState, Ticket
from .reply_address import reply_sender

DESK_MANAGERS_GROUP = "Desk managers"


def _ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("tickets:detail", args=[ticket.number])


def _admin_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("admin:tickets_ticket_change", args=[ticket.pk])


def _name(user) -> str:
    return user.get_full_name() or user.username


def _still_of_the_case(person, ticket: Ticket) -> bool:
    """Active and still a member of the case's organization: the one test case_recipients puts
    to the requester and to each follower alike."""
    membership = user_membership(person)
    return (
        person.is_active and membership is not None and membership.organization_id == ticket.organization_id
    )


def case_recipients(ticket: Ticket) -> list:
    """Who is mailed a case's public events: its requester, then its followers (tickets.Follower),
    each only while active and still a member of its organization, so nobody of another
    organization, and nobody whose account was closed, is ever mailed about it."""
    followers = (
        get_user_model()
        .objects.filter(followed_cases__ticket=ticket)
        .select_related("membership", "profile", "notice_preference")
        .order_by("followed_cases__created_at", "pk")
    )
    return [person for person in (ticket.requester, *followers) if _still_of_the_case(person, ticket)]


def _to_requester(
    ticket: Ticket, *, kind: str, key: str, template: str, context: dict, people: list | None = None
) -> list[Notice]:
    """One email per person (case_recipients, or `people`), each in their own zone and name and
    keyed by the event and the person: a follower is copied as the requester is mailed."""
    rows = []
    for row in _requester_rows(ticket, kind=kind, key=key, template=template, context=context, people=people):
        notice = notice_save(row)
        if notice is not None:
            rows.append(notice)
    return rows


def _requester_rows(
    ticket: Ticket, *, kind: str, key: str, template: str, context: dict, people: list | None = None
) -> list[Notice]:
    """The unsaved rows of `_to_requester`, those its people want and can receive."""
    sender = reply_sender(ticket)  # the vendor's address, and the case's for replies (SPEC §7)
    rows = []
    for person in case_recipients(ticket) if people is None else people:
        if not person.email or not notice_wanted(user=person, kind=kind):
            continue
        zone = user_timezone(person)  # the dates and the zone the email names: the reader's
        rows.append(
            notice_build(
                kind=kind,
                dedupe_key=f"{key}:user{person.pk}",
                template=template,
                context={
                    "ticket": ticket,
                    "recipient_name": _name(person),
                    "ticket_url": _ticket_url(ticket),
                    "reply_by_email": "customer" if sender else "",
                    **context,
                    "zone_name": str(zone),
                },
                recipient=person,
                zone=zone,
                reference=ticket.number,
                thread=ticket.number,
                **sender,
            )
        )
    return rows


def _occurrence(ticket: Ticket, kind: str) -> int:
    """The n-th time this event happens to the case (a case may wait, or be resolved, again and
    again): part of the key, so each occurrence mails once. The caller holds the case's lock."""
    return Notice.objects.filter(kind=kind, dedupe_key__startswith=f"{kind}:case{ticket.pk}:").count() + 1


def ticket_received(ticket: Ticket, *, targets: list[SlaTarget]) -> None:
    """`targets` are the case's targets as just written: the email promises the running ones.
    The requester's email and the desk's are written together: the case and its targets are
    snapshot once for both rows, which go in one INSERT and one hand-off to the worker."""
    promised = sorted(
        (t for t in targets if t.state == TargetState.RUNNING and t.due_at is not None),
        key=lambda t: t.due_at,
    )
    running = sorted((t for t in targets if t.due_at is not None), key=lambda t: t.due_at)
    ticket_snapshot, promised_snapshot, running_snapshot = context_snapshots(ticket, promised, running)
    rows = _requester_rows(
        ticket,
        kind=NoticeKind.TICKET_RECEIVED,
        key=f"{NoticeKind.TICKET_RECEIVED}:case{ticket.pk}",
        template="ticket_received",
        context={"ticket": ticket_snapshot, "targets": promised_snapshot},
        people=[ticket.requester],  # a case just opened has no followers yet
    )
    desk = _desk_notice_rows(
        ticket, **_new_case(ticket, targets=running_snapshot), base={"ticket": ticket_snapshot}
    )
    if len(desk) > 1:  # a desk group: notices_queue drops the rows of those who muted new cases
        notices_queue(notices=desk)
        desk = []
    notices_save(rows + desk)


def waiting_on_customer(ticket: Ticket) -> None:
    kind = NoticeKind.WAITING_ON_YOU
    rows = _to_requester(
        ticket,
        kind=kind,
        key=f"{kind}:case{ticket.pk}:{_occurrence(ticket, kind)}",
        template="waiting_on_you",
        context={},
    )
    # reply_add sets "waiting" and then reports the reply on the same ticket object: remember
    # these rows so that staff_replied can fold them into the reply's email (one email, not two).
    ticket._waiting_notices = rows


def staff_replied(ticket: Ticket, reply) -> None:
    if reply.internal or not reply.by_staff:
        return
    waiting = [n.pk for n in getattr(ticket, "_waiting_notices", []) if n.state == NoticeState.PENDING]
    if waiting:
        Notice.objects.filter(pk__in=waiting, state=NoticeState.PENDING).delete()
    _to_requester(
        ticket,
        kind=NoticeKind.STAFF_REPLY,
        key=f"{NoticeKind.STAFF_REPLY}:reply{reply.pk}",
        template="staff_reply",
        context={
            "reply": reply,
            "author_name": _name(reply.author),
            "waiting": ticket.status == Status.WAITING_ON_CUSTOMER,
        },
    )


def ticket_resolved(ticket: Ticket, reply) -> None:
    """The resolution with the desk's message: one email, the message is the answer."""
    kind = NoticeKind.TICKET_RESOLVED
    resolution = ticket.resolution_code.name if ticket.resolution_code_id else ""  # the template's words
    _to_requester(
        ticket,
        kind=kind,
        key=f"{kind}:case{ticket.pk}:{_occurrence(ticket, kind)}",
        template="ticket_resolved",
        context={"resolution": resolution, "reply": reply, "author_name": _name(reply.author)},
    )


def case_excluded(ticket: Ticket, exclusion) -> None:
    """The desk claims the case (or a target) is not the vendor's to measure: the customer hears
    why, with the evidence, and may dispute it in the month's review (issue 20 point 1)."""
    kind = NoticeKind.CASE_EXCLUDED
    _to_requester(
        ticket,
        kind=kind,
        key=f"{kind}:exclusion{exclusion.pk}",
        template="case_excluded",
        context={
            "exclusion": exclusion,
            "target_name": exclusion.target.get_kind_display().lower() if exclusion.target_id else "",
        },
    )


def case_chased(ticket: Ticket, chase, *, slot: str | None = None) -> None:
    """A reminder that the case still waits on the customer (issue 20 point 2): the desk's or the
    automatic one, recorded as a chase; one email per chase. An automatic reminder is keyed by
    its `slot` (the wait and the reminder it follows: tickets.services.chases), so one interval
    mails once however often the sweep runs."""
    kind = NoticeKind.CHASE
    _to_requester(
        ticket,
        kind=kind,
        key=f"{kind}:{slot}" if slot else f"{kind}:chase{chase.pk}",
        template="chase",
        context={"chase": chase, "waiting_since": chase.wait.started_at},
    )


def priority_changed(ticket: Ticket, *, old, reason: str, at: datetime) -> None:
    """A priority change moves the customer's deadlines: tell them the new ones (SPEC §6)."""
    kind = NoticeKind.PRIORITY_CHANGED
    targets = sorted(
        (t for t in ticket.sla_targets.all() if t.state == TargetState.RUNNING and t.due_at is not None),
        key=lambda t: t.due_at,
    )
    _to_requester(
        ticket,
        kind=kind,
        key=f"{kind}:case{ticket.pk}:{at:%Y%m%dT%H%M%S.%f}",
        template="priority_changed",
        context={
            "old_priority": old.name,
            "reason": reason,
            "targets": targets,
            "paused": ticket.status == Status.WAITING_ON_CUSTOMER,
        },
    )


def ticket_merged(duplicate: Ticket, *, into: Ticket, reply) -> None:
    """The duplicate's people are told where their case went, in the duplicate's thread."""
    _to_requester(
        duplicate,
        kind=NoticeKind.STAFF_REPLY,
        key=f"{NoticeKind.STAFF_REPLY}:reply{reply.pk}",
        template="ticket_merged",
        context={"into": into, "into_url": _ticket_url(into), "reply": reply},
    )


# ---------------------------------------------------------------------------- staff notices


def desk_recipients(ticket: Ticket, *, groups: dict | None = None) -> list:
    """Who at the desk hears of a case (SPEC §6): its assignee; unassigned, the vendor's desk
    group; with no one there, the desk address (None stands for it). `groups`, when given,
    remembers each group's members across the cases of one call (the sweep's batch)."""
    assignee = ticket.assignee
    if assignee is not None and assignee.is_active and assignee.email:
        return [assignee]
    group_id = ticket.vendor.desk_group_id
    if group_id is not None:
        groups = {} if groups is None else groups
        if group_id not in groups:
            groups[group_id] = list(
                get_user_model()
                .objects.filter(groups=group_id, is_staff=True, is_active=True)
                .exclude(email="")
                .order_by("pk")
            )
        if groups[group_id]:
            return groups[group_id]
    return [None]


def _to_desk(ticket: Ticket, *, kind: str, key: str, template: str, context: dict, author=None) -> None:
    """One row per desk recipient, keyed by the event; never to the author of the event."""
    rows = _desk_notice_rows(ticket, kind=kind, key=key, template=template, context=context, author=author)
    if len(rows) <= 1:  # the usual case, one statement: the assignee or the desk address
        notices_save(rows)
        return
    notices_queue(notices=rows)


def _desk_notice_rows(
    ticket: Ticket,
    *,
    kind: str,
    key: str,
    template: str,
    context: dict,
    author=None,
    base: dict | None = None,
) -> list[Notice]:
    """The unsaved rows of `_to_desk`; a single row is left out if its recipient muted the kind
    (several go through notices_queue, which drops the muted ones itself)."""
    sender = reply_sender(ticket)  # staff answer the customer by replying (SPEC §7)
    base = {
        "ticket": ticket,
        "admin_url": _admin_url(ticket),
        "reply_by_email": "staff" if sender else "",
        **(base or {}),
        **context,
    }
    recipients = [
        person
        for person in desk_recipients(ticket)
        if person is None or author is None or person.pk != author.pk
    ]
    rows = _desk_rows(ticket, recipients, kind=kind, key=key, template=template, base=base, **sender)
    if len(rows) == 1:
        row = rows[0]
        if row.recipient is not None and not notice_wanted(user=row.recipient, kind=kind):
            return []
    return rows


def _desk_rows(ticket: Ticket, recipients: list, *, kind: str, key: str, template: str, base: dict, **sender):
    """One unsaved row per desk recipient (a staff user, or None for the desk address), keyed
    by the event. Staff emails show times in UTC unless the person chose a zone. Rendered at
    delivery (portal.outbox.notice_render), in the person's language (issue 22; the desk
    address: the default)."""
    rows = []
    for person in recipients:
        zone = user_timezone(person) if person is not None else timezone.get_default_timezone()
        rows.append(
            notice_build(
                kind=kind,
                dedupe_key=f"{key}:" + (f"user{person.pk}" if person else "desk"),
                template=template,
                context={**base, "zone_name": str(zone)},
                zone=zone,
                recipient=person,
                to_email="" if person else settings.SUPPORT_DESK_EMAIL,
                reference=ticket.number,
                thread=ticket.number,
                **sender,
            )
        )
    return rows


def _new_case(ticket: Ticket, *, targets) -> dict:
    return {
        "kind": NoticeKind.NEW_CASE,
        "key": f"{NoticeKind.NEW_CASE}:case{ticket.pk}",
        "template": "new_case",
        "context": {"targets": targets, "requester_name": _name(ticket.requester)},
        "author": ticket.requester,
    }


def new_case_for_desk(ticket: Ticket, *, targets: list[SlaTarget]) -> None:
    running = sorted((t for t in targets if t.due_at is not None), key=lambda t: t.due_at)
    _to_desk(ticket, **_new_case(ticket, targets=running))


def customer_replied(ticket: Ticket, reply) -> None:
    if reply.internal or reply.by_staff:
        return
    _to_desk(
        ticket,
        kind=NoticeKind.CUSTOMER_REPLY,
        key=f"{NoticeKind.CUSTOMER_REPLY}:reply{reply.pk}",
        template="customer_reply",
        context={"reply": reply, "author_name": _name(reply.author)},
        author=reply.author,
    )


# ---------------------------------------------------------------------------- the SLA sweep's notices


def desk_managers() -> list:
    return list(
        get_user_model()
        .objects.filter(groups__name=DESK_MANAGERS_GROUP, is_staff=True, is_active=True)
        .exclude(email="")
    )


def _staff_notices(
    target: SlaTarget, *, kind: str, template: str, recipients: list, context: dict
) -> list[Notice]:
    """One row per recipient (a staff user, or None for the desk address). Staff emails show
    times in UTC unless the person chose a zone; rendered once per zone, not per person."""
    ticket = target.ticket
    # The key names the clock run (started_at): an update target restarts, and may warn again.
    event = f"{kind}:target{target.pk}:{target.started_at:%Y%m%dT%H%M%S}"
    base = {
        "ticket": ticket,
        "target": target,
        "admin_url": _admin_url(ticket),
        "assignee_name": _name(ticket.assignee) if ticket.assignee else "",  # the template says "nobody"
        **context,
    }
    return _desk_rows(ticket, recipients, kind=kind, key=event, template=template, base=base)


ESCALATION_LIST_LIMIT = 50


def sla_escalations(breached: list[SlaTarget]) -> int:
    """One email per desk manager per sweep run, listing the targets it breached: a burst of
    breaches is one message, not hundreds; a single breach reads (and threads) as that case's.
    Called by the sweep inside its transaction: the breaches and these rows commit together, so
    no later run lists the same targets."""
    if not breached:
        return 0
    breached = sorted(breached, key=lambda t: (t.due_at, t.pk))
    for target in breached:
        target.admin_path = reverse("admin:tickets_ticket_change", args=[target.ticket_id])
    run = hashlib.sha256(
        ",".join(f"{t.pk}@{t.started_at:%Y%m%dT%H%M%S}" for t in breached).encode()
    ).hexdigest()
    context = {
        "targets": breached,
        "shown": breached[:ESCALATION_LIST_LIMIT],
        "hidden": max(len(breached) - ESCALATION_LIST_LIMIT, 0),
    }
    thread = breached[0].ticket.number if len(breached) == 1 else ""
    rows = []
    for person in desk_managers() or [None]:
        zone = user_timezone(person) if person is not None else timezone.get_default_timezone()
        rows.append(
            notice_build(
                kind=NoticeKind.SLA_ESCALATION,
                dedupe_key=f"{NoticeKind.SLA_ESCALATION}:{run[:40]}:"
                + (f"user{person.pk}" if person else "desk"),
                template="sla_escalation",  # rendered at delivery, in the person's language
                context=context,
                zone=zone,
                recipient=person,
                to_email="" if person else settings.SUPPORT_DESK_EMAIL,
                reference=thread,
                thread=thread,
            )
        )
    return notices_queue(notices=rows, build=True)  # the sweep's task: built here (issue 24)


def sla_warnings(targets: list[SlaTarget]) -> int:
    """Warn about targets past SLA_WARNING_SHARE of their time: the case's desk recipients (its
    assignee; unassigned, the vendor's desk group, less who muted warnings; else the desk address).
    Called by the sweep inside the transaction that marks them warned."""
    share = round(settings.SLA_WARNING_SHARE * 100)
    rows = []
    groups: dict = {}
    for target in targets:
        rows += _staff_notices(
            target,
            kind=NoticeKind.SLA_WARNING,
            template="sla_warning",
            recipients=desk_recipients(target.ticket, groups=groups),
            context={"share": share},
        )
    return notices_queue(notices=rows, build=True)  # the sweep's task: built here (issue 24)
