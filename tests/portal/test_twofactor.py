"""Two-factor sign-in (issue 18): staff enrol a TOTP app and verify before any page, admin included,
when STAFF_TWO_FACTOR is on; anyone who turned it on verifies after each password sign-in; single-use
recovery codes stand in for a lost phone. Codes are real TOTP codes (django_otp.oath.totp)."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import ApiToken
from portal.services import api_token_create
from portal.twofactor import totp_device_confirm, totp_device_start
from tests.conftest import sign_in, totp_code

ADMIN = "/admin/portal/organization/"
VERIFY = reverse("two-factor-verify")
SETUP = reverse("two-factor-setup")


@pytest.fixture
def required(settings):
    settings.STAFF_TWO_FACTOR = True


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = totp_device_start(user=user)
    codes = totp_device_confirm(device=device, token=totp_code(device))
    device.refresh_from_db()
    return device, codes


def later(seconds: int = 60):
    """A TOTP code is accepted once: the next sign-in's code is from a later 30-second step."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def test_staff_without_a_device_are_sent_to_enrol_before_any_page(client, agent, required):
    client.force_login(agent)
    for path in (ADMIN, "/admin/tickets/ticket/", "/tickets/", "/profile/"):
        response = client.get(path)
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(SETUP)


def test_enrolment_confirms_with_a_real_code_and_shows_ten_recovery_codes(client, agent, required):
    client.force_login(agent)
    page = client.get(SETUP)
    assert page.status_code == HTTPStatus.OK
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    secret = page.context["secret"]
    assert secret in page.content.decode() and "otpauth://totp/" in page.context["config_url"]
    assert "<svg" in page.content.decode()  # the QR code, drawn in the page: no script, no request

    wrong = client.post(SETUP, {"token": f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == HTTPStatus.OK and wrong.context["form"].errors
    assert client.get(ADMIN).status_code == HTTPStatus.FOUND

    with later(5):  # a wrong code makes the next try wait a second (django-otp's throttle)
        done = client.post(SETUP, {"token": totp_code(device)})
    assert done.status_code == HTTPStatus.OK
    codes = done.context["recovery_codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert StaticDevice.objects.get(user=agent).token_set.count() == 10
    assert client.get(ADMIN).status_code == HTTPStatus.OK  # enrolling verified this session


def test_staff_with_a_device_verify_after_the_password(client, agent, required):
    device, _ = enrolled(agent)
    with later():
        sign_in(client, agent)
        response = client.get("/admin/tickets/ticket/")
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == f"{VERIFY}?next=/admin/tickets/ticket/"
        assert client.get(SETUP)["Location"].startswith(VERIFY)  # no new device without the old one
        answer = client.post(f"{VERIFY}?next=/admin/tickets/ticket/", {"token": totp_code(device)})
    assert answer.status_code == HTTPStatus.FOUND and answer["Location"] == "/admin/tickets/ticket/"
    assert client.get("/admin/tickets/ticket/").status_code == HTTPStatus.OK


def test_a_wrong_code_is_refused_and_the_next_try_must_wait(client, agent, required):
    device, _ = enrolled(agent)
    with later():
        sign_in(client, agent)
        wrong = client.post(VERIFY, {"token": "000000" if totp_code(device) != "000000" else "111111"})
        assert wrong.status_code == HTTPStatus.OK and "not right" in wrong.content.decode()
        too_soon = client.post(VERIFY, {"token": totp_code(device)})  # right, but within the wait
        assert "wait" in too_soon.content.decode()
        assert client.get(ADMIN).status_code == HTTPStatus.FOUND


def test_a_recovery_code_signs_in_once(client, agent, required):
    _, codes = enrolled(agent)
    sign_in(client, agent)
    assert client.post(VERIFY, {"token": codes[0].upper()})["Location"] == reverse("home")
    assert client.get(ADMIN).status_code == HTTPStatus.OK
    client.post(reverse("logout"))
    sign_in(client, agent)
    assert client.post(VERIFY, {"token": codes[0]}).status_code == HTTPStatus.OK  # refused: used
    assert client.get(ADMIN).status_code == HTTPStatus.FOUND
    assert StaticDevice.objects.get(user=agent).token_set.count() == 9


def test_with_the_setting_off_staff_without_a_device_use_the_admin(client, agent, settings):
    settings.STAFF_TWO_FACTOR = False
    client.force_login(agent)
    assert client.get(ADMIN).status_code == HTTPStatus.OK


def test_the_setting_is_on_in_production():
    from tests.config.test_settings import _production_setting

    assert _production_setting("STAFF_TWO_FACTOR") == "True"


def test_a_customer_who_turned_it_on_verifies_and_one_who_did_not_is_not_asked(client, customer, colleague):
    device, _ = enrolled(customer)
    with later():
        sign_in(client, customer)
        assert client.get("/tickets/")["Location"] == f"{VERIFY}?next=/tickets/"
        api = client.get("/api/tickets/")
        assert api.status_code == HTTPStatus.FORBIDDEN and "two-factor" in api.json()["detail"]
        client.post(VERIFY, {"token": totp_code(device)})
        assert client.get("/tickets/").status_code == HTTPStatus.OK
    client.post(reverse("logout"))
    sign_in(client, colleague)
    assert client.get("/tickets/").status_code == HTTPStatus.OK


def test_a_customer_turns_it_on_from_the_profile_and_off_again(client, customer):
    client.force_login(customer)
    assert SETUP in client.get("/profile/").content.decode()
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=customer)
    client.post(SETUP, {"token": totp_code(device)})
    assert "Two-factor sign-in is on" in client.get("/profile/").content.decode()
    assert client.post(reverse("two-factor-off"))["Location"] == reverse("profile")
    assert not TOTPDevice.objects.filter(user=customer).exists()
    assert not StaticDevice.objects.filter(user=customer).exists()


def test_staff_cannot_turn_it_off_while_it_is_required(client, agent, required, verified_login):
    verified_login(client, agent)
    response = client.post(reverse("two-factor-off"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert TOTPDevice.objects.filter(user=agent, confirmed=True).exists()


def test_new_recovery_codes_replace_the_old_ones(client, customer, verified_login):
    verified_login(client, customer)
    old = set(StaticDevice.objects.get(user=customer).token_set.values_list("token", flat=True))
    response = client.post(reverse("two-factor-recovery-codes"))
    new = set(response.context["recovery_codes"])
    assert len(new) == 10 and not new & old
    assert set(StaticDevice.objects.get(user=customer).token_set.values_list("token", flat=True)) == new


def test_the_verified_login_helper_reaches_the_admin(client, agent, required, verified_login):
    verified_login(client, agent)
    assert client.get(ADMIN).status_code == HTTPStatus.OK


def test_an_unverified_staff_session_cannot_make_an_api_token(client, agent, required):
    enrolled(agent)
    sign_in(client, agent)
    client.post(reverse("api-token-create"), {"name": "bypass"})
    assert not ApiToken.objects.filter(user=agent).exists()


def test_device_admins_never_show_a_secret(client, agent, customer, required, verified_login):
    device, codes = enrolled(customer)
    verified_login(client, agent)
    for model in ("otp_totp/totpdevice", "otp_static/staticdevice"):
        changelist = client.get(f"/admin/{model}/")
        assert changelist.status_code == HTTPStatus.OK
        pk = (device if "totp" in model else StaticDevice.objects.get(user=customer)).pk
        page = client.get(f"/admin/{model}/{pk}/change/").content.decode()
        assert device.key not in page and not any(code in page for code in codes)
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == HTTPStatus.FORBIDDEN


def test_api_tokens_in_the_admin_list_and_revoke_without_the_secret(client, agent, customer, verified_login):
    token, key = api_token_create(user=customer, name="ci")
    verified_login(client, agent)
    changelist = client.get("/admin/portal/apitoken/")
    assert changelist.status_code == HTTPStatus.OK
    body = (
        changelist.content.decode()
        + client.get(f"/admin/portal/apitoken/{token.pk}/change/").content.decode()
    )
    assert token.prefix in body and "alice" in body
    assert key not in body and token.digest not in body
    assert client.get("/admin/portal/apitoken/add/").status_code == HTTPStatus.FORBIDDEN
    client.post(
        "/admin/portal/apitoken/",
        {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"},
    )
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_recovery_codes_are_ten_random_words():
    from portal.twofactor import RECOVERY_CODES, new_recovery_codes

    codes = new_recovery_codes()
    assert len(codes) == RECOVERY_CODES == len(set(codes))
    assert all(re.fullmatch(r"[a-z2-7]{8}", code) for code in codes)


def test_demo_staff_has_the_documented_secret_and_codes(db, settings):
    from django.contrib.auth import get_user_model

    from config.demo import DEMO_RECOVERY_CODES, DEMO_TOTP_SECRET, demo_load

    settings.DEBUG = True
    demo_load(out=lambda *_: None)
    staff = get_user_model().objects.get(username="staff")
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    assert base64.b32encode(device.bin_key).decode() == DEMO_TOTP_SECRET
    tokens = set(StaticDevice.objects.get(user=staff).token_set.values_list("token", flat=True))
    assert tokens == set(DEMO_RECOVERY_CODES)
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert DEMO_TOTP_SECRET in readme
    assert DEMO_RECOVERY_CODES[0] in readme and DEMO_RECOVERY_CODES[-1] in readme
