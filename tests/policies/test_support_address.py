"""Each vendor's support address and default email priority are policy data: set in the catalog,
loaded idempotently, shown and edited in admin (SPEC §7)."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from policies.models import Vendor
from policies.selectors import version_in_force
from policies.services import policy_catalog_load

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_every_vendor_has_its_own_support_address_and_an_email_priority_of_its_policy():
    vendors = {v.slug: v for v in Vendor.objects.all()}
    assert {slug: v.support_email for slug, v in vendors.items()} == {
        "alectrona": "alectrona@support.portal.test",
        "secpod": "secpod@support.portal.test",
        "albert": "albert@support.portal.test",
        "infotecs": "infotecs@support.portal.test",
    }
    for vendor in vendors.values():
        codes = set(version_in_force(vendor=vendor, at=NOW).priorities.values_list("code", flat=True))
        assert vendor.email_priority in codes, vendor.slug


def test_loading_again_restores_the_catalog_address_in_place():
    vendor = Vendor.objects.get(slug="secpod")
    Vendor.objects.filter(pk=vendor.pk).update(support_email="old@support.portal.test", email_priority="")
    policy_catalog_load()
    vendor.refresh_from_db()
    assert (vendor.support_email, vendor.email_priority) == ("secpod@support.portal.test", "normal")
    assert Vendor.objects.filter(slug="secpod").count() == 1


def test_two_vendors_cannot_share_a_support_address():
    albert = Vendor.objects.get(slug="albert")
    albert.support_email = "alectrona@support.portal.test"
    with pytest.raises(ValidationError) as error:
        albert.full_clean()
    assert "support_email" in str(error.value) or "__all__" in error.value.message_dict


def test_admin_lists_and_edits_the_support_address(client, agent):
    client.force_login(agent)
    changelist = client.get(reverse("admin:policies_vendor_changelist"))
    assert changelist.status_code == HTTPStatus.OK
    assert "alectrona@support.portal.test" in changelist.text
    vendor = Vendor.objects.get(slug="alectrona")
    change = client.get(reverse("admin:policies_vendor_change", args=[vendor.pk]))
    assert 'name="support_email"' in change.text and 'name="email_priority"' in change.text
