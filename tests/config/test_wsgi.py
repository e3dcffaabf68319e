"""Web workers are warm before their first request: the WSGI module imports the URLconf (and
with it every view, serializer and admin) at boot, and gunicorn loads it once with --preload
before forking its workers (the first request to a fresh worker took 6-7 s)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench._server import server_command

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_wsgi_application_imports_the_urlconf():
    code = "import sys, config.wsgi; print('config.urls' in sys.modules, 'tickets.api.cases' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_the_benchmarks_gunicorn_preloads_the_application():
    assert "--preload" in server_command(8000, workers=2)
