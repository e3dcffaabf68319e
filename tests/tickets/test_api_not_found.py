"""The API's catch-all routes (tickets.api.not_found_under, shared by tickets/, orders/, pilots/ and
statements/): an unknown path under them answers the API's JSON 404, whatever the verb and to anyone,
never the site's HTML page."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PATHS = ["/api/tickets/ALC-000001/nowhere/", "/api/orders/x/", "/api/pilots/1/x/", "/api/statements/x/"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete"])
def test_an_unknown_path_answers_the_json_404(path, verb):
    response = getattr(APIClient(), verb)(path)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "No such endpoint."}


def test_known_routes_are_not_caught(customer):
    client = APIClient()
    client.force_authenticate(customer)
    assert client.get("/api/orders/").status_code == HTTPStatus.OK
    assert client.get("/api/statements/").status_code == HTTPStatus.OK
