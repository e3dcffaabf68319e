"""Planned work moved (issue 20 point 5, after the announcement): when an announced outage's start
moves, earlier or later, the people told of it are told the new time once per new start (the dedupe
key names it), through the outbox; moved earlier than the announcement lead, they are still told.
Through the service, the desk's API (PATCH /api/outages/<id>/, POST /api/outages/<id>/cancel/,
staff only) and the admin change form."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from portal.models import Notice, NoticeKind
from portal.services import api_token_create
from reports.models import END_BEFORE_START, Outage
from reports.services import (
    ALREADY_BEGUN,
    BEGUN_NOT_MOVED,
    NOT_PLANNED_MOVED,
    START_PAST,
    outage_cancel,
    outage_record,
    outage_reschedule,
)
from tests.reports import test_maintenance_changes as changes
from tests.reports.test_maintenance_changes import END, RECORDED, START, _change_form

pytestmark = pytest.mark.django_db

# The announced upgrade of Albert Cloud and its people, shared with the tests of extensions and
# cancellations.
service, told, newcomer, staff_client = changes.service, changes.told, changes.newcomer, changes.staff_client

H = timedelta(hours=1)
TODAY = START - 24 * H  # the day before the work, after its announcement


def _moved() -> list[Notice]:
    return list(Notice.objects.filter(kind=NoticeKind.MAINTENANCE_MOVED).order_by("recipient_id"))


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return client


# ------------------------------------------------------------------------------------ the service


def test_a_later_start_is_told_once_to_those_who_were_told(
    told, newcomer, django_capture_on_commit_callbacks
):
    outage, people = told
    with time_machine.travel(TODAY, tick=False):
        for _ in range(2):  # the same move saved twice: told once
            with django_capture_on_commit_callbacks(execute=True):
                outage_reschedule(outage=outage, start=START + 3 * H, end=END + 3 * H)
    outage.refresh_from_db()
    assert (outage.start, outage.end) == (START + 3 * H, END + 3 * H)
    assert [n.recipient for n in _moved()] == people  # not the newcomer
    assert {n.dedupe_key.split(":")[2] for n in _moved()} == {f"start{int((START + 3 * H).timestamp())}"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    message = mail.outbox[0]
    assert "Albert Cloud" in message.subject and "now starts" in message.subject
    assert "it now starts later" in message.body and "it was to start" in message.body
    html = message.alternatives[0][0]
    assert "it now starts later" in html and "Albert Platform 5.2" in html
    # An extension is not told beside the move: the moved notice carries the new end.
    assert not Notice.objects.filter(kind=NoticeKind.MAINTENANCE_EXTENDED).exists()


def test_a_start_moved_earlier_than_the_lead_still_tells_them(
    told, settings, django_capture_on_commit_callbacks
):
    outage, people = told
    assert settings.MAINTENANCE_NOTICE_HOURS == 72
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        outage_reschedule(outage=outage, start=TODAY + 2 * H)  # two hours from now, not 72
    assert [n.recipient for n in _moved()] == people
    assert "it now starts earlier" in mail.outbox[0].body
    # Told 2 hours before, not 72: it now counts as downtime (outage_excused's rule, unchanged).
    outage.refresh_from_db()
    assert outage.counts_as_downtime


def test_each_new_start_is_a_new_change(told, django_capture_on_commit_callbacks):
    outage, people = told
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        outage_reschedule(outage=outage, start=START + H)
        outage_reschedule(outage=outage, start=START - H)
    assert len(_moved()) == 2 * len(people)
    assert len(mail.outbox) == 2 * len(people)


def test_work_not_yet_announced_is_announced_with_its_new_start(
    customer, colleague, vendors, settings, service, django_capture_on_commit_callbacks
):
    settings.MAINTENANCE_NOTICE_HOURS = 72
    changes.open_albert_case(customer, vendors)
    with time_machine.travel(RECORDED, tick=False):
        outage, _ = outage_record(service=service, start=START, end=END, cause="upgrade", notes="5.2")
        assert outage.announced_at is None  # 100 h ahead: not due yet
        with django_capture_on_commit_callbacks(execute=True):
            outage_reschedule(outage=outage, start=RECORDED + 10 * H, end=RECORDED + 12 * H)
    assert not _moved()
    announcements = Notice.objects.filter(kind=NoticeKind.MAINTENANCE)
    assert {n.recipient for n in announcements} == {customer, colleague}
    outage.refresh_from_db()
    assert outage.announced_at == RECORDED


def test_only_planned_work_not_begun_is_moved(told, service):
    outage, _ = told
    with time_machine.travel(START + H, tick=False):
        with pytest.raises(ValidationError) as begun:
            outage_reschedule(outage=outage, start=START + 5 * H)
        assert begun.value.message_dict == {"start": [str(BEGUN_NOT_MOVED)]}
        unplanned, _ = outage_record(service=service, start=START, end=END + H)
        with pytest.raises(ValidationError) as not_planned:
            outage_reschedule(outage=unplanned, end=END + 2 * H)
        assert not_planned.value.message_dict == {"cause": [str(NOT_PLANNED_MOVED)]}
    with time_machine.travel(TODAY, tick=False):
        with pytest.raises(ValidationError) as past:
            outage_reschedule(outage=outage, start=TODAY - H)
        assert past.value.message_dict == {"start": [str(START_PAST)]}
        with pytest.raises(ValidationError) as reversed_:
            outage_reschedule(outage=outage, start=END + H)
        assert reversed_.value.message_dict == {"end": [END_BEFORE_START]}
    outage.refresh_from_db()
    assert (outage.start, outage.end) == (START, END)
    assert not _moved()


def test_the_moved_notice_in_russian(told, django_capture_on_commit_callbacks):
    from portal.models import Profile

    outage, people = told
    Profile.objects.update_or_create(user=people[0], defaults={"language": "ru"})
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        outage_reschedule(outage=outage, start=START + 3 * H, end=END + 3 * H)
    [russian] = [m for m in mail.outbox if m.to == [people[0].email]]
    assert "перенесены" in russian.body and "перенесены" in russian.alternatives[0][0]
    assert "начнутся" in russian.subject
    assert translation.get_language() == "en"


# ------------------------------------------------------------------------------------------ the API


def test_patch_moves_the_start_and_tells_them(told, agent, django_capture_on_commit_callbacks):
    outage, people = told
    url = reverse("api:outage-reschedule", args=[outage.pk])
    assert url == f"/api/outages/{outage.pk}/"
    new_start = START + H
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = _api(agent).patch(url, {"start": new_start.isoformat()}, format="json")
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["start"] == new_start.isoformat()
    outage.refresh_from_db()
    assert (outage.start, outage.end) == (new_start, END)  # the end kept: still after the start
    assert [n.recipient for n in _moved()] == people


def test_patch_extends_the_end_as_the_monitor_api_does(told, agent, django_capture_on_commit_callbacks):
    outage, people = told
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = _api(agent).patch(
            reverse("api:outage-reschedule", args=[outage.pk]), {"end": (END + H).isoformat()}, format="json"
        )
    assert response.status_code == HTTPStatus.OK
    assert {n.recipient for n in Notice.objects.filter(kind=NoticeKind.MAINTENANCE_EXTENDED)} == set(people)
    assert not _moved()


@pytest.mark.parametrize(
    ("at", "body", "field"),
    [
        (TODAY, {"start": (START + 3 * H).isoformat(), "end": (START + 2 * H).isoformat()}, "end"),
        (TODAY, {"start": (END + H).isoformat()}, "end"),  # after the end recorded
        (TODAY, {"start": (TODAY - H).isoformat()}, "start"),
        (START + H, {"end": (END + H).isoformat()}, "start"),  # begun
        (TODAY, {"start": "tomorrow"}, "start"),
    ],
)
def test_patch_names_the_field_of_bad_input(told, agent, at, body, field):
    outage, _ = told
    with time_machine.travel(at, tick=False):
        response = _api(agent).patch(reverse("api:outage-reschedule", args=[outage.pk]), body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()
    outage.refresh_from_db()
    assert (outage.start, outage.end) == (START, END)


def test_patch_and_cancel_refuse_unplanned_work(told, agent, service):
    with time_machine.travel(TODAY, tick=False):
        unplanned, _ = outage_record(service=service, start=TODAY + H, end=TODAY + 2 * H)
        api = _api(agent)
        moved = api.patch(reverse("api:outage-reschedule", args=[unplanned.pk]), {"end": END}, format="json")
        cancelled = api.post(reverse("api:outage-cancel", args=[unplanned.pk]))
    assert moved.status_code == cancelled.status_code == HTTPStatus.BAD_REQUEST
    assert "cause" in moved.json() and "cause" in cancelled.json()
    unplanned.refresh_from_db()
    assert unplanned.end == TODAY + 2 * H and unplanned.cancelled_at is None


def test_cancel_through_the_api_tells_them_once(told, agent, django_capture_on_commit_callbacks):
    outage, people = told
    url = reverse("api:outage-cancel", args=[outage.pk])
    assert url == f"/api/outages/{outage.pk}/cancel/"
    with time_machine.travel(TODAY, tick=False):
        for _ in range(2):  # repeated: a no-op that answers the current state
            with django_capture_on_commit_callbacks(execute=True):
                response = _api(agent).post(url)
            assert response.status_code == HTTPStatus.OK
            assert response.json()["cancelled_at"] == TODAY.isoformat()
            assert response.json()["counts_as_downtime"] is False
    assert {n.recipient for n in Notice.objects.filter(kind=NoticeKind.MAINTENANCE_CANCELLED)} == set(people)
    assert len(mail.outbox) == len(people)
    outage.refresh_from_db()
    assert outage.cancelled_by == agent


def test_cancel_through_the_api_refuses_begun_work(told, agent):
    outage, _ = told
    with time_machine.travel(START + H, tick=False):
        response = _api(agent).post(reverse("api:outage-cancel", args=[outage.pk]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["start"] == [str(ALREADY_BEGUN)]
    outage.refresh_from_db()
    assert outage.cancelled_at is None


def test_cancelled_work_is_not_moved(told, agent):
    outage, _ = told
    with time_machine.travel(TODAY, tick=False):
        outage_cancel(outage=outage)
        response = _api(agent).patch(
            reverse("api:outage-reschedule", args=[outage.pk]), {"end": (END + H).isoformat()}, format="json"
        )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "cancelled_at" in response.json()


@pytest.mark.parametrize("persona", ["customer", "outsider", "monitor"])
def test_only_staff_move_or_cancel(told, persona, request):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    outage, _ = told
    if persona == "monitor":  # a monitor records and ends outages; the desk moves planned work
        user = UserFactory(username="monitor")
        user.user_permissions.add(Permission.objects.get(codename="add_outage"))
    else:
        user = request.getfixturevalue(persona)
    api = _api(user)
    with time_machine.travel(TODAY, tick=False):
        moved = api.patch(
            reverse("api:outage-reschedule", args=[outage.pk]),
            {"start": (START + H).isoformat()},
            format="json",
        )
        cancelled = api.post(reverse("api:outage-cancel", args=[outage.pk]))
    assert moved.status_code == cancelled.status_code == HTTPStatus.FORBIDDEN
    outage.refresh_from_db()
    assert (outage.start, outage.cancelled_at) == (START, None)
    assert not _moved()


def test_without_a_token_is_401_and_an_unknown_outage_404(told, agent, client):
    outage, _ = told
    anonymous = APIClient().post(reverse("api:outage-cancel", args=[outage.pk]))
    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    client.force_login(agent)  # a browser session is not enough: tokens only, as for the monitor
    assert client.post(reverse("api:outage-cancel", args=[outage.pk])).status_code == HTTPStatus.UNAUTHORIZED
    missing = _api(agent).patch(reverse("api:outage-reschedule", args=[outage.pk + 99]), {}, format="json")
    assert missing.status_code == HTTPStatus.NOT_FOUND


def test_the_schema_documents_the_desks_operations():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "patch" in paths["/api/outages/{outage_id}/"]
    assert "post" in paths["/api/outages/{outage_id}/cancel/"]
    fields = paths["/api/outages/{outage_id}/"]["patch"]["requestBody"]["content"]["application/json"]
    assert fields["schema"]["$ref"].rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------------------- the admin


def test_a_start_moved_in_the_admin_is_told_once(
    told, newcomer, staff_client, django_capture_on_commit_callbacks
):
    outage, people = told
    with time_machine.travel(TODAY, tick=False):
        form = _change_form(staff_client, outage)
        hour = int(form["start_1"][:2])
        form["start_1"] = f"{hour - 1:02d}" + form["start_1"][2:]  # one hour earlier
        url = reverse("admin:reports_outage_change", args=[outage.pk])
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(url, form)
        assert response.status_code == HTTPStatus.FOUND
        outage.refresh_from_db()
        assert outage.start == START - H
        assert [n.recipient for n in _moved()] == people  # not the newcomer
        assert "it now starts earlier" in mail.outbox[0].body
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            staff_client.post(url, {**form, "notes": "Albert Platform 5.2, the new search"})
    assert mail.outbox == []
    assert len(_moved()) == len(people)
    assert Outage.objects.get(pk=outage.pk).notes == "Albert Platform 5.2, the new search"
