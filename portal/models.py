"""Who uses the portal: customer organizations, their members, and each person's preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.compiled import CompiledInserts
from portal.history import HistoricalRecords


class Organization(models.Model):
    name = models.CharField(max_length=200, verbose_name=_("Name"))
    slug = models.SlugField(unique=True, verbose_name=_("Slug"))
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        help_text=_("Default time zone of its members."),
        verbose_name=_("Timezone"),
    )
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Default language of its members' pages and emails. Empty: each browser's language."),
        verbose_name=_("Language"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    ADMIN = "admin", _("Organization admin")


class Membership(models.Model):
    """A customer belongs to one organization; staff users have no membership."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("User")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("Organization")
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER, verbose_name=_("Role"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["organization", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("User")
    )
    timezone = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Empty: the organization's time zone."),
        verbose_name=_("Timezone"),
    )
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the organization's language, else the browser's."),
        verbose_name=_("Language"),
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class NoticeKind(models.TextChoices):
    TICKET_RECEIVED = "ticket_received", _("Case received")
    STAFF_REPLY = "staff_reply", _("Reply from the desk")
    WAITING_ON_YOU = "waiting_on_you", _("Case waiting on you")
    TICKET_RESOLVED = "ticket_resolved", _("Case resolved")
    SLA_WARNING = "sla_warning", _("SLA warning (staff)")
    SLA_ESCALATION = "sla_escalation", _("SLA breach escalation (staff)")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    NEW_CASE = "new_case", _("New case (staff)")
    CUSTOMER_REPLY = "customer_reply", _("Customer reply (staff)")
    POLICY_CHANGE = "policy_change", _("Support policy change")
    LIFECYCLE_MILESTONE = "lifecycle_milestone", _("Product lifecycle milestone")
    NEW_MAJOR_VERSION = "new_major_version", _("New major version")
    # The mailroom's answers to an email it received (mailroom.notices): never optional in the
    # profile, since each answers what the person just sent (MAIL_ANSWERS_PER_HOUR bounds them).
    MAIL_REFUSED = "mail_refused", _("Email not taken in (answer to its sender)")
    MAIL_ATTACHMENTS = "mail_attachments", _("Email attachments refused (answer to its sender)")
    CASE_EXCLUDED = "case_excluded", _("Case excluded from the measurement")
    CHASE = "chase", _("Reminder: a case waits on you")
    MAINTENANCE = "maintenance_notice", _("Planned maintenance or upgrade")
    MAINTENANCE_EXTENDED = "maintenance_extended", _("Planned work extended")
    MAINTENANCE_CANCELLED = "maintenance_cancelled", _("Planned work cancelled")
    MAINTENANCE_MOVED = "maintenance_moved", _("Planned work moved")


# A vendor's policy promises these (SPEC §1 and §3; Albert "shall … notify Customer in advance of
# downtime caused by upgrades", issue 20 point 5): a person cannot opt out of them.
MANDATORY_NOTICES = frozenset(
    {
        NoticeKind.POLICY_CHANGE,
        NoticeKind.LIFECYCLE_MILESTONE,
        NoticeKind.NEW_MAJOR_VERSION,
        NoticeKind.MAINTENANCE,
        NoticeKind.MAINTENANCE_EXTENDED,
        NoticeKind.MAINTENANCE_CANCELLED,
        NoticeKind.MAINTENANCE_MOVED,
    }
)


