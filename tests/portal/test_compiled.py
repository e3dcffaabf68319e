"""portal.compiled: a look-up whose SQL is built once answers as the QuerySet's own .get(); an INSERT
whose SQL is built once stores what the ORM's own INSERT stores."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.db.models.sql.compiler import SQLInsertCompiler
from django.test.utils import CaptureQueriesContext

from portal.authentication import USER_RELATED
from portal.compiled import CompiledGet
from portal.models import ApiToken, Notice, NoticeKind, Organization
from portal.services import api_token_create, api_token_digest
from tests.factories import OrganizationFactory
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db

TOKENS = CompiledGet(
    ApiToken, lambda digest: ApiToken.objects.select_related(*USER_RELATED).filter(digest=digest)
)


def test_each_call_finds_its_own_row_with_the_related_rows_loaded(customer, outsider):
    (_, alice_key), (_, charlie_key) = api_token_create(user=customer), api_token_create(user=outsider)
    alice, charlie = TOKENS.get(api_token_digest(alice_key)), TOKENS.get(api_token_digest(charlie_key))
    with CaptureQueriesContext(connection) as queries:
        assert (alice.user.username, alice.user.membership.organization.slug) == ("alice", "acme")
        assert (charlie.user.username, charlie.user.membership.organization.slug) == ("charlie", "globex")
        assert not hasattr(alice.user, "notice_preference")  # missing rows are cached as missing
    assert len(queries) == 0
    expected = ApiToken.objects.get(digest=api_token_digest(alice_key))
    assert (alice.pk, alice.created_at, alice.last_used_at) == (expected.pk, expected.created_at, None)
    assert alice._state.adding is False


def test_an_unknown_value_raises_does_not_exist(customer):
    api_token_create(user=customer)
    with pytest.raises(ApiToken.DoesNotExist):
        TOKENS.get("0" * 64)


def test_more_than_one_row_raises_multiple_objects_returned(organization, other_organization):
    in_zone = CompiledGet(Organization, lambda zone: Organization.objects.filter(timezone=zone))
    assert in_zone.get("America/Chicago").slug == "acme"
    OrganizationFactory(slug="initech", timezone="America/Chicago")
    with pytest.raises(Organization.MultipleObjectsReturned):
        in_zone.get("America/Chicago")


def test_several_values_of_each_kind_in_their_places_as_the_queryset_has_them(customer, colleague):
    """Keys, a datetime (adapted as its column stores it) named twice, a value list and a list of
    instances: each call answers as the QuerySet built with those values."""
    from datetime import timedelta

    from django.utils import timezone

    for user in (customer, customer, colleague):
        api_token_create(user=user)
    created = sorted(ApiToken.objects.values_list("created_at", flat=True))

    def build(user_id, at):
        return ApiToken.objects.filter(user=user_id, created_at__lte=at, last_used_at__isnull=True).exclude(
            created_at__gt=at
        )

    keys = CompiledGet(
        ApiToken, lambda u, at: build(u, at).values_list("pk", flat=True), kinds=("int", "datetime")
    )
    tokens = CompiledGet(ApiToken, lambda u, at: build(u, at).order_by("pk"), kinds=("int", "datetime"))
    moments = [created[0] - timedelta(seconds=1), *created, timezone.now() + timedelta(days=1)]
    for user in (customer, colleague):
        for at in moments:
            expected = list(build(user.pk, at).order_by("pk"))
            assert sorted(row[0] for row in keys.rows(user.pk, at)) == [t.pk for t in expected]
            found = tokens.all(user.pk, at)
            assert [(t.pk, t.user_id, t.created_at, t.digest) for t in found] == [
                (t.pk, t.user_id, t.created_at, t.digest) for t in expected
            ]
    assert len(tokens.all(customer.pk, moments[-1])) == 2


def test_a_marker_that_cannot_reach_the_sql_as_it_is_is_refused(organization):
    with pytest.raises(ValueError, match="did not reach its SQL"):
        CompiledGet(Organization, lambda slug: Organization.objects.filter(slug=slug.upper())).get("acme")


# ---------------------------------------------------------------------------- INSERTs built once


def _notices(tag: str, count: int = 2, **fields) -> list[Notice]:
    return [
        Notice(
            kind=NoticeKind.TICKET_RECEIVED,
            dedupe_key=f"compiled:{tag}:{i}",
            to_email=f"person{i}@example.com",
            reference="SP-000001",
            template="ticket_received",
            context={"n": i, "when": {"$datetime": "2026-12-03T10:00:00+00:00"}},
            zone="Europe/Berlin",
            message_id=f"<{tag}.{i}@example.com>",
            headers={"In-Reply-To": "<SP-000001@example.com>"},
            **{"send_after": datetime(2026, 12, 3, 10, 0, tzinfo=UTC), **fields},
        )
        for i in range(count)
    ]


def _stored(keys) -> list[dict]:
    rows = Notice.objects.filter(dedupe_key__in=keys).order_by("dedupe_key").values()
    drawn = ("id", "dedupe_key", "message_id", "created_at")  # each row's own
    return [{k: v for k, v in row.items() if k not in drawn} for row in rows]


def _as_sql_calls():
    return mock.patch.object(SQLInsertCompiler, "as_sql", autospec=True, side_effect=SQLInsertCompiler.as_sql)


def test_a_shape_inserted_again_builds_no_sql_and_stores_what_the_orm_stores(customer):
    by_orm = QuerySet(model=Notice).bulk_create(_notices("orm", recipient=customer))  # the ORM's own path
    first = Notice.objects.bulk_create(_notices("first", recipient=customer))
    with _as_sql_calls() as as_sql, CaptureQueriesContext(connection) as queries:
        again = Notice.objects.bulk_create(_notices("again", recipient=customer))
    assert as_sql.call_count == 0  # the SQL of this shape was built by the first call
    assert len(queries) == 1 and queries[0]["sql"].startswith('INSERT INTO "portal_notice"')
    assert _stored(n.dedupe_key for n in again) == _stored(n.dedupe_key for n in first)
    assert _stored(n.dedupe_key for n in again) == _stored(n.dedupe_key for n in by_orm)
    assert [n.pk for n in again] == list(
        Notice.objects.filter(dedupe_key__startswith="compiled:again:")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert all(n._state.adding is False and n._state.db == "default" for n in again)
    stamped = Notice.objects.filter(dedupe_key__startswith="compiled:again:").order_by("pk")
    assert [n.created_at for n in again] == [n.created_at for n in stamped]  # auto_now_add, as the ORM


def test_an_expression_goes_through_the_orm_before_and_after_the_shape_is_compiled():
    Notice.objects.bulk_create(_notices("plain"))
    with _as_sql_calls() as as_sql:
        (row,) = Notice.objects.bulk_create(_notices("expression", count=1, send_after=Now()))
        Notice.objects.bulk_create(_notices("expressions", send_after=Now()))
    assert as_sql.call_count == 2  # the ORM built both: their SQL names NOW(), not a value
    assert Notice.objects.get(pk=row.pk).send_after.tzinfo is not None


def test_a_new_case_and_its_history_row_are_inserted_with_sql_built_once(customer, vendors):
    def open_one(subject: str) -> Ticket:
        return ticket_open(
            organization=customer.membership.organization,
            requester=customer,
            vendor=vendors["secpod"],
            priority="normal",
            subject=subject,
            body="The **scanner** stopped.",
        )

    first = open_one("First")
    with _as_sql_calls() as as_sql:
        second = open_one("Second")
    assert as_sql.call_count == 0  # the case, its history row, targets, events and notices
    stored = Ticket.objects.values().get(pk=second.pk)
    assert stored["subject"] == "Second" and stored["updated_at"] == second.updated_at is not None
    assert stored["number"] == second.number and second._state.adding is False
    history = Ticket.history.filter(id=second.pk).values().get()
    assert (history["history_type"], history["subject"], history["opened_at"]) == (
        "+",
        "Second",
        second.opened_at,
    )
    assert Ticket.history.filter(id=first.pk).count() == 1
    assert [t.pk for t in second.opened_targets] == list(
        second.sla_targets.order_by("pk").values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_a_shell_shows_the_rows_of_a_compiled_model_as_a_queryset():
    """What `Notice.objects.all()` prints in `manage.py shell` names a QuerySet, as every model's
    does: the compiled inserts are an implementation detail, not a kind of query to read about."""
    assert repr(Notice.objects.none()) == "<QuerySet []>"
    assert repr(Ticket.objects.none()) == "<TicketQuerySet []>"  # a model's own QuerySet keeps its name
