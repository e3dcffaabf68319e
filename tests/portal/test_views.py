"""The portal's shell pages: home, sign-in, password reset by email, profile."""

from __future__ import annotations

import html
import re
from http import HTTPStatus
from zoneinfo import available_timezones

from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD


def test_home_invites_to_sign_in(client, db):
    body = client.get(reverse("home")).content.decode()
    assert reverse("login") in body and "Alectrona" in body


def test_sign_in_page_labels_every_field(client, db):
    body = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">' in body and '<label for="id_password">' in body
    assert reverse("password_reset") in body


def test_sign_in_and_out(client, customer):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert "Signed in as" in client.get(reverse("home")).content.decode()
    client.post(reverse("logout"))
    assert client.get(reverse("tickets:list")).status_code == HTTPStatus.FOUND  # back to sign-in


def test_password_reset_by_email(client, customer):
    response = client.post(reverse("password_reset"), {"email": customer.email})
    assert response.status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 1 and "Reset your support portal password" in mail.outbox[0].subject
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "A-new-passphrase-42", "new_password2": "A-new-passphrase-42"},
    )
    customer.refresh_from_db()
    assert customer.check_password("A-new-passphrase-42")


def test_password_reset_does_not_tell_who_has_an_account(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"}, follow=True)
    assert "If an account uses that address" in response.content.decode()
    assert mail.outbox == []


def test_profile_time_zone_changes_the_times_shown(client, customer):
    client.force_login(customer)
    response = client.post(
        reverse("profile"), {"email": "alice@example.test", "timezone": "Asia/Kolkata", "first_name": "Alice"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert "Asia/Kolkata" in client.get(reverse("tickets:list")).content.decode()


def test_a_400_names_only_a_parameter_the_page_refused(rf, db):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import SuspiciousOperation

    from portal.errors import BadInput
    from portal.views import bad_request

    request = rf.get("/")
    request.user = AnonymousUser()
    refused = bad_request(request, BadInput("month", "give a month as YYYY-MM."))
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert b"<code>month</code> cannot be used: give a month as YYYY-MM." in refused.content
    suspicious = bad_request(request, SuspiciousOperation("Invalid HTTP_HOST header: 'evil.example'"))
    assert suspicious.status_code == HTTPStatus.BAD_REQUEST and b"evil.example" not in suspicious.content


def test_time_zone_menu_is_grouped_by_region_and_names_the_organizations_zone(client, customer):
    client.force_login(customer)
    page = html.unescape(client.get(reverse("profile")).content.decode())
    assert "My organization's time zone (America/Chicago)" in page
    assert '<optgroup label="Europe">' in page and '<option value="Europe/Berlin">Berlin</option>' in page
    assert '<option value="America/Argentina/Buenos_Aires">Argentina / Buenos Aires</option>' in page
    assert 'value="US/Eastern"' not in page and 'value="Etc/GMT+5"' not in page  # aliases left out
    menu = page[page.index('name="timezone"') : page.index("</select>", page.index('name="timezone"'))]
    assert menu.count("<optgroup") == 10 and menu.count("<option") < len(available_timezones()) * 0.8
