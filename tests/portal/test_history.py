"""portal.history: simple-history as before, with the history manager's class built once and
history pages that answer 404 for an id no row can have."""

from __future__ import annotations

from http import HTTPStatus

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


def _history_admins():
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    return sorted(
        (model._meta.app_label, model._meta.model_name)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin)
    )


@pytest.mark.parametrize(("app", "model"), _history_admins())
@pytest.mark.parametrize("path", ["abc/history/", "1.5/history/", "abc/history/1/", "1/history/abc/"])
def test_a_history_page_for_an_id_no_row_can_have_is_404(client, agent, app, model, path):
    """/admin/tickets/ticket/abc/history/ went to the query as "abc": a ValueError, a 500."""
    client.force_login(agent)
    response = client.get(f"/admin/{app}/{model}/{path}")
    assert response.status_code == HTTPStatus.NOT_FOUND
