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
