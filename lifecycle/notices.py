"""The notices whose recipients are contract holders: lifecycle (SPEC §3) — customers with a
product version hear about its EOS, EOMS and EOL at least six months ahead, once per milestone
and person even if the date later moves, and about a new major version of a product they hold —
and policy changes (SPEC §1): every customer with a contract with the vendor hears about a new
policy version one week before it takes effect, once, with the list of reductions. Policies
announce a publication (policies.signals); who holds a contract is this app's to know."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation

from policies.models import PolicyVersion
from policies.selectors import version_in_force
from policies.services import policy_version_reductions
from portal.models import NoticeKind
from portal.outbox import notice_build, notices_queue
from portal.selectors import email_language, user_timezone

from .dates import add_months, notice_by
from .models import MajorVersion

# A week of slack before the six-month line, so a missed daily run still notifies in time.
NOTICE_SLACK = timedelta(days=7)
# An announcement older than this is history, not news: not mailed to customers who join later.
ANNOUNCEMENT_NEWS_DAYS = 30

MILESTONES = {
    "eos": ("end of sales", "After this date the version is no longer sold; support continues as before."),
    "eoms": (
        "end of mainstream support",
        "After this date the version is in Extended Support for one year: only vulnerabilities and "
        "critical bugs are covered, other cases are billable.",
    ),
    "eol": (
        "end of life",
        "After this date the version is no longer supported and no cases can be opened for it.",
    ),
}


def _customers(major: MajorVersion, *, today: date, any_version: bool):
    """Members of organizations with a contract for this product version (or for the product,
    when the contract names no version) that has not ended."""
    contracts = Q(
        membership__organization__contracts__product=major.product_id,
        membership__organization__contracts__end__gte=today,
    )
    if not any_version:
        contracts &= Q(membership__organization__contracts__major_version=major) | Q(
            membership__organization__contracts__major_version__isnull=True
        )
    return (
        get_user_model()
        .objects.filter(contracts, is_active=True)
        .exclude(email="")
        .select_related("membership__organization", "profile")
        .distinct()
        .order_by("pk")
    )


def _row(person, *, kind: str, key: str, template: str, context: dict, reference: str):
    personal = {
        **context,
        "recipient_name": person.get_full_name() or person.username,
        "organization_name": person.membership.organization.name,
    }
    return notice_build(
        kind=kind,
        dedupe_key=f"{key}:user{person.pk}",
        recipient=person,
        reference=reference,
        template=template,  # rendered at delivery, in the person's language (email_language)
        context=personal,
        zone=user_timezone(person),
    )


def milestone_notices_queue(*, today: date) -> int:
    """Every milestone within six months (plus slack) and not yet passed: notify its customers.
    The key names the version and milestone, never the date: a moved date does not mail again."""
    horizon = add_months(today, 6) + NOTICE_SLACK
    window = Q()
    for field in MILESTONES:
        window |= Q(**{f"{field}__gte": today, f"{field}__lte": horizon})
    rows = []
    for major in MajorVersion.objects.filter(window).select_related("product__vendor"):
        for field, (name, meaning) in MILESTONES.items():
            day = getattr(major, field)
            if day is None or not (today <= day and today >= notice_by(day) - NOTICE_SLACK):
                continue
            context = {
                "major": major,
                "milestone": field,  # the templates name it in the recipient's language (issue 22)
                "milestone_name": name,
                "milestone_meaning": meaning,
                "milestone_date": day,
                "provisional": field != "eos" and major.eoms_provisional,
            }
            key = f"{NoticeKind.LIFECYCLE_MILESTONE}:{field}:major{major.pk}"
            rows += [
                _row(
                    person,
                    kind=NoticeKind.LIFECYCLE_MILESTONE,
                    key=key,
                    template="lifecycle_milestone",
                    context=context,
                    reference=str(major),
                )
                for person in _customers(major, today=today, any_version=False)
            ]
    with transaction.atomic():
        return notices_queue(notices=rows, build=True)  # the daily task's: built here (issue 24)


def new_major_notices_queue(*, today: date) -> int:
    """A major version announced in the last weeks: tell every customer of the product."""
    # A version recorded with a GA date but no announcement date counts as announced at GA.
    recent = (
        MajorVersion.objects.annotate(announced=Coalesce("announced_at", "ga"))
        .filter(
            announced__lte=today, announced__gte=today - timedelta(days=ANNOUNCEMENT_NEWS_DAYS), number__gt=1
        )
        .select_related("product__vendor")
    )
    rows = []
    for major in recent:
        key = f"{NoticeKind.NEW_MAJOR_VERSION}:major{major.pk}"
        rows += [
            _row(
                person,
                kind=NoticeKind.NEW_MAJOR_VERSION,
                key=key,
                template="new_major_version",
                context={"major": major},
                reference=str(major),
            )
            for person in _customers(major, today=today, any_version=True)
        ]
    with transaction.atomic():
        return notices_queue(notices=rows, build=True)  # the daily task's: built here (issue 24)


# ---------------------------------------------------------------------------- policy changes

NOTICE_LEAD = timedelta(days=7)  # SPEC §1: "one week ahead"


def policy_change_recipients(*, version: PolicyVersion, today: date) -> list:
    """Members of organizations holding a contract with the vendor that is active now or starts
    before the new version takes effect."""
    effective_day = version.effective_from.date()
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            membership__organization__contracts__vendor=version.vendor,
            membership__organization__contracts__end__gte=today,
            membership__organization__contracts__start__lte=max(effective_day, today),
        )
        .exclude(email="")
        .select_related("membership__organization", "profile")
        .distinct()
        .order_by("pk")
    )


def policy_change_send_at(version: PolicyVersion) -> datetime:
    """One week before it takes effect; at once when published later than that (a vendor whose
    policy promises no notice period may publish a version effective sooner)."""
    return max(version.published_at, version.effective_from - NOTICE_LEAD)


def policy_change_notices_queue(
    *, version: PolicyVersion, now: datetime | None = None, build: bool = False
) -> int:
    """Queue the change notice of a published version for every current recipient; the rows wait
    in the outbox until a week before the effective date. Safe to repeat (the daily task does,
    to reach customers whose contract began after publishing): one email per person and version.
    `build` (the daily task's): each new row's message built and stored as it is queued
    (notices_queue); a publication, which may be a web request, leaves them to the delivery."""
    now = now or timezone.now()
    if not version.is_published or version.effective_from <= now:
        return 0
    previous = version_in_force(vendor=version.vendor, at=version.effective_from - timedelta(microseconds=1))
    if previous is not None and previous.pk == version.pk:
        previous = None
    context = {
        "vendor": version.vendor,
        "version": version,
        "policy_url": settings.SITE_URL + reverse("policies:vendor", args=[version.vendor.slug]),
    }
    # The reductions are text made before rendering: written once per recipients' language (issue 22).
    reductions: dict[str, list[str]] = {}
    send_at, rows = policy_change_send_at(version), []
    for person in policy_change_recipients(version=version, today=now.date()):
        language = email_language(person)
        if language not in reductions:
            with translation.override(language):
                reductions[language] = policy_version_reductions(draft=version, current=previous)
        personal = {
            **context,
            "reductions": reductions[language],
            "recipient_name": person.get_full_name() or person.username,
            "organization_name": person.membership.organization.name,
        }
        rows.append(
            notice_build(
                kind=NoticeKind.POLICY_CHANGE,
                dedupe_key=f"{NoticeKind.POLICY_CHANGE}:version{version.pk}:user{person.pk}",
                template="policy_change",  # rendered at delivery, in the person's language
                context=personal,
                zone=user_timezone(person),
                recipient=person,
                reference=f"{version.vendor.name} {version.key}",
                send_after=send_at,
            )
        )
    with transaction.atomic():
        return notices_queue(notices=rows, build=build)


def policy_change_notices_sweep(*, now: datetime | None = None) -> int:
    """Daily: re-queue the notices of every published version not yet in effect."""
    now = now or timezone.now()
    upcoming = PolicyVersion.objects.published().filter(effective_from__gt=now).select_related("vendor")
    return sum(policy_change_notices_queue(version=version, now=now, build=True) for version in upcoming)


def on_policy_version_published(sender, *, version: PolicyVersion, published_at: datetime, **kwargs) -> None:
    """Receiver of policies.signals.policy_version_published (connected in LifecycleConfig.ready):
    the notices are queued in the publishing transaction, as the publication's own rows."""
    policy_change_notices_queue(version=version, now=published_at)
