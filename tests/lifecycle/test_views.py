"""My products page and the iCalendar feed: what a customer sees, and what an outsider never does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from lifecycle.models import CalendarFeedToken, Deployment, Plan, Product
from lifecycle.selectors import calendar_token_for
from lifecycle.services import contract_create, major_version_create
from portal.models import Profile

from .conftest import NOW

pytestmark = pytest.mark.usefixtures("basic_contract")


@pytest.fixture
def outsider_product(other_organization, infotecs):
    product = Product.objects.create(vendor=infotecs, name="ViPNet Secret Outsider Product")
    major_version_create(product=product, number=1, ga=date(2024, 1, 1))
    contract_create(
        organization=other_organization,
        product=product,
        plan=Plan.BASIC,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        deployment=Deployment.ON_PREMISE,
        license_price=Decimal("1"),
    )
    return product


def test_my_products_needs_sign_in(client):
    response = client.get(reverse("lifecycle:my-products"))
    assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response["Location"]


@time_machine.travel(NOW, tick=False)
def test_my_products_shows_timeline_phase_quota_and_quotes(
    client, customer, outsider_product, django_assert_max_num_queries
):
    client.force_login(customer)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("lifecycle:my-products"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<svg" in html and "ViPNet Coordinator lifecycle" in html and "today" in html
    assert "Extended support (vulnerabilities and critical bugs only)" in html
    assert "End of life (no support)" in html and "Not yet released" in html
    # Contract year 2 (2026): nothing resolved in year 1, so its 40 carried over.
    assert "<strong>0</strong> used, <strong>80</strong> left of 80\n        (40 carried over" in html
    assert "2000.00 EUR for the next year of Basic support (20 % of the license price)" in html
    assert "3000.00 EUR to upgrade to ViPNet Coordinator 5" in html
    assert "ViPNet Secret Outsider Product" not in html


@time_machine.travel(NOW, tick=False)
def test_outsider_sees_only_their_own_products(client, outsider, outsider_product):
    client.force_login(outsider)
    html = client.get(reverse("lifecycle:my-products")).content.decode()
    assert "ViPNet Secret Outsider Product" in html and "ViPNet Coordinator" not in html


@time_machine.travel(NOW, tick=False)
def test_calendar_feed_lists_the_milestones_of_the_owners_products(client, customer, outsider_product):
    token = calendar_token_for(customer).token
    response = client.get(reverse("lifecycle:calendar", args=[token]))
    assert response.status_code == HTTPStatus.OK and response["Content-Type"].startswith("text/calendar")
    events = {
        str(e["summary"]): e.decoded("dtstart") for e in Calendar.from_ical(response.content).walk("VEVENT")
    }
    assert events["ViPNet Coordinator 3: End of mainstream support"] == date(2026, 1, 15)
    assert events["ViPNet Coordinator 3: End of life"] == date(2027, 1, 15)
    assert events["ViPNet Coordinator 5: End of mainstream support (provisional)"] == date(2031, 3, 1)
    assert not any("Outsider" in summary for summary in events)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("Acme\r\nBEGIN:VEVENT", b"X-WR-CALNAME:Acme\\nBEGIN:VEVENT product milestones"),
        ("Acme\rLtd", b"X-WR-CALNAME:Acme\\nLtd product milestones"),
        ("Acme; Co, \\ Ltd", b"X-WR-CALNAME:Acme\\; Co\\, \\\\ Ltd product milestones"),
    ],
)
def test_calendar_feed_escapes_the_organization_name(client, customer, name, line):
    """A line break in a value must be escaped (RFC 5545 §3.3.11): unescaped, it made the feed
    invalid (a 500) and could have injected a line of its own."""
    organization = customer.membership.organization
    organization.name = name
    organization.save()
    response = client.get(reverse("lifecycle:calendar", args=[calendar_token_for(customer).token]))
    assert response.status_code == HTTPStatus.OK
    assert line in response.content.split(b"\r\n")
    assert Calendar.from_ical(response.content).walk("VEVENT")
    assert b"\r\nBEGIN:VEVENT product" not in response.content


def test_unknown_calendar_token_is_404(client, customer):
    assert client.get(reverse("lifecycle:calendar", args=["not-a-token"])).status_code == HTTPStatus.NOT_FOUND


def test_regenerated_token_revokes_the_old_address(client, customer):
    old = calendar_token_for(customer).token
    client.force_login(customer)
    response = client.post(reverse("lifecycle:calendar-regenerate"))
    assert response.status_code == HTTPStatus.FOUND
    new = CalendarFeedToken.objects.get(user=customer).token
    assert new != old
    client.logout()
    assert client.get(reverse("lifecycle:calendar", args=[old])).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("lifecycle:calendar", args=[new])).status_code == HTTPStatus.OK


def test_staff_without_organization_get_no_feed(client, agent):
    token = calendar_token_for(agent).token
    assert client.get(reverse("lifecycle:calendar", args=[token])).status_code == HTTPStatus.NOT_FOUND


def test_nav_links_to_my_products_when_signed_in(client, customer):
    client.force_login(customer)
    assert reverse("lifecycle:my-products") in client.get(reverse("home")).content.decode()


@time_machine.travel(NOW, tick=False)
def test_calendar_feed_titles_are_in_the_owners_language(client, customer, outsider_product):
    """A calendar app asks with no Accept-Language of the owner's: the feed speaks the owner's language."""
    Profile.objects.create(user=customer, language="ru")
    response = client.get(reverse("lifecycle:calendar", args=[calendar_token_for(customer).token]))
    feed = Calendar.from_ical(response.content)
    events = {str(e["summary"]) for e in feed.walk("VEVENT")}
    assert "ViPNet Coordinator 3: Окончание основной поддержки (EOMS)" in events
    assert "ViPNet Coordinator 5: Окончание основной поддержки (EOMS) (предварительно)" in events
    assert "ViPNet Coordinator 3: Окончание жизненного цикла (EOL)" in events
    assert str(feed["x-wr-calname"]).endswith(": этапы жизненного цикла продуктов")
