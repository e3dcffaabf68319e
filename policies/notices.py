"""Policy change notices (SPEC §1): every customer with an active contract for the vendor hears
about a new policy version one week before it takes effect, once, with the list of reductions.

Recipients come from the contracts (lifecycle), reached through the organizations'
`contracts` relation rather than an import, so `policies` keeps depending on nothing above it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.models import NoticeKind
from portal.outbox import notice_build, notices_queue, render_email
from portal.selectors import user_timezone

from .models import PolicyVersion

NOTICE_LEAD = timedelta(days=7)  # SPEC §1: "one week ahead"


def policy_change_recipients(*, version: PolicyVersion, today) -> list:
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


def policy_change_notices_queue(*, version: PolicyVersion, now: datetime | None = None) -> int:
    """Queue the change notice of a published version for every current recipient; the rows wait
    in the outbox until a week before the effective date. Safe to repeat (the daily task does,
    to reach customers whose contract began after publishing): one email per person and version."""
    from .selectors import version_in_force
    from .services import policy_version_reductions

    now = now or timezone.now()
    if not version.is_published or version.effective_from <= now:
        return 0
    previous = version_in_force(vendor=version.vendor, at=version.effective_from - timedelta(microseconds=1))
    if previous is not None and previous.pk == version.pk:
        previous = None
    context = {
        "vendor": version.vendor,
        "version": version,
        "reductions": policy_version_reductions(draft=version, current=previous),
        "policy_url": settings.SITE_URL + reverse("policies:vendor", args=[version.vendor.slug]),
    }
    send_at, rows = policy_change_send_at(version), []
    for person in policy_change_recipients(version=version, today=now.date()):
        personal = {
            **context,
            "recipient_name": person.get_full_name() or person.username,
            "organization_name": person.membership.organization.name,
        }
        rows.append(
            notice_build(
                kind=NoticeKind.POLICY_CHANGE,
                dedupe_key=f"{NoticeKind.POLICY_CHANGE}:version{version.pk}:user{person.pk}",
                rendered=render_email("policy_change", personal, zone=user_timezone(person)),
                recipient=person,
                reference=f"{version.vendor.name} {version.key}",
                send_after=send_at,
            )
        )
    with transaction.atomic():
        return notices_queue(notices=rows)


def policy_change_notices_sweep(*, now: datetime | None = None) -> int:
    """Daily: re-queue the notices of every published version not yet in effect."""
    now = now or timezone.now()
    upcoming = PolicyVersion.objects.published().filter(effective_from__gt=now).select_related("vendor")
    return sum(policy_change_notices_queue(version=version, now=now) for version in upcoming)
