"""Stored targets tell the same truth as new ones (issue 15, SPEC §2):

1. A first response breached by the sweep and answered later records its answer: the time of
   the case's first staff public reply, and the response time on the target's own clock.
2. A first response "met" by a customer closing an unanswered case (no staff reply, no
   resolution code) is withdrawn; if the case was reopened since, it runs again from the
   reopening with its full duration.
3. The waits on the customer become Wait rows, rebuilt from the targets' pause events, so a
   later priority change can recount them on another clock.

Runs on the historical models; the clock arithmetic is policies.clock's, which is pure."""

from __future__ import annotations

from datetime import timedelta

from django.db import migrations

from policies import clock
from policies.calendars import to_clock

FIRST_RESPONSE = "first_response"


def _clock(target, cache):
    if target.calendar_id not in cache:
        cache[target.calendar_id] = to_clock(target.calendar)
    return cache[target.calendar_id]


def _record_late_answers(SlaTarget, SlaEvent, cache):
    late = SlaTarget.objects.filter(
        kind=FIRST_RESPONSE,
        state="breached",
        fulfilled_at__isnull=True,
        ticket__first_responded_at__isnull=False,
    ).select_related("ticket", "calendar")
    for target in late:
        answered = target.ticket.first_responded_at
        elapsed = clock.business_time_between(target.started_at, answered, _clock(target, cache))
        target.fulfilled_at = answered
        target.response_business_time = max(elapsed - target.paused, timedelta(0))
        target.save(update_fields=["fulfilled_at", "response_business_time"])
        SlaEvent.objects.create(
            target=target,
            kind="answered_late",
            at=answered,
            due_at=target.due_at,
            detail="First public reply from the desk (after the deadline; recorded by migration)",
        )


def _reopened_at(HistoricalTicket, ticket):
    """When the case last left resolved/closed, from its history (None if it never came back)."""
    rows = list(
        HistoricalTicket.objects.filter(id=ticket.pk)
        .order_by("history_date", "history_id")
        .values_list("status", "history_date")
    )
    reopened = None
    for (before, _), (after, when) in zip(rows, rows[1:], strict=False):
        if before in ("resolved", "closed") and after not in ("resolved", "closed"):
            reopened = when
    return reopened


def _withdraw_unanswered_closes(SlaTarget, SlaEvent, HistoricalTicket, cache):
    closed_unanswered = SlaTarget.objects.filter(
        kind=FIRST_RESPONSE,
        state="met",
        ticket__first_responded_at__isnull=True,
        ticket__resolution_code__isnull=True,
    ).select_related("ticket", "calendar")
    for target in closed_unanswered:
        ticket = target.ticket
        when = ticket.closed_at or ticket.resolved_at or target.met_at
        target.state, target.met_at, target.fulfilled_at = "withdrawn", None, None
        target.response_business_time, target.warn_at = None, None
        SlaEvent.objects.create(
            target=target,
            kind="withdrawn",
            at=when,
            due_at=target.due_at,
            detail="The customer closed the case before the desk answered (recorded by migration)",
        )
        if ticket.status in ("new", "open", "waiting"):
            reopened = _reopened_at(HistoricalTicket, ticket) or ticket.updated_at
            target.state, target.started_at, target.paused, target.paused_since = (
                "running",
                reopened,
                timedelta(0),
                None,
            )
            target.breached_at = target.warned_at = None
            target.due_at = clock.add_business_time(reopened, target.duration, _clock(target, cache))
            SlaEvent.objects.create(
                target=target,
                kind="restarted",
                at=reopened,
                due_at=target.due_at,
                detail="The case was reopened",
            )
        target.save()


def _refresh_lists(Ticket, SlaTarget):
    rank = {"breached": 0, "running": 1, "paused": 2, "met": 3, "withdrawn": 4, "not_applicable": 5}
    touched = SlaTarget.objects.filter(kind=FIRST_RESPONSE, state__in=["withdrawn", "running"]).values_list(
        "ticket_id", flat=True
    )
    for ticket in Ticket.objects.filter(pk__in=touched):
        targets = list(SlaTarget.objects.filter(ticket=ticket))
        running = [t.due_at for t in targets if t.state == "running" and t.due_at]
        ticket.next_due_at = min(running) if running else None
        ticket.sla_state = min((t.state for t in targets), key=rank.__getitem__, default="not_applicable")
        Ticket.objects.filter(pk=ticket.pk).update(next_due_at=ticket.next_due_at, sla_state=ticket.sla_state)


def _rebuild_waits(Ticket, SlaEvent, Wait):
    events = SlaEvent.objects.filter(kind__in=["paused", "resumed"]).order_by("at", "id")
    by_ticket: dict[int, list] = {}
    for ticket_id, kind, at in events.values_list("target__ticket_id", "kind", "at"):
        by_ticket.setdefault(ticket_id, []).append((kind, at))
    waits = []
    for ticket in Ticket.objects.filter(pk__in=list(by_ticket)).only("pk", "status", "resolved_at"):
        since = None
        for kind, at in by_ticket[ticket.pk]:
            if kind == "paused" and since is None:
                since = at
            elif kind == "resumed" and since is not None and at > since:
                waits.append(Wait(ticket_id=ticket.pk, started_at=since, ended_at=at))
                since = None
        if since is not None:
            ended = None if ticket.status == "waiting" else (ticket.resolved_at or since)
            waits.append(Wait(ticket_id=ticket.pk, started_at=since, ended_at=ended))
    Wait.objects.bulk_create(waits, batch_size=500)


def forwards(apps, schema_editor):
    SlaTarget = apps.get_model("tickets", "SlaTarget")
    SlaEvent = apps.get_model("tickets", "SlaEvent")
    Ticket = apps.get_model("tickets", "Ticket")
    Wait = apps.get_model("tickets", "Wait")
    cache: dict = {}
    _record_late_answers(SlaTarget, SlaEvent, cache)
    _withdraw_unanswered_closes(SlaTarget, SlaEvent, apps.get_model("tickets", "HistoricalTicket"), cache)
    _refresh_lists(Ticket, SlaTarget)
    _rebuild_waits(Ticket, SlaEvent, Wait)


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0002_vendor_desk_group"),
        ("tickets", "0005_withdrawn_late_answers_waits"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
