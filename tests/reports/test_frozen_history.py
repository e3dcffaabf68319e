"""Issue 20 point 3 in the 12-month history: a closed organization × vendor month keeps its met rate
in the report's chart and the staff dashboard's, whatever moves under it afterwards; an open month
(and, on the dashboard, another organization's open period of the same month) shows its changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reports import charts, selectors
from reports.models import MeasurementPeriod
from reports.periods import period_close
from tests.factories import PASSWORD
from tickets.models import SlaTarget, TargetState
from tickets.services import reply_add, ticket_open
from tickets.services.exclusions import ticket_exclude

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 12, 2, 12, tzinfo=LA)  # Wednesday
NOVEMBER, DECEMBER = date(2026, 11, 1), date(2026, 12, 1)
H = timedelta(hours=1)


def _case(user, vendors, *, at, answered_after=None, agent=None):
    """An Albert urgent case (first response 8 h on 24-hour days Sun 19:30 – Fri 19:30 Pacific)."""
    with time_machine.travel(at, tick=False):
        ticket = ticket_open(
            organization=user.membership.organization,
            requester=user,
            vendor=vendors["albert"],
            priority="urgent",
            subject="Down",
            body="Down",
            at=at,
        )
    if answered_after is not None:
        with time_machine.travel(at + answered_after, tick=False):
            reply_add(ticket=ticket, author=agent, body="Fixed", at=at + answered_after)
    return ticket


def _breach(ticket) -> None:
    """Data moving under a month: the met target rewritten as breached."""
    SlaTarget.objects.filter(ticket=ticket).update(state=TargetState.BREACHED, breached_at=NOW)


@pytest.fixture
def history(customer, outsider, agent, vendors, organization):
    """November: Acme met 1 (1 h) and breached 1 (10 h), its period closed on 1 December; Globex met 1,
    its period open. December (open): Acme met 1."""
    tuesday = datetime(2026, 11, 10, 9, tzinfo=LA)
    met = _case(customer, vendors, at=tuesday, answered_after=H, agent=agent)
    _case(customer, vendors, at=tuesday, answered_after=10 * H, agent=agent)
    globex = _case(outsider, vendors, at=tuesday, answered_after=H, agent=agent)
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=LA), tick=False):
        period_close(
            period=MeasurementPeriod(organization=organization, vendor=vendors["albert"], month=NOVEMBER),
            by=agent,
        )
    december = _case(customer, vendors, at=datetime(2026, 12, 1, 9, tzinfo=LA), answered_after=H, agent=agent)
    return {"met": met, "globex": globex, "december": december}


def _move_data(customer, vendors, history) -> None:
    _breach(history["met"])  # Acme November (closed): met → breached
    _case(customer, vendors, at=datetime(2026, 11, 12, 9, tzinfo=LA))  # Acme November: unanswered, late
    _breach(history["globex"])  # Globex November (open): met → breached
    _breach(history["december"])  # Acme December (open): met → breached


def _rates(rates) -> dict[date, tuple[int, int]]:
    return {rate.month: (rate.met, rate.breached) for rate in rates if rate.month in (NOVEMBER, DECEMBER)}


def _acme_report(organization):
    return selectors.monthly_report(month=DECEMBER, now=NOW, organization=organization)


def test_the_customers_chart_keeps_a_closed_month_and_shows_an_open_ones_changes(
    customer, vendors, organization, history
):
    before = _acme_report(organization).met_rates
    assert _rates(before) == {NOVEMBER: (1, 1), DECEMBER: (1, 0)}
    _move_data(customer, vendors, history)
    after = _acme_report(organization).met_rates
    assert _rates(after) == {NOVEMBER: (1, 1), DECEMBER: (0, 1)}
    chart = str(charts.met_rate_chart(after))
    assert "November 2026: 1 met, 1 breached" in chart and ">50.0<" in chart
    assert "December 2026: 0 met, 1 breached" in chart and ">0.0<" in chart


def test_the_dashboard_sums_closed_periods_frozen_and_open_ones_live(
    client, agent, customer, vendors, history
):
    every_organization = selectors.monthly_met_rates(months=[NOVEMBER, DECEMBER], now=NOW)
    assert _rates(every_organization) == {NOVEMBER: (2, 1), DECEMBER: (1, 0)}
    _move_data(customer, vendors, history)
    # November: Acme's closed period as frozen (1 met, 1 breached) plus Globex's open one, now breached.
    every_organization = selectors.monthly_met_rates(months=[NOVEMBER, DECEMBER], now=NOW)
    assert _rates(every_organization) == {NOVEMBER: (1, 2), DECEMBER: (0, 1)}
    client.login(username=agent.username, password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/admin/reports/dashboard/")
    assert response.status_code == HTTPStatus.OK
    chart = str(response.context["met_rate_chart"])
    assert "November 2026: 1 met, 2 breached" in chart and "December 2026: 0 met, 1 breached" in chart


def test_an_open_month_counts_as_its_report_does(customer, agent, vendors, organization, history):
    """A closed month's bar is its snapshot, counted as the report counts (an excluded target is
    neither met nor breached): an open month's bar is counted the same way, so the chart is one
    measure and December's bar is December's report."""
    late = _case(customer, vendors, at=datetime(2026, 12, 1, 10, tzinfo=LA))  # unanswered: breached
    with time_machine.travel(NOW, tick=False):
        ticket_exclude(
            ticket=late, by=agent, code="out-of-control", reason="AWS outage", target_kind="first_response"
        )
    report = _acme_report(organization)
    assert _rates(report.met_rates)[DECEMBER] == (1, 0)
    [december] = report.by_vendor
    assert (december.met, december.breached, december.excluded) == (1, 0, 1)
