"""The public policy API: vendors, the policy in force, and the SLA preview with deadlines a
reader can check by hand against each seed policy."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from policies.models import Vendor


def preview(**params):
    return APIClient().get(reverse("api:sla-preview") + "?" + urlencode(params))


def test_vendor_list_is_public(db):
    response = APIClient().get(reverse("api:vendor-list"))

    assert response.status_code == HTTPStatus.OK
    assert [v["slug"] for v in response.json()] == ["albert", "alectrona", "infotecs", "secpod"]
    alectrona = response.json()[1]
    assert alectrona == {
        "slug": "alectrona",
        "name": "Alectrona",
        "ticket_prefix": "ALC",
        "change_notice_days": 7,
    }


def test_public_endpoints_ignore_a_bad_token(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get(reverse("api:vendor-list")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:vendor-policy", args=["albert"])).status_code == HTTPStatus.OK


def test_vendor_policy_shows_priorities_targets_and_hours(db):
    response = APIClient().get(reverse("api:vendor-policy", args=["alectrona"]))

    assert response.status_code == HTTPStatus.OK
    policy = response.json()
    assert policy["vendor"]["slug"] == "alectrona"
    assert policy["effective_from"].endswith("+00:00")
    assert [p["code"] for p in policy["priorities"]] == ["urgent", "high", "medium", "low"]
    medium = policy["priorities"][2]
    assert [(t["kind"], t["duration_hours"], t["clock"]) for t in medium["targets"]] == [
        ("first_response", 4.0, "business"),
        ("update", 24.0, "business"),
    ]
    (calendar,) = policy["calendars"]
    assert calendar["timezone"] == "America/New_York"
    assert len(calendar["windows"]) == 5
    assert {r["code"] for r in policy["resolution_codes"]} >= {"workaround", "upgrade"}


def test_albert_low_has_no_contractual_target_in_the_policy(db):
    policy = APIClient().get(reverse("api:vendor-policy", args=["albert"])).json()

    low = next(p for p in policy["priorities"] if p["code"] == "low")
    assert low["targets"] == []


def test_unknown_vendor_policy_is_404(db):
    response = APIClient().get(reverse("api:vendor-policy", args=["acme-soft"]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_malformed_vendor_slug_is_the_apis_json_404(db):
    response = APIClient().get("/api/vendors/%C3%A9%20x/policy/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"


PREVIEWS = [
    # Alectrona: Mon–Fri 09:00–17:30 America/New_York, business day 8.5 h; DST began Sun 8 Mar 2026.
    # Medium opened Fri 6 Mar 16:00 EST. First response 4 h: Fri 16:00–17:30 is 1.5 h, the other
    # 2.5 h from Mon 09:00 EDT → Mon 9 Mar 11:30 EDT = 15:30Z (EDT is UTC-4 after the change).
    # Update 24 h: Fri 1.5 + Mon 8.5 + Tue 8.5 = 18.5 h, then 5.5 h on Wed → Wed 11 Mar 14:30 EDT = 18:30Z.
    (
        "alectrona",
        "medium",
        "2026-03-06T16:00:00-05:00",
        [("first_response", "2026-03-09T15:30:00+00:00"), ("update", "2026-03-11T18:30:00+00:00")],
    ),
    # High opened Fri 27 Nov 15:30 EST: 2 h end exactly at Friday's close, 17:30 EST = 22:30Z (the
    # close itself, not Monday's opening). Update 12 h: Fri 2 + Mon 8.5 = 10.5 h, 1.5 h on Tue →
    # Tue 1 Dec 10:30 EST = 15:30Z. No holiday set: the day after Thanksgiving counts.
    (
        "alectrona",
        "high",
        "2026-11-27T15:30:00-05:00",
        [("first_response", "2026-11-27T22:30:00+00:00"), ("update", "2026-12-01T15:30:00+00:00")],
    ),
    # Urgent opened Sat 28 Nov 10:00 EST: outside the windows, counts from Mon 09:00 EST.
    # 1 h → Mon 30 Nov 10:00 EST = 15:00Z; update 4 h → 13:00 EST = 18:00Z.
    (
        "alectrona",
        "urgent",
        "2026-11-28T10:00:00-05:00",
        [("first_response", "2026-11-30T15:00:00+00:00"), ("update", "2026-11-30T18:00:00+00:00")],
    ),
    # SecPod Low: 2 business days = 48 h of Mon–Fri 00:00–24:00 Asia/Kolkata (UTC+5:30, no DST).
    # Opened Fri 20 Nov 10:00 IST: Fri 14 h + Mon 24 h = 38 h, 10 h on Tue → Tue 24 Nov 10:00 IST = 04:30Z.
    ("secpod", "low", "2026-11-20T10:00:00+05:30", [("first_response", "2026-11-24T04:30:00+00:00")]),
    # SecPod Critical: 2 h on the 24×7 clock: Fri 10:00 IST + 2 h = 12:00 IST = 06:30Z.
    ("secpod", "critical", "2026-11-20T10:00:00+05:30", [("first_response", "2026-11-20T06:30:00+00:00")]),
    # Albert Medium: 10 business days × 24 h = 240 h of support time, Sun 19:30 → Fri 19:30
    # America/Los_Angeles (PST, UTC-8), US federal holidays closed all day. Opened Wed 25 Nov 10:00 PST:
    #   Wed 25 10:00–24:00           14.0 h   (14.0)
    #   Thu 26 Thanksgiving          closed
    #   Fri 27 00:00–19:30           19.5 h   (33.5)
    #   Sun 29 19:30–24:00            4.5 h   (38.0)
    #   Mon 30 Nov – Thu 3 Dec  4 × 24.0 h   (134.0)
    #   Fri 4 Dec 00:00–19:30        19.5 h   (153.5)
    #   Sun 6 Dec 19:30–24:00         4.5 h   (158.0)
    #   Mon 7 – Wed 9 Dec       3 × 24.0 h   (230.0)
    #   Thu 10 Dec 00:00–10:00       10.0 h   (240.0)  → Thu 10 Dec 10:00 PST = 18:00Z.
    ("albert", "medium", "2026-11-25T10:00:00-08:00", [("first_response", "2026-12-10T18:00:00+00:00")]),
    # Albert Urgent: 8 h on the 24×7 clock, Thanksgiving or not: 18:00Z + 8 h = Thu 26 Nov 02:00Z.
    ("albert", "urgent", "2026-11-25T10:00:00-08:00", [("first_response", "2026-11-26T02:00:00+00:00")]),
    # Albert Low ("ordinary course of business") and Infotecs (targets come from contracts): none.
    ("albert", "low", "2026-11-25T10:00:00-08:00", []),
    ("infotecs", "normal", "2026-11-25T10:00:00+03:00", []),
    ("infotecs", "critical", "2026-11-25T10:00:00+03:00", []),
]


@pytest.mark.parametrize(("vendor", "priority", "opened_at", "expected"), PREVIEWS)
def test_sla_preview_deadlines(db, vendor, priority, opened_at, expected):
    response = preview(vendor=vendor, priority=priority, opened_at=opened_at)

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert [(t["kind"], t["due_at"]) for t in body["targets"]] == expected
    assert (body["vendor"], body["priority"]) == (vendor, priority)


def test_sla_preview_shape(db):
    body = preview(vendor="alectrona", priority="medium", opened_at="2026-03-06T16:00:00-05:00").json()

    assert body == {
        "vendor": "alectrona",
        "priority": "medium",
        "opened_at": "2026-03-06T21:00:00+00:00",
        "policy_version": Vendor.objects.get(slug="alectrona").versions.get().key,
        "targets": [
            {
                "kind": "first_response",
                "duration_hours": 4.0,
                "clock": "business",
                "due_at": "2026-03-09T15:30:00+00:00",
            },
            {
                "kind": "update",
                "duration_hours": 24.0,
                "clock": "business",
                "due_at": "2026-03-11T18:30:00+00:00",
            },
        ],
    }


def test_an_unencoded_plus_in_the_offset_is_read_as_plus(db):
    # "?opened_at=2026-11-20T10:00:00+05:30" typed into a browser sends the "+" as a space.
    response = APIClient().get(
        reverse("api:sla-preview") + "?vendor=secpod&priority=critical&opened_at=2026-11-20T10:00:00+05:30"
    )

    assert response.json()["opened_at"] == "2026-11-20T04:30:00+00:00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"vendor": "acme-soft", "priority": "low", "opened_at": "2026-11-25T10:00:00Z"}, "vendor"),
        ({"vendor": "albert", "priority": "p1", "opened_at": "2026-11-25T10:00:00Z"}, "priority"),
        ({"vendor": "infotecs", "priority": "urgent", "opened_at": "2026-11-25T10:00:00Z"}, "priority"),
        ({"vendor": "albert", "priority": "low"}, "opened_at"),
        ({"vendor": "albert", "priority": "low", "opened_at": "next tuesday"}, "opened_at"),
        ({"vendor": "albert", "priority": "low", "opened_at": "2026-11-25T10:00:00"}, "opened_at"),
        ({"vendor": "albert", "priority": "low", "opened_at": "2026-11-25"}, "opened_at"),
        # Before Alectrona's first policy took effect (15 Jun 2022): nothing to measure against.
        ({"vendor": "alectrona", "priority": "low", "opened_at": "2021-01-04T10:00:00Z"}, "opened_at"),
        # Far dates would overflow the deadline arithmetic: refused, not a server error.
        (
            {"vendor": "alectrona", "priority": "medium", "opened_at": "9999-12-31T23:59:59-05:00"},
            "opened_at",
        ),
        (
            {"vendor": "alectrona", "priority": "medium", "opened_at": "0001-01-01T00:00:00+05:00"},
            "opened_at",
        ),
        ({"priority": "low", "opened_at": "2026-11-25T10:00:00Z"}, "vendor"),
    ],
)
def test_sla_preview_refusals_name_the_field(db, params, field):
    response = preview(**params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == [field]


# Each seed policy's targets per priority, as the README's table states them.
POLICY_TARGETS = {
    "alectrona": {
        "urgent": ["1 hour (support hours)", "4 hours (support hours)"],
        "high": ["2 hours (support hours)", "12 hours (support hours)"],
        "medium": ["4 hours (support hours)", "24 hours (support hours)"],
        "low": ["8 hours (support hours)", "32 hours (support hours)"],
    },
    "secpod": {
        "critical": ["2 hours (24×7)"],
        "high": ["6 hours (24×7)"],
        "normal": ["12 hours (24×7)"],
        "low": ["2 business days (support hours)"],
    },
    "albert": {
        "urgent": ["8 hours (24×7)"],
        "high": ["24 hours (24×7)"],
        "medium": ["10 business days (support hours)"],
        "low": [],
    },
    "infotecs": {"critical": [], "normal": []},
}


@pytest.mark.parametrize("slug", list(POLICY_TARGETS))
def test_policy_in_force_costs_the_same_queries_whatever_its_targets(
    db, client, slug, django_assert_max_num_queries
):
    # Alectrona has eight calendar targets, Infotecs none: the prefetches must not grow with them.
    with django_assert_max_num_queries(13):
        response = client.get(f"/api/vendors/{slug}/policy/")
    assert response.status_code == HTTPStatus.OK
    priorities = response.json()["priorities"]
    assert {p["code"]: [t["text"] for t in p["targets"]] for p in priorities} == POLICY_TARGETS[slug]
