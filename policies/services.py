"""Operations on policies: load the catalog, compare and publish versions, preview deadlines."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from . import clock
from .calendars import to_clock
from .models import (
    CalendarWindow,
    Channel,
    ClosedDate,
    DurationUnit,
    Exclusion,
    PolicyChannel,
    PolicyVersion,
    PriorityLevel,
    ResolutionCode,
    ResponseTarget,
    SupportCalendar,
    TargetKind,
    Vendor,
)
from .selectors import NO_VERSION_IN_FORCE, priority_with_targets, version_in_force
from .signals import policy_version_published

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
SOURCES_DIR = CATALOG_DIR / "sources"  # the original policy documents, verbatim
WEEKDAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}
REDUCTIONS_NOT_ACKNOWLEDGED = gettext_lazy(
    "This version reduces support compared with the one in force; "
    "acknowledge the list of reductions before publishing."
)
UNKNOWN_PRIORITY = gettext_lazy("{vendor} has no priority {code!r}; choose one of: {choices}.")


# ---------------------------------------------------------------------------- deadlines


def target_calendar(target: ResponseTarget) -> clock.Calendar:
    return to_clock(target.calendar)


class AgreedDuration(Protocol):
    """A promised time as stored: a policy's ResponseTarget or a contract's own target."""

    duration: Decimal
    unit: str


def target_duration(target: AgreedDuration, calendar: clock.Calendar) -> timedelta:
    """The target as open time on its clock, exact to the microsecond: business days become
    N × the business-day length, hours are hours. The one conversion for policy and contract
    targets, so the same promise never gets two deadlines."""
    if target.unit == DurationUnit.BUSINESS_DAYS:
        return calendar.business_days(target.duration)
    return clock.hours(target.duration)


@dataclass(frozen=True)
class PlannedTarget:
    """A target a new case gets, from the vendor's policy or the customer's contract."""

    kind: str
    duration: timedelta  # open time on the clock below; business days already converted
    calendar: SupportCalendar | None  # None: the 24×7 clock
    # Where it comes from, as a code (SourceCode) and plain parameters: worded in the reader's
    # language when shown (tickets.words.source_words), never stored in one language.
    source_code: str
    source_params: dict = field(default_factory=dict)


class SourceCode:
    """Where a case's target comes from (PlannedTarget.source_code, SlaTarget.source_code)."""

    POLICY = "policy"  # vendor, name, key (the version), priority
    CONTRACT = "contract"  # reference, plan (Contract.plan's code), priority
    EMERGENCY_CONTRACT = "emergency_contract"  # reference: the contract agrees its reaction
    EMERGENCY_POLICY = "emergency_policy"  # vendor: the policy's catalog figure or the default


@dataclass(frozen=True)
class TargetDue:
    kind: str
    duration: timedelta
    clock: str  # "24x7" or "business"
    due_at: datetime
    target: ResponseTarget

    @property
    def duration_hours(self) -> float:
        return self.duration.total_seconds() / 3600


@dataclass(frozen=True)
class SlaPreview:
    vendor: Vendor
    priority: PriorityLevel
    version: PolicyVersion
    opened_at: datetime
    targets: list[TargetDue]


def target_due(target: ResponseTarget, start: datetime) -> TargetDue:
    calendar = target_calendar(target)
    duration = target_duration(target, calendar)
    return TargetDue(
        kind=target.kind,
        duration=duration,
        clock=target.clock_name,
        due_at=clock.add_business_time(start, duration, calendar),
        target=target,
    )


def sla_preview(*, vendor: Vendor, priority_code: str, opened_at: datetime) -> SlaPreview:
    """The deadlines a case opened at `opened_at` gets under the policy in force then.
    Raises ValidationError naming the field that is wrong."""
    version = version_in_force(vendor=vendor, at=opened_at)
    if version is None:
        raise ValidationError({"opened_at": NO_VERSION_IN_FORCE.format(vendor=vendor, at=opened_at)})
    priority = priority_with_targets(version=version, code=priority_code)
    if priority is None:
        choices = ", ".join(version.priorities.values_list("code", flat=True))
        raise ValidationError(
            {"priority": UNKNOWN_PRIORITY.format(vendor=vendor.name, code=priority_code, choices=choices)}
        )
    targets = [target_due(t, opened_at) for t in priority.targets.all()]
    order = list(TargetKind.values)
    targets.sort(key=lambda t: order.index(t.kind))
    return SlaPreview(vendor=vendor, priority=priority, version=version, opened_at=opened_at, targets=targets)


# ---------------------------------------------------------------------------- materiality


def _weekly_open_hours(calendar: SupportCalendar | None) -> float:
    if calendar is None:
        return 168.0
    spans = (window.week_span() for window in to_clock(calendar).windows)
    return sum(end - start for start, end in spans) / 3_600_000_000  # microseconds → hours


