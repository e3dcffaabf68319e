"""The profile's, the API tokens', the recovery codes', the calendar address's and the period
review's posts count against the write rate (API_WRITE_RATE per person, on the API's count):
past it the profile form comes back as sent with 429, a button says so and goes back to its
page, and nothing changes or is sent (portal.throttles.counts_as_write)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice

from lifecycle.models import CalendarFeedToken
from lifecycle.selectors import calendar_token_for
from portal.models import ApiToken
from tests.tickets.test_views_write_rate import SLOW_DOWN, refused_back

PROFILE = {"first_name": "Alice", "last_name": "", "timezone": ""}


@pytest.fixture(autouse=True)
def _slow(settings):
    settings.API_WRITE_RATE = "1/min"


def test_a_profile_save_past_the_rate_keeps_the_text_and_sends_nothing(client, customer):
    client.force_login(customer)
    url = reverse("profile")
    assert client.post(url, {**PROFILE, "email": customer.email}).status_code == HTTPStatus.FOUND  # under
    refused = client.post(url, {**PROFILE, "first_name": "Alicia", "email": "alice@elsewhere.example"})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    page = refused.content.decode()
    assert SLOW_DOWN in page and 'value="Alicia"' in page and 'value="alice@elsewhere.example"' in page
    customer.refresh_from_db()
    assert customer.first_name == "Alice" and not mail.outbox


def test_an_api_token_past_the_rate_is_not_made(client, customer):
    client.force_login(customer)
    url = reverse("api-token-create")
    client.post(url, {"name": "Laptop"})  # under the rate
    assert ApiToken.objects.filter(user=customer).count() == 1
    refused_back(client.post(url, {"name": "Desktop"}, follow=True), reverse("profile"))
    assert ApiToken.objects.filter(user=customer).count() == 1


def test_recovery_codes_past_the_rate_stay_as_they_were(client, customer, verified_login):
    verified_login(client, customer)
    url = reverse("two-factor-recovery-codes")
    assert client.post(url).status_code == HTTPStatus.OK  # under the rate: new codes
    codes = set(StaticDevice.objects.get(user=customer).token_set.values_list("token", flat=True))
    refused_back(client.post(url, follow=True), reverse("profile"))
    assert set(StaticDevice.objects.get(user=customer).token_set.values_list("token", flat=True)) == codes


def test_the_calendar_address_past_the_rate_stays(client, customer):
    client.force_login(customer)
    url = reverse("lifecycle:calendar-regenerate")
    client.post(url)  # under the rate: a new address
    token = CalendarFeedToken.objects.get(user=customer).token
    refused_back(client.post(url, follow=True), reverse("lifecycle:my-products") + "#calendar")
    assert calendar_token_for(customer).token == token


def test_the_calendar_address_under_the_rate_changes(client, customer):
    old = calendar_token_for(customer).token
    client.force_login(customer)
    client.post(reverse("lifecycle:calendar-regenerate"))
    assert CalendarFeedToken.objects.get(user=customer).token != old
