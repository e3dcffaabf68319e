"""Support cases, their conversation and attachments, and the SLA targets each one carries."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import IsNull
from django.utils.translation import gettext_lazy as _

from policies.models import TargetKind
from portal.compiled import CompiledInserts, InsertCompiledOnce
from portal.history import HistoricalRecords
from portal.selectors import user_membership

from .deadlines import overdue


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Request")


class TicketChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    API = "api", _("API")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_ON_CUSTOMER = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER)


class TargetState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    # The customer closed the case before any answer and before the deadline: neither met nor
    # breached, left out of met rates and response-time statistics (SPEC §2).
    WITHDRAWN = "withdrawn", _("Withdrawn")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class TicketCounter(models.Model):
    """The last number handed out per vendor; numbers are never reused."""

    vendor = models.OneToOneField(
        "policies.Vendor", verbose_name=_("Vendor"), on_delete=models.CASCADE, related_name="+"
    )
    last_number = models.PositiveIntegerField(default=0, verbose_name=_("Last number"))

    def __str__(self) -> str:
        return f"{self.vendor_id}: {self.last_number}"


class TicketQuerySet(InsertCompiledOnce):
    def visible_to(self, user):
        """Staff see every case; a customer sees only their organization's. By the organization's
        key, which the membership (loaded with an API token) holds: a join through the memberships
        table would keep PostgreSQL from walking the (organization, opened) index in order."""
        if user.is_staff:
            return self
        membership = user_membership(user)
        if membership is None:
            return self.none()
        return self.filter(organization_id=membership.organization_id)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(CompiledInserts):
    number = models.CharField(max_length=20, unique=True, editable=False, verbose_name=_("Number"))
    # Vendor, organization, assignee and priority lead a composite index each (Meta.indexes),
    # which serves every look-up a single-column index would: no second index to keep up to date.
    vendor = models.ForeignKey(
        "policies.Vendor",
        verbose_name=_("Vendor"),
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    organization = models.ForeignKey(
        "portal.Organization",
        verbose_name=_("Organization"),
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        verbose_name=_("Requester"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,
        verbose_name=_("Assignee"),
    )
    # No list filters by version, product (alone), major version or resolution code: their keys get
    # no index of their own, written on every opening for nothing but the PROTECT check of a delete
    # (a scan then, of a version, product or code nobody deletes once cases name it).
    policy_version = models.ForeignKey(
        "policies.PolicyVersion",
        verbose_name=_("Policy version"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    priority = models.ForeignKey(
        "policies.PriorityLevel",
        verbose_name=_("Priority"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    product = models.ForeignKey(
        "lifecycle.Product",
        verbose_name=_("Product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,  # "My cases" filters it within the organization: ticket_org_product
    )
    major_version = models.ForeignKey(
        "lifecycle.MajorVersion",
        verbose_name=_("Major version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text=_("The version the problem is reproduced in."),
        db_index=False,
    )
    onsite_requested = models.BooleanField(
        default=False,
        help_text=_("The customer asks for an on-site visit."),
        verbose_name=_("Onsite requested"),
    )
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.INCIDENT, verbose_name=_("Kind")
    )
    channel = models.CharField(
        max_length=10, choices=TicketChannel.choices, default=TicketChannel.PORTAL, verbose_name=_("Channel")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.NEW, verbose_name=_("Status")
    )
    subject = models.CharField(max_length=200, verbose_name=_("Subject"))
    body = models.TextField(help_text=_("Markdown, as the customer wrote it."), verbose_name=_("Body"))
    body_html = models.TextField(
        editable=False, help_text=_("Sanitized rendering of the body."), verbose_name=_("Body HTML")
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("Parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subordinates",
        help_text=_("The case this incident was split from."),
        db_index=False,  # almost every case has no parent: see the partial index below
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("Merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        help_text=_("The case this duplicate was merged into (tickets.services.ticket_merge)."),
        db_index=False,  # almost every case is no duplicate: see the partial index below
    )
    resolution_code = models.ForeignKey(
        "policies.ResolutionCode",
        verbose_name=_("Resolution code"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    billable = models.BooleanField(default=False, verbose_name=_("Billable"))
    billable_reason = models.TextField(blank=True, verbose_name=_("Billable reason"))
    # Issue 21: Infotecs' services on a case.
    vulnerability = models.BooleanField(
        default=False,
        help_text=_("Reported as a security vulnerability (covered in Extended Support)."),
        verbose_name=_("Vulnerability"),
    )
    cve_id = models.CharField(
        _("CVE ID"), max_length=20, blank=True, help_text=_("e.g. CVE-2026-12345, where known.")
    )
    emergency = models.BooleanField(
        default=False,
        help_text=_("A Premium emergency call: immediate reaction, charged per call."),
        verbose_name=_("Emergency"),
    )
    agreement_required = models.BooleanField(
        default=False,
        help_text=_(
            "Chargeable work not covered by the plan: staff quote it and the customer accepts first."
        ),
        verbose_name=_("Agreement required"),
    )
    # Issue 20 point 6: the vendor's own case for this one ("assigned to Albert in Albert's
    # incident management system") and whether the desk now waits on the vendor. Only a marker:
    # the desk's clocks keep running, the customer's promise is the desk's (tickets.services.vendors).
    vendor_reference = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The vendor's own case number for this case."),
        verbose_name=_("Vendor reference"),
    )
    with_vendor_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("With the vendor: since when the desk waits on the vendor's answer."),
        verbose_name=_("With vendor since"),
    )
    opened_at = models.DateTimeField(verbose_name=_("Opened at"))
    updated_at = models.DateTimeField(verbose_name=_("Updated at"))
    first_responded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("First responded at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Resolved at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Closed at"))
    # Denormalised for the lists: the earliest deadline among running targets (null when none
    # runs) and the worst SLA state. Kept in step by tickets.services.sla on every change.
    next_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Next due at"))
    sla_state = models.CharField(
        max_length=20,
        choices=TargetState.choices,
        default=TargetState.NOT_APPLICABLE,
        verbose_name=_("SLA state"),
    )
    # History is read one case at a time (by `id`, newest first): its copies of the case's keys
    # and number need no index of their own, and each one would cost every save of a case.
    history = HistoricalRecords(
        excluded_fields=["updated_at", "next_due_at", "sla_state", "body_html"],
        no_db_index=[
            "number",
            "vendor",
            "organization",
            "requester",
            "assignee",
            "policy_version",
            "priority",
            "product",
            "major_version",
            "parent",
            "merged_into",
            "resolution_code",
        ],
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            # Customer lists: "My cases" and the API, newest first, per organization.
            models.Index(fields=["organization", "-opened_at"], name="ticket_org_opened"),
            models.Index(fields=["organization", "status", "-opened_at"], name="ticket_org_status"),
            # Staff changelist default order and its vendor / priority / status / assignee filters.
            models.Index(fields=["-opened_at", "id"], name="ticket_opened"),
            models.Index(fields=["vendor", "-opened_at"], name="ticket_vendor_opened"),
            models.Index(fields=["status", "-opened_at"], name="ticket_status_opened"),
            models.Index(fields=["assignee", "-opened_at"], name="ticket_assignee_opened"),
            models.Index(fields=["priority", "-opened_at"], name="ticket_priority_opened"),
            # The triage list's default order (tickets.admin TRIAGE_ORDER): next deadline first,
            # cases without one after, newest first. A page is read from it without a sort.
            models.Index(
                IsNull(F("next_due_at"), True),
                F("next_due_at"),
                F("opened_at").desc(),
                F("id"),
                name="ticket_triage",
            ),
            # SLA filters (breached / due within 1 h / paused) on open cases only.
            models.Index(fields=["sla_state", "next_due_at"], name="ticket_sla_state_due"),
            models.Index(
                fields=["next_due_at"], name="ticket_next_due_open", condition=Q(next_due_at__isnull=False)
            ),
            # "My cases" product filter and its list of the organization's products.
            models.Index(fields=["organization", "product"], name="ticket_org_product"),
            # Subordinate incidents of a case; a full index would hold one huge NULL bucket that
            # misleads SQLite's planner into scanning the table.
            models.Index(fields=["parent"], name="ticket_parent", condition=Q(parent__isnull=False)),
            # The duplicates merged into a case, listed on its page.
            models.Index(
                fields=["merged_into"], name="ticket_merged_into", condition=Q(merged_into__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_waiting_on_customer(self) -> bool:
        return self.status == Status.WAITING_ON_CUSTOMER


class Reply(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="replies", verbose_name=_("Ticket")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Author")
    )
    body = models.TextField(verbose_name=_("Body"))
    body_html = models.TextField(editable=False, verbose_name=_("Body HTML"))
    internal = models.BooleanField(
        default=False, help_text=_("An internal note: staff only."), verbose_name=_("Internal")
    )
    by_staff = models.BooleanField(default=False, editable=False, verbose_name=_("By staff"))
    created_at = models.DateTimeField(verbose_name=_("Created at"))
    # A note the desk writes itself (a merge's): a code and its values (tickets.words.Note), worded
    # in each reader's language; `body` keeps the English words. Empty for anything a person wrote.
    note = models.CharField(max_length=30, blank=True, editable=False, verbose_name=_("Note"))
    note_params = models.JSONField(default=dict, blank=True, editable=False, verbose_name=_("Note params"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("replies")
        indexes = [models.Index(fields=["ticket", "created_at"], name="reply_ticket_created")]

    def __str__(self) -> str:
        return f"{'Note' if self.internal else 'Reply'} by {self.author} on {self.ticket.number}"

    @property
    def shown_body(self) -> str:
        """The Markdown as the reader reads it: a desk's note in the active language."""
        if not self.note:
            return self.body
        from .words import note_words

        return note_words(self.note, self.note_params, self.body)

    @property
    def shown_body_html(self) -> str:
        if not self.note:
            return self.body_html
        from portal.markdown import render_markdown

        return render_markdown(self.shown_body)


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.ticket.vendor_id}/{instance.ticket_id}/{filename}"


