"""portal.history: simple-history as before, with the history manager's class built once."""

from __future__ import annotations

import pytest

from portal.models import Organization

pytestmark = pytest.mark.django_db


def test_the_history_manager_class_is_built_once():
    organization = Organization.objects.create(name="Acme", slug="acme")

    assert type(organization.history) is type(Organization.history)
    assert type(Organization.history) is type(Organization.history)


def test_history_is_still_recorded_and_read_per_object():
    acme = Organization.objects.create(name="Acme", slug="acme")
    Organization.objects.create(name="Globex", slug="globex")
    acme.name = "Acme Ltd"
    acme.save()

    assert [h.name for h in acme.history.all()] == ["Acme Ltd", "Acme"]
    assert acme.history.most_recent().name == "Acme Ltd"
    assert Organization.history.count() == 3
