"""Reads of policy data used by views, API, admin and other apps."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import PolicyVersion, PriorityLevel, ResponseTarget, SupportCalendar, Vendor

NO_VERSION_IN_FORCE = "{vendor} has no support policy in force at {at:%Y-%m-%d %H:%M} UTC."


def vendor_list() -> QuerySet[Vendor]:
    return Vendor.objects.order_by("name")


def _calendars() -> QuerySet[SupportCalendar]:
    return SupportCalendar.objects.prefetch_related("windows", "closed_dates")


def version_in_force(*, vendor: Vendor, at: datetime | None = None) -> PolicyVersion | None:
    """The one version in force at `at`: the published version with the latest
    effective_from that has been reached (and that was published by then)."""
    at = at or timezone.now()
    return (
        PolicyVersion.objects.in_force(at)
        .filter(vendor=vendor)
        .select_related("vendor")
        .order_by("-effective_from")
        .first()
    )


def version_detail(version: PolicyVersion) -> PolicyVersion:
    """Re-load a version with everything a policy page or API needs, in a fixed number of queries."""
    targets = ResponseTarget.objects.select_related("calendar").prefetch_related(
        "calendar__windows", "calendar__closed_dates"
    )
    return (
        PolicyVersion.objects.select_related("vendor")
        .prefetch_related(
            Prefetch(
                "priorities",
                queryset=PriorityLevel.objects.order_by("rank").prefetch_related(
                    Prefetch("targets", queryset=targets)
                ),
            ),
            Prefetch("calendars", queryset=_calendars()),
            "channels",
            "resolution_codes",
            "exclusions",
        )
        .get(pk=version.pk)
    )


def priority_with_targets(*, version: PolicyVersion, code: str) -> PriorityLevel | None:
    targets = ResponseTarget.objects.prefetch_related(Prefetch("calendar", queryset=_calendars()))
    return (
        PriorityLevel.objects.filter(version=version, code=code)
        .prefetch_related(Prefetch("targets", queryset=targets))
        .first()
    )
