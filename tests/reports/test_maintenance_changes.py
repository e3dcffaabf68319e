"""Planned work extended or cancelled (issue 20 point 5, after the announcement): the people who were
told of it are told of the change, once per change (the dedupe key names the outage, the change and
the person), through the outbox and the locmem mail backend; a member who joined after the
announcement is not told of a change to something nobody told them. A cancelled outage is no
outage: no downtime, no announcement due."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from portal.models import Notice, NoticeKind
from portal.services import api_token_create
from reports import selectors
from reports.models import Outage
from reports.services import maintenance_notices_sweep, outage_cancel, outage_record
from tests.factories import PASSWORD, MembershipFactory
from tests.reports.factories import MonitoredServiceFactory
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
RECORDED = datetime(2026, 11, 2, 12, tzinfo=UTC)
START = RECORDED + 100 * H  # Fri 6 Nov 16:00 UTC
END = START + 2 * H


def open_albert_case(customer, vendors):
    """A case of Acme's with Albert: what makes Acme's members the audience of Albert's work."""
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["albert"],
        priority="urgent",
        subject="Slow",
        body="Slow",
    )


@pytest.fixture
def service(db):
    return MonitoredServiceFactory(slug="albert-cloud", name="Albert Cloud")


@pytest.fixture
def told(customer, colleague, vendors, settings, service, django_capture_on_commit_callbacks):
    """Acme has a case with Albert; an upgrade of Albert Cloud is recorded 100 h ahead and announced
    by the sweep 72 h before to Acme's two members. Returns (outage, [alice, bob])."""
    settings.MAINTENANCE_NOTICE_HOURS = 72
    open_albert_case(customer, vendors)
    with time_machine.travel(RECORDED, tick=False):
        outage, _ = outage_record(
            service=service, start=START, end=END, cause="upgrade", notes="Albert Platform 5.2"
        )
    with (
        time_machine.travel(START - 72 * H, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert maintenance_notices_sweep() == 2
    assert len(mail.outbox) == 2
    mail.outbox.clear()
    outage.refresh_from_db()
    return outage, [customer, colleague]


@pytest.fixture
def newcomer(customer):
    """Joins Acme after the announcement: today's audience, but nobody told him of the work."""
    return MembershipFactory(user__username="dave", organization=customer.membership.organization).user


@pytest.fixture
def staff_client(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    return client


def _kind(kind) -> list[Notice]:
    return list(Notice.objects.filter(kind=kind).order_by("recipient_id"))


def _change_form(staff_client, outage, **changes) -> dict:
    """The admin change form's own values (in the page's time zone), with `changes` applied."""
    page = staff_client.get(reverse("admin:reports_outage_change", args=[outage.pk])).content.decode()
    values = dict(re.findall(r'name="((?:start|end)_[01])"[^>]*value="([^"]*)"', page))
    if not values:  # attribute order: value before name
        values = {n: v for v, n in re.findall(r'value="([^"]*)"[^>]*name="((?:start|end)_[01])"', page)}
    return {
        "service": outage.service_id,
        "cause": outage.cause,
        "notes": outage.notes,
        "reference": outage.reference,
        **values,
        **changes,
    }


def test_an_extension_in_the_admin_is_told_once_to_those_who_were_told(
    told, newcomer, staff_client, django_capture_on_commit_callbacks
):
    outage, people = told
    with time_machine.travel(START - 24 * H, tick=False):
        form = _change_form(staff_client, outage)
        hour = int(form["end_1"][:2])
        form["end_1"] = f"{hour + 2:02d}" + form["end_1"][2:]  # ends two hours later
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(reverse("admin:reports_outage_change", args=[outage.pk]), form)
        assert response.status_code == HTTPStatus.FOUND
        outage.refresh_from_db()
        assert outage.end == END + 2 * H
        notices = _kind(NoticeKind.MAINTENANCE_EXTENDED)
        assert [n.recipient for n in notices] == people  # not the newcomer
        assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
        message = mail.outbox[0]
        assert "Albert Cloud" in message.subject and "now ends" in message.subject
        assert "takes longer" in message.body and "Albert Platform 5.2" in message.body
        assert "it was to end" in message.body

        # Saved again with the same end (another field edited): the change was told already.
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            staff_client.post(
                reverse("admin:reports_outage_change", args=[outage.pk]),
                {**form, "notes": "Albert Platform 5.2: the new search"},
            )
        assert len(_kind(NoticeKind.MAINTENANCE_EXTENDED)) == 2
        assert mail.outbox == []


def test_an_extension_through_the_monitor_api_is_a_new_change(
    told, agent, django_capture_on_commit_callbacks
):
    outage, people = told
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=agent)[1]}")
    url = f"/api/outages/{outage.pk}/end/"
    with time_machine.travel(START - 24 * H, tick=False):
        for _ in range(2):  # a monitor retrying its POST
            with django_capture_on_commit_callbacks(execute=True):
                response = api.post(url, {"end": (END + 3 * H).isoformat()}, format="json")
            assert response.status_code == HTTPStatus.OK
    assert len(mail.outbox) == 2
    assert {n.recipient_id for n in _kind(NoticeKind.MAINTENANCE_EXTENDED)} == {p.pk for p in people}


def test_a_shorter_or_past_end_tells_nobody(told):
    outage, _ = told
    with time_machine.travel(START - 24 * H, tick=False):
        from reports.services import outage_end

        outage_end(outage=outage, end=END - H)  # shortened: nobody has to plan around more
    with time_machine.travel(END + 10 * H, tick=False):
        outage_end(outage=Outage.objects.get(pk=outage.pk), end=END + 5 * H)  # over already
    assert not _kind(NoticeKind.MAINTENANCE_EXTENDED)


def test_cancelling_in_the_admin_tells_those_who_were_told_once_and_removes_the_outage(
    told, newcomer, staff_client, agent, service, django_capture_on_commit_callbacks
):
    outage, people = told
    changelist = reverse("admin:reports_outage_changelist")
    action = {"action": "cancel_planned_work", "_selected_action": [outage.pk]}
    with time_machine.travel(START - 24 * H, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(changelist, action, follow=True)
        assert b"1 planned work cancelled; 2 notices queued." in response.content
        assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
        message = mail.outbox[0]
        assert "cancelled" in message.subject and "Albert Cloud" in message.subject
        assert "stays available" in message.body
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            staff_client.post(changelist, action, follow=True)  # again: nothing new
        assert mail.outbox == []
    notices = _kind(NoticeKind.MAINTENANCE_CANCELLED)
    assert [n.recipient for n in notices] == people
    outage.refresh_from_db()
    assert outage.cancelled_at is not None and outage.cancelled_by == agent
    assert not outage.counts_as_downtime
    # In the month's availability it is as if it never was, even had it been announced late.
    Outage.objects.filter(pk=outage.pk).update(announced_at=START - H)
    [entry] = selectors.availability_table(
        services=[service], months=[date(2026, 11, 1)], now=datetime(2026, 12, 5, tzinfo=UTC)
    )
    assert entry.months[0].downtime == entry.months[0].excluded == timedelta(0)


def test_unannounced_work_cancelled_is_never_announced(customer, colleague, vendors, service, settings):
    settings.MAINTENANCE_NOTICE_HOURS = 72
    open_albert_case(customer, vendors)
    with time_machine.travel(RECORDED, tick=False):
        outage, _ = outage_record(service=service, start=START, end=END, cause="upgrade", notes="5.2")
        assert outage_cancel(outage=outage) == 0
    with time_machine.travel(START - 72 * H, tick=False):
        assert maintenance_notices_sweep() == 0
    assert not Notice.objects.filter(kind__startswith="maintenance").exists()


def test_only_planned_work_not_yet_begun_is_cancelled(told, service, staff_client):
    from django.core.exceptions import ValidationError

    outage, _ = told
    with time_machine.travel(START + H, tick=False):
        with pytest.raises(ValidationError) as begun:
            outage_cancel(outage=outage)
        assert "start" in begun.value.message_dict
        unplanned, _ = outage_record(service=service, start=START, end=END + H)
        response = staff_client.post(
            reverse("admin:reports_outage_changelist"),
            {"action": "cancel_planned_work", "_selected_action": [unplanned.pk]},
            follow=True,
        )
        assert b"Only planned work" in response.content
    assert not Outage.objects.filter(cancelled_at__isnull=False).exists()
