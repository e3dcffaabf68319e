"""API tokens: listed, created and revoked on the profile page, stored hashed, revoked by any
password change or reset (issue 18 point 3)."""

from __future__ import annotations

import hashlib
import re
from http import HTTPStatus

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from portal.models import ApiToken
from portal.services import api_token_create
from tests.factories import PASSWORD

NEW_PASSWORD = "A-new-passphrase-42"


def api_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(reverse("api:ticket-list")).status_code


def test_a_token_is_stored_as_its_sha256_and_a_prefix(customer):
    token, key = api_token_create(user=customer, name="CI")
    token.refresh_from_db()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8] and key not in str(ApiToken.objects.values_list())
    assert api_status(key) == HTTPStatus.OK
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_password_change_revokes_the_tokens(client, customer):
    _, key = api_token_create(user=customer)
    client.force_login(customer)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not ApiToken.objects.filter(user=customer).exists()
    assert api_status(key) == HTTPStatus.UNAUTHORIZED


def test_a_password_reset_revokes_the_tokens(client, customer):
    api_token_create(user=customer)
    client.post(reverse("password_reset"), {"email": customer.email})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    client.post(form_page.redirect_chain[-1][0], new)
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    assert not ApiToken.objects.filter(user=customer).exists()


def test_the_admins_password_change_revokes_the_tokens(client, customer, agent):
    api_token_create(user=customer)
    client.force_login(agent)
    url = reverse("admin:auth_user_password_change", args=[customer.pk])
    new = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    response = client.post(url, new)
    assert response.status_code == HTTPStatus.FOUND
    assert not ApiToken.objects.filter(user=customer).exists()


def test_set_password_form_revokes_only_that_persons_tokens(customer, colleague):
    api_token_create(user=customer)
    api_token_create(user=colleague)
    form = SetPasswordForm(customer, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert form.is_valid()
    form.save()
    assert list(ApiToken.objects.values_list("user", flat=True)) == [colleague.pk]


def test_the_profile_lists_the_tokens_by_prefix_never_the_key(client, customer, colleague):
    mine, key = api_token_create(user=customer, name="Nightly export")
    api_token_create(user=colleague, name="Bob's robot")
    client.force_login(customer)
    body = client.get(reverse("profile")).content.decode()
    assert "Nightly export" in body and mine.prefix in body and key not in body
    assert "Bob's robot" not in body and "Bob&#x27;s robot" not in body


def test_the_profile_creates_a_token_and_shows_the_key_once(client, customer):
    client.force_login(customer)
    response = client.post(reverse("api-token-create"), {"name": "Laptop"}, follow=True)
    token = ApiToken.objects.get(user=customer)
    key = re.search(r'<code class="api-key">([^<]+)</code>', response.content.decode()).group(1)
    assert token.name == "Laptop" and token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in client.get(reverse("profile")).content.decode()


def test_the_profile_revokes_a_token(client, customer):
    token, key = api_token_create(user=customer)
    client.force_login(customer)
    response = client.post(reverse("api-token-revoke", args=[token.pk]))
    assert response.status_code == HTTPStatus.FOUND
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert api_status(key) == HTTPStatus.UNAUTHORIZED


def test_an_outsider_cannot_revoke_anothers_token(client, customer, outsider):
    token, _ = api_token_create(user=customer)
    client.force_login(outsider)
    assert client.post(reverse("api-token-revoke", args=[token.pk])).status_code == HTTPStatus.NOT_FOUND
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_createtoken_prints_a_working_key(customer, capsys):
    call_command("createtoken", "alice", "--name", "cli")
    key = capsys.readouterr().out.strip().split()[-1]
    assert api_status(key) == HTTPStatus.OK


def test_one_person_keeps_at_most_max_api_tokens(client, customer, colleague):
    from portal.services import MAX_API_TOKENS

    for n in range(MAX_API_TOKENS):
        api_token_create(user=customer, name=f"robot {n}")
    client.force_login(customer)
    response = client.post(reverse("api-token-create"), {"name": "one more"}, follow=True)
    body = response.content.decode()
    assert "You have 20 API tokens, the most one person may keep" in body
    assert '<code class="api-key">' not in body
    assert ApiToken.objects.filter(user=customer).count() == MAX_API_TOKENS
    api_token_create(user=colleague)  # per person


def test_createtoken_past_the_cap_says_why_without_a_traceback(customer):
    from portal.services import MAX_API_TOKENS

    for n in range(MAX_API_TOKENS):
        api_token_create(user=customer, name=f"t{n}")
    with pytest.raises(CommandError, match="revoke"):
        call_command("createtoken", "alice")
    assert ApiToken.objects.filter(user=customer).count() == MAX_API_TOKENS
