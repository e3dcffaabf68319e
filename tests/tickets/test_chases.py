"""Issue 20 point 2: while a case waits on the customer, the desk's reminders are recorded with
their times (tickets.Chase) so a pause can be shown "reasonable and provable": a manual reminder
by staff (API), and an automatic one after the vendor's chasing interval (Albert: 48 h), through
the outbox, exactly once per interval. The month's review shows them as the pause's evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from portal.models import Notice, NoticeKind
from portal.outbox import notices_render
from tests.factories import PASSWORD
from tests.tickets.test_api import api, open_case
from tickets.models import Chase, Ticket
from tickets.services import ticket_resume, ticket_wait_on_customer
from tickets.services.chases import chase_sweep

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _chases_url(ticket: Ticket) -> str:
    return reverse("api:ticket-chases", args=[ticket.number])


def _waiting(customer, agent, vendor, *, at=NOW - 2 * HOUR) -> Ticket:
    ticket = open_case(customer, vendor, priority="urgent", at=at - HOUR)
    ticket_wait_on_customer(ticket=ticket, by=agent, at=at)
    return ticket


def _chase_notices():
    return Notice.objects.filter(kind=NoticeKind.CHASE).order_by("pk")


def test_staff_send_a_reminder_recorded_with_its_time_and_mailed(customer, agent, vendors):
    ticket = _waiting(customer, agent, vendors["albert"])
    response = api(agent).post(
        _chases_url(ticket), {"message": "Please send the export log of last night."}, format="json"
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    chase = Chase.objects.get()
    assert (chase.wait.ticket, chase.by, chase.at, chase.automatic) == (ticket, agent, NOW, False)
    assert response.json()["automatic"] is False
    assert response.json()["at"] == "2026-11-10T09:00:00+00:00"
    [notice] = notices_render([_chase_notices().get()])  # what delivery renders
    assert notice.recipient == customer
    assert "Please send the export log of last night." in notice.body_text
    assert "waiting on your answer" in notice.body_text
    # The customer sees the reminders of their case too.
    listed = api(customer).get(_chases_url(ticket)).json()
    assert [(item["at"], item["by"], item["automatic"]) for item in listed] == [
        ("2026-11-10T09:00:00+00:00", agent.get_full_name() or agent.username, False)
    ]


def test_only_the_desk_chases_only_a_waiting_case_and_the_outsider_sees_nothing(
    customer, outsider, agent, vendors
):
    ticket = _waiting(customer, agent, vendors["albert"])
    assert api(customer).post(_chases_url(ticket), {}, format="json").status_code == HTTPStatus.FORBIDDEN
    assert api(outsider).post(_chases_url(ticket), {}, format="json").status_code == HTTPStatus.NOT_FOUND
    assert api(outsider).get(_chases_url(ticket)).status_code == HTTPStatus.NOT_FOUND
    ticket_resume(ticket=ticket, by=customer, at=NOW - HOUR)
    response = api(agent).post(_chases_url(ticket), {}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "waiting on the customer" in response.json()["status"][0]
    assert not Chase.objects.exists() and not _chase_notices().exists()


def test_the_automatic_reminder_comes_once_per_interval(customer, agent, vendors):
    assert vendors["albert"].chase_interval_hours == 48
    ticket = _waiting(customer, agent, vendors["albert"], at=NOW)
    assert chase_sweep(now=NOW + 47 * HOUR) == 0
    assert chase_sweep(now=NOW + 48 * HOUR) == 1
    # The sweep runs every few minutes: the same interval never mails twice.
    assert chase_sweep(now=NOW + 48 * HOUR) == 0
    assert chase_sweep(now=NOW + 95 * HOUR) == 0
    assert chase_sweep(now=NOW + 96 * HOUR) == 1
    chases = list(Chase.objects.all())
    assert [(c.at, c.automatic) for c in chases] == [(NOW + 48 * HOUR, True), (NOW + 96 * HOUR, True)]
    assert [n.recipient for n in _chase_notices()] == [customer, customer]
    assert all(c.wait.ticket == ticket for c in chases)


def test_a_manual_reminder_restarts_the_interval(customer, agent, vendors):
    ticket = _waiting(customer, agent, vendors["albert"], at=NOW)
    with time_machine.travel(NOW + 30 * HOUR, tick=False):
        assert api(agent).post(_chases_url(ticket), {}, format="json").status_code == HTTPStatus.CREATED
    assert chase_sweep(now=NOW + 48 * HOUR) == 0
    assert chase_sweep(now=NOW + 78 * HOUR) == 1
    assert Chase.objects.filter(by__isnull=True).get().at == NOW + 78 * HOUR


def test_no_automatic_reminder_without_an_interval_or_once_the_customer_answered(customer, agent, vendors):
    assert vendors["alectrona"].chase_interval_hours is None
    _waiting(customer, agent, vendors["alectrona"], at=NOW)
    answered = _waiting(customer, agent, vendors["albert"], at=NOW)
    ticket_resume(ticket=answered, by=customer, at=NOW + HOUR)
    assert chase_sweep(now=NOW + 200 * HOUR) == 0
    assert not Chase.objects.exists() and not _chase_notices().exists()


def test_each_automatic_reminder_has_its_own_dedupe_key(customer, agent, vendors):
    ticket = _waiting(customer, agent, vendors["albert"], at=NOW)
    chase_sweep(now=NOW + 48 * HOUR)
    chase_sweep(now=NOW + 96 * HOUR)
    wait = ticket.waits.get()
    first, second = Chase.objects.all()
    assert [n.dedupe_key for n in _chase_notices()] == [
        f"chase:wait{wait.pk}:after0:user{customer.pk}",
        f"chase:wait{wait.pk}:after{first.pk}:user{customer.pk}",
    ]
    assert second.automatic


def test_the_sweep_task_is_scheduled_and_runs(customer, agent, vendors):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    from tickets.tasks import chase_sweep_task

    call_command("setupschedule", stdout=open("/dev/null", "w"))
    assert PeriodicTask.objects.filter(task="tickets.tasks.chase_sweep_task").exists()
    _waiting(customer, agent, vendors["albert"], at=NOW - 49 * HOUR)
    assert chase_sweep_task.delay().get() == {"chased": 1}


def test_the_months_review_shows_the_reminders_with_their_times(client, org_admin, customer, agent, vendors):
    ticket = _waiting(customer, agent, vendors["albert"], at=NOW - 50 * HOUR)
    chase_sweep(now=NOW - 2 * HOUR)
    api(agent).post(_chases_url(ticket), {"message": "Still need the log"}, format="json")
    client.login(username=org_admin.username, password=PASSWORD)
    organization = customer.membership.organization
    url = reverse("reports:period", args=[organization.slug, "albert", "2026-11"])
    page = client.get(url).content.decode()
    assert "Automatic reminder 2026-11-10 07:00" in page
    assert "Reminder by the desk 2026-11-10 09:00" in page
