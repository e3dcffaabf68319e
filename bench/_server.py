"""A real web server for the benchmarks: gunicorn on 127.0.0.1 only, with the benchmark's own
environment (its database, DEBUG off), started and stopped by the script that measures it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(port: int, *, workers: int) -> list[str]:
    # --preload: the application (and its URLconf, config/wsgi.py) is loaded once before the
    # workers fork, so none of them answers its first request cold.
    return [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi:application",
        "--preload",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]


def start_server(port: int, *, workers: int = 2) -> subprocess.Popen:
    server = subprocess.Popen(server_command(port, workers=workers), cwd=ROOT, env=dict(os.environ))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited before it answered") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 30 s")


@contextmanager
def running_server(*, workers: int = 2) -> Iterator[int]:
    """gunicorn for the duration of the block; yields its port."""
    port = free_port()
    server = start_server(port, workers=workers)
    try:
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)
