"""Outages answer cleanly: a broker that refuses or times out never fails a case opening (the
outbox sweep sends its email later)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from portal.models import Notice, NoticeState
from portal.outbox import notice_sweep
from tickets.models import Ticket


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


OPENING = {"vendor": "alectrona", "priority": "high", "subject": "Crash on save", "body": "Every time."}


@pytest.mark.parametrize("failure", [OperationalError("Connection refused"), TimeoutError("timed out")])
def test_a_broker_that_fails_the_publish_still_opens_the_case(
    customer, vendors, monkeypatch, django_capture_on_commit_callbacks, failure
):
    monkeypatch.setattr("portal.tasks.notice_deliver_task.apply_async", _raise(failure))
    with django_capture_on_commit_callbacks(execute=True):
        response = api(customer).post(reverse("api:ticket-list"), OPENING, format="json")

    assert response.status_code == HTTPStatus.CREATED
    ticket = Ticket.objects.get(number=response.json()["number"])
    notices = Notice.objects.filter(reference=ticket.number)
    assert notices and {n.state for n in notices} == {NoticeState.PENDING}
    assert notice_sweep().sent == notices.count()  # left for the sweep, which sends them


def _raise(error: Exception):
    def publish(*args, **kwargs):
        raise error

    return publish
