"""Reads of policy data used by views, API, admin and other apps."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.compiled import CompiledGet

from .models import Exclusion, PolicyVersion, PriorityLevel, ResponseTarget, SupportCalendar, Vendor

NO_VERSION_IN_FORCE = _("{vendor} has no support policy in force at {at:%Y-%m-%d %H:%M} UTC.")


def vendor_list() -> QuerySet[Vendor]:
    return Vendor.objects.order_by("name")


_VENDOR_BY_SLUG = CompiledGet(Vendor, lambda slug: Vendor.objects.filter(slug=slug))


def vendor_by_slug(slug: str) -> Vendor:
    """The vendor a form or an API call names, or Vendor.DoesNotExist: the SQL built once."""
    return _VENDOR_BY_SLUG.get(slug)


def _calendars() -> QuerySet[SupportCalendar]:
    return SupportCalendar.objects.prefetch_related("windows", "closed_dates")


def _reached(vendor_id: int, at: datetime) -> QuerySet[PolicyVersion]:
    """The vendor's versions published and in effect by `at`, latest first: the first is in force."""
    reached = PolicyVersion.objects.filter(vendor=vendor_id, published_at__lte=at, effective_from__lte=at)
    return reached.order_by("-effective_from")


_VERSION_KEY = CompiledGet(
    PolicyVersion,
    lambda vendor_id, at: _reached(vendor_id, at).values_list("pk", flat=True)[:1],
    kinds=("int", "datetime"),
)
_published_versions: dict[int, PolicyVersion] = {}
_vendors_seen: set[int] = set()  # vendors whose version in force this process has read as a row


def version_in_force(*, vendor: Vendor, at: datetime | None = None) -> PolicyVersion | None:
    """The one version in force at `at`: the published version with the latest
    effective_from that has been reached (and that was published by then), as
    PolicyVersion.objects.in_force(at) has it for one vendor.

    Which version that is can change with every publication, so it is asked each time; once this
    process has read the vendor's version row, only its key is asked (from the vendor's
    (vendor, effective_from) index: no row to build, no policy text to read), and the row comes
    from a memo, as `version_terms` keeps the terms: a published version is a record nobody edits
    (the admin shows it read-only and never deletes it). The caller gets a copy of its own."""
    at = at or timezone.now()
    if vendor.pk in _vendors_seen:
        pk = next(iter(_VERSION_KEY.rows(vendor.pk, at)), (None,))[0]  # the key's SQL built once
        version = _published_versions.get(pk) if pk is not None else None
        if version is None and pk is not None:
            version = _published_versions[pk] = PolicyVersion.objects.get(pk=pk)
    else:
        version = _reached(vendor.pk, at).first()
        if version is not None:
            _published_versions[version.pk] = version
            _vendors_seen.add(vendor.pk)
    if version is None:
        return None
    version = copy.copy(version)  # Django copies its related-object cache too: set the vendor freely
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
    _published_versions.clear()
    _vendors_seen.clear()


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
