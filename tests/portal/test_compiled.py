"""portal.compiled: a look-up whose SQL is built once answers as the QuerySet's own .get()."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.authentication import USER_RELATED
from portal.compiled import CompiledGet
from portal.models import ApiToken, Organization
from portal.services import api_token_create, api_token_digest
from tests.factories import OrganizationFactory

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
