"""Products and their lifecycle (SPEC §3), plans, contracts and the ticket quota (SPEC §4)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from policies.models import DurationUnit, TargetKind
from policies.selectors import version_in_force, version_terms
from policies.words import promise_words
from portal.history import HistoricalRecords

from .dates import PHASE_WORDS, Phase, add_months, phase_at

OVERRIDE_NEEDS_REASON = _("Say why the product life cycle states another date.")
EOS_BEFORE_GA = _("End of sales cannot be before general availability.")
EOL_BEFORE_EOMS = _("End of life cannot be before end of mainstream support.")
END_BEFORE_START = "A contract cannot end before it starts."
ON_PREMISE_TERM = _(
    "On-premise support is bought in 12-month steps: end the term on {suggestion:%Y-%m-%d} "
    "(or another whole number of years after the start, minus one day)."
)
VERSION_OF_OTHER_PRODUCT = _("Choose a version of {product}.")
PRODUCT_OF_OTHER_VENDOR = _("Choose a product of {vendor}.")
PRIORITY_NOT_IN_POLICY = _("{vendor}'s policy in force has no priority “{code}”: use one of {codes}.")
NO_POLICY_IN_FORCE = _("{vendor} has no policy version in force yet, so no priority can be agreed.")
CALENDAR_OF_OTHER_VENDOR = _("Choose a calendar of {vendor}, or none for the 24×7 clock.")


class Product(models.Model):
    vendor = models.ForeignKey(
        "policies.Vendor", on_delete=models.PROTECT, related_name="products", verbose_name=_("Vendor")
    )
    name = models.CharField(max_length=200, verbose_name=_("Name"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["vendor__name", "name"]
        constraints = [models.UniqueConstraint(fields=["vendor", "name"], name="product_name_unique")]

    def __str__(self) -> str:
        return self.name


class MajorVersion(models.Model):
    """One product generation. `eoms`, `eol` and `eoms_provisional` are computed by
    `lifecycle.services.product_milestones_recompute` from this version's GA/EOS, the next
    major's GA and the overrides; never edit them directly."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="major_versions", verbose_name=_("Product")
    )
    number = models.PositiveIntegerField(
        help_text=_("Orders the generations: the next major is the next number."), verbose_name=_("Number")
    )
    name = models.CharField(
        max_length=100, help_text=_('As customers say it, e.g. "4" or "4.x".'), verbose_name=_("Name")
    )
    announced_at = models.DateField(
        null=True,
        blank=True,
        help_text=_("When the new major version was announced."),
        verbose_name=_("Announced at"),
    )
    ga = models.DateField(
        _("GA"), null=True, blank=True, help_text=_("General availability: start of sales.")
    )
    eos = models.DateField(
        _("EOS"), null=True, blank=True, help_text=_("End of sales. Empty while still on sale.")
    )
    eoms = models.DateField(
        _("EOMS"), null=True, blank=True, editable=False, help_text=_("End of mainstream support.")
    )
    eol = models.DateField(_("EOL"), null=True, blank=True, editable=False, help_text=_("End of life."))
    eoms_provisional = models.BooleanField(default=True, editable=False, verbose_name=_("EOMS provisional"))
    eoms_bound = models.CharField(
        max_length=20,
        blank=True,
        editable=False,
        help_text=_("Which rule set EOMS."),
        verbose_name=_("EOMS bound"),
    )
    eoms_override = models.DateField(_("EOMS override"), null=True, blank=True)
    eol_override = models.DateField(_("EOL override"), null=True, blank=True)
    override_reason = models.CharField(max_length=300, blank=True, verbose_name=_("Override reason"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="major_version_number_unique"),
            models.CheckConstraint(
                condition=Q(eos__isnull=True) | Q(ga__isnull=True) | Q(eos__gte=F("ga")),
                name="major_version_eos_after_ga",
            ),
        ]
        indexes = [
            # Notices: versions whose milestones fall within the next six months.
            models.Index(fields=["eos"], name="major_version_eos"),
            models.Index(fields=["eoms"], name="major_version_eoms"),
            models.Index(fields=["eol"], name="major_version_eol"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.name}"

    @property
    def has_override(self) -> bool:
        return self.eoms_override is not None or self.eol_override is not None

    def phase_at(self, day: date) -> Phase:
        return phase_at(day, ga=self.ga, eoms=self.eoms, eol=self.eol)

    def phase_words_at(self, day: date) -> str:
        return str(PHASE_WORDS[self.phase_at(day)])

    def clean(self) -> None:
        errors = {}
        if self.ga and self.eos and self.eos < self.ga:
            errors["eos"] = EOS_BEFORE_GA
        if self.has_override and not self.override_reason.strip():
            errors["override_reason"] = OVERRIDE_NEEDS_REASON
        if self.eoms_override and self.eol_override and self.eol_override < self.eoms_override:
            errors["eol_override"] = EOL_BEFORE_EOMS
        if errors:
            raise ValidationError(errors)


class MinorVersion(models.Model):
    major = models.ForeignKey(
        MajorVersion, on_delete=models.CASCADE, related_name="minor_versions", verbose_name=_("Major")
    )
    name = models.CharField(max_length=100, help_text=_('e.g. "4.5.3"'), verbose_name=_("Name"))
    released_on = models.DateField(verbose_name=_("Released on"))

    class Meta:
        ordering = ["major", "released_on"]
        constraints = [models.UniqueConstraint(fields=["major", "name"], name="minor_version_name_unique")]

    def __str__(self) -> str:
        return f"{self.major.product.name} {self.name}"


class Plan(models.TextChoices):
    BASIC = "basic", _("Basic")
    PREMIUM = "premium", _("Premium")
    # Vendors without Infotecs-style plans (Alectrona, SecPod, Albert): their published policy.
    STANDARD = "standard", _("Standard (vendor policy)")


class Deployment(models.TextChoices):
    HOSTED = "hosted", _("Hosted")
    ON_PREMISE = "on_premise", _("On-premise")


class ContractQuerySet(models.QuerySet):
    def active_on(self, day: date):
        return self.filter(start__lte=day, end__gte=day)

    def visible_to(self, user):
        """Staff see every contract; a customer sees only their organization's."""
        if user.is_staff:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(organization__memberships__user=user)


class Contract(models.Model):
    """A customer's support contract for one product. The term runs from `start` to `end`,
    both days included. A Premium contract adds options on top of a Basic one that covers
    its whole term (checked by `lifecycle.services.contract_validate`)."""

    organization = models.ForeignKey(
        "portal.Organization",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("Organization"),
    )
    vendor = models.ForeignKey(
        "policies.Vendor", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("Vendor")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("Product")
    )
    major_version = models.ForeignKey(
        MajorVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
        help_text=_("Empty: any current version of the product."),
        verbose_name=_("Major version"),
    )
    reference = models.CharField(
        max_length=50, blank=True, help_text=_("The contract number on paper."), verbose_name=_("Reference")
    )
    plan = models.CharField(max_length=10, choices=Plan.choices, default=Plan.BASIC, verbose_name=_("Plan"))
    deployment = models.CharField(
        max_length=12, choices=Deployment.choices, default=Deployment.ON_PREMISE, verbose_name=_("Deployment")
    )
    start = models.DateField(verbose_name=_("Start"))
    end = models.DateField(help_text=_("Last day covered."), verbose_name=_("End"))
    license_price = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        verbose_name=_("License price"),
    )
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code, e.g. EUR.")],
        verbose_name=_("Currency"),
    )
    # Issue 21: the rates the customer's billable work is charged at, "agreed upon and fixed in SLA".
    hourly_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Price of one hour of the specialists' work, in the contract's currency."),
        verbose_name=_("Hourly rate"),
    )
    emergency_reaction_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("The agreed “immediate reaction” to an emergency call; empty: the vendor policy's."),
        verbose_name=_("Emergency reaction minutes"),
    )
    # Issue 20 point 7 (Albert: "Request Resolution services are available to Authorized Users"):
    # where a contract names its contacts, only they open cases under it; anyone of the
    # organization may still follow them (lifecycle.entitlements.entitlement_check).
    authorized_contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="authorized_contracts",
        help_text=_(
            "Members of the organization who may open cases under this contract. Empty: every member."
        ),
        verbose_name=_("Authorized contacts"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))
    history = HistoricalRecords()

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name", "product__name", "-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="contract_end_after_start"),
            models.CheckConstraint(condition=Q(license_price__gte=0), name="contract_price_not_negative"),
        ]
        indexes = [
            # entitlement_check and My products: an organization's contracts with a vendor active on a day.
            models.Index(fields=["organization", "vendor", "start", "end"], name="contract_org_vendor_term"),
            # Notices: every organization holding a contract for a product.
            models.Index(fields=["product", "end"], name="contract_product_end"),
        ]

    def __str__(self) -> str:
        version = self.major_version.name if self.major_version_id else "any version"
        term = f"{self.start}–{self.end}"
        return f"{self.organization} — {self.product} {version} ({self.get_plan_display()}, {term})"

    def is_active_on(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def term_months(self) -> int | None:
        """Whole months of the term when it ends the day before a monthly anniversary, else None."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        for candidate in (months - 1, months, months + 1):
            if candidate > 0 and add_months(self.start, candidate) - timedelta(days=1) == self.end:
                return candidate
        return None

    def clean(self) -> None:
        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = END_BEFORE_START
        elif self.start and self.end and self.deployment == Deployment.ON_PREMISE:
            # SPEC §3 (Alectrona) and §4: "on-premise terms in 12-month steps".
            months = self.term_months
            if months is None or months % 12:
                years = max(1, round((self.end - self.start).days / 365))
                suggestion = add_months(self.start, 12 * years) - timedelta(days=1)
                errors["end"] = ON_PREMISE_TERM.format(suggestion=suggestion)
        if self.product_id and self.vendor_id and self.product.vendor_id != self.vendor_id:
            errors["product"] = PRODUCT_OF_OTHER_VENDOR.format(vendor=self.vendor)
        if self.major_version_id and self.product_id and self.major_version.product_id != self.product_id:
            errors["major_version"] = VERSION_OF_OTHER_PRODUCT.format(product=self.product)
        if errors:
            raise ValidationError(errors)


class PremiumOptionKind(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Personal account manager")
    EMERGENCY_ONSITE = "emergency_onsite", _("Emergency on-site support (each call charged)")
    FEATURE_REQUESTS = "feature_requests", _("Feature requests")
    EARLY_ACCESS = "early_access", _("Early access to new versions")
    DEDICATED_SPECIALIST = "dedicated_specialist", _("Dedicated technical support specialist")
    WORKSHOPS = "workshops", _("Webinars and workshops")
    INFRASTRUCTURE_ANALYSIS = "infrastructure_analysis", _("Infrastructure analysis and deployment plan")
    SECURITY_REVIEW = "security_review", _("Comprehensive security review")


class PremiumOption(models.Model):
    """One chosen Premium option, priced in the contract (SPEC §4: "each priced in the contract")."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="premium_options", verbose_name=_("Contract")
    )
    kind = models.CharField(max_length=30, choices=PremiumOptionKind.choices, verbose_name=_("Kind"))
    price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))], verbose_name=_("Price")
    )
    note = models.CharField(
        max_length=200, blank=True, help_text=_('e.g. "per call" or "per year".'), verbose_name=_("Note")
    )

    class Meta:
        ordering = ["contract", "kind"]
        constraints = [models.UniqueConstraint(fields=["contract", "kind"], name="premium_option_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.price} {self.contract.currency}"

    def clean(self) -> None:
        if self.contract_id and self.contract.plan != Plan.PREMIUM:
            raise ValidationError({"contract": _("Premium options belong to a Premium contract.")})


class TermsPhase(models.TextChoices):
    """Issue 21 point 8: "the Agreement shall be drawn up on Extended Support terms or shall cover
    several periods, within which support will be provided under different terms"."""

    ANY = "", _("Every phase")
    MAINSTREAM = "mainstream", _("Mainstream support")
    EXTENDED = "extended", _("Extended support")


class ContractTarget(models.Model):
    """A response target agreed in one customer's contract; it replaces the vendor's target
    of the same kind for that priority (Infotecs states none of its own). A target of one phase
    applies to cases whose version is in that phase on the day they open, and wins there over
    one for every phase."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="targets", verbose_name=_("Contract")
    )
    phase = models.CharField(
        max_length=12,
        choices=TermsPhase.choices,
        default=TermsPhase.ANY,
        blank=True,
        help_text=_("The support phase of the case's version these terms hold in; empty: every phase."),
        verbose_name=_("Phase"),
    )
    priority_code = models.SlugField(
        help_text=_("The vendor's priority code, e.g. critical."), verbose_name=_("Priority code")
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
    calendar = models.ForeignKey(
        "policies.SupportCalendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the 24×7 clock."),
        verbose_name=_("Calendar"),
    )

    class Meta:
        ordering = ["contract", "priority_code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "priority_code", "kind", "phase"], name="contract_target_unique_phase"
            ),
        ]

    def __str__(self) -> str:
        promise = promise_words(
            self.duration, self.get_unit_display(), around_the_clock=self.calendar_id is None
        )
        return f"{self.priority_code} {self.get_kind_display()}: {promise}"

    def clean(self) -> None:
        """The target replaces the vendor's own for one of its priorities, so it names a priority
        of the vendor's version in force (a case is opened under that version) and runs on one of
        the vendor's calendars or on 24×7."""
        try:
            contract = self.contract  # cached but unsaved while the admin adds a contract with targets
        except Contract.DoesNotExist:
            return
        vendor = contract.vendor if contract.vendor_id else None
        if vendor is None:
            return
        errors = {}
        if self.priority_code:
            version = version_in_force(vendor=vendor)
            codes = list(version_terms(version).priorities) if version is not None else []
            if version is None:
                errors["priority_code"] = NO_POLICY_IN_FORCE.format(vendor=vendor.name)
            elif self.priority_code not in codes:
                errors["priority_code"] = PRIORITY_NOT_IN_POLICY.format(
                    vendor=vendor.name, code=self.priority_code, codes=", ".join(codes)
                )
        if self.calendar_id and self.calendar.version.vendor_id != vendor.pk:
            errors["calendar"] = CALENDAR_OF_OTHER_VENDOR.format(vendor=vendor.name)
        if errors:
            raise ValidationError(errors)


class LedgerKind(models.TextChoices):
    EXCHANGE = "exchange", _("Exchanged for Premium services")
    USE = "use", _("Used by a resolved case")


EXCHANGE_NEEDS_SERVICE = _("Say what the tickets were exchanged for.")
USE_NEEDS_CASE = _("A used ticket names the case that used it.")
USE_IS_ONE_TICKET = _("A case uses one ticket.")


class QuotaLedgerEntry(models.Model):
    """One line of a Basic contract's ticket quota (SPEC §4), by contract year. A *use* is a case
    resolved (or closed) that year: one ticket, one row per case and contract, written by tickets
    through `lifecycle.services.quota_use_record` and given back when the case is reopened. An
    *exchange* gives allowance up for Premium services and forfeits that year's carry-over. The
    quota is counted from these rows alone: lifecycle never reads the cases."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="quota_entries", verbose_name=_("Contract")
    )
    contract_year = models.PositiveSmallIntegerField(
        help_text=_("1 is the first contract year."), verbose_name=_("Contract year")
    )
    kind = models.CharField(
        max_length=10, choices=LedgerKind.choices, default=LedgerKind.EXCHANGE, verbose_name=_("Kind")
    )
    tickets = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)], verbose_name=_("Tickets"))
    ticket_number = models.CharField(
        max_length=20,
        blank=True,
        help_text=_("The case that used the ticket (uses only), e.g. INF-000123."),
        verbose_name=_("Ticket number"),
    )
    premium_service = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("What the tickets were exchanged for (exchanges only)."),
        verbose_name=_("Premium service"),
    )
    recorded_at = models.DateTimeField(verbose_name=_("Recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Recorded by"),
    )

    class Meta:
        ordering = ["contract", "contract_year", "recorded_at"]
        verbose_name = _("quota ledger entry")
        verbose_name_plural = _("quota ledger")
        constraints = [
            models.CheckConstraint(condition=Q(contract_year__gte=1), name="ledger_year_from_one"),
            models.CheckConstraint(
                condition=(Q(kind=LedgerKind.EXCHANGE) & ~Q(premium_service="") & Q(ticket_number=""))
                | (Q(kind=LedgerKind.USE) & ~Q(ticket_number="") & Q(tickets=1)),
                name="ledger_kind_fields",
            ),
            # A case uses a contract's ticket once, however often it is resolved. Ticket number
            # first: quota_use_withdraw finds a reopened case's rows by it.
            models.UniqueConstraint(
                fields=["ticket_number", "contract"],
                condition=Q(kind=LedgerKind.USE),
                name="ledger_use_once_per_case",
            ),
        ]

    def __str__(self) -> str:
        contract = self.contract.reference or self.contract_id
        if self.kind == LedgerKind.USE:
            return f"{contract} year {self.contract_year}: used by {self.ticket_number}"
        return f"{contract} year {self.contract_year}: {self.tickets} tickets"

    def clean(self) -> None:
        if self.kind == LedgerKind.EXCHANGE and not self.premium_service.strip():
            raise ValidationError({"premium_service": EXCHANGE_NEEDS_SERVICE})
        if self.kind == LedgerKind.USE:
            if not self.ticket_number:
                raise ValidationError({"ticket_number": USE_NEEDS_CASE})
            if self.tickets != 1:
                raise ValidationError({"tickets": USE_IS_ONE_TICKET})


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeedToken(models.Model):
    """The secret in a person's iCalendar feed address; calendar apps cannot sign in, so the
    address itself is the credential. Regenerating it revokes the old address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_token",
        verbose_name=_("User"),
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token, verbose_name=_("Token"))
    created_at = models.DateTimeField(auto_now=True, verbose_name=_("Created at"))

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
