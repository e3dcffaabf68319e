"""Settings come from the environment and fail loud in production."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="support.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_bare_environment_runs_on_sqlite_and_a_serverless_broker():
    # Read in a process with no environment at all and no .env file, so the test means the same
    # on CI's PostgreSQL and Redis run (DATABASE_URL, CELERY_BROKER_URL set) as on a bare machine.
    code = (
        "import environ\n"
        "environ.Env.read_env = lambda *args, **kwargs: None\n"
        "from django.conf import settings\n"
        "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])\n"
        "print(settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS.get('data_folder_in'))\n"
        "print(settings.CACHES['default']['BACKEND'])\n"
        "print(settings.EMAIL_BACKEND)\n"
    )
    bare = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=bare, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"django.db.backends.sqlite3 {ROOT / 'var' / 'db.sqlite3'}",
        f"filesystem:// {ROOT / 'var' / 'broker' / 'queue'}",
        "django.core.cache.backends.locmem.LocMemCache",
        "portal.mail.ConsoleBackend",
    ]


def _production_setting(name: str, **env: str) -> str:
    production = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "x.test"}
    code = f"from django.conf import settings; print(repr(settings.{name}))"
    result = _manage("shell", "-c", code, **production, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after shell's "objects imported" line


def test_x_forwarded_proto_is_trusted_only_behind_a_proxy_that_sets_it():
    assert _production_setting("SECURE_PROXY_SSL_HEADER") == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert _production_setting("SECURE_PROXY_SSL_HEADER", TRUST_X_FORWARDED_PROTO="false") == "None"


def test_a_redis_broker_publishes_with_short_timeouts_and_the_worker_retries_forever():
    code = (
        "from config.celery import app\n"
        "options = app.conf.broker_transport_options\n"
        "print(options['socket_connect_timeout'], options['socket_timeout'], options['max_retries'])\n"
        "print(app.conf.broker_connection_retry, app.conf.broker_connection_retry_on_startup)\n"
        "print(app.conf.broker_connection_max_retries, app.conf.broker_heartbeat)\n"
    )
    environment = {**os.environ, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["1 1 1", "True True", "None 10"]
