"""Files on shared storage (issue 23 point 1): with STORAGE_S3_BUCKET set, an attachment uploaded
to one web node and an email taken in by a third process are served by another web node, from an
S3-compatible server (moto) rather than any node's own disk; and still only to who may see the case.

Each process has its own MEDIA_ROOT, as separate hosts would: on the local file system default the
second node answers 404 for a file the first one stored."""

from __future__ import annotations

import os
import subprocess
import sys
from http import HTTPStatus

import pytest
import requests

from portal.services import api_token_create
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory
from tests.services.conftest import BASE_DIR, database_url
from tests.services.nodes import S3Server, WebNode, s3_env

pytestmark = pytest.mark.services

BUCKET = "portal-files"
CASE = {"vendor": "alectrona", "priority": "high", "kind": "incident", "subject": "Crash", "body": "Always."}
TRACE = b"Traceback (most recent call last):\n  File 'export.py', line 12\nExportError: disk full\n"


@pytest.fixture(scope="module")
def s3(services_available, tmp_path_factory):
    server = S3Server(tmp_path_factory.mktemp("s3") / "moto.log")
    server.start()
    server.client().create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


@pytest.fixture
def node_env(s3, redis, tmp_path):
    def env(name: str) -> dict:
        own_disk = tmp_path / name / "media"
        own_disk.mkdir(parents=True)
        return {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": redis.url,
            "MEDIA_ROOT": str(own_disk),
            **s3_env(s3, BUCKET),
        }

    return env


@pytest.fixture
def two_nodes(transactional_db, node_env, tmp_path):
    nodes = [WebNode(node_env(name), tmp_path / f"{name}.log") for name in ("a", "b")]
    for node in nodes:
        node.start()
    yield nodes
    for node in nodes:
        node.stop()


def token_for(user) -> dict:
    return {"Authorization": f"Token {api_token_create(user=user)[1]}"}


def test_an_attachment_stored_by_one_node_is_served_by_another(two_nodes, s3, tmp_path):
    first, second = two_nodes
    customer = MembershipFactory(organization=OrganizationFactory(slug="acme")).user
    outsider = MembershipFactory(organization=OrganizationFactory(slug="globex")).user
    auth = token_for(customer)

    opened = requests.post(first.url("/api/tickets/"), json=CASE, headers=auth, timeout=30)
    assert opened.status_code == HTTPStatus.CREATED, opened.text
    number = opened.json()["number"]
    uploaded = requests.post(
        first.url(f"/api/tickets/{number}/attachments/"),
        files={"file": ("trace.log", TRACE, "text/plain")},
        headers=auth,
        timeout=30,
    )
    assert uploaded.status_code == HTTPStatus.CREATED, uploaded.text
    download = f"/api/tickets/{number}/attachments/{uploaded.json()['id']}/"

    served = requests.get(second.url(download), headers=auth, timeout=30)
    assert served.status_code == HTTPStatus.OK, served.text
    assert served.content == TRACE
    assert served.headers["Content-Disposition"].startswith("attachment")
    refused = requests.get(second.url(download), headers=token_for(outsider), timeout=30)
    assert refused.status_code == HTTPStatus.NOT_FOUND

    keys = [item["Key"] for item in s3.client().list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert [key for key in keys if key.startswith("attachments/")], keys
    on_a_node = [path for node in ("a", "b") for path in (tmp_path / node / "media").rglob("*")]
    assert not [path for path in on_a_node if path.is_file()]


def test_an_email_taken_in_elsewhere_is_served_by_a_web_node(two_nodes, node_env, s3, settings):
    _, second = two_nodes
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the nodes' hasher
    customer = MembershipFactory(
        user__username="alice", user__email="alice@acme.test", organization=OrganizationFactory(slug="acme")
    ).user
    message = (
        b"From: Alice <alice@acme.test>\r\nTo: alectrona@support.portal.test\r\n"
        b"Subject: Export fails\r\nMessage-ID: <export-1@acme.test>\r\n"
        b"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nSince 4.2 the nightly export stops.\r\n"
    )
    # The mail poller's process: its own disk too.
    taken = subprocess.run(
        [sys.executable, "manage.py", "ingestmail", "--vendor", "alectrona", "-"],
        input=message,
        cwd=BASE_DIR,
        env=node_env("poller"),
        capture_output=True,
        timeout=120,
    )
    assert taken.returncode == 0, taken.stderr.decode()
    assert taken.stdout.decode().split()[1:2] == ["opened"], taken.stdout.decode() + taken.stderr.decode()
    number = taken.stdout.decode().split()[2]

    from mailroom.models import InboundMessage

    stored = InboundMessage.objects.get(message_id="<export-1@acme.test>")
    assert s3.client().get_object(Bucket=BUCKET, Key=stored.raw.name)["Body"].read() == message

    browser = requests.Session()
    browser.get(second.url("/accounts/login/"), timeout=30)
    signed_in = browser.post(
        second.url("/accounts/login/"),
        data={
            "username": customer.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        timeout=30,
    )
    assert signed_in.status_code == HTTPStatus.OK and "sessionid" in browser.cookies
    served = browser.get(second.url(f"/tickets/{number}/emails/{stored.pk}/"), timeout=30)
    assert served.status_code == HTTPStatus.OK
    assert served.content == message
