"""Monitored services and their outages (SPEC §3, Albert availability)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

END_BEFORE_START = "The end of an outage must be after its start."


class ServiceKind(models.TextChoices):
    SERVER_UPTIME = "server_uptime", _("Server uptime")
    APPLICATION = "application", _("Application availability")


class MonitoredService(models.Model):
    """A service whose monthly availability a vendor promises (Albert: ≥ 99 %)."""

    vendor = models.ForeignKey(
        "policies.Vendor",
        verbose_name=_("Vendor"),
        on_delete=models.PROTECT,
        related_name="monitored_services",
    )
    slug = models.SlugField(
        unique=True, help_text=_("How a monitor names the service in the outage API."), verbose_name=_("Slug")
    )
    name = models.CharField(max_length=200, verbose_name=_("Name"))
    kind = models.CharField(max_length=20, choices=ServiceKind.choices, verbose_name=_("Kind"))
    timezone = models.CharField(
        max_length=64,
        default="America/Los_Angeles",
        help_text=_("Months and the Sunday 00:00–06:00 maintenance window are on this zone's wall clock."),
        verbose_name=_("Timezone"),
    )
    target_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("99.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("A month below this is a Service Level Failure."),
        verbose_name=_("Target percent"),
    )
    active = models.BooleanField(default=True, verbose_name=_("Active"))

    class Meta:
        ordering = ["vendor__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        from zoneinfo import available_timezones

        if self.timezone not in available_timezones():
            raise ValidationError(
                {"timezone": gettext("Unknown time zone %(zone)r.") % {"zone": self.timezone}}
            )


class OutageCause(models.TextChoices):
    UNPLANNED = "unplanned", _("Unplanned")
    MAINTENANCE_WINDOW = "maintenance_window", _("Maintenance in the Sunday window")
    SCHEDULED_MAINTENANCE = "scheduled_maintenance", _("Scheduled maintenance outside the window (announced)")
    UPGRADE = "upgrade", _("Upgrade (announced)")
    EMERGENCY_MAINTENANCE = "emergency_maintenance", _("Announced emergency maintenance")
    SUPPLIER = "supplier", _("A supplier chosen by the vendor (counts as downtime)")
    BEYOND_CONTROL = "beyond_control", _("Failure beyond the vendor's control")
    CUSTOMER_SIDE = "customer_side", _("Customer-side cause")


# Issue 20 point 5, Albert's "Exclusions": the one rule of which outages count (outage_excused).
# Excused whatever their time, each with a note that says why: a failure beyond the vendor's
# control (the larger internet, hardware or programs not provided by the vendor), the customer's
# side, emergency maintenance. A supplier is the vendor's choice ("within Albert's reasonable
# control to select vendors and suppliers"): downtime. Planned work is excused in the Sunday window
# (by its time, whatever the cause says) and, outside it, only when announced to the customers at
# least MAINTENANCE_NOTICE_HOURS before it began (reports.services.maintenance_notices_sweep).
EXCUSED_CAUSES = frozenset(
    {OutageCause.BEYOND_CONTROL, OutageCause.CUSTOMER_SIDE, OutageCause.EMERGENCY_MAINTENANCE}
)
ANNOUNCED_CAUSES = frozenset({OutageCause.SCHEDULED_MAINTENANCE, OutageCause.UPGRADE})
NOTE_REQUIRED = EXCUSED_CAUSES | ANNOUNCED_CAUSES
NOTE_MISSING = _("Say why this outage is excused: {cause} needs a note (the evidence the customer sees).")
END_REQUIRED = _("Planned work is announced with its end: give the time it is planned to end.")
THIRD_PARTY_GONE = _(
    "'third_party' is no longer a cause: a supplier chosen by the vendor is 'supplier' (counts as "
    "downtime); a failure beyond the vendor's control is 'beyond_control', with a note."
)


def announcement_lead() -> timedelta:
    return timedelta(hours=settings.MAINTENANCE_NOTICE_HOURS)


def outage_excused(*, cause: str, start: datetime, announced_at: datetime | None) -> bool:
    """Whether an outage's cause excuses it (the Sunday window is excluded by time, elsewhere)."""
    if cause in EXCUSED_CAUSES:
        return True
    if cause in ANNOUNCED_CAUSES:
        return announced_at is not None and start - announced_at >= announcement_lead()
    return False


