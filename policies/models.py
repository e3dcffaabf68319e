"""Vendors and their support policies, as versioned data (SPEC §1–2)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from portal.history import HistoricalRecords

from .words import promise_words

NOTICE_TOO_SHORT = _(
    "A new version of this policy can take effect no sooner than {days} days after it is published "
    "({earliest:%Y-%m-%d %H:%M} UTC)."
)


class Vendor(models.Model):
    slug = models.SlugField(unique=True, verbose_name=_("Slug"))
    name = models.CharField(max_length=100, verbose_name=_("Name"))
    website = models.URLField(blank=True, verbose_name=_("Website"))
    ticket_prefix = models.CharField(
        max_length=5,
        unique=True,
        help_text=_("Prefix of this vendor's case numbers, e.g. ALC."),
        verbose_name=_("Ticket prefix"),
    )
    change_notice_days = models.PositiveSmallIntegerField(
        default=0,
        help_text=_("Days between publishing a new policy version and its taking effect."),
        verbose_name=_("Change notice days"),
    )
    distinguishes_kinds = models.BooleanField(
        default=False,
        help_text=_("The policy separates incidents from requests."),
        verbose_name=_("Distinguishes kinds"),
    )
    desk_group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "The staff who hear of this vendor's unassigned cases: new cases and customer "
            "replies. Empty: the desk address (SUPPORT_DESK_EMAIL)."
        ),
        verbose_name=_("Desk group"),
    )
    support_email = models.EmailField(
        blank=True,
        help_text=_(
            "The desk's address for this vendor (SPEC §7): case emails come from it, and mail "
            "to it opens and answers cases. Empty: emails come from DEFAULT_FROM_EMAIL, "
            "with no reply address."
        ),
        verbose_name=_("Support email"),
    )
    email_priority = models.CharField(
        max_length=20,
        blank=True,
        help_text=_(
            "Priority code a case opened by email gets until staff triage it; empty or not a "
            "priority of the policy in force: its least urgent one."
        ),
        verbose_name=_("Email priority"),
    )
    chase_interval_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Hours after which a case waiting on the customer is chased automatically, and again "
            "after each reminder (issue 20). Empty: only the desk's own reminders."
        ),
        verbose_name=_("Chase interval hours"),
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
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    IN_PRODUCT = "in_product", _("In-product")


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
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="versions", verbose_name=_("Vendor")
    )
    key = models.SlugField(
        help_text=_("Stable identifier of this version within the vendor."), verbose_name=_("Key")
    )
    name = models.CharField(max_length=200, verbose_name=_("Name"))
    last_updated = models.DateField(
        null=True,
        blank=True,
        help_text=_('The document\'s "last updated" date.'),
        verbose_name=_("Last updated"),
    )
    effective_from = models.DateTimeField(verbose_name=_("Effective from"))
    published_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Empty while a draft."), verbose_name=_("Published at")
    )
    source_url = models.URLField(blank=True, verbose_name=_("Source URL"))
    source_text = models.TextField(blank=True, verbose_name=_("Source text"))
    # The policy's full text (kilobytes) is in no email: a notice's snapshot of a version leaves it
    # out (portal.outbox.context_dump; issue 24), loaded back as "".
    notice_snapshot_omits = ("source_text",)
    exclusions_preamble = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("The policy's own words before its list of exclusions, quoted when a case is declined."),
        verbose_name=_("Exclusions preamble"),
    )
    service_terms = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            _(
                "The services a policy sells, as catalog data (Infotecs: what Extended Support "
                "still covers, the emergency reaction target, which work needs the customer's "
                "agreement); read by lifecycle."
            )
        ),
        verbose_name=_("Service terms"),
    )
    # Issue 22: the language the vendor publishes this version in, and the translations the vendor
    # publishes of its texts, per language: {"ru": {"name": …, "exclusions_preamble": …,
    # "priorities": {code: {"name", "definition", "examples"}}, "exclusions": {code: text},
    # "resolution_codes": {code: name}}}. Policy data, loaded from the catalog; never machine-made.
    language = models.CharField(
        max_length=10,
        default="en",
        help_text=_("The language the vendor publishes this version in."),
        verbose_name=_("Language"),
    )
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The vendor's own translations of this version's texts, per language code."),
        verbose_name=_("Translations"),
    )
    reductions_acknowledged_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Reductions acknowledged at")
    )
    reductions_acknowledged_by = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Reductions acknowledged by"),
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

    def translation(self, language: str | None = None) -> dict:
        """The vendor's translation of this version's texts into `language` (default: the active
        one), or {} where the reader reads the original: its own language, or none published."""
        language = (language or get_language() or self.language).split("-")[0]
        if language == self.language:
            return {}
        return self.translations.get(language) or {}

    def texts_language(self, language: str | None = None) -> str:
        """The language the texts are shown in to a reader of `language`."""
        language = (language or get_language() or self.language).split("-")[0]
        return language if self.translation(language) else self.language

    def shown(self, field: str, section: str = "", code: str = "") -> str:
        """One text in the reader's language: the version's own `field`, or a section's item's
        (`shown("definition", "priorities", "urgent")`); the original where none is translated."""
        texts = self.translation()
        if section:
            texts = texts.get(section, {}).get(code, {})
            if isinstance(texts, str):  # exclusions and resolution codes: one text per code
                return texts
        return texts.get(field, "") if isinstance(texts, dict) else ""

    @property
    def shown_name(self) -> str:
        return self.shown("name") or self.name

    @property
    def shown_exclusions_preamble(self) -> str:
        return self.shown("exclusions_preamble") or self.exclusions_preamble

    def clean(self) -> None:
        if self.published_at is None or not self.vendor_id:
            return
        days = self.vendor.change_notice_days
        earliest = self.published_at + timedelta(days=days)
        if days and self.effective_from < earliest:
            raise ValidationError({"effective_from": NOTICE_TOO_SHORT.format(days=days, earliest=earliest)})


class SupportCalendar(models.Model):
    """Business hours: weekly wall-clock windows in a zone, minus holidays."""

    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="calendars", verbose_name=_("Version")
    )
    slug = models.SlugField(verbose_name=_("Slug"))
    name = models.CharField(max_length=100, verbose_name=_("Name"))
    timezone = models.CharField(
        max_length=64, help_text=_("IANA time zone, e.g. America/New_York."), verbose_name=_("Timezone")
    )
    holiday_country = models.CharField(
        max_length=8,
        blank=True,
        help_text=_(
            "Public holidays from the `holidays` package, e.g. US (federal, observed days included)."
        ),
        verbose_name=_("Holiday country"),
    )
    business_day_hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("24"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_('Open hours in one "business day".'),
        verbose_name=_("Business day hours"),
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
            raise ValidationError(
                {"timezone": gettext("Unknown time zone %(zone)r.") % {"zone": self.timezone}}
            )
        if self.holiday_country:
            import holidays

            if self.holiday_country not in holidays.list_supported_countries():
                raise ValidationError({"holiday_country": _("Not a country known to `holidays`.")})


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class CalendarWindow(models.Model):
    """One weekly open window; it may span days and wrap the week (Sun 19:30 → Fri 19:30).
    Midnight at the end of a day is the next weekday at 00:00."""

    calendar = models.ForeignKey(
        SupportCalendar, on_delete=models.CASCADE, related_name="windows", verbose_name=_("Calendar")
    )
    start_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, verbose_name=_("Start weekday"))
    start_time = models.TimeField(verbose_name=_("Start time"))
    end_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, verbose_name=_("End weekday"))
    end_time = models.TimeField(verbose_name=_("End time"))

    class Meta:
        ordering = ["calendar", "start_weekday", "start_time"]

    def __str__(self) -> str:
        return (
            f"{self.get_start_weekday_display()} {self.start_time:%H:%M} → "
            f"{self.get_end_weekday_display()} {self.end_time:%H:%M}"
        )

    def clean(self) -> None:
        if (self.start_weekday, self.start_time) == (self.end_weekday, self.end_time):
            raise ValidationError(_("A window must end at a different time than it starts."))


class ClosedDate(models.Model):
    calendar = models.ForeignKey(
        SupportCalendar, on_delete=models.CASCADE, related_name="closed_dates", verbose_name=_("Calendar")
    )
    date = models.DateField(verbose_name=_("Date"))
    reason = models.CharField(max_length=200, blank=True, verbose_name=_("Reason"))

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="closed_date_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


class PriorityLevel(models.Model):
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="priorities", verbose_name=_("Version")
    )
    code = models.SlugField(verbose_name=_("Code"))
    name = models.CharField(max_length=100, verbose_name=_("Name"))
    rank = models.PositiveSmallIntegerField(help_text=_("1 is the most severe."), verbose_name=_("Rank"))
    definition = models.TextField(verbose_name=_("Definition"))
    examples = models.TextField(blank=True, help_text=_("One example per line."), verbose_name=_("Examples"))

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
        """The examples, one a line, in the reader's language where the vendor translated them."""
        examples = self.version.shown("examples", "priorities", self.code) or self.examples
        return [line for line in examples.splitlines() if line.strip()]

    @property
    def shown_name(self) -> str:
        return self.version.shown("name", "priorities", self.code) or self.name

    @property
    def shown_definition(self) -> str:
        return self.version.shown("definition", "priorities", self.code) or self.definition


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    UPDATE = "update", _("Update")
    RESOLUTION = "resolution", _("Resolution")


class DurationUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    BUSINESS_DAYS = "business_days", _("business days")


class ResponseTarget(models.Model):
    """A promised time for one priority. No calendar means the 24×7 clock."""

    priority = models.ForeignKey(
        PriorityLevel, on_delete=models.CASCADE, related_name="targets", verbose_name=_("Priority")
    )
    kind = models.CharField(max_length=20, choices=TargetKind.choices, verbose_name=_("Kind"))
    duration = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        verbose_name=_("Duration"),
    )
    unit = models.CharField(
        max_length=20, choices=DurationUnit.choices, default=DurationUnit.HOURS, verbose_name=_("Unit")
    )
    # RESTRICT, not PROTECT: a calendar in use cannot be deleted on its own, yet a draft version
    # deleted whole takes its calendars and the targets on them together.
    calendar = models.ForeignKey(
        SupportCalendar,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="targets",
        verbose_name=_("Calendar"),
    )
    minimum_met_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Minimum met rate per measurement period; below it is a Service Level Failure. "
            "Empty: none promised."
        ),
        verbose_name=_("Minimum met percent"),
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
            raise ValidationError({"calendar": _("Use a calendar of the same policy version.")})


class PolicyChannel(models.Model):
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="channels", verbose_name=_("Version")
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, verbose_name=_("Channel"))
    note = models.CharField(
        max_length=200, blank=True, help_text=_("e.g. depending on purchase"), verbose_name=_("Note")
    )

    class Meta:
        ordering = ["version", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["version", "channel"], name="policy_channel_unique"),
        ]

    def __str__(self) -> str:
        return self.get_channel_display()


class ResolutionCode(models.Model):
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="resolution_codes", verbose_name=_("Version")
    )
    code = models.SlugField(verbose_name=_("Code"))
    name = models.CharField(max_length=200, verbose_name=_("Name"))

    class Meta:
        ordering = ["version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="resolution_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_name(self) -> str:
        return self.version.shown("name", "resolution_codes", self.code) or self.name


class Exclusion(models.Model):
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="exclusions", verbose_name=_("Version")
    )
    code = models.SlugField(verbose_name=_("Code"))
    text = models.TextField(verbose_name=_("Text"))

    class Meta:
        ordering = ["version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="exclusion_code_unique"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        return self.version.shown("text", "exclusions", self.code) or self.text
