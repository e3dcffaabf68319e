"""portal.transactions: a transaction PostgreSQL aborted for a deadlock or a serialization failure
runs once more, at the outermost level only; any other error is the caller's."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from portal.transactions import retry_once_on_conflict


class Aborted(Exception):
    def __init__(self, sqlstate: str):
        self.sqlstate = sqlstate


def aborting(*sqlstates: str):
    calls = []

    @retry_once_on_conflict
    def service():
        calls.append(1)
        if len(calls) <= len(sqlstates):
            raise OperationalError("aborted") from Aborted(sqlstates[len(calls) - 1])
        return len(calls)

    return service, calls


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_deadlock_or_serialization_failure_runs_once_more(sqlstate):
    service, calls = aborting(sqlstate)
    assert service() == 2


def test_only_once():
    service, calls = aborting("40P01", "40P01")
    with pytest.raises(OperationalError):
        service()
    assert len(calls) == 2


def test_other_database_errors_are_not_retried():
    service, calls = aborting("08006")  # connection failure: the outage answer is 503, not a retry
    with pytest.raises(OperationalError):
        service()
    assert len(calls) == 1
