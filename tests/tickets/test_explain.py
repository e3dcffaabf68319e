"""A case's SLA explanation describes support hours and durations in the policy page's words."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from policies.describe import calendar_summary
from tickets.explain import target_explanation
from tickets.models import TargetKind
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
OPENED = datetime(2026, 11, 24, 10, 0, tzinfo=NY)  # a Tuesday, in support hours everywhere


def _first_response(customer, vendor, priority):
    ticket = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendor,
        priority=priority,
        subject="Export fails",
        body="It fails",
        at=OPENED,
    )
    return ticket.sla_targets.get(kind=TargetKind.FIRST_RESPONSE)


@pytest.mark.parametrize(
    ("vendor", "priority", "hours"),
    [
        ("alectrona", "high", "Monday to Friday, 09:00–17:30, America/New_York local time"),
        ("albert", "medium", "Sunday 19:30 to Friday 19:30, America/Los_Angeles local time"),
        ("secpod", "low", "Monday to Friday, all day, Asia/Kolkata local time"),
    ],
)
def test_the_explanation_and_the_policy_page_say_the_same_support_hours(
    customer, vendors, vendor, priority, hours
):
    target = _first_response(customer, vendors[vendor], priority)
    assert f"on support hours ({hours})" in target_explanation(target)
    assert calendar_summary(target.calendar).startswith(hours)


def test_the_case_page_and_admin_say_the_same_time_left(client, customer, agent, vendors):
    # SecPod Low: 2 business days of 24 h, Monday to Friday in Kolkata; opened Tue 20:30 IST, due
    # Thu 20:30 IST. 20 h 10 min later 27 h 50 min are left: the case page once said "1 d 3 h",
    # admin "1 d 3 h 50 min".
    target = _first_response(customer, vendors["secpod"], "low")
    with time_machine.travel(OPENED + timedelta(hours=20, minutes=10), tick=False):
        client.force_login(customer)
        page = client.get(reverse("tickets:detail", args=[target.ticket.number])).content.decode()
        client.force_login(agent)
        admin = client.get(reverse("admin:tickets_ticket_change", args=[target.ticket_id])).content.decode()
    assert "due in 1 d 3 h 50 min" in page
    assert "1 d 3 h 50 min" in admin


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_moment_is_worded_as_django_formats_it(language):
    """tickets.explain words a moment without django.utils.dateformat's parser (issue 24): the
    same day and month names in the reader's language, the same digits and zone abbreviation."""
    from django.utils import translation
    from django.utils.dateformat import format as date_format

    from tickets.explain import _local

    start = datetime(2026, 1, 1, 0, 7, tzinfo=ZoneInfo("UTC"))
    zones = ["UTC", "America/New_York", "Europe/Moscow", "Asia/Kolkata", "Europe/Berlin"]
    with translation.override(language):
        for hours in range(0, 24 * 400, 37):
            moment = start + timedelta(hours=hours, minutes=hours % 60)
            for zone in zones:
                local = moment.astimezone(ZoneInfo(zone))
                assert _local(moment, zone) == f"{date_format(local, 'D d M Y H:i')} {local.tzname()}"
