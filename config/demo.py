"""Demo data for `make run`: two customer organizations, a staff user and cases in every status for
all four vendors, created through the ticket services with past times so the SLA states vary
(met, breached, running, paused, stopped). Idempotent: people are matched by username and cases by
organization and subject, so running it again adds nothing.

Never for production: the `loaddemo` command refuses to run with DEBUG off."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from lifecycle.demo import load_lifecycle_demo
from lifecycle.models import Contract, MajorVersion, Plan, Product
from policies.models import ResolutionCode, Vendor
from portal.models import Membership, Notice, NoticeState, Organization, Profile, Role
from portal.outbox import enqueue_held
from portal.twofactor import TOTP_NAME, recovery_codes_replace
from tickets.models import ExpenseKind, Order, OrderKind, SessionOutcome, Ticket, WorkLocation
from tickets.services import attachment_add, billing, reply_add, ticket_close, ticket_open, ticket_resolve
from tickets.services.sweep import sla_sweep

DEMO_PASSWORD = "portal-demo"
SIGN_INS = [
    ("customer", "administrator of Northwind Analytics: contracts for every vendor, cases in every status"),
    ("other", "member of Globex Logistics, a second organization with its own cases"),
    ("staff", "support desk: staff and superuser, can use /admin/ (two-factor: see below)"),
]
# The demo staff's authenticator secret (enter it in any TOTP app) and recovery codes, published in
# the README: two-factor sign-in shown on a demo account, never a real one. A run restores used codes.
DEMO_TOTP_SECRET = "PORTALDEMOSTAFFTOTPSECRETKEY2345"
DEMO_RECOVERY_CODES = [f"recover{n:02d}" for n in range(1, 11)]
# The product each organization's contract covers per vendor (see lifecycle.demo).
PRODUCTS = {  # vendor → (product, major version number or None)
    "alectrona": ("Alectrona Patch", None),
    "secpod": ("SanerNow", None),
    "albert": ("Albert Workplace", None),
    "infotecs": ("ViPNet Coordinator", 4),
}
PRIORITY = {"alectrona": "high", "secpod": "high", "albert": "high", "infotecs": "critical"}


@dataclass(frozen=True)
class Story:
    """One demo case: what it is about, how long ago it was opened, and what happened since."""

    subject: str
    body: str
    opened_ago: timedelta
    steps: Callable[[object, object, datetime], None]
    priority: str | None = None
    requester: str = "customer"


def _user(username: str, *, first: str, last: str, staff: bool = False):
    user, created = get_user_model().objects.get_or_create(username=username)
    user.first_name, user.last_name, user.email = first, last, f"{username}@demo.portal.test"
    user.is_staff = user.is_superuser = staff
    if created:  # hashing is deliberately slow; a second run keeps the password it set
        user.set_password(DEMO_PASSWORD)
    user.save()
    Profile.objects.get_or_create(user=user)
    return user


def _two_factor(user) -> None:
    key = base64.b32decode(DEMO_TOTP_SECRET).hex()
    TOTPDevice.objects.update_or_create(user=user, name=TOTP_NAME, defaults={"key": key, "confirmed": True})
    recovery_codes_replace(user=user, codes=DEMO_RECOVERY_CODES)


def _member(user, organization: Organization, role: str = Role.MEMBER) -> None:
    Membership.objects.update_or_create(user=user, defaults={"organization": organization, "role": role})


# ---------------------------------------------------------------------------- what happens to each case


def _nothing(ticket, staff, opened: datetime) -> None:
    """The desk has not answered yet: first response running, or breached when long ago."""


def _answered(ticket, staff, opened: datetime) -> None:
    reply_add(
        ticket=ticket,
        author=staff,
        at=opened + timedelta(minutes=35),
        body="Thanks for the details. We reproduced it and are working on a fix; next update soon.",
    )
    reply_add(
        ticket=ticket,
        author=ticket.requester,
        at=opened + timedelta(hours=2),
        body="Thank you! It also happens on the staging server.",
    )


def _waiting(ticket, staff, opened: datetime) -> None:
    attachment_add(
        ticket=ticket,
        uploaded_by=ticket.requester,
        upload=SimpleUploadedFile("console.log", b"12:01 ERROR export timed out after 30 s\n"),
    )
    reply_add(
        ticket=ticket,
        author=staff,
        wait_on_customer=True,
        at=opened + timedelta(hours=1),
        body="Could you send the **server log** from the time of the failure? The clock pauses until then.",
    )


def _resolved(ticket, staff, opened: datetime) -> None:
    reply_add(
        ticket=ticket,
        author=staff,
        at=opened + timedelta(minutes=50),
        body="A work-around: restart the agent with `--safe-mode` until the fix ships.",
    )
    code = ResolutionCode.objects.filter(version=ticket.policy_version).first()
    ticket_resolve(
        ticket=ticket,
        by=staff,
        resolution_code=code.code,
        message="The fix is in the release out today; the work-around is no longer needed.",
        at=opened + timedelta(days=1),
    )


def _closed(ticket, staff, opened: datetime) -> None:
    _resolved(ticket, staff, opened)
    ticket_close(ticket=ticket, by=ticket.requester, at=opened + timedelta(days=2))


STORIES = [
    Story(
        "Dashboard export fails",
        "Exporting the dashboard to **PDF** stops at 90 %.",
        timedelta(minutes=40),
        _nothing,
    ),
    Story(
        "Agents stopped reporting",
        "Since Monday no agent has reported in.\n\n- site A\n- site B",
        timedelta(days=6),
        _nothing,
    ),
    Story("Slow search after upgrade", "Search takes 20 s since the upgrade.", timedelta(days=3), _answered),
    Story("Import rejects CSV files", "The import rejects files with a BOM.", timedelta(days=2), _waiting),
    Story("Licence key not accepted", "The new key is refused on one host.", timedelta(days=12), _resolved),
    Story(
        "Question about log retention",
        "How long are audit logs kept?",
        timedelta(days=25),
        _closed,
        requester="colleague",
    ),
]
OTHER_STORIES = [
    Story("Globex: VPN tunnel drops", "The tunnel drops every night at 02:00.", timedelta(hours=5), _nothing),
    Story("Globex: report is empty", "The weekly report arrives empty.", timedelta(days=4), _answered),
]


def _product(vendor: Vendor):
    """The demo product (and version) a case of this vendor is about, if the lifecycle demo made it."""
    name, number = PRODUCTS[vendor.slug]
    product = Product.objects.filter(vendor=vendor, name=name).first()
    version = MajorVersion.objects.filter(product=product, number=number).first() if number else None
    return product, version


def _tell(story: Story, *, organization, vendor: Vendor, users: dict, staff, now: datetime, out) -> None:
    subject = f"{story.subject} ({vendor.name})"
    if Ticket.objects.filter(organization=organization, subject=subject).exists():
        return
    product, version = _product(vendor)
    opened = now - story.opened_ago
    try:
        with transaction.atomic():
            ticket = ticket_open(
                organization=organization,
                requester=users[story.requester],
                vendor=vendor,
                priority=story.priority or PRIORITY[vendor.slug],
                subject=subject,
                body=story.body,
                product=product,
                major_version=version,
                at=opened,
            )
            story.steps(ticket, staff, opened)
    except ValidationError as error:
        out(f"  skipped {subject!r}: {' '.join(error.messages)}")


# ---------------------------------------------------------------------------- Infotecs services (issue 21)

SERVICE_CASES = {
    "quoted": "Tunnel drops after the 3.2.7 update (ViPNet Coordinator)",
    "onsite": "Coordinator cluster down at the Berlin office (ViPNet Coordinator)",
}
ORDER_QUOTED = "On-site training for two administrators of the Berlin office"
ORDER_DELIVERED = "Configuration audit of the ViPNet network before the 4.3 upgrade"


def _infotecs_services(organization, customer, staff, now: datetime, out) -> None:
    """Northwind's Infotecs cases with the desk's billable work, for the case page, /orders/ and
    the statement (/reports/statements/): an Extended Support fix quoted and accepted, then two work
    entries; a critical case whose remote diagnosis failed, visited on site with the visit's work,
    travel and hotel; an additional service quoted and awaiting the customer, another delivered.
    Everything happened in the last two days (so this month's statement, or last month's on the
    1st or 2nd)."""
    infotecs = Vendor.objects.filter(slug="infotecs").first()
    product = Product.objects.filter(vendor=infotecs, name="ViPNet Coordinator").first()
    versions = {v.number: v for v in MajorVersion.objects.filter(product=product)}
    basic = Contract.objects.filter(organization=organization, product=product, plan=Plan.BASIC).first()
    if infotecs is None or basic is None or not {3, 4} <= versions.keys():
        out("  skipped the Infotecs services: no Infotecs contract for Northwind")
        return
    opened = now - timedelta(days=2)
    try:
        with transaction.atomic():
            _quoted_case(organization, customer, staff, infotecs, product, versions[3], opened)
            _onsite_case(organization, customer, staff, infotecs, product, versions[4], opened)
            if not Order.objects.filter(organization=organization, description=ORDER_DELIVERED).exists():
                order = billing.order_request(
                    organization=organization, by=customer, kind=OrderKind.ADDITIONAL_SERVICE,
                    description=ORDER_DELIVERED, contract=basic, at=opened,
                )  # fmt: skip
                billing.order_quote(
                    order=order, by=staff, price=Decimal("1200.00"), at=opened + timedelta(hours=2),
                    quote_text="A specialist's day on site: the network map, keys and policies reviewed.",
                )  # fmt: skip
                billing.order_accept(order=order, by=customer, at=opened + timedelta(hours=4))
                billing.order_deliver(order=order, by=staff, at=opened + timedelta(days=1))
            if not Order.objects.filter(organization=organization, description=ORDER_QUOTED).exists():
                order = billing.order_request(
                    organization=organization, by=customer, kind=OrderKind.ADDITIONAL_SERVICE,
                    description=ORDER_QUOTED, contract=basic, at=opened + timedelta(hours=1),
                )  # fmt: skip
                billing.order_quote(
                    order=order, by=staff, price=Decimal("1800.00"), at=opened + timedelta(days=1, hours=1),
                    quote_text="Two days on site, course material included; travel billed as incurred.",
                )  # fmt: skip
    except ValidationError as error:
        out(f"  skipped the Infotecs services: {' '.join(error.messages)}")


def _quoted_case(organization, customer, staff, vendor, product, version, opened: datetime) -> None:
    """An ordinary bug on an Extended Support version: charged, so quoted before the work."""
    subject = SERVICE_CASES["quoted"]
    if Ticket.objects.filter(organization=organization, subject=subject).exists():
        return
    ticket = ticket_open(
        organization=organization, requester=customer, vendor=vendor, priority="normal", subject=subject,
        body="Since the 3.2.7 update the tunnel to the Hamburg office drops every few hours.",
        product=product, major_version=version, confirm_billable=True, at=opened,
    )  # fmt: skip
    quote = billing.case_quote(
        ticket=ticket, by=staff, price=Decimal("475.00"), at=opened + timedelta(hours=1),
        quote_text="3.2 is in Extended Support: this fix is chargeable. About five hours of a specialist.",
    )  # fmt: skip
    billing.order_accept(order=quote, by=customer, at=opened + timedelta(hours=2))
    for hours_after, minutes, what in [(3, 120, "Reproduced the re-keying failure"), (26, 90, "Fix tested")]:
        billing.work_record(
            ticket=ticket, by=staff, started_at=opened + timedelta(hours=hours_after), minutes=minutes,
            description=what, at=opened + timedelta(hours=hours_after, minutes=minutes),
        )  # fmt: skip


def _onsite_case(organization, customer, staff, vendor, product, version, opened: datetime) -> None:
    """A critical case on Basic: remote diagnosis failed, so the customer asked for a visit."""
    subject = SERVICE_CASES["onsite"]
    if Ticket.objects.filter(organization=organization, subject=subject).exists():
        return
    ticket = ticket_open(
        organization=organization, requester=customer, vendor=vendor, priority="critical", subject=subject,
        body="Both nodes of the coordinator cluster stopped routing traffic at 08:10.", product=product,
        major_version=version, at=opened,
    )  # fmt: skip
    billing.remote_session_record(
        ticket=ticket, by=staff, started_at=opened + timedelta(minutes=30), minutes=45,
        outcome=SessionOutcome.FAILED, notes="The hardware watchdog reboots the nodes; needs hands on site.",
    )  # fmt: skip
    billing.onsite_request(
        ticket=ticket, by=customer, confirm_billable=True, address="Northwind Analytics, Berlin office",
        at=opened + timedelta(hours=2),
    )  # fmt: skip
    billing.visit_schedule(ticket=ticket, by=staff, scheduled_for=opened + timedelta(hours=20))
    arrived = opened + timedelta(hours=20, minutes=25)
    billing.visit_arrive(ticket=ticket, by=staff, at=arrived)
    billing.work_record(
        ticket=ticket, by=staff, started_at=arrived, minutes=210, location=WorkLocation.ONSITE,
        description="Replaced the watchdog board, cluster back", at=arrived + timedelta(minutes=210),
    )  # fmt: skip
    expenses = [(ExpenseKind.TRAVEL, "186.40", "Train"), (ExpenseKind.ACCOMMODATION, "129.00", "Hotel")]
    for kind, amount, what in expenses:
        billing.expense_record(
            ticket=ticket, by=staff, kind=kind, incurred_on=arrived.date(), amount=Decimal(amount),
            currency="EUR", description=what, at=arrived + timedelta(hours=4),
        )  # fmt: skip


def _lifecycle(organization, other_organization, out) -> None:
    load_lifecycle_demo(organization=organization, other_organization=other_organization)


def demo_load(*, out=print, now: datetime | None = None) -> None:
    """Load the demo. The policy catalog must be loaded first (`manage.py loadpolicies`)."""
    now = now or timezone.now()
    before = Notice.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with enqueue_held():
        _load(now=now, out=out)
        # Its overdue cases were breached, and the desk told, back then: the sweep does it now,
        # before `make run`'s own first sweep would email the desk about the demo's history.
        while (swept := sla_sweep(now=now)).breached or swept.warned:
            pass
    # The demo is history: the emails its cases would have sent went out back then. They are
    # recorded as sent when made, and handed to no worker, so a newcomer's console and worker log
    # show only what they trigger themselves.
    Notice.objects.filter(id__gt=before, state=NoticeState.PENDING).update(
        state=NoticeState.SENT, sent_at=F("created_at")
    )


def _load(*, now: datetime, out) -> None:
    northwind, _ = Organization.objects.get_or_create(
        slug="northwind", defaults={"name": "Northwind Analytics", "timezone": "Europe/Berlin"}
    )
    globex, _ = Organization.objects.get_or_create(
        slug="globex", defaults={"name": "Globex Logistics", "timezone": "America/New_York"}
    )
    staff = _user("staff", first="Dana", last="Desk", staff=True)
    _two_factor(staff)
    customer = _user("customer", first="Casey", last="Customer")
    colleague = _user("colleague", first="Robin", last="Colleague")
    other = _user("other", first="Olivia", last="Other")
    _member(customer, northwind, Role.ADMIN)
    _member(colleague, northwind)
    _member(other, globex)
    _lifecycle(northwind, globex, out)
    vendors = list(Vendor.objects.order_by("name"))
    if not vendors:
        out("  no vendors: run `manage.py loadpolicies` first")
    for vendor in vendors:
        for story in STORIES:
            _tell(
                story,
                organization=northwind,
                vendor=vendor,
                users={"customer": customer, "colleague": colleague},
                staff=staff,
                now=now,
                out=out,
            )
    _infotecs_services(northwind, customer, staff, now, out)
    for story, vendor in zip(OTHER_STORIES, vendors, strict=False):
        other_story = Story(story.subject, story.body, story.opened_ago, story.steps, requester="other")
        _tell(
            other_story,
            organization=globex,
            vendor=vendor,
            users={"other": other},
            staff=staff,
            now=now,
            out=out,
        )