class Attachment(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("Ticket")
    )
    reply = models.ForeignKey(
        Reply,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
        verbose_name=_("Reply"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Uploaded by")
    )
    # Stored under MEDIA_ROOT, which no URL serves: downloads go through a view that checks access.
    file = models.FileField(upload_to=attachment_path, verbose_name=_("File"))
    filename = models.CharField(max_length=200, verbose_name=_("Filename"))
    content_type = models.CharField(max_length=100, verbose_name=_("Content type"))
    size = models.PositiveIntegerField(verbose_name=_("Size"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class SavedView(models.Model):
    """A triage list an agent comes back to: the changelist's filters as a query string, kept for
    its owner or shared with the desk."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("Owner"),
    )
    name = models.CharField(max_length=80, verbose_name=_("Name"))
    query = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("The triage list's filters, e.g. sla=breached."),
        verbose_name=_("Query"),
    )
    shared = models.BooleanField(
        default=False, help_text=_("Shown to every agent, not only its owner."), verbose_name=_("Shared")
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_unique")]

    def __str__(self) -> str:
        return self.name


class CannedReply(models.Model):
    """A reply the desk sends often, for one vendor or all of them. Its placeholders are filled
    for one case (tickets.services.canned) and the agent sees and edits the result before sending."""

    vendor = models.ForeignKey(
        "policies.Vendor",
        verbose_name=_("Vendor"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: offered on every vendor's cases."),
    )
    title = models.CharField(max_length=100, verbose_name=_("Title"))
    body = models.TextField(
        help_text=_("Markdown with placeholders such as {customer_name} or {case_number}."),
        verbose_name=_("Body"),
    )

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class SlaTarget(CompiledInserts):
    """One promised deadline of one ticket. `due_at` = the target's clock advanced from
    `started_at` by `duration` plus the business time paused so far."""

    # The unique (ticket, kind) constraint's index serves look-ups by case.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="sla_targets", db_index=False, verbose_name=_("Ticket")
    )
    kind = models.CharField(max_length=20, choices=TargetKind.choices, verbose_name=_("Kind"))
    state = models.CharField(
        max_length=20, choices=TargetState.choices, default=TargetState.RUNNING, verbose_name=_("State")
    )
    source = models.CharField(
        max_length=200,
        help_text=_("Where the target comes from: policy version or contract, in English words."),
        verbose_name=_("Source"),
    )
    # The same as a code and its values (policies.services.SourceCode), worded for each reader
    # (tickets.words.source_words); empty for an old row the migration could not read: `source` shows.
    source_code = models.CharField(max_length=30, blank=True, verbose_name=_("Source code"))
    source_params = models.JSONField(default=dict, blank=True, verbose_name=_("Source params"))
    calendar = models.ForeignKey(
        "policies.SupportCalendar",
        verbose_name=_("Calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the 24×7 clock."),
    )
    duration = models.DurationField(
        help_text=_("Open time on the target's clock (business days converted)."), verbose_name=_("Duration")
    )
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Started at"))
    due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Due at"))
    paused = models.DurationField(
        default=timedelta(0), help_text=_("Business time credited for pauses."), verbose_name=_("Paused")
    )
    paused_since = models.DateTimeField(null=True, blank=True, verbose_name=_("Paused since"))
    met_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Met at"))
    breached_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Breached at"))
    fulfilled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the desk answered, on time or late."),
        verbose_name=_("Fulfilled at"),
    )
    warned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Warned at"))
    warn_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the SLA warning is due: SLA_WARNING_SHARE of the target's time used."),
        verbose_name=_("Warn at"),
    )
    response_business_time = models.DurationField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("Open time on the target's clock from start to the desk's answer, pauses excluded."),
        verbose_name=_("Response business time"),
    )

    class Meta:
        ordering = ["ticket", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="sla_target_one_per_kind"),
        ]
        indexes = [
            # The SLA sweep: running targets coming due, cheapest first; cost grows with what is due.
            models.Index(
                fields=["due_at"], name="sla_target_running_due", condition=Q(state=TargetState.RUNNING)
            ),
            # The SLA sweep's warnings: running targets not yet warned, by warning time.
            models.Index(
                fields=["warn_at"],
                name="sla_target_running_warn",
                condition=Q(state=TargetState.RUNNING, warned_at=None),
            ),
            # Reports: the targets whose clock started in a month.
            models.Index(fields=["started_at"], name="sla_target_started"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.state}"

    @property
    def clock_name(self) -> str:
        return "24x7" if self.calendar_id is None else "business"

    def state_at(self, now: datetime) -> str:
        """The state as a person sees it now: a running target past its due time is breached
        even before the sweep has written it down."""
        if self.state == TargetState.RUNNING and overdue(self.due_at, now):
            return TargetState.BREACHED
        return self.state


class Wait(models.Model):
    """One spell of waiting on the customer, from the desk's request to the customer's answer
    (or the case's end). Every running target pauses through it; a priority change recounts
    these same intervals on the new target's own clock (SPEC §2), never the old credit."""

    # The (ticket, started_at) index serves "this case's waits, in order".
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="waits", db_index=False, verbose_name=_("Ticket")
    )
    started_at = models.DateTimeField(verbose_name=_("Started at"))
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Empty while still waiting."), verbose_name=_("Ended at")
    )

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["ticket", "started_at"], name="wait_ticket_started")]

    def __str__(self) -> str:
        return f"{self.ticket_id} waiting from {self.started_at:%Y-%m-%d %H:%M}"