class Outage(models.Model):
    service = models.ForeignKey(
        MonitoredService, on_delete=models.CASCADE, related_name="outages", verbose_name=_("Service")
    )
    start = models.DateTimeField(verbose_name=_("Start"))
    end = models.DateTimeField(
        null=True, blank=True, help_text=_("Empty while the outage lasts."), verbose_name=_("End")
    )
    cause = models.CharField(
        max_length=30, choices=OutageCause.choices, default=OutageCause.UNPLANNED, verbose_name=_("Cause")
    )
    notes = models.TextField(blank=True, verbose_name=_("Notes"))
    reference = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The monitor's own id: posting it again does not duplicate the outage."),
        verbose_name=_("Reference"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Recorded by"),
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Recorded at"))
    announced_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the affected organizations' members were told of this planned work."),
        verbose_name=_("Announced at"),
    )
    cancelled_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("When this planned work was called off: no outage, and those told of it were told."),
        verbose_name=_("Cancelled at"),
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Cancelled by"),
    )

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")), name="outage_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["service", "reference"], condition=~Q(reference=""), name="outage_reference_unique"
            ),
        ]
        indexes = [
            # availability_for(): the outages of one service overlapping a range of months.
            models.Index(fields=["service", "start"], name="outage_service_start"),
            # maintenance_notices_sweep(): planned work not yet announced.
            models.Index(
                fields=["start"],
                condition=Q(announced_at__isnull=True, cause__in=["scheduled_maintenance", "upgrade"]),
                name="outage_to_announce",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.name}: {self.get_cause_display()} from {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_excluded(self) -> bool:
        if self.is_cancelled:
            return True  # called off: it never happened, so it is no downtime
        return outage_excused(cause=self.cause, start=self.start, announced_at=self.announced_at)

    @property
    def counts_as_downtime(self) -> bool:
        return not self.is_excluded

    def clean(self) -> None:
        errors = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = END_BEFORE_START
        elif self.cause in ANNOUNCED_CAUSES and self.end is None:
            errors["end"] = END_REQUIRED
        if self.cause in NOTE_REQUIRED and not (self.notes or "").strip():
            errors["notes"] = NOTE_MISSING.format(cause=OutageCause(self.cause).label)
        if errors:
            raise ValidationError(errors)


class MeasurementPeriod(models.Model):
    """One organization × vendor × calendar month (the desk's zone), signed off (issue 20 point 3):
    the customer's organization admin accepts or disputes each pause and exclusion, staff close
    it, and a closed period is frozen: `snapshot` holds its figures and verdicts as they were at
    closing, and every report of that month reads them instead of the cases."""

    organization = models.ForeignKey(
        "portal.Organization", verbose_name=_("Organization"), on_delete=models.PROTECT, related_name="+"
    )
    vendor = models.ForeignKey(
        "policies.Vendor", verbose_name=_("Vendor"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(help_text=_("The first day of the month."), verbose_name=_("Month"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Closed by"),
    )
    snapshot = models.JSONField(null=True, blank=True, editable=False, verbose_name=_("Snapshot"))

    class Meta:
        ordering = ["-month", "organization", "vendor"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "vendor", "month"], name="period_one_per_month"),
        ]
        indexes = [models.Index(fields=["month", "organization"], name="period_month_org")]

    def __str__(self) -> str:
        return f"{self.organization_id} × {self.vendor_id} {self.month:%Y-%m}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ReviewItem(models.TextChoices):
    WAIT = "wait", _("Pause (waiting on the customer)")
    EXCLUSION = "exclusion", _("Exclusion")


class ReviewDecision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DISPUTED = "disputed", _("Disputed")


class PeriodReview(models.Model):
    """The customer's word on one pause or exclusion of a period. A disputed item counts against
    the vendor (the pause is not credited, the exclusion not applied) until it is accepted."""

    period = models.ForeignKey(
        MeasurementPeriod, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("Period")
    )
    item = models.CharField(max_length=20, choices=ReviewItem.choices, verbose_name=_("Item"))
    object_id = models.PositiveBigIntegerField(
        help_text=_("The tickets.Wait or tickets.CaseExclusion."), verbose_name=_("Object ID")
    )
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices, verbose_name=_("Decision"))
    comment = models.TextField(blank=True, verbose_name=_("Comment"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("By")
    )
    at = models.DateTimeField(verbose_name=_("At"))

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "object_id"], name="period_review_one_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.object_id}: {self.decision}"


class Dashboard(models.Model):
    """No table: gives the staff dashboard its place and link on the admin index
    (/admin/reports/dashboard/), with Django's own permission checks."""

    class Meta:
        managed = False
        verbose_name = _("staff dashboard")
        verbose_name_plural = _("staff dashboard")

    def __str__(self) -> str:
        return "Staff dashboard"


class Statement(models.Model):
    """A closed monthly statement of one organization's contract (issue 21 point 2), frozen like
    a closed measurement period: `snapshot` holds every line and total as they were at closing,
    and the statement pages, CSV and API read it instead of the cases from then on. An open
    month has no row: it is computed from the cases each time (reports.statements)."""

    contract = models.ForeignKey(
        "lifecycle.Contract", verbose_name=_("Contract"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(help_text=_("The first day of the month (UTC)."), verbose_name=_("Month"))
    closed_at = models.DateTimeField(verbose_name=_("Closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Closed by"),
    )
    snapshot = models.JSONField(default=dict, editable=False, verbose_name=_("Snapshot"))

    class Meta:
        ordering = ["-month", "contract"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"], name="statement_one_per_contract_month")
        ]

    def __str__(self) -> str:
        return f"Statement {self.contract_id} {self.month:%Y-%m}"
