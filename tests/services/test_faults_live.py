"""The fault suite (issue 17): the whole desk on private servers (bench/_faults.py) with one fault
at a time while customers open cases over HTTP. Each scenario counts cases answered 201 and
saved, notice rows, and receipts at the SMTP sink by Message-ID: none lost, none doubled.

The one duplicate SMTP allows (the server read the end of a message and its reply never came
back: the README's "Notices" section) is not provoked here, except to show it stays that one."""

from __future__ import annotations

import pytest

from bench._faults import Desk, pg_available, redis_outage_with_delivery_in_flight, scenarios
from tests.services.conftest import database_url, unavailable

# django_db: run alone, no test here would otherwise make pytest-django create the test
# database, and the catalog would be copied from (and loaded into) DATABASE_URL's own database.
pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture(scope="module")
def desk(services_available, django_db_blocker, tmp_path_factory):
    if not pg_available():
        unavailable("PostgreSQL's initdb and pg_ctl (/usr/lib/postgresql/*/bin) are not installed")
    with django_db_blocker.unblock():
        source = database_url()  # the test database: migrated, with the policy catalog
    desk = Desk(tmp_path_factory.mktemp("faults"), source_url=source)
    try:
        desk.start()
        yield desk
    finally:
        desk.stop()


FAULTS = [
    "redis down",
    "redis hung (SIGSTOP)",
    "smtp down",
    "smtp hung (SIGSTOP)",
    "smtp slow (answers after EMAIL_TIMEOUT)",
    "smtp refusing (451)",
    "worker killed mid-send",
    "postgresql restarted",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_every_case_is_saved_and_every_email_sent_exactly_once(desk, fault):
    plan = scenarios(desk)[fault]
    result = desk.run(fault, cases=4, settle=30.0, **plan)
    summary = repr(result)
    assert not result.notes, summary  # the fault met the openings and deliveries; all out in time
    assert result.opened == 4 and result.saved == 4, summary
    assert result.expected >= 4, summary  # at least the requester's "case received" per case
    assert result.lost == 0 and result.delivered == result.expected, summary
    assert result.doubled == 0, summary
    assert result.status_5xx == 0, summary  # 503 (the database restarting) is the designed answer
    if fault.startswith("redis hung"):
        # Publishing never blocks a request: it gives up after its 1 s socket timeout, once per
        # web process (then BrokerPause leaves rows to the sweep). The rest is the opening
        # itself, up to ~2 s on this loaded 2-core host; a blocked publish took gunicorn's 30 s.
        assert result.slowest_answer_s < 5.0, summary
    if fault == "postgresql restarted":
        # The server accepted a message while the database was down: "sent" was retried, and
        # the row was not sent again after its lease (doubled == 0 above).
        assert result.sent_retried >= 1, summary


def test_the_worker_survives_a_redis_outage_with_a_delivery_in_flight_and_mails_each_once(desk):
    """Issue 17 point 1, the hand reproduction: one notice in flight (the SMTP server frozen, the
    task unacknowledged), Redis stopped 2 s later for 6 s. kombu 5.7.0 as released kills the
    worker's main process here ("Unrecoverable error: AttributeError ... 'hostname'"); with
    config/celery.py's workaround it lives, and sends that notice and the next case's once.
    Last in this module: it leaves its own worker (EMAIL_TIMEOUT 10 s) running."""
    outcome = redis_outage_with_delivery_in_flight(desk)
    assert outcome["alive"], outcome["log"][-3000:]
    assert set(outcome["in_flight"].values()) == {1}, outcome["in_flight"]
    assert outcome["after"] and set(outcome["after"].values()) == {1}, outcome["after"]  # it still delivers