class SlaEvent(CompiledInserts):
    """What happened to a target, in order: the target's own history and explanation."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")
        RESTARTED = "restarted", _("Restarted")
        RECOMPUTED = "recomputed", _("Recomputed")
        STOPPED = "stopped", _("Stopped")
        ANSWERED_LATE = "answered_late", _("Answered late")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    target = models.ForeignKey(
        SlaTarget, on_delete=models.CASCADE, related_name="events", verbose_name=_("Target")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("Kind"))
    at = models.DateTimeField(verbose_name=_("At"))
    due_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The deadline after this event."), verbose_name=_("Due at")
    )
    # Why it happened, as a code and its values (tickets.words.Cause), worded for each reader
    # (tickets.words.event_words); `detail` keeps the English words, shown where `code` is empty.
    code = models.CharField(max_length=30, blank=True, verbose_name=_("Code"))
    params = models.JSONField(default=dict, blank=True, verbose_name=_("Params"))
    detail = models.CharField(max_length=500, blank=True, verbose_name=_("Detail"))

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class DeskRecord(models.Model):
    """Abstract: who at the desk recorded a case's row, and when (an exclusion, an expense).
    The row's own `ticket` key stays on each model, for its related name."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Recorded by")
    )
    recorded_at = models.DateTimeField(verbose_name=_("Recorded at"))

    class Meta:
        abstract = True


