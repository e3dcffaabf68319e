"""Reads of policy data used by views, API, admin and other apps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import Exclusion, PolicyVersion, PriorityLevel, ResponseTarget, SupportCalendar, Vendor

NO_VERSION_IN_FORCE = "{vendor} has no support policy in force at {at:%Y-%m-%d %H:%M} UTC."


def vendor_list() -> QuerySet[Vendor]:
    return Vendor.objects.order_by("name")


def _calendars() -> QuerySet[SupportCalendar]:
    return SupportCalendar.objects.prefetch_related("windows", "closed_dates")


def version_in_force(*, vendor: Vendor, at: datetime | None = None) -> PolicyVersion | None:
    """The one version in force at `at`: the published version with the latest
    effective_from that has been reached (and that was published by then)."""
    at = at or timezone.now()
    # One row at most; the order only spares first() the model's ordering (a join on vendor).
    version = PolicyVersion.objects.in_force(at).filter(vendor=vendor).order_by("-effective_from").first()
    if version is not None:
        version.vendor = vendor  # the caller's row: no join to read it again
    return version


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


@dataclass(frozen=True)
class VersionTerms:
    """What one version promises that every case opened under it reads: its priorities by code,
    each priority's targets (with their calendars, in kind order) and its exclusion codes."""

    priorities: dict[str, PriorityLevel]
    targets: dict[int, tuple[ResponseTarget, ...]]  # by priority id
    exclusions: frozenset[str]

    def targets_of(self, priority: PriorityLevel) -> tuple[ResponseTarget, ...]:
        return self.targets.get(priority.pk, ())


_published_terms: dict[int, VersionTerms] = {}


def version_terms(version: PolicyVersion) -> VersionTerms:
    """The version's terms, read once per process for a published version: it is a record
    that nothing edits (the admin shows it and its rows read-only), so what was read stays
    true. A draft's terms are read afresh each time. `loadpolicies` rewriting a published
    version in place is a deployment step: restart the web and worker processes after it."""
    terms = _published_terms.get(version.pk)
    if terms is None:
        terms = _read_terms(version)
        if version.is_published:
            _published_terms[version.pk] = terms
    return terms


def forget_version_terms() -> None:
    """Tests start each case with an empty memo: their rolled-back rows' ids come back."""
    _published_terms.clear()


def _read_terms(version: PolicyVersion) -> VersionTerms:
    priorities = list(
        PriorityLevel.objects.filter(version=version).prefetch_related(
            Prefetch("targets", queryset=ResponseTarget.objects.select_related("calendar").order_by("kind"))
        )
    )
    return VersionTerms(
        priorities={p.code: p for p in priorities},
        targets={p.pk: tuple(p.targets.all()) for p in priorities},
        exclusions=frozenset(Exclusion.objects.filter(version=version).values_list("code", flat=True)),
    )


def version_scheduled(*, vendor: Vendor, at: datetime | None = None) -> PolicyVersion | None:
    """The next published version not yet in force (announced, taking effect later), if any."""
    at = at or timezone.now()
    version = PolicyVersion.objects.filter(vendor=vendor).scheduled(at).order_by("effective_from").first()
    if version is not None:
        version.vendor = vendor
    return version
