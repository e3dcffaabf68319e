"""Outage causes that follow Albert's policy (issue 20 point 5).

"Failures … beyond Albert's reasonable control (e.g., AWS, or other vendors or suppliers of
Albert), it being understood that it is within Albert's reasonable control to select vendors and
suppliers": a supplier the vendor chose counts as downtime; only a failure beyond its control (and
the customer's side, and emergency maintenance) is excused, each with its note. "Albert shall use
commercially reasonable efforts to notify Customer in advance of downtime caused by upgrades":
maintenance outside the Sunday window and upgrades are announced to the members of the affected
organizations MAINTENANCE_NOTICE_HOURS (72 h) before, once; only an outage so announced is excused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from portal.models import Notice, NoticeKind
from portal.services import api_token_create
from reports import selectors
from reports.models import NOTE_REQUIRED, Outage, OutageCause
from reports.services import maintenance_notices_sweep
from tests.factories import PASSWORD
from tests.reports.factories import MonitoredServiceFactory, OutageFactory
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
H = timedelta(hours=1)
URL = "/api/outages/"


@pytest.fixture
def service(db):
    return MonitoredServiceFactory(slug="albert-cloud", name="Albert Cloud")


@pytest.fixture
def affected(customer, colleague, vendors):
    """Acme has a case with Albert (so Albert's services are Acme's); Globex has nothing of Albert's."""
    ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["albert"],
        priority="urgent",
        subject="Slow",
        body="Slow",
    )
    return [customer, colleague]