class NoticePreference(models.Model):
    """Which optional notices a person has turned off; no row means every notice is wanted."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notice_preference",
        verbose_name=_("User"),
    )
    muted_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Notice kinds this person does not want."),
        verbose_name=_("Muted kinds"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("Updated at"))

    def __str__(self) -> str:
        return f"Notice preferences of {self.user}"

    def wants(self, kind: str) -> bool:
        return kind in MANDATORY_NOTICES or kind not in self.muted_kinds


class NoticeState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notice(CompiledInserts):
    """One email to one recipient about one event: the outbox (STYLE.md point 6).

    Written in the same transaction as the change it reports; `portal.outbox` delivers it.
    `dedupe_key` names the (event, recipient) pair, so queueing the same notice twice
    (a task run twice, a sweep racing a request) keeps one row and sends one email."""

    kind = models.CharField(max_length=30, choices=NoticeKind.choices, verbose_name=_("Kind"))
    dedupe_key = models.CharField(max_length=200, unique=True, verbose_name=_("Dedupe key"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
        help_text=_("Empty when sent to a desk address rather than a person."),
        db_index=False,  # notice_recipient_created below leads with it
        verbose_name=_("Recipient"),
    )
    to_email = models.EmailField(verbose_name=_("To email"))
    reference = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Case number, policy or product version."),
        verbose_name=_("Reference"),
    )
    template = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The email's templates (templates/emails/<name>-…), rendered at delivery."),
        verbose_name=_("Template"),
    )
    context = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("What the templates read, stored by the request."),
        verbose_name=_("Context"),
    )
    zone = models.CharField(
        max_length=64, blank=True, help_text=_("The recipient's time zone."), verbose_name=_("Zone")
    )
    subject = models.CharField(max_length=300, blank=True, verbose_name=_("Subject"))
    body_text = models.TextField(blank=True, verbose_name=_("Body text"))
    body_html = models.TextField(blank=True, verbose_name=_("Body HTML"))
    message = models.BinaryField(
        null=True,
        blank=True,
        help_text=_("The built message, sent as is by every attempt."),
        verbose_name=_("Message"),
    )
    message_id = models.CharField(
        max_length=250,
        unique=True,
        help_text=_("Our Message-ID header: a re-sent duplicate carries the same one."),
        verbose_name=_("Message ID"),
    )
    headers = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Threading headers (In-Reply-To, References)."),
        verbose_name=_("Headers"),
    )
    state = models.CharField(
        max_length=10, choices=NoticeState.choices, default=NoticeState.PENDING, verbose_name=_("State")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("Attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("Last error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))
    send_after = models.DateTimeField(
        help_text=_("Not sent before this moment (policy notices wait for their week)."),
        verbose_name=_("Send after"),
    )
    claimed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When a worker took it (the lease start)."),
        verbose_name=_("Claimed at"),
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Sent at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # outbox.notice_sweep: "pending rows due to send, oldest first"; the sent history stays out of it.
            models.Index(
                fields=["send_after"], name="notice_pending_due", condition=Q(state=NoticeState.PENDING)
            ),
            # outbox.notice_sweep: "rows whose worker lease has expired" (a worker died mid-delivery).
            models.Index(
                fields=["claimed_at"], name="notice_sending_lease", condition=Q(state=NoticeState.SENDING)
            ),
            # Admin: one recipient's notices, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notice_recipient_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email} ({self.get_state_display()})"


class IdempotencyKey(models.Model):
    """One submission of a form or an API request that creates something, claimed once per
    person, operation and key (portal.idempotency).

    The row is inserted in the same transaction as what the request creates, so a second
    request with the same key waits on the unique constraint (PostgreSQL) or on the database's
    write lock (SQLite) until the first commits, then fails to claim and answers the first's
    result. Kept `idempotency.KEY_LIFETIME` (24 h); `idempotency_keys_forget` purges older ones."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # idempotency_key_once below leads with it
        verbose_name=_("User"),
    )
    scope = models.CharField(
        max_length=50, help_text=_("The operation, e.g. tickets.open."), verbose_name=_("Scope")
    )
    key = models.CharField(
        max_length=255, help_text=_("The form's token or the Idempotency-Key header."), verbose_name=_("Key")
    )
    fingerprint = models.CharField(
        max_length=64,
        help_text=_("SHA-256 of what was sent: a key reused for another request is refused."),
        verbose_name=_("Fingerprint"),
    )
    reference = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("What it created: case number, reply id."),
        verbose_name=_("Reference"),
    )
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("Response status")
    )
    # The API answer as first sent, as JSON text: a jsonb column would reorder its keys.
    response_body = models.TextField(blank=True, verbose_name=_("Response body"))
    created_at = models.DateTimeField(verbose_name=_("Created at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_once"),
        ]
        indexes = [
            # idempotency_keys_forget: "keys older than their lifetime", once a day.
            models.Index(fields=["created_at"], name="idempotency_key_created"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} by {self.user_id}"


class ApiToken(models.Model):
    """A key for the API (`Authorization: Token <key>`), kept only as its SHA-256: a copy of the
    database signs no one in. The key is shown once, when made; `prefix` tells tokens apart on the
    profile page. A change or reset of the person's password deletes every one of them
    (portal.passwords.RevokeApiTokens)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("User")
    )
    name = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("What it is for, e.g. the nightly export."),
        verbose_name=_("Name"),
    )
    prefix = models.CharField(
        max_length=8, help_text=_("The key's first characters, to recognize it."), verbose_name=_("Prefix")
    )
    # Unique, so the one lookup of every API call (portal.authentication) uses its index.
    digest = models.CharField(
        max_length=64, unique=True, help_text=_("SHA-256 of the key, hex."), verbose_name=_("Digest")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Last used at"))

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… of {self.user}"


class Heartbeat(models.Model):
    """The last successful run of a periodic job (the SLA sweep, the outbox sweep, one mailbox's
    poll): what /metrics reports as its last success and duration, whichever node ran it."""

    job = models.CharField(
        max_length=100, unique=True, help_text=_("e.g. sla_sweep, mail_poll:alectrona"), verbose_name=_("Job")
    )
    last_success_at = models.DateTimeField(verbose_name=_("Last success at"))
    duration_seconds = models.FloatField(verbose_name=_("Duration seconds"))

    def __str__(self) -> str:
        return f"{self.job} at {self.last_success_at:%Y-%m-%d %H:%M:%S}"
