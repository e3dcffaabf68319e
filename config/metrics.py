"""/metrics in Prometheus' text format (issue 23 point 3): django-prometheus' request, database
and cache metrics of this process, and the desk's own gauges, read from the database and the
broker at each scrape, so every web node reports the same desk whichever node is scraped.

The desk's gauges (`desk_…`):

- the outbox: notices by state (pending, sending, sent, failed) and the age of the oldest notice
  due and still pending: a stuck worker or a broker outage shows as this age growing;
- SLA targets running, due within the hour, and breached (recorded by the sweep, and running past
  their deadline but not yet recorded: more than a minute's worth says the sweep is behind);
- each periodic job's last success (Unix time) and duration (portal.heartbeats): the SLA sweep,
  the outbox sweep, and each mailbox's poll, whose age is the mail poll lag;
- the Celery queue's length, straight from the broker.

Answered by `MetricsEndpoint`, early among the middleware like the health probes (a scraper asks
by address, over plain HTTP), and only to a scraper with `Authorization: Bearer <METRICS_TOKEN>`
or from an address in METRICS_ALLOWED_NETWORKS (the client address as portal.clientip reads it);
anyone else gets 404, as if there were nothing here.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import HttpResponse
from django.utils import timezone
from kombu.exceptions import ChannelError
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from portal.clientip import client_ip

logger = logging.getLogger(__name__)
PATH = "/metrics"


def _outbox(now) -> list[GaugeMetricFamily]:
    from portal.models import Notice, NoticeState

    by_state = GaugeMetricFamily("desk_notices", "Notices in the outbox, by state.", labels=["state"])
    counts = dict(Notice.objects.order_by().values_list("state").annotate(n=Count("id")))
    for state in NoticeState.values:
        by_state.add_metric([state], counts.get(state, 0))
    # Due and not sent: a notice waiting for its retry (send_after in the future) is not late.
    oldest = Notice.objects.filter(state=NoticeState.PENDING, send_after__lte=now).aggregate(
        oldest=Min("send_after")
    )["oldest"]
    age = GaugeMetricFamily(
        "desk_outbox_oldest_pending_age_seconds", "How long the oldest due notice has waited to be sent."
    )
    age.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
    return [by_state, age]


def _sla(now) -> list[GaugeMetricFamily]:
    from tickets.models import SlaTarget, TargetState

    # Counted over the partial index of running targets (sla_target_running_due).
    running = SlaTarget.objects.filter(state=TargetState.RUNNING).aggregate(
        running=Count("id"),
        due_within_hour=Count("id", filter=Q(due_at__gt=now, due_at__lte=now + timedelta(hours=1))),
        overdue=Count("id", filter=Q(due_at__lte=now)),
    )
    breached = SlaTarget.objects.filter(state=TargetState.BREACHED).count()
    families = []
    for name, text, value in (
        ("desk_sla_targets_running", "SLA targets running.", running["running"]),
        (
            "desk_sla_targets_due_within_hour",
            "Running SLA targets due within the hour.",
            running["due_within_hour"],
        ),
        ("desk_sla_targets_breached", "SLA targets the sweep recorded as breached.", breached),
        (
            "desk_sla_targets_overdue_unrecorded",
            "Running SLA targets past their deadline that the sweep has not recorded yet.",
            running["overdue"],
        ),
    ):
        family = GaugeMetricFamily(name, text)
        family.add_metric([], value)
        families.append(family)
    return families


def _jobs(now) -> list[GaugeMetricFamily]:
    from portal.models import Heartbeat

    success = GaugeMetricFamily(
        "desk_job_last_success_timestamp_seconds", "When each periodic job last succeeded.", labels=["job"]
    )
    duration = GaugeMetricFamily(
        "desk_job_duration_seconds", "How long each periodic job's last success took.", labels=["job"]
    )
    lag = GaugeMetricFamily(
        "desk_mail_poll_lag_seconds", "Seconds since each mailbox was last polled.", labels=["mailbox"]
    )
    for beat in Heartbeat.objects.order_by("job"):
        success.add_metric([beat.job], beat.last_success_at.timestamp())
        duration.add_metric([beat.job], beat.duration_seconds)
        if beat.job.startswith("mail_poll:"):
            lag.add_metric(
                [beat.job.removeprefix("mail_poll:")], (now - beat.last_success_at).total_seconds()
            )
    return [success, duration, lag]


def _queue() -> list[GaugeMetricFamily]:
    from config.celery import app

    queue = app.conf.task_default_queue
    length = GaugeMetricFamily("desk_celery_queue_length", "Tasks waiting in the broker.", labels=["queue"])
    try:
        with app.connection_for_read() as connection:
            declared = connection.default_channel.queue_declare(queue=queue, passive=True)
        length.add_metric([queue], declared.message_count)
    except ChannelError:  # the queue was never declared: nothing was ever queued
        length.add_metric([queue], 0)
    except Exception:  # a broker outage must not break the scrape: the gauge is left out
        logger.warning("the broker's queue length could not be read", exc_info=True)
    return [length]


class DeskCollector:
    """Collected at each scrape, never at import: the numbers come from the shared database and
    broker, not from this process's memory."""

    def describe(self):
        # Without describe(), prometheus_client's REGISTRY.register() calls collect() to learn
        # the names: database queries at middleware load, before any database may exist.
        return []

    def collect(self):
        now = timezone.now()
        yield from _outbox(now)
        yield from _sla(now)
        yield from _jobs(now)
        yield from _queue()


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(DeskCollector())
        _registered = True


def scraper_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS
    )


class MetricsEndpoint:
    def __init__(self, get_response):
        self.get_response = get_response
        register()

    def __call__(self, request):
        if request.path_info.rstrip("/") != PATH or request.method not in {"GET", "HEAD"}:
            return self.get_response(request)
        if not scraper_allowed(request):
            return HttpResponse("Not found.", status=404, content_type="text/plain")
        response = HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
        response["Cache-Control"] = "no-store"
        return response