def target_hours(target: ResponseTarget) -> float:
    """The target's open time in hours (business days converted), as the API and the
    materiality check compare it."""
    return target_duration(target, target_calendar(target)).total_seconds() / 3600


def policy_version_reductions(*, draft: PolicyVersion, current: PolicyVersion | None) -> list[str]:
    """Every way `draft` gives customers less than `current` (SPEC §1, materiality check):
    a lost priority, a lost or longer target, a lost channel, fewer support hours."""
    if current is None:
        return []
    reductions: list[str] = []
    new_priorities = {p.code: p for p in draft.priorities.prefetch_related("targets__calendar__windows")}
    for old in current.priorities.prefetch_related("targets__calendar__windows"):
        new = new_priorities.get(old.code)
        if new is None:
            reductions.append(gettext("Priority %(priority)s is removed.") % {"priority": old.name})
            continue
        new_targets = {t.kind: t for t in new.targets.all()}
        for target in old.targets.all():
            replacement = new_targets.get(target.kind)
            if replacement is None:
                reductions.append(
                    gettext("%(priority)s: the %(kind)s target is removed.")
                    % {"priority": old.name, "kind": str(target.get_kind_display()).lower()}
                )
            elif target_hours(replacement) > target_hours(target) or (
                target.calendar_id is None and replacement.calendar_id is not None
            ):
                reductions.append(
                    gettext("%(priority)s: %(kind)s goes from %(before)s to %(after)s.")
                    % {
                        "priority": old.name,
                        "kind": str(target.get_kind_display()).lower(),
                        "before": target.duration_text,
                        "after": replacement.duration_text,
                    }
                )
    new_channels = set(draft.channels.values_list("channel", flat=True))
    for channel in current.channels.all():
        if channel.channel not in new_channels:
            reductions.append(
                gettext("The %(channel)s channel is removed.") % {"channel": channel.get_channel_display()}
            )
    new_calendars = {c.slug: c for c in draft.calendars.prefetch_related("windows")}
    for calendar in current.calendars.prefetch_related("windows"):
        new_calendar = new_calendars.get(calendar.slug)
        before = _weekly_open_hours(calendar)
        after = _weekly_open_hours(new_calendar) if new_calendar else 0.0
        if after < before:
            reductions.append(
                gettext("%(calendar)s: support hours go from %(before)s to %(after)s a week.")
                % {"calendar": calendar.name, "before": f"{before:g}", "after": f"{after:g}"}
            )
    return reductions


# ---------------------------------------------------------------------------- safety of a draft

TARGET_LOST = gettext_lazy(
    "{priority}: the version in force promises a {kind} target ({promise}); this version has none. "
    "Give it one (a longer one is a reduction to acknowledge), or remove the priority."
)
NO_RESOLUTION_CODES = gettext_lazy("Add at least one resolution code: the desk resolves every case with one.")
NO_CALENDAR = gettext_lazy(
    "{priority}: the {kind} target counts support hours ({promise}) but has no calendar to count them on."
)
NEVER_OPEN_CALENDAR = gettext_lazy(
    "{calendar}: a calendar with no open hours; {priority}'s {kind} target would never be due."
)


def policy_version_problems(*, draft: PolicyVersion, current: PolicyVersion | None) -> dict[str, list[str]]:
    """What would leave customers without support if `draft` were published, by the field to fix:
    a kept priority losing a target the version in force has, no resolution codes where the version
    in force has some, or a target in business days without a calendar (or on one never open).
    Unlike the reductions, these cannot be acknowledged away."""
    problems: dict[str, list[str]] = {}
    priorities = list(draft.priorities.prefetch_related("targets__calendar__windows"))
    if current is not None:
        kept = {p.code: p for p in priorities}
        for old in current.priorities.prefetch_related("targets__calendar"):
            new = kept.get(old.code)
            if new is None:
                continue  # a lost priority: a reduction, listed for acknowledgement
            kinds = {t.kind for t in new.targets.all()}
            for target in old.targets.all():
                if target.kind not in kinds:
                    kind = target.get_kind_display().lower()
                    message = TARGET_LOST.format(priority=new.name, kind=kind, promise=target.duration_text)
                    problems.setdefault("priorities", []).append(message)
    if current is not None and current.resolution_codes.exists() and not draft.resolution_codes.exists():
        problems.setdefault("resolution_codes", []).append(NO_RESOLUTION_CODES)
    for priority in priorities:
        for target in priority.targets.all():
            words = {"priority": priority.name, "kind": target.get_kind_display().lower()}
            if target.calendar is None and target.unit == DurationUnit.BUSINESS_DAYS:
                message = NO_CALENDAR.format(promise=target.duration_text, **words)
                problems.setdefault("calendars", []).append(message)
            elif target.calendar is not None and not target.calendar.windows.all():
                message = NEVER_OPEN_CALENDAR.format(calendar=target.calendar.name, **words)
                problems.setdefault("calendars", []).append(message)
    return problems


