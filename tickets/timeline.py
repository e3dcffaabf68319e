"""The case page's small picture of a case's life: opened, replies, pauses and due times placed on
one time axis. Plain values for an inline SVG; the page lists the same facts in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import SlaEvent, TargetState

WIDTH, AXIS_Y, MARGIN = 1000, 56, 30


@dataclass
class Timeline:
    start: datetime
    end: datetime
    replies: list[dict] = field(default_factory=list)
    dues: list[dict] = field(default_factory=list)
    pauses: list[dict] = field(default_factory=list)
    now_x: float | None = None
    now_anchor: str = "middle"
    opened_x: float = MARGIN
    width: int = WIDTH
    axis_y: int = AXIS_Y

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1
        offset = (moment - self.start).total_seconds() / span
        return round(MARGIN + max(0.0, min(offset, 1.0)) * (WIDTH - 2 * MARGIN), 1)


def anchor(x: float) -> str:
    """Labels near an edge grow inwards so they stay inside the picture."""
    if x < WIDTH * 0.2:
        return "start"
    return "end" if x > WIDTH * 0.8 else "middle"


def _pauses(events: list[SlaEvent], end: datetime) -> list[tuple[datetime, datetime]]:
    """Waiting-on-customer intervals. Every target of a case records the same pause, so the
    events are merged by time rather than followed per target."""
    intervals, since = [], None
    for event in events:
        if event.kind == SlaEvent.Kind.PAUSED and since is None:
            since = event.at
        elif event.kind in (SlaEvent.Kind.RESUMED, SlaEvent.Kind.STOPPED) and since is not None:
            if event.at > since:
                intervals.append((since, event.at))
            since = None
    if since is not None:
        intervals.append((since, end))
    return intervals


def timeline(*, ticket, replies, events: list[SlaEvent], now: datetime) -> Timeline | None:
    targets = [t for t in ticket.sla_targets.all() if t.due_at is not None]
    finished = ticket.closed_at or ticket.resolved_at
    moments = [
        ticket.opened_at,
        finished or now,
        *(t.due_at for t in targets),
        *(r.created_at for r in replies),
    ]
    start, end = ticket.opened_at, max(moments)
    if end <= start:
        return None
    picture = Timeline(start=start, end=end)
    picture.opened_x = picture.x(start)
    if not finished:
        picture.now_x = picture.x(now)
        picture.now_anchor = anchor(picture.now_x)
    for reply in replies:
        picture.replies.append(
            {
                "x": picture.x(reply.created_at),
                "staff": reply.by_staff,
                "title": _("The desk replied") if reply.by_staff else _("The customer replied"),
                "at": reply.created_at,
            }
        )
    for row, target in enumerate(targets):
        state = target.state_at(now)
        picture.dues.append(
            {
                "x": picture.x(target.due_at),
                "label": pgettext("timeline", "%(target)s due") % {"target": target.get_kind_display()},
                "state": state,
                "state_words": TargetState(state).label,
                "met": state == TargetState.MET,
                "label_y": AXIS_Y - 22 - 14 * (row % 2),
                "anchor": anchor(picture.x(target.due_at)),
                "at": target.due_at,
            }
        )
    for since, until in _pauses(events, finished or now):
        left = picture.x(since)
        picture.pauses.append(
            {"x": left, "width": max(picture.x(until) - left, 2), "since": since, "until": until}
        )
    return picture