class SpecialistTime(models.Model):
    """Abstract: time a specialist spent on a case, from when and how long (work logged, a remote
    diagnosis session)."""

    started_at = models.DateTimeField(verbose_name=_("Started at"))
    minutes = models.PositiveIntegerField(verbose_name=_("Minutes"))
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Specialist")
    )

    class Meta:
        abstract = True


class CaseExclusion(DeskRecord):
    """The desk's claim that a case, or one of its targets, is not the vendor's to measure
    (issue 20): one of the vendor's exclusion codes and the evidence. The customer is told and
    sees it; its month's review lists it for the customer's organization to accept or dispute
    (reports.PeriodReview). A declined case (out of the policy's scope) carries one too."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="exclusions", verbose_name=_("Ticket")
    )
    target = models.ForeignKey(
        SlaTarget,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exclusions",
        help_text=_("Empty: every target of the case."),
        verbose_name=_("Target"),
    )
    exclusion = models.ForeignKey(
        "policies.Exclusion", verbose_name=_("Exclusion"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(
        help_text=_("Why, with the evidence: what happened, references, proof."), verbose_name=_("Reason")
    )
    attachments = models.ManyToManyField(
        Attachment, blank=True, related_name="+", verbose_name=_("Attachments")
    )
    declined = models.BooleanField(
        default=False, help_text=_("The case was declined as out of scope."), verbose_name=_("Declined")
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["ticket", "recorded_at"], name="exclusion_ticket_recorded")]

    def __str__(self) -> str:
        return f"{self.ticket_id} excluded: {self.exclusion.code}"


class Chase(models.Model):
    """One attempt of the desk to obtain the customer's answer while a case waits on them
    (Albert: "reasonable and provable attempts"): manual (a staff member) or automatic (the
    vendor's chasing interval passed), with its time and the reminder sent through the outbox."""

    wait = models.ForeignKey(Wait, on_delete=models.CASCADE, related_name="chases", verbose_name=_("Wait"))
    at = models.DateTimeField(verbose_name=_("At"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the automatic reminder."),
        verbose_name=_("By"),
    )
    message = models.TextField(blank=True, verbose_name=_("Message"))

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["wait", "at"], name="chase_wait_at")]

    def __str__(self) -> str:
        return f"chase of wait {self.wait_id} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def automatic(self) -> bool:
        return self.by_id is None