def _copy(row, **changes):
    """A new row with `row`'s values and `changes` (the key to its new parent, say)."""
    fields = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key}
    return type(row).objects.create(**(fields | changes))


COPY_KEY = "{key}-draft-{n}"


@transaction.atomic
def policy_version_copy(*, version: PolicyVersion, at: datetime | None = None) -> PolicyVersion:
    """A new draft with everything `version` holds (calendars with their hours and closed dates,
    priorities with their targets, channels, resolution codes, exclusions), to edit rather than
    re-key. It takes effect no sooner than the vendor's notice period allows if published now."""
    at = at or timezone.now()
    vendor = version.vendor
    n = PolicyVersion.objects.filter(vendor=vendor, key__startswith=f"{version.key}-draft-").count() + 1
    draft = _copy(
        version,
        key=COPY_KEY.format(key=version.key, n=n)[:50],
        name=f"{version.name} (draft)"[:200],
        effective_from=at + timedelta(days=vendor.change_notice_days, hours=1),
        published_at=None,
        reductions_acknowledged_at=None,
        reductions_acknowledged_by_id=None,
    )
    calendars = {}
    for calendar in version.calendars.prefetch_related("windows", "closed_dates"):
        calendars[calendar.pk] = copy = _copy(calendar, version_id=draft.pk)
        for window in calendar.windows.all():
            _copy(window, calendar_id=copy.pk)
        for day in calendar.closed_dates.all():
            _copy(day, calendar_id=copy.pk)
    for priority in version.priorities.prefetch_related("targets"):
        copy = _copy(priority, version_id=draft.pk)
        for target in priority.targets.all():
            calendar = calendars.get(target.calendar_id)
            _copy(target, priority_id=copy.pk, calendar_id=calendar.pk if calendar else None)
    for related in (version.channels, version.resolution_codes, version.exclusions):
        for row in related.all():
            _copy(row, version_id=draft.pk)
    return draft


@transaction.atomic
def policy_version_publish(
    *, version: PolicyVersion, published_at: datetime | None = None, acknowledged_by=None
) -> PolicyVersion:
    """Publish a draft. Publishing twice is a no-op that returns the version as it is.
    A version that reduces support needs `acknowledged_by` (the staff user who read the list)."""
    version = PolicyVersion.objects.select_for_update().select_related("vendor").get(pk=version.pk)
    if version.is_published:
        return version
    published_at = published_at or timezone.now()
    current = version_in_force(vendor=version.vendor, at=max(published_at, version.effective_from))
    problems = policy_version_problems(draft=version, current=current)
    if problems:
        raise ValidationError(problems)
    if policy_version_reductions(draft=version, current=current):
        if acknowledged_by is None:
            raise ValidationError({"reductions": REDUCTIONS_NOT_ACKNOWLEDGED})
        version.reductions_acknowledged_at = published_at
        version.reductions_acknowledged_by = acknowledged_by
    version.published_at = published_at
    version.full_clean()
    version.save()
    # SPEC §1: publishing schedules the change notice to the vendor's customers (sent a week
    # ahead). Who they are is lifecycle's to know (their contracts): it listens for this.
    policy_version_published.send(sender=PolicyVersion, version=version, published_at=published_at)
    return version


# ---------------------------------------------------------------------------- catalog


def _parse_weekday_time(text: str) -> tuple[int, time]:
    day, clock_text = text.split()
    hours, minutes = clock_text.split(":")
    return WEEKDAYS[day], time(int(hours), int(minutes))


def _source_text(name: str | None) -> str:
    if not name:
        return ""
    path = SOURCES_DIR / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _aware(value: datetime) -> datetime:
    if timezone.is_naive(value):
        raise ValidationError(f"Catalog datetime {value} needs an offset.")
    return value


def _catalog_translations(data: dict) -> dict:
    """The vendor's translations, gathered per language from where the catalog states them: the
    version's own texts under [version.translations.<language>], each priority's, exclusion's and
    resolution code's under its item's translations.<language> table."""
    result: dict[str, dict] = {}
    for language, texts in data["version"].get("translations", {}).items():
        result.setdefault(language, {}).update(
            {k: texts[k] for k in ("name", "exclusions_preamble") if k in texts}
        )
    for section, fields in (
        ("priorities", ("name", "definition", "examples")),
        ("exclusions", ("text",)),
        ("resolution_codes", ("name",)),
    ):
        for item in data.get(section, []):
            for language, texts in item.get("translations", {}).items():
                shown = {k: texts[k].strip() for k in fields if k in texts}
                if shown:
                    result.setdefault(language, {}).setdefault(section, {})[item["code"]] = shown
    return result


