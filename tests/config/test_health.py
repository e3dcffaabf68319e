"""/healthz and /readyz for load balancers (config.health): answered before the host check, the
HTTPS redirect and sign-in, never rate-limited, naming each dependency and nothing else.
tests/services/test_health_live.py stops a real broker under a gunicorn node."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from config import health

ALL_OK = {"database": "ok", "broker": "ok", "storage": "ok", "cache": "ok"}


def test_liveness_answers_ok_to_a_probe_by_address():
    # A balancer asks the node by its address, which is not in ALLOWED_HOSTS.
    response = Client().get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_names_each_dependency(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = Client().get("/readyz", HTTP_HOST="10.0.0.7")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "checks": ALL_OK}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_an_unreachable_broker_makes_the_node_unready_and_says_nothing_more(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path

    monkeypatch.setattr("config.celery.app.connection_for_write", lambda: _Refusing())
    response = Client().get("/readyz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "unavailable", "checks": {**ALL_OK, "broker": "unavailable"}}
    assert b"redis" not in response.content and b"6379" not in response.content


class _Refusing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ensure_connection(self, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to redis.internal:6379. Connection refused.")


@pytest.mark.django_db
def test_a_database_past_the_bound_is_unavailable(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    settings.READYZ_TIMEOUT_SECONDS = 0.2

    def hung(self):
        import time

        time.sleep(3)

    monkeypatch.setattr(health.checks.Database, "run", hung)
    response = Client().get("/readyz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"]["database"] == "unavailable"


@pytest.mark.django_db
def test_probes_are_never_rate_limited_nor_redirected(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SECURE_SSL_REDIRECT = True  # production, behind a proxy that probes over HTTP
    client = Client()
    answers = {client.get(path).status_code for path in ("/healthz", "/readyz") * 100}
    assert answers == {HTTPStatus.OK}


def test_other_methods_and_paths_go_on_to_the_site():
    assert Client().post("/healthz").status_code != HTTPStatus.OK
