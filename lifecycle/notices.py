"""Lifecycle notices (SPEC §3): customers with a product version hear about its EOS, EOMS and EOL
at least six months ahead, once per milestone and person even if the date later moves, and
about a new major version of a product they hold."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce

from portal.models import NoticeKind
from portal.outbox import notice_build, notices_queue, render_email
from portal.selectors import user_timezone

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
        rendered=render_email(template, personal, zone=user_timezone(person)),
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
        return notices_queue(notices=rows)


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
        return notices_queue(notices=rows)
