"""Every filter of the staff changelist and the customer lists is served by an index that leads
with the filtered column, and no index is kept that another one already covers: each index is
written on every save of a case."""

from __future__ import annotations

import pytest
from django.db import connection

from portal.models import Notice
from tickets.models import SlaTarget, Ticket

pytestmark = pytest.mark.django_db


def _indexes(model) -> list[list[str]]:
    """The column lists of the table's indexes and unique constraints, primary key excluded."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [
        c["columns"] for c in constraints.values() if (c["index"] or c["unique"]) and not c["primary_key"]
    ]


def _leading(model) -> list[str]:
    return [columns[0] for columns in _indexes(model)]


@pytest.mark.parametrize(
    "column",
    [
        "organization_id",  # customer lists
        "requester_id",
        "vendor_id",  # changelist filters
        "priority_id",
        "status",
        "assignee_id",  # including "mine"
        "sla_state",  # breached / paused
        "next_due_at",  # due within 1 h
        "opened_at",  # default order
        "parent_id",  # subordinate incidents
        "number",  # search and the API's look-up
    ],
)
def test_each_case_filter_has_an_index_leading_with_its_column(column):
    assert column in _leading(Ticket)


@pytest.mark.parametrize("model", [Ticket, Ticket.history.model, SlaTarget, Notice])
def test_no_index_is_a_copy_of_another_ones_leading_columns(model):
    indexes = _indexes(model)
    covered = [
        columns
        for columns in indexes
        if any(other != columns and other[: len(columns)] == columns for other in indexes)
    ]
    assert covered == []


def test_history_is_indexed_for_reading_one_case_only():
    # simple-history copies every key of a case: only the case's id is looked up.
    assert sorted(_leading(Ticket.history.model)) == ["history_date", "history_user_id", "id"]


@pytest.mark.parametrize(
    "column", ["policy_version_id", "product_id", "major_version_id", "resolution_code_id"]
)
def test_no_index_leads_with_a_key_no_list_filters_on(column):
    # Issue 24: each index is written on every opening. No list or report filters cases by these
    # keys alone (the product filter and the statements go through ticket_org_product); only
    # deleting a version, product or code looks them up, and PROTECT makes that a rare refusal.
    assert column not in _leading(Ticket)
