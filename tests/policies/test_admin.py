"""Policy data in admin: readable pages, the version in force marked, publishing with the
materiality check and the notice period enforced by policies.services."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from policies.models import PolicyVersion, PriorityLevel, ResponseTarget, SupportCalendar, Vendor
from policies.selectors import version_in_force

CHANGELIST = reverse("admin:policies_policyversion_changelist")


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


@pytest.mark.parametrize(
    ("model", "term"),
    [
        ("policies_vendor", "secpod"),
        ("policies_policyversion", "albert"),
        ("policies_prioritylevel", "urgent"),
        ("policies_supportcalendar", "Kolkata"),
    ],
)
def test_changelist_search_and_add_render(staff_client, model, term):
    changelist = staff_client.get(reverse(f"admin:{model}_changelist"))
    assert changelist.status_code == HTTPStatus.OK
    search = staff_client.get(reverse(f"admin:{model}_changelist"), {"q": term})
    assert search.status_code == HTTPStatus.OK
    assert search.context["cl"].result_count >= 1
    assert staff_client.get(reverse(f"admin:{model}_add")).status_code == HTTPStatus.OK


def test_change_pages_render_with_summaries(staff_client, vendors):
    version = vendors["alectrona"].versions.get()
    page = staff_client.get(
        reverse("admin:policies_policyversion_change", args=[version.pk])
    ).content.decode()
    assert "4 hours (support hours)" in page  # Medium first response, in the per-priority summary
    calendar = version.calendars.get()
    page = staff_client.get(
        reverse("admin:policies_supportcalendar_change", args=[calendar.pk])
    ).content.decode()
    assert "Monday to Friday, 09:00–17:30, America/New_York local time" in page
    priority = version.priorities.get(code="urgent")
    response = staff_client.get(reverse("admin:policies_prioritylevel_change", args=[priority.pk]))
    assert response.status_code == HTTPStatus.OK
    vendor = vendors["alectrona"]
    assert staff_client.get(reverse("admin:policies_vendor_change", args=[vendor.pk])).status_code == 200
    history = staff_client.get(reverse("admin:policies_policyversion_history", args=[version.pk]))
    assert history.status_code == HTTPStatus.OK


def test_published_version_is_read_only(staff_client, vendors):
    version = vendors["secpod"].versions.get()
    response = staff_client.get(reverse("admin:policies_policyversion_change", args=[version.pk]))
    form = response.context["adminform"].form
    assert "effective_from" not in form.fields
    # Every part of the version is still shown (SecPod's four priorities, its calendar), and none
    # of it can be changed, added to or deleted.
    inlines = response.context["inline_admin_formsets"]
    rows = {type(inline.opts).__name__: len(inline.formset.forms) for inline in inlines}
    assert (rows.get("PriorityLevelInline"), rows.get("SupportCalendarInline")) == (4, 1)
    permissions = [(i.has_add_permission, i.has_change_permission, i.has_delete_permission) for i in inlines]
    assert set(permissions) == {(False, False, False)}


def test_in_force_column_and_filter(staff_client, vendors):
    now = timezone.now()
    draft = PolicyVersion.objects.create(
        vendor=vendors["secpod"], key="next", name="Next", effective_from=now + timedelta(days=30)
    )
    response = staff_client.get(CHANGELIST, {"in_force": "yes"})
    in_force = set(response.context["cl"].result_list)
    assert in_force == {v.versions.get(published_at__isnull=False) for v in vendors.values()}
    assert draft not in in_force
    assert set(staff_client.get(CHANGELIST, {"in_force": "draft"}).context["cl"].result_list) == {draft}
    content = staff_client.get(CHANGELIST).content.decode()
    assert content.count('alt="True"') == len(vendors)


def test_in_force_reads_the_same_in_the_column_the_filter_and_version_in_force(staff_client, db):
    now = timezone.now()
    vendor = Vendor.objects.create(slug="acme", name="Acme", ticket_prefix="ACM")

    def version(key, *, published, effective):
        return PolicyVersion.objects.create(
            vendor=vendor, key=key, name=key, published_at=now + published, effective_from=now + effective
        )

    # "spring" took effect 60 days ago; "late" was published later (10 days ago) but backdated to
    # take effect 90 days ago, before "spring": the latest effective one still rules.
    spring = version("spring", published=timedelta(days=-100), effective=timedelta(days=-60))
    late = version("late", published=timedelta(days=-10), effective=timedelta(days=-90))
    # Published, not yet effective; and effective on paper but published only tomorrow.
    coming = version("coming", published=timedelta(days=-1), effective=timedelta(days=30))
    unannounced = version("unannounced", published=timedelta(days=1), effective=timedelta(days=-1))

    assert version_in_force(vendor=vendor) == spring
    listed = staff_client.get(CHANGELIST, {"vendor__id__exact": vendor.pk}).context["cl"].result_list
    assert {v.key: v.is_in_force for v in listed} == {
        "spring": True,
        "late": False,
        "coming": False,
        "unannounced": False,
    }
    filtered = staff_client.get(CHANGELIST, {"vendor__id__exact": vendor.pk, "in_force": "yes"})
    assert list(filtered.context["cl"].result_list) == [spring]
    scheduled = staff_client.get(CHANGELIST, {"vendor__id__exact": vendor.pk, "in_force": "scheduled"})
    assert set(scheduled.context["cl"].result_list) == {coming, unannounced}
    assert late not in scheduled.context["cl"].result_list
    # A day after "unannounced" is published, it rules everywhere (effective later than "spring").
    tomorrow = now + timedelta(days=2)
    assert version_in_force(vendor=vendor, at=tomorrow) == unannounced
    assert list(PolicyVersion.objects.filter(vendor=vendor).in_force(tomorrow)) == [unannounced]


# ---------------------------------------------------------------------------- publishing


def _draft_with_fewer_priorities(vendor: Vendor, *, days: int) -> PolicyVersion:
    """A draft for `vendor` that keeps only its most severe priority (with the same targets):
    every other priority is a reduction."""
    current = vendor.versions.get()
    draft = PolicyVersion.objects.create(
        vendor=vendor, key="v2", name="Version 2", effective_from=timezone.now() + timedelta(days=days)
    )
    for channel in current.channels.all():
        draft.channels.create(channel=channel.channel, note=channel.note)
    for code in current.resolution_codes.all():
        draft.resolution_codes.create(code=code.code, name=code.name)
    calendars = {}
    for calendar in current.calendars.all():
        windows, closed = list(calendar.windows.all()), list(calendar.closed_dates.all())
        old_pk = calendar.pk
        calendar.pk, calendar.version = None, draft
        calendar.save()
        calendars[old_pk] = calendar
        for window in windows:
            window.pk, window.calendar = None, calendar
            window.save()
        for day in closed:
            day.pk, day.calendar = None, calendar
            day.save()
    top = current.priorities.order_by("rank").first()
    copy = PriorityLevel.objects.create(
        version=draft, code=top.code, name=top.name, rank=1, definition=top.definition
    )
    for target in top.targets.all():
        ResponseTarget.objects.create(
            priority=copy,
            kind=target.kind,
            duration=target.duration,
            unit=target.unit,
            calendar=calendars.get(target.calendar_id),
        )
    return draft


def publish_action(client, version, **data):
    return client.post(CHANGELIST, {"action": "publish_versions", ACTION_CHECKBOX_NAME: [version.pk], **data})


def test_publish_with_reductions_asks_for_acknowledgement(staff_client, agent, vendors):
    draft = _draft_with_fewer_priorities(vendors["secpod"], days=1)

    page = publish_action(staff_client, draft)
    assert page.status_code == HTTPStatus.OK
    assert "Priority High is removed." in page.content.decode()
    assert "I acknowledge these reductions" in page.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is None

    publish_action(staff_client, draft, confirm="yes")  # confirmed, but the box is not ticked
    draft.refresh_from_db()
    assert draft.published_at is None

    publish_action(staff_client, draft, confirm="yes", acknowledge="on")
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.reductions_acknowledged_by == agent


def test_publish_button_confirms_then_publishes(staff_client, agent, vendors):
    draft = _draft_with_fewer_priorities(vendors["secpod"], days=1)
    url = reverse("admin:policies_policyversion_publish", args=[draft.pk])
    change_page = staff_client.get(reverse("admin:policies_policyversion_change", args=[draft.pk]))
    assert url in change_page.content.decode()

    assert staff_client.get(url).status_code == HTTPStatus.OK
    draft.refresh_from_db()
    assert draft.published_at is None

    response = staff_client.post(url, {"confirm": "yes", "acknowledge": "on"})
    assert response.status_code == HTTPStatus.FOUND
    draft.refresh_from_db()
    assert draft.reductions_acknowledged_by == agent


def test_publish_without_reductions_needs_no_confirmation(staff_client):
    vendor = Vendor.objects.create(slug="newco", name="NewCo", ticket_prefix="NEW")
    draft = PolicyVersion.objects.create(vendor=vendor, key="v1", name="First", effective_from=timezone.now())
    response = publish_action(staff_client, draft)
    assert response.status_code == HTTPStatus.FOUND
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.reductions_acknowledged_by is None


def test_notice_period_error_is_shown_and_nothing_is_published(staff_client, vendors):
    # Alectrona promises a week's notice; this draft would take effect in 2 days.
    draft = _draft_with_fewer_priorities(vendors["alectrona"], days=2)
    response = publish_action(staff_client, draft, confirm="yes", acknowledge="on")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("no sooner than 7 days" in m for m in messages)
    draft.refresh_from_db()
    assert draft.published_at is None
    assert draft.reductions_acknowledged_by is None


def test_calendar_of_a_draft_is_editable(staff_client, vendors):
    draft = _draft_with_fewer_priorities(vendors["albert"], days=1)
    calendar = SupportCalendar.objects.filter(version=draft).first()
    response = staff_client.get(reverse("admin:policies_supportcalendar_change", args=[calendar.pk]))
    assert "timezone" in response.context["adminform"].form.fields
