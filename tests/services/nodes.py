"""Processes of a deployment with several nodes, for the live tests of issue 23: gunicorn web
nodes on their own ports, an S3-compatible server (moto) standing in for object storage, and the
environment they share (the test database, a Redis, a bucket)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.services.conftest import BASE_DIR, free_port, wait_for

BIN = Path(sys.executable).parent


def http_status(url: str, *, timeout: float = 2.0) -> int | None:
    """The status of a GET, or None when nothing answers (refused, timed out)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class Node:
    """A long-running subprocess with its log file, killed or stopped by the test."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.args, self.env, self.log, self.process = args, env, log, None

    def spawn(self) -> None:
        self.process = subprocess.Popen(
            self.args, cwd=BASE_DIR, env=self.env, stdout=self.log.open("a"), stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup, exactly like a machine that lost its power."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class S3Server(Node):
    """moto's server: an S3 API on 127.0.0.1 that keeps its buckets in memory."""

    def __init__(self, log: Path):
        self.port = free_port()
        super().__init__([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)], os.environ, log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.spawn()
        wait_for(lambda: http_status(self.url) is not None, what="the moto S3 server", log=self.log)

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


class WebNode(Node):
    """gunicorn on its own port, as one web host of several behind a load balancer."""

    def __init__(self, env: dict, log: Path, *, workers: int = 1):
        self.port = free_port()
        super().__init__(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--preload",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env,
            log,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        self.spawn()
        wait_for(lambda: http_status(self.url("/healthz")) == 200, what="a gunicorn node", log=self.log)


def s3_env(s3: S3Server, bucket: str) -> dict:
    """What a node needs to keep its files in the bucket (settings STORAGE_S3_*)."""
    return {
        "STORAGE_S3_BUCKET": bucket,
        "STORAGE_S3_ENDPOINT_URL": s3.url,
        "STORAGE_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
