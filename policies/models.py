"""Vendors and their support policies, as versioned data (SPEC §1–2)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from portal.history import HistoricalRecords

from .words import promise_words

NOTICE_TOO_SHORT = (
    "A new version of this policy can take effect no sooner than {days} days after it is published "
    "({earliest:%Y-%m-%d %H:%M} UTC)."
)


class Vendor(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    website = models.URLField(blank=True)
    ticket_prefix = models.CharField(
        max_length=5, unique=True, help_text="Prefix of this vendor's case numbers, e.g. ALC."
    )
    change_notice_days = models.PositiveSmallIntegerField(
        default=0,
        help_text="Days between publishing a new policy version and its taking effect.",
    )
    distinguishes_kinds = models.BooleanField(
        default=False, help_text="The policy separates incidents from requests."
    )
    desk_group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff who hear of this vendor's unassigned cases: new cases and customer "
        "replies. Empty: the desk address (SUPPORT_DESK_EMAIL).",
    )
    support_email = models.EmailField(
        blank=True,
        help_text="The desk's address for this vendor (SPEC §7): case emails come from it, and mail "
        "to it opens and answers cases. Empty: emails come from DEFAULT_FROM_EMAIL, with no reply address.",
    )
    email_priority = models.CharField(
        max_length=20,
        blank=True,
        help_text="Priority code a case opened by email gets until staff triage it; empty or not a "
        "priority of the policy in force: its least urgent one.",
    )
    chase_interval_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Hours after which a case waiting on the customer is chased automatically, and again "
        "after each reminder (issue 20). Empty: only the desk's own reminders.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # One mailbox, one vendor: an address shared by two would not say whose case a mail is.
            models.UniqueConstraint(
                fields=["support_email"], condition=~Q(support_email=""), name="vendor_support_email_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    IN_PRODUCT = "in_product", "In-product"


def _reached(at) -> Q:
    # Published by `at` and effective by `at`. A version published after its effective_from
    # (allowed when the vendor gives no notice) counts only from its publication.
    return Q(published_at__lte=at, effective_from__lte=at)


def in_force_q(at) -> Q:
    """The rule "in force at `at`", as one condition for filters and annotations: reached, and
    no other reached version of the same vendor is effective later (the unique constraint below
    makes that version one per vendor)."""
    later = PolicyVersion.objects.filter(
        _reached(at), vendor=OuterRef("vendor"), effective_from__gt=OuterRef("effective_from")
    )
    return _reached(at) & ~Exists(later)


class PolicyVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def in_force(self, at=None):
        """The versions in force at `at` (default now), one per vendor; filter by vendor for one."""
        return self.filter(in_force_q(at or timezone.now()))

    def with_in_force(self, at=None):
        """Each version marked `is_in_force` at `at` (default now), by the same rule as `in_force`."""
        return self.annotate(is_in_force=in_force_q(at or timezone.now()))

    def scheduled(self, at=None):
        """Published versions not yet reached at `at`: effective, or published, only later."""
        return self.published().exclude(_reached(at or timezone.now()))


class PolicyVersion(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="versions")
    key = models.SlugField(help_text="Stable identifier of this version within the vendor.")
    name = models.CharField(max_length=200)
    last_updated = models.DateField(null=True, blank=True, help_text='The document\'s "last updated" date.')
    effective_from = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True, help_text="Empty while a draft.")
    source_url = models.URLField(blank=True)
    source_text = models.TextField(blank=True)
    exclusions_preamble = models.CharField(
        max_length=300,
        blank=True,
        help_text="The policy's own words before its list of exclusions, quoted when a case is declined.",
    )
    service_terms = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "The services a policy sells, as catalog data (Infotecs: what Extended Support still covers, "
            "the emergency reaction target, which work needs the customer's agreement); read by lifecycle."
        ),
    )
    reductions_acknowledged_at = models.DateTimeField(null=True, blank=True)
    reductions_acknowledged_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["vendor__name", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "key"], name="policy_version_key_unique"),
            # Exactly one version in force at any instant: no two published versions of a
            # vendor may start at the same moment.
            models.UniqueConstraint(
                fields=["vendor", "effective_from"],
                condition=Q(published_at__isnull=False),
                name="policy_version_one_per_instant",
            ),
        ]
        indexes = [
            # version_in_force(): latest published effective_from <= now, per vendor.
            models.Index(fields=["vendor", "-effective_from"], name="policy_version_in_force"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor.name} — {self.name} ({self.key})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def clean(self) -> None:
        if self.published_at is None or not self.vendor_id:
            return
        days = self.vendor.change_notice_days
        earliest = self.published_at + timedelta(days=days)
        if days and self.effective_from < earliest:
            raise ValidationError({"effective_from": NOTICE_TOO_SHORT.format(days=days, earliest=earliest)})


class SupportCalendar(models.Model):
    """Business hours: weekly wall-clock windows in a zone, minus holidays."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="calendars")
    slug = models.SlugField()
    name = models.CharField(max_length=100)
    timezone = models.CharField(max_length=64, help_text="IANA time zone, e.g. America/New_York.")
    holiday_country = models.CharField(
        max_length=8,
        blank=True,
        help_text="Public holidays from the `holidays` package, e.g. US (federal, observed days included).",
    )
    business_day_hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("24"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text='Open hours in one "business day".',
    )

    class Meta:
        ordering = ["version", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["version", "slug"], name="calendar_slug_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.timezone})"

    def clean(self) -> None:
        from zoneinfo import available_timezones

        if self.timezone not in available_timezones():
            raise ValidationError({"timezone": f"Unknown time zone {self.timezone!r}."})
        if self.holiday_country:
            import holidays

            if self.holiday_country not in holidays.list_supported_countries():
                raise ValidationError({"holiday_country": "Not a country known to `holidays`."})


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class CalendarWindow(models.Model):
    """One weekly open window; it may span days and wrap the week (Sun 19:30 → Fri 19:30).
    Midnight at the end of a day is the next weekday at 00:00."""

    calendar = models.ForeignKey(SupportCalendar, on_delete=models.CASCADE, related_name="windows")
    start_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    end_time = models.TimeField()

    class Meta:
        ordering = ["calendar", "start_weekday", "start_time"]

    def __str__(self) -> str:
        return (
            f"{self.get_start_weekday_display()} {self.start_time:%H:%M} → "
            f"{self.get_end_weekday_display()} {self.end_time:%H:%M}"
        )

    def clean(self) -> None:
        if (self.start_weekday, self.start_time) == (self.end_weekday, self.end_time):
            raise ValidationError("A window must end at a different time than it starts.")


class ClosedDate(models.Model):
    calendar = models.ForeignKey(SupportCalendar, on_delete=models.CASCADE, related_name="closed_dates")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="closed_date_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


class PriorityLevel(models.Model):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="priorities")
    code = models.SlugField()
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(help_text="1 is the most severe.")
    definition = models.TextField()
    examples = models.TextField(blank=True, help_text="One example per line.")

    class Meta:
        ordering = ["version", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="priority_code_unique"),
            models.UniqueConstraint(fields=["version", "rank"], name="priority_rank_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def example_list(self) -> list[str]:
        return [line for line in self.examples.splitlines() if line.strip()]


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    UPDATE = "update", "Update"
    RESOLUTION = "resolution", "Resolution"


class DurationUnit(models.TextChoices):
    HOURS = "hours", "hours"
    BUSINESS_DAYS = "business_days", "business days"


class ResponseTarget(models.Model):
    """A promised time for one priority. No calendar means the 24×7 clock."""

    priority = models.ForeignKey(PriorityLevel, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    duration = models.DecimalField(
        max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit = models.CharField(max_length=20, choices=DurationUnit.choices, default=DurationUnit.HOURS)
    # RESTRICT, not PROTECT: a calendar in use cannot be deleted on its own, yet a draft version
    # deleted whole takes its calendars and the targets on them together.
    calendar = models.ForeignKey(
        SupportCalendar, null=True, blank=True, on_delete=models.RESTRICT, related_name="targets"
    )
    minimum_met_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Minimum met rate per measurement period; below it is a Service Level Failure. "
        "Empty: none promised.",
    )

    class Meta:
        ordering = ["priority", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "kind"], name="target_kind_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.duration_text}"

    @property
    def duration_text(self) -> str:
        return promise_words(
            self.duration, self.get_unit_display(), around_the_clock=self.calendar_id is None
        )

    @property
    def clock_name(self) -> str:
        return "24x7" if self.calendar_id is None else "business"

    def clean(self) -> None:
        if self.calendar_id and self.priority_id and self.calendar.version_id != self.priority.version_id:
            raise ValidationError({"calendar": "Use a calendar of the same policy version."})


class PolicyChannel(models.Model):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="channels")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    note = models.CharField(max_length=200, blank=True, help_text="e.g. depending on purchase")

    class Meta:
        ordering = ["version", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["version", "channel"], name="policy_channel_unique"),
        ]

    def __str__(self) -> str:
        return self.get_channel_display()


class ResolutionCode(models.Model):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="resolution_codes")
    code = models.SlugField()
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="resolution_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Exclusion(models.Model):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="exclusions")
    code = models.SlugField()
    text = models.TextField()

    class Meta:
        ordering = ["version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="exclusion_code_unique"),
        ]

    def __str__(self) -> str:
        return self.text
