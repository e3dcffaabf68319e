"""Personas shared by every test (healthchecks' Alice/Bob/Charlie, in support-desk words):
`customer` and `colleague` in one organization, `org_admin` of that organization, `outsider`
in another, and `agent` on the staff. The policy catalog is loaded once per test database."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from portal.models import Role
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, StaffFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from policies.services import policy_catalog_load

    with django_db_blocker.unblock():
        policy_catalog_load()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = os.environ.get("TEST_AXES", "") == "1"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _broker_not_paused():
    """A test whose publish failed leaves the outbox's broker pause on for this process; the next
    test starts with the broker trusted again."""
    from portal.outbox import broker_pause

    broker_pause.clear()
    yield
    broker_pause.clear()


def pytest_configure(config):
    """The Russian catalogs' .mo files are build output (`make install`): compiled once here too,
    before any test activates a language, so that a run straight after editing a .po reads it.
    Without gettext's msgfmt the language tests could not run, so the suite refuses to start rather
    than skip them."""
    if not shutil.which("msgfmt"):
        raise pytest.UsageError("gettext's msgfmt is needed to compile the catalogs: install gettext")
    for po in Path(__file__).resolve().parents[1].glob("**/locale/ru/LC_MESSAGES/*.po"):
        if ".venv" not in po.parts:
            subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)


@pytest.fixture(autouse=True)
def _desk_language():
    """A request activates its reader's language for the thread (portal.middleware.UserLanguage) and
    nothing switches it back: each test starts, and leaves the next, in the desk's default."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: throttle counts (API writes, password resets) are keyed
    by user id and address, and the ids of a rolled-back test come back in the next one."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_policy_memos():
    """Each test starts with empty per-process policy memos: the ids of rows a test rolled back
    come back in the next one, so a memo kept across tests would describe rows that are gone."""
    from policies.selectors import forget_version_terms
    from tickets.services.sla import forget_clocks

    forget_version_terms()
    forget_clocks()


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme Analytics", slug="acme", timezone="America/Chicago")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Globex", slug="globex", timezone="Europe/London")


@pytest.fixture
def customer(organization):
    return MembershipFactory(user__username="alice", organization=organization).user


@pytest.fixture
def colleague(organization):
    return MembershipFactory(user__username="bob", organization=organization).user


@pytest.fixture
def org_admin(organization):
    return MembershipFactory(user__username="carol", organization=organization, role=Role.ADMIN).user


@pytest.fixture
def outsider(other_organization):
    return MembershipFactory(user__username="charlie", organization=other_organization).user


@pytest.fixture
def agent(db):
    return StaffFactory(username="agent", first_name="Dana", last_name="Desk")


def totp_code(device) -> str:
    """The code the person's authenticator app shows now for `device` (a TOTPDevice)."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def sign_in(client, user) -> None:
    """Sign in with the password through the sign-in page, as a person does (no second factor yet)."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the sign-in was refused"


@pytest.fixture
def verified_login(db):
    """`verified_login(client, user)`: sign `user` in with the password, enrol a TOTP app if they
    have none, and enter its current code on the verification page, so that the session is verified
    (needed for staff on any page, admin included, when STAFF_TWO_FACTOR is on). Returns the device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.twofactor import totp_device_confirm, totp_device_start

    def login(client, user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = totp_device_start(user=user)
            totp_device_confirm(device=device, token=totp_code(device))
            device.refresh_from_db()
            device.last_t = -1  # the enrolment's code may be entered again, here only
            device.save(update_fields=["last_t"])
        sign_in(client, user)
        response = client.post("/accounts/two-factor/", {"token": totp_code(device)})
        assert response.status_code == 302, "the code was refused"
        return device

    return login


@pytest.fixture
def vendors(db):
    from policies.models import Vendor

    return {v.slug: v for v in Vendor.objects.all()}


# The Infotecs product line and contracts of tests/lifecycle/conftest.py, for every app's tests.
from tests.lifecycle.conftest import (  # noqa: E402, F401
    basic_contract,
    coordinator,
    infotecs,
    premium_contract,
    versions,
)