class WorkLocation(models.TextChoices):
    REMOTE = "remote", _("Remote")
    ONSITE = "onsite", _("On site")


class WorkEntry(SpecialistTime):
    """Time a specialist spent on a billable case (issue 21 point 1): "the customer shall pay for
    the specialists' work (hourly)". Charged at the contract's hourly rate (lifecycle.pricing)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="work_entries", verbose_name=_("Ticket")
    )
    location = models.CharField(
        max_length=10, choices=WorkLocation.choices, default=WorkLocation.REMOTE, verbose_name=_("Location")
    )
    description = models.CharField(max_length=300, blank=True, verbose_name=_("Description"))
    recorded_at = models.DateTimeField(verbose_name=_("Recorded at"))

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name_plural = _("work entries")
        # Statements: a case's work by start, and the month's work of an organization's cases.
        indexes = [models.Index(fields=["ticket", "started_at"], name="work_ticket_started")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.minutes} min {self.location}"


class ExpenseKind(models.TextChoices):
    TRAVEL = "travel", _("Travel")
    ACCOMMODATION = "accommodation", _("Accommodation")
    OTHER = "other", _("Other")


class Expense(DeskRecord):
    """An expense the customer reimburses (issue 21 point 1): "reimburse all transport and
    accommodation expenses". In the currency it was paid in; statements total per currency."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="expenses", verbose_name=_("Ticket")
    )
    kind = models.CharField(max_length=20, choices=ExpenseKind.choices, verbose_name=_("Kind"))
    incurred_on = models.DateField(verbose_name=_("Incurred on"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("Amount"))
    currency = models.CharField(max_length=3, verbose_name=_("Currency"))
    description = models.CharField(max_length=300, blank=True, verbose_name=_("Description"))
    receipt = models.ForeignKey(
        Attachment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Receipt"),
    )

    class Meta:
        ordering = ["incurred_on", "id"]
        indexes = [models.Index(fields=["ticket", "incurred_on"], name="expense_ticket_incurred")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_kind_display()} {self.amount} {self.currency}"


class SessionOutcome(models.TextChoices):
    SOLVED = "solved", _("Solved remotely")
    FAILED = "failed", _("Could not be solved remotely")


class RemoteSession(SpecialistTime):
    """One remote diagnosis "over the means of remote connection provided by the customer"
    (issue 21 point 4). A failed one opens the way to an on-site visit for a critical Basic case."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="remote_sessions", verbose_name=_("Ticket")
    )
    outcome = models.CharField(max_length=10, choices=SessionOutcome.choices, verbose_name=_("Outcome"))
    notes = models.TextField(blank=True, verbose_name=_("Notes"))

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: remote diagnosis {self.outcome}"


class OnsiteVisit(models.Model):
    """An on-site visit asked for on a case, then scheduled and its arrival recorded."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="onsite_visit", verbose_name=_("Ticket")
    )
    requested_at = models.DateTimeField(verbose_name=_("Requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Requested by")
    )
    scheduled_for = models.DateTimeField(null=True, blank=True, verbose_name=_("Scheduled for"))
    arrived_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Arrived at"))
    address = models.CharField(max_length=300, blank=True, verbose_name=_("Address"))

    def __str__(self) -> str:
        return f"{self.ticket_id}: on-site visit"