def _token(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return client


def _november(service, *outages) -> selectors.availability.MonthAvailability:
    for start, end, cause, extra in outages:
        OutageFactory(service=service, start=start, end=end, cause=cause, **extra)
    [entry] = selectors.availability_table(
        services=[service], months=[date(2026, 11, 1)], now=datetime(2026, 12, 5, tzinfo=UTC)
    )
    return entry.months[0]


# ------------------------------------------------------------------------------ the rule


def test_a_supplier_counts_and_a_failure_beyond_control_is_excused(service):
    # Tue 3 Nov 10:00–12:00 PST the vendor's hosting fails: downtime (it chose the supplier).
    # Wed 4 Nov 10:00–13:00 PST the larger internet fails: excused, neither down nor measured.
    month = _november(
        service,
        (
            datetime(2026, 11, 3, 10, tzinfo=LA),
            datetime(2026, 11, 3, 12, tzinfo=LA),
            OutageCause.SUPPLIER,
            {},
        ),
        (
            datetime(2026, 11, 4, 10, tzinfo=LA),
            datetime(2026, 11, 4, 13, tzinfo=LA),
            OutageCause.BEYOND_CONTROL,
            {"notes": "Transatlantic cable cut (carrier incident 4471)"},
        ),
    )
    assert (month.downtime, month.excluded) == (2 * H, 3 * H)


def test_maintenance_outside_the_window_counts_unless_announced_in_time(service, settings):
    settings.MAINTENANCE_NOTICE_HOURS = 72
    start = datetime(2026, 11, 10, 20, tzinfo=LA)  # a Tuesday evening, outside the Sunday window
    month = _november(
        service,
        # announced 72 h before: excused
        (
            start,
            start + 2 * H,
            OutageCause.SCHEDULED_MAINTENANCE,
            {"notes": "DB", "announced_at": start - 72 * H},
        ),
        # an upgrade announced 71 h before: downtime
        (
            start + 24 * H,
            start + 25 * H,
            OutageCause.UPGRADE,
            {"notes": "v5", "announced_at": start + 24 * H - 71 * H},
        ),
        # labelled "Sunday window" but on a Thursday: downtime
        (start + 48 * H, start + 51 * H, OutageCause.MAINTENANCE_WINDOW, {}),
    )
    assert (month.excluded, month.downtime) == (2 * H, 4 * H)


def test_the_rule_names_its_notes():
    assert NOTE_REQUIRED == {
        OutageCause.BEYOND_CONTROL,
        OutageCause.CUSTOMER_SIDE,
        OutageCause.EMERGENCY_MAINTENANCE,
        OutageCause.SCHEDULED_MAINTENANCE,
        OutageCause.UPGRADE,
    }


# ------------------------------------------------------------------------------ the API


def test_api_refuses_an_excused_cause_without_its_note(agent, service):
    body = {
        "service": "albert-cloud",
        "start": "2026-11-02T10:00:00-08:00",
        "end": "2026-11-02T11:00:00-08:00",
    }
    response = _token(agent).post(URL, {**body, "cause": "beyond_control"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == ["notes"]
    response = _token(agent).post(
        URL, {**body, "cause": "beyond_control", "notes": "AWS us-west-2"}, format="json"
    )
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["counts_as_downtime"] is False


def test_api_supplier_counts_and_the_old_third_party_is_explained(agent, service):
    body = {
        "service": "albert-cloud",
        "start": "2026-11-02T10:00:00-08:00",
        "end": "2026-11-02T11:00:00-08:00",
    }
    response = _token(agent).post(URL, {**body, "cause": "supplier"}, format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["counts_as_downtime"] is True
    response = _token(agent).post(URL, {**body, "cause": "third_party"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "supplier" in response.json()["cause"][0] and "beyond_control" in response.json()["cause"][0]


def test_api_outsider_and_customer_are_refused(outsider, customer, service):
    body = {
        "service": "albert-cloud",
        "start": "2026-11-02T10:00:00-08:00",
        "cause": "beyond_control",
        "notes": "x",
    }
    for person in (outsider, customer):
        assert _token(person).post(URL, body, format="json").status_code == HTTPStatus.FORBIDDEN
    assert not Outage.objects.exists()


def test_api_scheduled_upgrade_is_announced_once_72_hours_before(
    agent, service, affected, outsider, settings
):
    settings.MAINTENANCE_NOTICE_HOURS = 72
    recorded = datetime(2026, 11, 2, 12, tzinfo=UTC)
    start = recorded + 100 * H
    with time_machine.travel(recorded, tick=False):
        response = _token(agent).post(
            URL,
            {
                "service": "albert-cloud",
                "start": start.isoformat(),
                "end": (start + 2 * H).isoformat(),
                "cause": "upgrade",
                "notes": "Albert Platform 5.2: the new search",
            },
            format="json",
        )
    assert response.status_code == HTTPStatus.CREATED
    assert not Notice.objects.filter(kind=NoticeKind.MAINTENANCE).exists()  # 100 h ahead: not yet
    with time_machine.travel(start - 73 * H, tick=False):
        assert maintenance_notices_sweep() == 0
    with time_machine.travel(start - 72 * H - timedelta(minutes=2), tick=False):
        assert maintenance_notices_sweep() == 2  # the sweep runs each minute: sent a little early
        assert maintenance_notices_sweep() == 0
    with time_machine.travel(start - 71 * H, tick=False):
        assert maintenance_notices_sweep() == 0  # once
    notices = Notice.objects.filter(kind=NoticeKind.MAINTENANCE)
    assert {n.recipient_id for n in notices} == {person.pk for person in affected}  # not the outsider's
    assert outsider.pk not in {n.recipient_id for n in notices}
    notice = notices.get(recipient=affected[0])
    assert "Albert Cloud" in notice.subject
    assert "Albert Platform 5.2: the new search" in notice.body_text
    assert "Albert Platform 5.2: the new search" in notice.body_html
    assert "Fri 6 Nov 2026, 10:00" in notice.body_text  # 16:00 UTC in Chicago, Alice's zone
    outage = Outage.objects.get()
    assert outage.announced_at is not None and not outage.counts_as_downtime


def test_api_upgrade_recorded_late_is_announced_at_once_and_counts(agent, service, affected, settings):
    settings.MAINTENANCE_NOTICE_HOURS = 72
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        response = _token(agent).post(
            URL,
            {
                "service": "albert-cloud",
                "start": (now + 24 * H).isoformat(),
                "end": (now + 25 * H).isoformat(),
                "cause": "scheduled_maintenance",
                "notes": "Storage migration",
            },
            format="json",
        )
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["counts_as_downtime"] is True  # 24 h of notice is less than 72
    assert Notice.objects.filter(kind=NoticeKind.MAINTENANCE).count() == 2


# ------------------------------------------------------------------------------ the admin


@pytest.fixture
def staff_client(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    return client


def _admin_form(service, **fields) -> dict:
    return {
        "service": service.pk,
        "start_0": "2026-11-02",
        "start_1": "10:00:00",
        "end_0": "2026-11-02",
        "end_1": "11:00:00",
        "notes": "",
        "reference": "",
        **fields,
    }


def test_admin_refuses_a_failure_beyond_control_without_a_note(staff_client, service):
    response = staff_client.post(
        reverse("admin:reports_outage_add"), _admin_form(service, cause="beyond_control")
    )
    assert response.status_code == HTTPStatus.OK
    assert "notes" in response.context["adminform"].form.errors
    response = staff_client.post(
        reverse("admin:reports_outage_add"), _admin_form(service, cause="beyond_control", notes="AWS outage")
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not Outage.objects.get().counts_as_downtime


def test_admin_schedules_maintenance_and_announces_it(staff_client, service, affected, settings):
    settings.MAINTENANCE_NOTICE_HOURS = 48
    with time_machine.travel(datetime(2026, 11, 1, 12, tzinfo=UTC), tick=False):
        response = staff_client.post(
            reverse("admin:reports_outage_add"),
            _admin_form(
                service,
                start_0="2026-11-03",
                start_1="04:00:00",
                end_0="2026-11-03",
                end_1="05:00:00",
                cause="scheduled_maintenance",
                notes="Database upgrade",
            ),
        )
        assert response.status_code == HTTPStatus.FOUND
        assert Notice.objects.filter(kind=NoticeKind.MAINTENANCE).count() == 2  # within 48 h: at once
        changelist = staff_client.get(reverse("admin:reports_outage_changelist"))
    assert b"Announced" in changelist.content


def test_admin_is_refused_to_the_outsider(client, outsider):
    client.login(username=outsider.username, password=PASSWORD)
    response = client.get(reverse("admin:reports_outage_add"))
    assert response.status_code == HTTPStatus.FOUND  # to the admin's sign-in


def test_the_sweep_task_is_scheduled_and_runs(service):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    from reports.tasks import maintenance_notices_task

    call_command("setupschedule", stdout=open("/dev/null", "w"))
    assert PeriodicTask.objects.filter(task="reports.tasks.maintenance_notices_task").exists()
    assert maintenance_notices_task.delay().get() == {"queued": 0}