def _load_calendar(version: PolicyVersion, data: dict) -> SupportCalendar:
    calendar, _ = SupportCalendar.objects.update_or_create(
        version=version,
        slug=data["slug"],
        defaults={
            "name": data["name"],
            "timezone": data["timezone"],
            "holiday_country": data.get("holiday_country", ""),
            "business_day_hours": Decimal(str(data["business_day_hours"])),
        },
    )
    calendar.full_clean()
    wanted = [(*_parse_weekday_time(a), *_parse_weekday_time(b)) for a, b in data["windows"]]
    existing = [(w.start_weekday, w.start_time, w.end_weekday, w.end_time) for w in calendar.windows.all()]
    if sorted(existing) != sorted(wanted):
        calendar.windows.all().delete()
        CalendarWindow.objects.bulk_create(
            CalendarWindow(calendar=calendar, start_weekday=a, start_time=b, end_weekday=c, end_time=d)
            for a, b, c, d in wanted
        )
    for closed in data.get("closed_dates", []):
        ClosedDate.objects.get_or_create(
            calendar=calendar, date=closed["date"], defaults={"reason": closed["reason"]}
        )
    return calendar


def _load_priority(version: PolicyVersion, data: dict, calendars: dict[str, SupportCalendar]) -> None:
    priority, _ = PriorityLevel.objects.update_or_create(
        version=version,
        code=data["code"],
        defaults={
            "name": data["name"],
            "rank": data["rank"],
            "definition": data["definition"],
            "examples": data.get("examples", "").strip(),
        },
    )
    for target in data.get("targets", []):
        ResponseTarget.objects.update_or_create(
            priority=priority,
            kind=TargetKind(target["kind"]),
            defaults={
                "duration": Decimal(str(target["duration"])),
                "unit": DurationUnit(target["unit"]),
                "calendar": calendars[target["calendar"]] if "calendar" in target else None,
                # Issue 20 point 4: a Service Level Failure below this met rate per period.
                "minimum_met_percent": (
                    Decimal(str(target["minimum_met_percent"])) if "minimum_met_percent" in target else None
                ),
            },
        )


@transaction.atomic
def policy_catalog_load_file(*, path: Path) -> PolicyVersion:
    """Load one catalog file. Idempotent: existing rows are updated in place, never duplicated,
    and nothing a ticket refers to (versions, priorities, targets) is deleted."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    vendor_data = data["vendor"]
    vendor, _ = Vendor.objects.update_or_create(
        slug=vendor_data["slug"],
        defaults={
            k: vendor_data[k] for k in ("name", "ticket_prefix", "change_notice_days", "distinguishes_kinds")
        }
        # The email channel's data (SPEC §7), where the catalog gives it.
        | {k: vendor_data[k] for k in ("support_email", "email_priority") if k in vendor_data}
        # Issue 20 point 2: the automatic chasing interval, where the catalog gives one.
        | {"chase_interval_hours": vendor_data.get("chase_interval_hours")},
    )
    v = data["version"]
    version, _ = PolicyVersion.objects.update_or_create(
        vendor=vendor,
        key=v["key"],
        defaults={
            "name": v["name"],
            "last_updated": v.get("last_updated"),
            "effective_from": _aware(v["effective_from"]),
            "published_at": _aware(v["published_at"]),
            "source_text": _source_text(v.get("source")),
            "exclusions_preamble": v.get("exclusions_preamble", ""),
            # Issue 21: the services the policy sells (Infotecs), as the catalog states them.
            "service_terms": data.get("services", {}),
            # Issue 22: the language the vendor publishes in, and its own translations, if any.
            "language": v.get("language", "en"),
            "translations": _catalog_translations(data),
        },
    )
    version.full_clean()
    calendars = {c["slug"]: _load_calendar(version, c) for c in data.get("calendars", [])}
    for priority in data.get("priorities", []):
        _load_priority(version, priority, calendars)
    for channel in data.get("channels", []):
        PolicyChannel.objects.update_or_create(
            version=version, channel=Channel(channel["channel"]), defaults={"note": channel.get("note", "")}
        )
    for code in data.get("resolution_codes", []):
        ResolutionCode.objects.update_or_create(
            version=version, code=code["code"], defaults={"name": code["name"]}
        )
    for exclusion in data.get("exclusions", []):
        Exclusion.objects.update_or_create(
            version=version, code=exclusion["code"], defaults={"text": exclusion["text"]}
        )
    return version


def policy_catalog_load(*, directory: Path = CATALOG_DIR) -> list[PolicyVersion]:
    return [policy_catalog_load_file(path=path) for path in sorted(directory.glob("*.toml"))]
