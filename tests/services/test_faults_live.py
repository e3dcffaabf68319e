"""The fault suite (issue 17): the whole desk on private servers (bench/_faults.py) with one fault
at a time while customers open cases over HTTP. Each scenario counts cases answered 201 and
saved, notice rows, and receipts at the SMTP sink by Message-ID: none lost, none doubled.

The one duplicate SMTP allows (the server read the end of a message and its reply never came
back: the README's "Notices" section) is not provoked here, except to show it stays that one."""

from __future__ import annotations

import pytest

from bench._faults import Desk, pg_available, redis_outage_with_delivery_in_flight, scenarios
from tests.services.conftest import database_url, unavailable

pytestmark = pytest.mark.services


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


def test_the_worker_survives_a_redis_outage_with_a_delivery_in_flight_and_mails_each_once(desk):
    """Issue 17 point 1. kombu 5.7.0 as released crashed here in a hand-run reproduction (a lone
    notice in flight, Redis stopped 2 s later for 6 s) but not in every run of this harness, so
    the crash itself is not asserted; the workaround's survival and delivery are."""
    outcome = redis_outage_with_delivery_in_flight(desk, workaround=True)
    desk.worker.stop()
    desk.start_worker()  # the suite's own worker: EMAIL_TIMEOUT 1 s, lease 3 s
    assert outcome["opened"] == 201
    assert outcome["alive"], outcome["log"][-3000:]
    assert outcome["in_flight"] and set(outcome["in_flight"].values()) == {1}, outcome
    assert outcome["after"] and set(outcome["after"].values()) == {1}, outcome  # it still delivers


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
    result = desk.run(fault, cases=4, **plan)
    summary = repr(result)
    assert result.opened == 4 and result.saved == 4, summary
    assert result.expected >= 4, summary  # at least the requester's "case received" per case
    assert result.lost == 0 and result.delivered == result.expected, summary
    assert result.doubled == 0, summary
    assert result.status_5xx == 0, summary  # 503 (the database restarting) is the designed answer
    if fault.startswith("redis hung"):
        assert result.slowest_answer_s < 2.5, summary  # publishing never blocks a request