class OrderKind(models.TextChoices):
    CASE_WORK = "case_work", _("Chargeable work on a case")
    FEATURE_REQUEST = "feature_request", _("Feature request")
    ADDITIONAL_SERVICE = "additional_service", _("Additional service")
    PILOT = "pilot", _("Pilot version")


class OrderState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    QUOTED = "quoted", _("Quoted")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    DELIVERED = "delivered", _("Delivered")


class OrderQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every order; a customer only their organization's."""
        if user.is_staff:
            return self
        membership = user_membership(user)
        if membership is None:
            return self.none()
        return self.filter(organization_id=membership.organization_id)


class Order(models.Model):
    """Something the customer orders and pays for apart from the plan (issue 21 points 1 and 6):
    the quote for chargeable work on a case, a feature request ("the price shall be stipulated
    separately"), an additional service ("charged under SLA"), or a pilot version of an announced
    major version before its GA (free; fulfilled with a download reference). The customer's
    acceptance of a quote is recorded with who and when."""

    organization = models.ForeignKey(
        "portal.Organization", verbose_name=_("Organization"), on_delete=models.PROTECT, related_name="orders"
    )
    contract = models.ForeignKey(
        "lifecycle.Contract",
        verbose_name=_("Contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("Ticket"),
    )
    major_version = models.ForeignKey(
        "lifecycle.MajorVersion",
        verbose_name=_("Major version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    kind = models.CharField(max_length=20, choices=OrderKind.choices, verbose_name=_("Kind"))
    state = models.CharField(
        max_length=10, choices=OrderState.choices, default=OrderState.REQUESTED, verbose_name=_("State")
    )
    description = models.TextField(verbose_name=_("Description"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Requested by")
    )
    requested_at = models.DateTimeField(verbose_name=_("Requested at"))
    price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("Price")
    )
    currency = models.CharField(max_length=3, blank=True, verbose_name=_("Currency"))
    quote_text = models.TextField(
        blank=True, help_text=_("What the price covers, as quoted."), verbose_name=_("Quote text")
    )
    quoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Quoted by"),
    )
    quoted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Quoted at"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Accepted by"),
    )
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Accepted at"))
    declined_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Declined at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Delivered at"))
    download_reference = models.CharField(
        max_length=500, blank=True, help_text=_("Pilot versions."), verbose_name=_("Download reference")
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "id"]
        indexes = [
            # An organization's orders, newest first; statements: the month's delivered orders.
            models.Index(fields=["organization", "-requested_at"], name="order_org_requested"),
            models.Index(fields=["organization", "delivered_at"], name="order_org_delivered"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="order_price_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_state_display()})"

    @property
    def is_quoted(self) -> bool:
        """Priced and waiting for the customer's answer."""
        return self.state == OrderState.QUOTED


class Follower(models.Model):
    """A colleague of the customer's organization who follows a case: copied on its public emails
    (tickets.notices.case_recipients). Only members of the case's organization follow it
    (tickets.services.follower_add); someone who has left it is no longer copied."""

    # The unique (ticket, user) constraint's index serves "this case's followers".
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="followers", db_index=False, verbose_name=_("Ticket")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="followed_cases",
        verbose_name=_("User"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Added by"),
    )
    created_at = models.DateTimeField(verbose_name=_("Created at"))

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="follower_once_per_case")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.ticket_id}"


class VendorHandoff(models.Model):
    """One time the desk handed a case to its vendor and waited for the vendor's answer (issue 20
    point 6): the vendor-responsiveness table of a month measures sent_at to answered_at."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="vendor_handoffs", verbose_name=_("Ticket")
    )
    reference = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The vendor's case number, if given."),
        verbose_name=_("Reference"),
    )
    sent_at = models.DateTimeField(verbose_name=_("Sent at"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Sent by"),
    )
    answered_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Empty while the vendor owes its answer."),
        verbose_name=_("Answered at"),
    )

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["sent_at"], name="vendor_handoff_sent")]

    def __str__(self) -> str:
        return f"{self.ticket_id} with the vendor from {self.sent_at:%Y-%m-%d %H:%M}"
