"""Smoke tests of the portal's admin screens: changelist, search and add (or its refusal)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from portal.models import Notice, NoticeKind, NoticeState
from portal.outbox import notice_queue

pytestmark = pytest.mark.django_db

SCREENS = ["organization", "membership", "profile", "noticepreference", "notice"]


@pytest.mark.parametrize("model", SCREENS)
def test_changelist_and_search(client, agent, customer, model):
    client.force_login(agent)
    url = reverse(f"admin:portal_{model}_changelist")
    assert client.get(url).status_code == HTTPStatus.OK
    assert client.get(url, {"q": "acme"}).status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", SCREENS[:-1])
def test_add_form(client, agent, model):
    client.force_login(agent)
    assert client.get(reverse(f"admin:portal_{model}_add")).status_code == HTTPStatus.OK


def test_notices_cannot_be_added_by_hand(client, agent):
    client.force_login(agent)
    assert client.get(reverse("admin:portal_notice_add")).status_code == HTTPStatus.FORBIDDEN


def test_customers_are_refused(client, customer):
    client.force_login(customer)
    response = client.get(reverse("admin:portal_notice_changelist"))
    assert response.status_code == HTTPStatus.FOUND


def test_retry_now_sends_a_failed_notice(client, agent, customer):
    from django.core import mail

    notice = notice_queue(
        kind=NoticeKind.WAITING_ON_YOU,
        dedupe_key="k",
        template="waiting_on_you",
        recipient=customer,
        context={"ticket": {"number": "ALC-1", "subject": "x"}, "recipient_name": "Alice", "ticket_url": "u"},
    )
    Notice.objects.filter(pk=notice.pk).update(state=NoticeState.FAILED, attempts=8)
    client.force_login(agent)
    client.post(
        reverse("admin:portal_notice_changelist"), {"action": "retry_now", "_selected_action": [notice.pk]}
    )
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT
    assert len(mail.outbox) == 1
