"""The rows of one event written together (notices_save) and snapshots shared between their
contexts (context_snapshots): the same rows, fewer statements."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Notice, NoticeKind
from portal.outbox import context_dump, context_snapshots, notice_build, notices_save

pytestmark = pytest.mark.django_db


def build(user, key: str, subject: str = "Crash") -> Notice:
    return notice_build(
        kind=NoticeKind.TICKET_RECEIVED,
        dedupe_key=key,
        template="ticket_received",
        context={"ticket": {"number": "ALC-000042", "subject": subject}, "targets": []},
        recipient=user,
    )


def test_rows_of_one_event_are_one_insert_and_one_hand_off(
    customer, colleague, django_capture_on_commit_callbacks
):
    with mock.patch("portal.tasks.notice_deliver_task.apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            with CaptureQueriesContext(connection) as queries:
                saved = notices_save([build(customer, "event:user1"), build(colleague, "event:user2")])
    assert [q["sql"].split()[0] for q in queries] == ["SAVEPOINT", "INSERT", "RELEASE"]
    assert [n.dedupe_key for n in Notice.objects.order_by("pk")] == ["event:user1", "event:user2"]
    publish.assert_called_once_with(args=[[n.pk for n in saved]], retry=False)


def test_a_key_already_written_keeps_its_first_row_and_the_others_are_written(customer, colleague):
    [first] = notices_save([build(customer, "event:user1", subject="First")])
    saved = notices_save([build(customer, "event:user1", subject="Again"), build(colleague, "event:user2")])
    assert saved[0].pk == first.pk
    rows = Notice.objects.order_by("pk")
    assert [(n.dedupe_key, n.context["ticket"]["subject"]) for n in rows] == [
        ("event:user1", "First"),
        ("event:user2", "Crash"),
    ]


def test_a_snapshot_stores_what_the_value_itself_would(customer):
    context = {"user": customer, "people": [customer, customer], "n": 1}
    [snapshot] = context_snapshots(context["people"])
    assert context_dump({**context, "people": snapshot}) == context_dump(context)
    assert "password" not in context_dump(customer)["fields"]


def test_a_lazy_user_is_stored_as_the_user(customer):
    from django.utils.functional import SimpleLazyObject

    lazy = SimpleLazyObject(lambda: customer)
    assert context_dump(lazy)["fields"] == context_dump(customer)["fields"]
