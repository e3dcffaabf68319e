"""Policy editing that cannot lose support by accident (issue 19, point 6): copy the version in
force as a draft, refuse to publish a draft that leaves customers without support, never delete a
published version, and announce a scheduled change on the public policy page."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from policies.models import DurationUnit, PolicyVersion
from policies.selectors import version_in_force
from policies.services import policy_version_copy, policy_version_publish
from tests.factories import StaffFactory

CHANGELIST = reverse("admin:policies_policyversion_changelist")


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


def _copy(client, version) -> PolicyVersion:
    response = client.post(reverse("admin:policies_policyversion_copy", args=[version.pk]))
    assert response.status_code == HTTPStatus.FOUND
    draft = PolicyVersion.objects.get(vendor=version.vendor, published_at__isnull=True)
    assert response["Location"] == reverse("admin:policies_policyversion_change", args=[draft.pk])
    return draft


def _shape(version: PolicyVersion) -> dict:
    """What a version promises, in comparable values (no ids)."""
    return {
        "priorities": sorted(
            (p.code, p.name, p.rank, p.definition, p.examples) for p in version.priorities.all()
        ),
        "targets": sorted(
            (t.priority.code, t.kind, t.duration, t.unit, t.calendar.slug if t.calendar else None)
            for p in version.priorities.all()
            for t in p.targets.select_related("calendar", "priority")
        ),
        "calendars": sorted(
            (
                c.slug,
                c.timezone,
                c.holiday_country,
                c.business_day_hours,
                tuple((w.start_weekday, w.start_time, w.end_weekday, w.end_time) for w in c.windows.all()),
                tuple(d.date for d in c.closed_dates.all()),
            )
            for c in version.calendars.all()
        ),
        "channels": sorted((c.channel, c.note) for c in version.channels.all()),
        "codes": sorted((c.code, c.name) for c in version.resolution_codes.all()),
        "exclusions": sorted((e.code, e.text) for e in version.exclusions.all()),
    }


# ---------------------------------------------------------------------------- copy as new draft


@pytest.mark.parametrize("slug", ["alectrona", "albert", "secpod", "infotecs"])
def test_copy_as_new_draft_holds_everything_the_version_in_force_holds(staff_client, vendors, slug):
    current = version_in_force(vendor=vendors[slug])
    draft = _copy(staff_client, current)
    assert draft.published_at is None
    assert draft.key != current.key
    assert _shape(draft) == _shape(current)
    # The copy's targets use the copy's calendars, never the published version's.
    assert not draft.priorities.filter(targets__calendar__version=current).exists()
    assert draft.effective_from >= timezone.now() + timedelta(days=vendors[slug].change_notice_days)


def test_an_unchanged_copy_publishes_without_reductions(vendors, agent):
    current = version_in_force(vendor=vendors["alectrona"])
    draft = policy_version_copy(version=current)
    published = policy_version_publish(version=draft)
    assert published.published_at is not None
    assert published.reductions_acknowledged_by is None


def test_copy_as_new_draft_from_the_list(staff_client, vendors):
    current = version_in_force(vendor=vendors["secpod"])
    response = staff_client.post(
        CHANGELIST, {"action": "copy_as_draft", ACTION_CHECKBOX_NAME: [current.pk]}, follow=True
    )
    assert response.status_code == HTTPStatus.OK
    assert PolicyVersion.objects.filter(vendor=vendors["secpod"], published_at__isnull=True).count() == 1


def test_the_copy_button_is_on_the_version_page(staff_client, vendors):
    current = version_in_force(vendor=vendors["secpod"])
    page = staff_client.get(reverse("admin:policies_policyversion_change", args=[current.pk]))
    assert reverse("admin:policies_policyversion_copy", args=[current.pk]) in page.content.decode()


def test_a_get_of_the_copy_address_copies_nothing(staff_client, vendors):
    current = version_in_force(vendor=vendors["secpod"])
    staff_client.get(reverse("admin:policies_policyversion_copy", args=[current.pk]))
    assert not PolicyVersion.objects.filter(published_at__isnull=True).exists()


def test_a_customer_cannot_copy_a_version(client, customer, vendors):
    client.force_login(customer)
    current = version_in_force(vendor=vendors["secpod"])
    response = client.post(reverse("admin:policies_policyversion_copy", args=[current.pk]))
    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]
    assert not PolicyVersion.objects.filter(published_at__isnull=True).exists()


# ---------------------------------------------------------------------------- drafts that lose support


def _publish(client, draft, **data):
    url = reverse("admin:policies_policyversion_publish", args=[draft.pk])
    return client.post(url, {"confirm": "yes", "acknowledge": "on", **data})


def test_a_draft_that_drops_a_target_of_a_kept_priority_is_not_published(staff_client, vendors):
    draft = policy_version_copy(version=version_in_force(vendor=vendors["alectrona"]))
    draft.priorities.get(code="high").targets.filter(kind="update").delete()
    response = _publish(staff_client, draft)
    assert response.status_code == HTTPStatus.OK  # acknowledged, and still refused
    content = response.content.decode()
    assert "cannot be published" in content
    assert "High: the version in force promises a update target (12 hours (support hours))" in content
    assert "I acknowledge these reductions" not in content
    draft.refresh_from_db()
    assert draft.published_at is None


def test_a_draft_without_resolution_codes_is_not_published(staff_client, vendors):
    draft = policy_version_copy(version=version_in_force(vendor=vendors["secpod"]))
    draft.resolution_codes.all().delete()
    response = _publish(staff_client, draft)
    assert "Resolution codes" in response.content.decode()
    assert "Add at least one resolution code" in response.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is None


def test_a_business_days_target_without_a_calendar_is_not_published(staff_client, vendors):
    draft = policy_version_copy(version=version_in_force(vendor=vendors["secpod"]))
    low = draft.priorities.get(code="low").targets.get()
    assert low.unit == DurationUnit.BUSINESS_DAYS
    low.calendar = None
    low.save()
    response = _publish(staff_client, draft)
    assert "Low: the first response target counts support hours" in response.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is None


def test_a_calendar_that_is_never_open_is_not_published(staff_client, vendors):
    draft = policy_version_copy(version=version_in_force(vendor=vendors["alectrona"]))
    draft.calendars.get().windows.all().delete()
    response = _publish(staff_client, draft)
    assert "a calendar with no open hours" in response.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is None


def test_the_service_names_the_fields_to_fix(vendors):
    from django.core.exceptions import ValidationError

    draft = policy_version_copy(version=version_in_force(vendor=vendors["alectrona"]))
    draft.resolution_codes.all().delete()
    draft.priorities.get(code="urgent").targets.all().delete()
    with pytest.raises(ValidationError) as error:
        policy_version_publish(version=draft, acknowledged_by=None)
    assert set(error.value.message_dict) == {"priorities", "resolution_codes"}


def test_removing_a_whole_priority_stays_a_reduction_to_acknowledge(staff_client, agent, vendors):
    draft = policy_version_copy(version=version_in_force(vendor=vendors["alectrona"]))
    draft.priorities.get(code="low").delete()
    page = staff_client.post(reverse("admin:policies_policyversion_publish", args=[draft.pk]))
    assert "Priority Low is removed." in page.content.decode()
    assert "I acknowledge these reductions" in page.content.decode()
    _publish(staff_client, draft)
    draft.refresh_from_db()
    assert draft.reductions_acknowledged_by == agent


# ---------------------------------------------------------------------------- never deleted


def test_a_published_version_cannot_be_deleted(staff_client, vendors):
    current = version_in_force(vendor=vendors["albert"])
    scheduled = policy_version_publish(version=policy_version_copy(version=current))
    for version in (current, scheduled):
        url = reverse("admin:policies_policyversion_delete", args=[version.pk])
        assert staff_client.post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
        assert PolicyVersion.objects.filter(pk=version.pk).exists()


def test_the_bulk_delete_refuses_a_selection_with_a_published_version(staff_client, vendors):
    current = version_in_force(vendor=vendors["albert"])
    scheduled = policy_version_publish(version=policy_version_copy(version=current))
    draft = policy_version_copy(version=current)

    def delete(*versions):
        pks = [v.pk for v in versions]
        return staff_client.post(
            CHANGELIST, {"action": "delete_selected", ACTION_CHECKBOX_NAME: pks, "post": "yes"}
        )

    assert delete(scheduled, draft).status_code == HTTPStatus.FORBIDDEN
    assert PolicyVersion.objects.filter(pk__in=[scheduled.pk, draft.pk]).count() == 2
    assert delete(draft).status_code == HTTPStatus.FOUND
    assert not PolicyVersion.objects.filter(pk=draft.pk).exists()
    assert PolicyVersion.objects.filter(pk=scheduled.pk).exists()


def test_a_draft_can_be_deleted(staff_client, vendors):
    draft = policy_version_copy(version=version_in_force(vendor=vendors["albert"]))
    url = reverse("admin:policies_policyversion_delete", args=[draft.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == HTTPStatus.FOUND
    assert not PolicyVersion.objects.filter(pk=draft.pk).exists()


# ---------------------------------------------------------------------------- the public page


def test_the_public_policy_page_announces_a_scheduled_change_with_its_date_and_reductions(client, vendors):
    vendor = vendors["alectrona"]
    draft = policy_version_copy(version=version_in_force(vendor=vendor))
    draft.effective_from = timezone.now() + timedelta(days=10)
    draft.name = "Support Policy 2027"
    draft.save()
    high = draft.priorities.get(code="high").targets.get(kind="first_response")
    high.duration = 4
    high.save()
    policy_version_publish(version=draft, acknowledged_by=StaffFactory())
    content = client.get(reverse("policies:vendor", args=[vendor.slug])).content.decode()
    assert f"A new version takes effect on {draft.effective_from:%-d %B %Y}" in content
    assert "Support Policy 2027" in content
    assert "High: first response goes from 2 hours (support hours) to 4 hours (support hours)." in content


def test_the_public_page_says_nothing_of_a_draft(client, vendors):
    vendor = vendors["alectrona"]
    policy_version_copy(version=version_in_force(vendor=vendor))
    content = client.get(reverse("policies:vendor", args=[vendor.slug])).content.decode()
    assert "A new version takes effect" not in content
