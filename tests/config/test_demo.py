"""The demo loader: every status for every vendor, idempotent, never with DEBUG off."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from config.demo import DEMO_PASSWORD
from policies.models import Vendor
from portal.models import Role
from tickets.models import Status, TargetState, Ticket


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("loaddemo", stdout=out)
    return out.getvalue()


def test_demo_has_every_status_for_every_vendor(demo):
    northwind = Ticket.objects.filter(organization__slug="northwind")
    for vendor in Vendor.objects.all():
        statuses = set(northwind.filter(vendor=vendor).values_list("status", flat=True))
        assert statuses == set(Status.values), vendor
    states = set(Ticket.objects.values_list("sla_targets__state", flat=True))
    assert {TargetState.MET, TargetState.RUNNING, TargetState.PAUSED} <= states
    assert Ticket.objects.filter(organization__slug="globex").exists()


def test_demo_sign_ins_work(demo):
    assert "customer / portal-demo" in demo and "staff / portal-demo" in demo
    customer = authenticate(username="customer", password=DEMO_PASSWORD)
    assert customer.membership.organization.slug == "northwind" and customer.membership.role == Role.ADMIN
    assert authenticate(username="other", password=DEMO_PASSWORD).membership.organization.slug == "globex"
    staff = authenticate(username="staff", password=DEMO_PASSWORD)
    assert staff.is_staff and staff.is_superuser


def test_demo_is_idempotent(demo):
    before = Ticket.objects.count()
    call_command("loaddemo", stdout=StringIO())
    assert Ticket.objects.count() == before


def test_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("loaddemo")
    assert not Ticket.objects.exists()


def test_demo_queues_no_emails_of_its_own(demo):
    """The demo is history: the notices its cases would have sent are recorded as sent when they
    were made, so `make run` does not flood the console with 80 old emails (issue 22 point 4)."""
    from portal.models import Notice, NoticeState

    assert Notice.objects.exists()
    assert not Notice.objects.exclude(state=NoticeState.SENT).exists()
    assert not Notice.objects.filter(sent_at__isnull=True).exists()
