"""Policies as data: the catalog loader, versions in force, notice rules, materiality."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from policies.models import (
    CalendarWindow,
    PolicyChannel,
    PolicyVersion,
    PriorityLevel,
    ResponseTarget,
    SupportCalendar,
    Vendor,
)
from policies.selectors import version_in_force, version_terms
from policies.services import (
    REDUCTIONS_NOT_ACKNOWLEDGED,
    policy_catalog_load,
    policy_version_publish,
    policy_version_reductions,
    sla_preview,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Vendor, PolicyVersion, PriorityLevel, ResponseTarget, SupportCalendar, CalendarWindow)
    }


def test_catalog_loads_the_four_vendors_with_their_priority_codes():
    codes = {
        v.slug: list(
            version_in_force(vendor=v, at=NOW).priorities.order_by("rank").values_list("code", flat=True)
        )
        for v in Vendor.objects.all()
    }
    assert codes == {
        "alectrona": ["urgent", "high", "medium", "low"],
        "secpod": ["critical", "high", "normal", "low"],
        "albert": ["urgent", "high", "medium", "low"],
        "infotecs": ["critical", "normal"],
    }


def test_loading_the_catalog_twice_duplicates_and_loses_nothing():
    before = _counts()
    policy_catalog_load()
    assert _counts() == before


def test_loading_again_keeps_the_rows_tickets_point_at():
    priority = PriorityLevel.objects.get(version__vendor__slug="alectrona", code="high")
    policy_catalog_load()
    assert PriorityLevel.objects.filter(pk=priority.pk).exists()


@pytest.mark.parametrize(
    ("slug", "code", "expected"),
    [
        # Alectrona: first response and update, both on Mon–Fri 09:00–17:30 Eastern.
        ("alectrona", "low", {"first_response": 8, "update": 32}),
        ("alectrona", "medium", {"first_response": 4, "update": 24}),
        ("alectrona", "high", {"first_response": 2, "update": 12}),
        ("alectrona", "urgent", {"first_response": 1, "update": 4}),
        # SecPod: 24×7 except Low = 2 business days of 24 h on the Kolkata calendar.
        ("secpod", "critical", {"first_response": 2}),
        ("secpod", "high", {"first_response": 6}),
        ("secpod", "normal", {"first_response": 12}),
        ("secpod", "low", {"first_response": 48}),
        # Albert: urgent/high on 24×7; medium 10 business days of 24 h support time; low none.
        ("albert", "urgent", {"first_response": 8}),
        ("albert", "high", {"first_response": 24}),
        ("albert", "medium", {"first_response": 240}),
        ("albert", "low", {}),
        # Infotecs: targets come only from contracts.
        ("infotecs", "critical", {}),
        ("infotecs", "normal", {}),
    ],
)
def test_each_seed_priority_has_the_policy_targets(vendors, slug, code, expected):
    preview = sla_preview(vendor=vendors[slug], priority_code=code, opened_at=NOW)
    assert {t.kind: t.duration_hours for t in preview.targets} == expected


@pytest.mark.parametrize(
    ("slug", "code", "clocks"),
    [
        ("alectrona", "high", {"first_response": "business", "update": "business"}),
        ("secpod", "critical", {"first_response": "24x7"}),
        ("secpod", "low", {"first_response": "business"}),
        ("albert", "urgent", {"first_response": "24x7"}),
        ("albert", "medium", {"first_response": "business"}),
    ],
)
def test_each_target_runs_on_the_clock_the_policy_names(vendors, slug, code, clocks):
    preview = sla_preview(vendor=vendors[slug], priority_code=code, opened_at=NOW)
    assert {t.kind: t.clock for t in preview.targets} == clocks


def _draft(vendor: Vendor, *, key: str, effective_from: datetime) -> PolicyVersion:
    current = version_in_force(vendor=vendor, at=NOW)
    draft = PolicyVersion.objects.create(
        vendor=vendor, key=key, name=current.name, effective_from=effective_from
    )
    for channel in current.channels.all():
        PolicyChannel.objects.create(version=draft, channel=channel.channel)
    for code in current.resolution_codes.all():
        draft.resolution_codes.create(code=code.code, name=code.name)
    calendars = {}
    for calendar in current.calendars.all():
        copy = SupportCalendar.objects.create(
            version=draft,
            slug=calendar.slug,
            name=calendar.name,
            timezone=calendar.timezone,
            business_day_hours=calendar.business_day_hours,
            holiday_country=calendar.holiday_country,
        )
        for w in calendar.windows.all():
            CalendarWindow.objects.create(
                calendar=copy,
                start_weekday=w.start_weekday,
                start_time=w.start_time,
                end_weekday=w.end_weekday,
                end_time=w.end_time,
            )
        calendars[calendar.pk] = copy
    for priority in current.priorities.all():
        new = PriorityLevel.objects.create(
            version=draft,
            code=priority.code,
            name=priority.name,
            rank=priority.rank,
            definition=priority.definition,
        )
        for t in priority.targets.all():
            ResponseTarget.objects.create(
                priority=new,
                kind=t.kind,
                duration=t.duration,
                unit=t.unit,
                calendar=calendars.get(t.calendar_id),
            )
    return draft


def test_alectrona_version_taking_effect_within_seven_days_is_rejected(vendors, agent):
    draft = _draft(vendors["alectrona"], key="2026-12", effective_from=NOW + timedelta(days=6, hours=23))
    with pytest.raises(ValidationError) as error:
        policy_version_publish(version=draft, published_at=NOW)
    assert "effective_from" in error.value.message_dict
    assert "7 days" in error.value.message_dict["effective_from"][0]
    draft.refresh_from_db()
    assert draft.published_at is None


def test_alectrona_version_seven_days_ahead_is_published_and_takes_over_then(vendors):
    effective = NOW + timedelta(days=7)
    draft = _draft(vendors["alectrona"], key="2026-12", effective_from=effective)
    policy_version_publish(version=draft, published_at=NOW)
    assert (
        version_in_force(vendor=vendors["alectrona"], at=effective - timedelta(seconds=1)).key == "2022-06-15"
    )
    assert version_in_force(vendor=vendors["alectrona"], at=effective).key == "2026-12"


def test_publishing_twice_is_a_no_op(vendors):
    draft = _draft(vendors["alectrona"], key="2026-12", effective_from=NOW + timedelta(days=8))
    first = policy_version_publish(version=draft, published_at=NOW)
    again = policy_version_publish(version=draft, published_at=NOW + timedelta(days=1))
    assert again.published_at == first.published_at == NOW


def test_an_unpublished_draft_is_never_in_force(vendors):
    _draft(vendors["secpod"], key="draft", effective_from=NOW - timedelta(days=1))
    assert version_in_force(vendor=vendors["secpod"], at=NOW).key == "sla-1"


def test_materiality_check_lists_every_reduction(vendors):
    draft = _draft(vendors["alectrona"], key="2027", effective_from=NOW + timedelta(days=10))
    ResponseTarget.objects.filter(
        priority__version=draft, priority__code="urgent", kind="first_response"
    ).update(duration=Decimal("2"))
    PriorityLevel.objects.filter(version=draft, code="low").delete()
    PolicyChannel.objects.filter(version=draft, channel="chat").delete()
    CalendarWindow.objects.filter(calendar__version=draft, start_weekday=4).delete()  # no more Fridays
    current = version_in_force(vendor=vendors["alectrona"], at=NOW)
    reductions = policy_version_reductions(draft=draft, current=current)
    assert any("Urgent" in r and "first response" in r for r in reductions)
    assert any("Priority Low is removed" in r for r in reductions)
    assert any("Chat" in r for r in reductions)
    assert any("support hours go from 42.5 to 34" in r for r in reductions)
    assert len(reductions) == 4


def test_a_reducing_version_needs_acknowledgement_before_publishing(vendors, agent):
    draft = _draft(vendors["alectrona"], key="2027", effective_from=NOW + timedelta(days=10))
    PolicyChannel.objects.filter(version=draft, channel="chat").delete()
    with pytest.raises(ValidationError) as error:
        policy_version_publish(version=draft, published_at=NOW)
    assert error.value.message_dict["reductions"] == [REDUCTIONS_NOT_ACKNOWLEDGED]
    published = policy_version_publish(version=draft, published_at=NOW, acknowledged_by=agent)
    assert published.reductions_acknowledged_by == agent


def test_an_identical_version_has_no_reductions(vendors):
    draft = _draft(vendors["albert"], key="2027", effective_from=NOW + timedelta(days=10))
    current = version_in_force(vendor=vendors["albert"], at=NOW)
    assert policy_version_reductions(draft=draft, current=current) == []


def test_a_published_versions_terms_are_read_once(vendors, django_assert_num_queries):
    version = version_in_force(vendor=vendors["infotecs"], at=NOW)
    with django_assert_num_queries(3):  # priorities, their targets with calendars, exclusions
        first = version_terms(version)
    with django_assert_num_queries(0):
        again = version_terms(version)

    assert again is first
    assert set(first.priorities) == set(version.priorities.values_list("code", flat=True))
    assert "unlicensed" in first.exclusions
    critical = first.priorities["critical"]
    assert [t.pk for t in first.targets_of(critical)] == list(
        critical.targets.order_by("kind").values_list("pk", flat=True)
    )


def test_the_version_in_force_is_asked_each_time_and_its_row_read_once(vendors, django_assert_num_queries):
    # Issue 24: which version is in force is one key from the index; the published row is a record.
    with django_assert_num_queries(1):
        first = version_in_force(vendor=vendors["infotecs"], at=NOW)
    with django_assert_num_queries(1) as asked:
        again = version_in_force(vendor=vendors["infotecs"], at=NOW)

    assert "source_text" not in asked.captured_queries[0]["sql"]  # its key only, not the row

    assert again == first and again is not first  # each caller its own copy
    assert again.vendor is vendors["infotecs"]
    again.name = "changed by one caller"
    assert version_in_force(vendor=vendors["infotecs"], at=NOW).name == first.name


def test_a_version_published_later_is_in_force_at_once(vendors, agent):
    albert = vendors["albert"]
    before = version_in_force(vendor=albert, at=NOW)
    draft = _draft(albert, key="2027", effective_from=NOW + timedelta(days=10))
    assert version_in_force(vendor=albert, at=NOW + timedelta(days=11)) == before
    policy_version_publish(version=draft, published_at=NOW, acknowledged_by=agent)

    assert version_in_force(vendor=albert, at=NOW + timedelta(days=11)) == draft
    assert version_in_force(vendor=albert, at=NOW) == before


def test_a_drafts_terms_are_read_afresh_until_it_is_published(vendors, agent):
    draft = _draft(vendors["albert"], key="2027", effective_from=NOW + timedelta(days=10))
    before = version_terms(draft)
    PriorityLevel.objects.filter(version=draft, code="low").delete()

    assert "low" in before.priorities
    assert "low" not in version_terms(draft).priorities
    published = policy_version_publish(version=draft, published_at=NOW, acknowledged_by=agent)
    assert version_terms(published) is version_terms(published)
