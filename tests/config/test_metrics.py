"""/metrics (config.metrics): the desk's gauges in Prometheus' text format, to a scraper with the
token or from an allowed network only. tests/services/test_metrics_live.py backs the outbox up
behind a real gunicorn node and broker."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from portal.heartbeats import heartbeat
from portal.models import Heartbeat, Notice, NoticeState

OUTSIDE = "203.0.113.9"


def scrape(**extra) -> tuple[int, str]:
    response = Client(REMOTE_ADDR=extra.pop("address", "127.0.0.1")).get("/metrics", **extra)
    return response.status_code, response.content.decode()


def gauge(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{") and line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.mark.django_db
def test_an_outsider_without_the_token_finds_nothing(settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert scrape(address=OUTSIDE)[0] == HTTPStatus.NOT_FOUND
    assert scrape(address=OUTSIDE, HTTP_AUTHORIZATION="Bearer wrong")[0] == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_the_token_opens_it_from_anywhere(settings):
    settings.METRICS_TOKEN = "scrape-secret"
    settings.METRICS_ALLOWED_NETWORKS = []
    status, text = scrape(address=OUTSIDE, HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert status == HTTPStatus.OK
    assert 'desk_notices{state="pending"} 0.0' in text
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus' own


@pytest.mark.django_db
def test_an_allowed_network_needs_no_token(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert scrape(address="10.4.5.6")[0] == HTTPStatus.OK
    assert scrape(address=OUTSIDE)[0] == HTTPStatus.NOT_FOUND


def notice(number: int, *, state=NoticeState.PENDING, send_after=None) -> Notice:
    return Notice.objects.create(
        kind="ticket_received",
        dedupe_key=f"metrics-{number}",
        to_email="a@example.test",
        subject="s",
        body_text="b",
        body_html="b",
        message_id=f"<metrics-{number}@portal.test>",
        state=state,
        send_after=send_after or timezone.now(),
    )


@pytest.mark.django_db
def test_the_outbox_gauges_count_by_state_and_age_the_oldest_due():
    now = timezone.now()
    notice(1, send_after=now - timedelta(minutes=10))
    notice(2, send_after=now + timedelta(hours=1))  # waiting for its retry: not late
    notice(3, state=NoticeState.FAILED)
    with time_machine.travel(now, tick=False):
        _, text = scrape()
    assert gauge(text, 'desk_notices{state="pending"}') == 2
    assert gauge(text, 'desk_notices{state="failed"}') == 1
    assert gauge(text, "desk_outbox_oldest_pending_age_seconds") == pytest.approx(600, abs=1)


@pytest.mark.django_db
def test_a_job_reports_its_last_success_and_a_mailbox_its_lag():
    with heartbeat("mail_poll:alectrona"):
        pass
    Heartbeat.objects.filter(job="mail_poll:alectrona").update(
        last_success_at=timezone.now() - timedelta(minutes=5)
    )
    with pytest.raises(RuntimeError), heartbeat("sla_sweep"):
        raise RuntimeError("the sweep failed")
    _, text = scrape()
    assert gauge(text, 'desk_mail_poll_lag_seconds{mailbox="alectrona"}') == pytest.approx(300, abs=5)
    assert 'job="sla_sweep"' not in text  # a failed run is no success
