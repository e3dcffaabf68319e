"""Opening a case and moving it through its life: new → open → waiting on customer ↔ open →
resolved → closed, with reopen. Every change keeps the SLA targets in step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lifecycle.models import MajorVersion, Product
from lifecycle.services import entitlement_check, quota_use_record, quota_use_withdraw
from policies.models import PriorityLevel, ResolutionCode, Vendor
from policies.selectors import NO_VERSION_IN_FORCE, version_in_force, version_terms
from portal.markdown import MAX_LENGTH, TOO_LONG, render_markdown
from portal.models import Organization
from portal.selectors import user_membership
from portal.transactions import retry_once_on_conflict

from .. import notices
from ..models import Kind, Reply, SlaTarget, Status, Ticket, TicketChannel, TicketCounter
from ..words import Cause, Said, in_english, note_words, stored_reason
from . import sla

NOT_A_MEMBER = _("You can open cases only for your own organization.")
UNKNOWN_PRIORITY = _("Choose one of {vendor}'s priorities: {choices}.")
KIND_NOT_OFFERED = _("{vendor} does not distinguish requests from incidents; open an incident.")
BAD_TRANSITION = _("A case that is {current} cannot be {action}.")
RESOLUTION_REQUIRED = _("Choose how the case was resolved.")
VERSION_OF_ANOTHER_PRODUCT = _("Choose a version of {product}.")
BILLABLE_NOT_CONFIRMED = _(
    "This case will be charged: {reason} Confirm that you accept the charge to open it."
)
WRONG_RESOLUTION = _("Choose one of {vendor}'s resolution codes.")
RESOLUTION_MESSAGE_REQUIRED = _("Write the customer a message saying how the case was resolved.")
DESK_ONLY = _("Only the support desk can make this change.")
NOT_YOUR_CASE = _("This case belongs to another organization.")
RESOLVE_FIRST = _("Resolve the case with a message to the customer; the customer or the desk closes it then.")
EMPTY_REPLY = _("Write a reply before sending.")
SPLIT_CLOSED = _("A closed case cannot be split; reopen it first.")
MERGED_CASE = _(
    "This case was merged into {number}, where the desk continues with it: write on {number} instead."
)


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _next_number(vendor: Vendor) -> str:
    """The vendor's next case number. The UPDATE takes the counter row's lock until commit, so
    two openings at once get different numbers; numbers are never reused (a rolled-back opening
    rolls its increment back too, so no gap appears either)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TicketCounter._meta.db_table} SET last_number = last_number + 1 "
            "WHERE vendor_id = %s RETURNING last_number",
            [vendor.pk],
        )
        row = cursor.fetchone()
    if row is None:
        TicketCounter.objects.get_or_create(vendor=vendor)
        return _next_number(vendor)
    return f"{vendor.ticket_prefix}-{row[0]:06d}"


def _priority(version, code: str) -> PriorityLevel:
    terms = version_terms(version)
    priority = terms.priorities.get(code)
    if priority is None:
        choices = ", ".join(terms.priorities)
        raise ValidationError(
            {"priority": UNKNOWN_PRIORITY.format(vendor=version.vendor.name, choices=choices)}
        )
    return priority


def _check_membership(organization: Organization, requester) -> None:
    if requester.is_staff:
        return
    membership = user_membership(requester)
    if membership is None or membership.organization_id != organization.pk:
        raise ValidationError({"organization": NOT_A_MEMBER})


def _entitlement(ticket: Ticket, *, remote_failed: bool = False, at: datetime, requester=None):
    return entitlement_check(
        organization=ticket.organization,
        vendor=ticket.vendor,
        product=ticket.product,
        major_version=ticket.major_version,
        priority_code=ticket.priority.code,
        onsite=ticket.onsite_requested,
        remote_failed=remote_failed,
        vulnerability=ticket.vulnerability,
        emergency=ticket.emergency,
        at=at,
        policy_version=ticket.policy_version,
        requester=requester,  # opening only: who may open under the contract (issue 20 point 7)
    )


def _planned(ticket: Ticket, entitlement) -> list[sla.PlannedTarget]:
    """The contract's own targets where it agrees any, else the vendor's policy, per kind."""
    planned = {
        p.kind: p for p in sla.planned_targets(version=ticket.policy_version, priority=ticket.priority)
    }
    planned.update((target.kind, target) for target in entitlement.targets)
    return list(planned.values())


def _current_terms(ticket: Ticket) -> list[sla.PlannedTarget]:
    """The targets the case's current priority gets, as admitted at its opening (contract first):
    what a priority change recomputes to and what a settled target's new run is measured by."""
    return _planned(ticket, _entitlement(ticket, at=ticket.opened_at))


def _terms_when_asked(ticket: Ticket) -> sla.Terms:
    return cache(partial(_current_terms, ticket))


def _entitle(ticket: Ticket, *, remote_failed: bool, at: datetime) -> list[sla.PlannedTarget]:
    """Check the customer's entitlement (lifecycle): refuse in the customer's words, or mark the
    case billable with the reason, and return the targets it gets."""
    entitlement = _entitlement(ticket, remote_failed=remote_failed, at=at, requester=ticket.requester)
    if not entitlement.allowed:
        raise ValidationError({entitlement.refused_field: entitlement.reasons})
    ticket.billable, ticket.billable_reason = entitlement.billable, entitlement.billable_reason
    ticket.agreement_required = entitlement.agreement_required
    return _planned(ticket, entitlement)


def _rendered_body(body: str, *, field: str = "body") -> str:
    """A description or reply as its page shows it, or ValidationError on `field` past
    portal.markdown.MAX_LENGTH: the one check of that cap, whatever the channel (portal, API,
    email, admin); the forms and serializers show the same message on their field."""
    if len(body) > MAX_LENGTH:
        raise ValidationError({field: TOO_LONG})
    return render_markdown(body)


def _new_ticket(
    *,
    organization: Organization,
    requester,
    vendor: Vendor,
    priority: str,
    subject: str,
    body: str,
    kind: str,
    channel: str,
    product: Product | None,
    major_version: MajorVersion | None,
    onsite: bool,
    parent: Ticket | None,
    at: datetime,
    vulnerability: bool = False,
    cve_id: str = "",
    emergency: bool = False,
) -> Ticket:
    """The case as it would be opened at `at`, unsaved, after the checks that need no contract."""
    _check_membership(organization, requester)
    version = version_in_force(vendor=vendor, at=at)
    if version is None:
        raise ValidationError({"vendor": NO_VERSION_IN_FORCE.format(vendor=vendor.name, at=at)})
    if kind == Kind.REQUEST and not vendor.distinguishes_kinds:
        raise ValidationError({"kind": KIND_NOT_OFFERED.format(vendor=vendor.name)})
    if major_version is not None and product is None:
        product = major_version.product
    if major_version is not None and major_version.product_id != product.pk:
        raise ValidationError({"major_version": VERSION_OF_ANOTHER_PRODUCT.format(product=product.name)})
    return Ticket(
        vendor=vendor,
        organization=organization,
        requester=requester,
        policy_version=version,
        priority=_priority(version, priority),
        subject=subject.strip(),
        body=body,
        body_html=_rendered_body(body),
        kind=kind,
        channel=channel,
        product=product,
        major_version=major_version,
        onsite_requested=onsite,
        vulnerability=vulnerability or bool(cve_id.strip()),
        cve_id=cve_id.strip().upper(),
        emergency=emergency,
        parent=parent,
        status=Status.NEW,
        opened_at=at,
        updated_at=at,
    )


def _plan(ticket: Ticket, *, remote_failed: bool, at: datetime) -> list[SlaTarget]:
    """The entitlement check and the targets the case gets (the contract's first), unsaved:
    what `ticket_open` writes and `ticket_preview` shows."""
    planned = _entitle(ticket, remote_failed=remote_failed, at=at)
    return sla.sla_plan(planned=planned, opened_at=at)


def _check_confirmed(ticket: Ticket, confirm_billable: bool) -> None:
    """SPEC §4, no surprise charges: a billable case is opened only once its charge is accepted."""
    if ticket.billable and not confirm_billable:
        raise ValidationError(
            {"confirm_billable": BILLABLE_NOT_CONFIRMED.format(reason=ticket.billable_reason)}
        )


@retry_once_on_conflict
def ticket_open(
    *,
    organization: Organization,
    requester,
    vendor: Vendor,
    priority: str,
    subject: str,
    body: str,
    kind: str = Kind.INCIDENT,
    channel: str = TicketChannel.PORTAL,
    product: Product | None = None,
    major_version: MajorVersion | None = None,
    onsite: bool = False,
    remote_failed: bool = False,
    confirm_billable: bool = False,
    parent: Ticket | None = None,
    vulnerability: bool = False,
    cve_id: str = "",
    emergency: bool = False,
    at: datetime | None = None,
) -> Ticket:
    """Open a case measured against the policy version in force at `at` (or the customer's
    contract), after the entitlement check. Nothing is saved when any check refuses, nor when
    the case is billable and `confirm_billable` (the customer accepted the charge) is not given.

    The checks and the deadline arithmetic only read, so they run before the transaction: the
    write lock (SQLite's database, PostgreSQL's counter row) is held for the writes alone, and
    openings at the same moment wait on each other only for those."""
    at = _now(at)
    ticket = _new_ticket(
        organization=organization,
        requester=requester,
        vendor=vendor,
        priority=priority,
        subject=subject,
        body=body,
        kind=kind,
        channel=channel,
        product=product,
        major_version=major_version,
        onsite=onsite,
        parent=parent,
        at=at,
        vulnerability=vulnerability,
        cve_id=cve_id,
        emergency=emergency,
    )
    # The related rows were loaded above: validate the row's own fields, not its keys again.
    ticket.clean_fields(exclude=[f.name for f in Ticket._meta.fields if f.is_relation] + ["number"])
    targets = _plan(ticket, remote_failed=remote_failed, at=at)
    _check_confirmed(ticket, confirm_billable)
    sla.refresh_ticket_sla(ticket, targets)
    with transaction.atomic():
        ticket.number = _next_number(vendor)
        ticket.save(force_insert=True)
        sla.sla_start(ticket=ticket, targets=targets)
        notices.ticket_received(ticket, targets=targets)
    ticket.opened_targets = targets  # as written: the caller can show the new case without a read-back
    return ticket


@dataclass(frozen=True)
class TicketPreview:
    """What opening the case would give it, saved nowhere."""

    ticket: Ticket  # unsaved: its policy version, priority and billing decision
    targets: list[SlaTarget]  # unsaved, as `ticket_open` would write them

    @property
    def billable(self) -> bool:
        return self.ticket.billable

    @property
    def billable_reason(self) -> str:
        return self.ticket.billable_reason


def ticket_preview(
    *,
    organization: Organization,
    requester,
    vendor: Vendor,
    priority: str,
    kind: str = Kind.INCIDENT,
    product: Product | None = None,
    major_version: MajorVersion | None = None,
    onsite: bool = False,
    remote_failed: bool = False,
    vulnerability: bool = False,
    emergency: bool = False,
    at: datetime | None = None,
) -> TicketPreview:
    """The deadlines and the charge a case opened at `at` with these answers would get: the
    checks and the plan of `ticket_open` itself (a refusal raises the same ValidationError), so
    the "if you open it now" of the portal cannot tell another story than the opening."""
    at = _now(at)
    ticket = _new_ticket(
        organization=organization,
        requester=requester,
        vendor=vendor,
        priority=priority,
        subject="",
        body="",
        kind=kind,
        channel=TicketChannel.PORTAL,
        product=product,
        major_version=major_version,
        onsite=onsite,
        parent=None,
        at=at,
        vulnerability=vulnerability,
        emergency=emergency,
    )
    return TicketPreview(ticket=ticket, targets=_plan(ticket, remote_failed=remote_failed, at=at))


@transaction.atomic
def ticket_split(
    *,
    parent: Ticket,
    subject: str,
    body: str,
    priority: str,
    by,
    confirm_billable: bool = False,
    at: datetime | None = None,
) -> Ticket:
    """A subordinate incident of `parent`, handled and measured (and, if so, charged) on its own:
    opened at the split, so its clocks start then (Alectrona: "each Incident will be handled
    separately"). The desk splits any case, a member of its organization their own; the new
    incident's requester is the member who split it, or the parent's when the desk did."""
    _desk_or_customer(parent, by)
    if parent.status == Status.CLOSED or parent.merged_into_id is not None:
        raise ValidationError({"status": SPLIT_CLOSED})
    return ticket_open(
        organization=parent.organization,
        requester=parent.requester if by.is_staff else by,
        vendor=parent.vendor,
        priority=priority,
        subject=subject,
        body=body,
        kind=Kind.INCIDENT,
        channel=parent.channel,
        product=parent.product,
        major_version=parent.major_version,
        confirm_billable=confirm_billable,
        parent=parent,
        at=at,
    )


def _lock(ticket: Ticket) -> Ticket:
    # Replies, pauses and resolutions race on the same case: serialise them on its row alone
    # (`of`: not the vendor's and policy version's rows, which every case of the vendor joins).
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("vendor", "policy_version")
        .get(pk=ticket.pk)
    )


def _check(ticket: Ticket, allowed: tuple[str, ...], action) -> None:
    # `action` is what was asked, in the reader's words (pgettext_lazy, context "case action").
    if ticket.status not in allowed:
        raise ValidationError(
            {"status": BAD_TRANSITION.format(current=ticket.get_status_display().lower(), action=str(action))}
        )


# The statuses a case is reopened from (ticket_reopen, ticket_set_open).
REOPENS_FROM = (Status.RESOLVED, Status.CLOSED)


def reopen_offered(ticket: Ticket) -> bool:
    """Whether a Reopen button is shown for `ticket` (the portal's case page, the admin's): what
    _reopen_locked takes, a resolved or closed case that is no merged duplicate."""
    return ticket.status in REOPENS_FROM and ticket.merged_into_id is None


def check_not_merged(ticket: Ticket, field: str = "status") -> None:
    """A duplicate merged into another case stays closed: its conversation continues on the case it
    was merged into (organize.ticket_merge). Reopening it, or replying to it, is refused naming
    that case, whichever channel asks."""
    if ticket.merged_into_id is not None:
        number = Ticket.objects.filter(pk=ticket.merged_into_id).values_list("number", flat=True).get()
        raise ValidationError({field: MERGED_CASE.format(number=number)})


def _desk_only(by, field: str = "status") -> None:
    """Who may make a change is the service's rule: the API and forms only translate it."""
    if not by.is_staff:
        raise ValidationError({field: DESK_ONLY})


def _desk_or_customer(ticket: Ticket, by) -> None:
    if by.is_staff:
        return
    membership = user_membership(by)
    if membership is None or membership.organization_id != ticket.organization_id:
        raise ValidationError({"status": NOT_YOUR_CASE})


def _save(ticket: Ticket, at: datetime) -> Ticket:
    ticket.updated_at = at
    ticket.save()
    return ticket


def reply_save(
    *,
    ticket: Ticket,
    author,
    internal: bool,
    at: datetime,
    body: str = "",
    note: Said | None = None,
    field: str = "body",
) -> Reply:
    """Write one reply to a locked case (the caller checked who may write it): a person's `body`,
    or a `note` the desk writes itself, stored as its code and worded for each reader (its English
    words kept as the body). `field` names the caller's field for the body in an error (a
    resolving message is `message`)."""
    if note is not None:
        body = in_english(note_words, note.code, note.params)
    if not body.strip():
        raise ValidationError({"body": EMPTY_REPLY})
    reply = Reply(
        ticket=ticket,
        author=author,
        body=body,
        body_html=_rendered_body(body, field=field),
        internal=internal,
        by_staff=author.is_staff,
        created_at=at,
        note=note.code if note else "",
        note_params=note.params if note else {},
    )
    reply.full_clean()
    reply.save()
    return reply


def staff_answered(*, ticket: Ticket, reply: Reply, at: datetime) -> None:
    """A staff public reply is the desk's answer: it meets (or, late, still answers) the first
    response, restarts the update clock, and mails the customer."""
    if ticket.first_responded_at is None:
        ticket.first_responded_at = at
    if ticket.status == Status.NEW:
        ticket.status = Status.OPEN
    sla.sla_staff_replied(
        ticket=ticket,
        at=at,
        waiting=ticket.status == Status.WAITING_ON_CUSTOMER,
        terms=_terms_when_asked(ticket),
    )
    notices.staff_replied(ticket, reply)


@retry_once_on_conflict
@transaction.atomic
def ticket_wait_on_customer(*, ticket: Ticket, by, at: datetime | None = None) -> Ticket:
    """Pause the clocks until the customer answers. Repeating it is a no-op."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_only(by)
    if ticket.status == Status.WAITING_ON_CUSTOMER:
        return ticket
    _check(ticket, (Status.NEW, Status.OPEN), pgettext_lazy("case action", "set to wait on the customer"))
    ticket.status = Status.WAITING_ON_CUSTOMER
    sla.sla_pause(ticket=ticket, at=at)
    notices.waiting_on_customer(ticket)
    return _save(ticket, at)


@retry_once_on_conflict
@transaction.atomic
def ticket_resume(
    *, ticket: Ticket, by, at: datetime | None = None, cause: Said = sla.CUSTOMER_ANSWERED
) -> Ticket:
    """Back to open; paused clocks resume with the waiting time credited. A no-op for a new or open
    case; a resolved or closed one is reopened (ticket_reopen), not resumed."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_or_customer(ticket, by)
    if ticket.status != Status.WAITING_ON_CUSTOMER:
        _check(ticket, (Status.NEW, Status.OPEN), pgettext_lazy("case action", "resumed"))
        return ticket
    return _resume_locked(ticket, at=at, cause=cause)


def _resume_locked(ticket: Ticket, *, at: datetime, cause: Said) -> Ticket:
    ticket.status = Status.OPEN
    sla.sla_resume(ticket=ticket, at=at, cause=cause)
    return _save(ticket, at)


@retry_once_on_conflict
@transaction.atomic
def ticket_change_priority(
    *, ticket: Ticket, priority: str, by, reason: str = "", at: datetime | None = None
) -> Ticket:
    """Recompute every unsettled target from its original start with the new priority's targets,
    and tell the customer the new deadlines."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_only(by, "priority")
    new = _priority(ticket.policy_version, priority)
    if new.pk == ticket.priority_id:
        return ticket
    old = ticket.priority
    ticket.priority = new
    change = Said(Cause.PRIORITY_CHANGED, {"old": old.name, "new": new.name})
    if reason:
        change = change.also(reason=reason)
    # The contract's targets for the new priority, if it agrees any; the case stays admitted.
    sla.sla_recompute(ticket=ticket, planned=_current_terms(ticket), at=at, reason=change)
    ticket._change_reason = stored_reason(change.code, change.params)
    notices.priority_changed(ticket, old=old, reason=reason, at=at)
    return _save(ticket, at)


@retry_once_on_conflict
@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, by, at: datetime | None = None) -> Ticket:
    ticket = _lock(ticket)
    at = _now(at)
    _desk_only(by, "assignee")
    if assignee is not None and not assignee.is_staff:
        raise ValidationError({"assignee": _("Cases are assigned to staff.")})
    ticket.assignee = assignee
    return _save(ticket, at)


def _quota_use(ticket: Ticket) -> None:
    """A resolved or closed case uses a ticket of the Basic quota of the contract it comes under,
    dated by its resolution (lifecycle keeps the ledger; recording a case twice counts it once)."""
    quota_use_record(
        organization=ticket.organization,
        product=ticket.product,
        major_version=ticket.major_version,
        ticket_number=ticket.number,
        at=ticket.resolved_at,
    )


@retry_once_on_conflict
@transaction.atomic
def ticket_resolve(
    *, ticket: Ticket, by, resolution_code: str, message: str, at: datetime | None = None
) -> Ticket:
    """Resolve with one of the vendor's resolution codes and a message to the customer, which
    is a public reply and the desk's answer (SPEC §2); every clock stops. Repeating is a no-op."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_only(by)
    if ticket.status == Status.RESOLVED:
        return ticket
    _check(
        ticket,
        (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER),
        pgettext_lazy("case action", "resolved"),
    )
    errors = {}
    code = ResolutionCode.objects.filter(version=ticket.policy_version, code=resolution_code).first()
    if not resolution_code:
        errors["resolution_code"] = RESOLUTION_REQUIRED
    elif code is None:
        errors["resolution_code"] = WRONG_RESOLUTION.format(vendor=ticket.vendor.name)
    if not (message or "").strip():
        errors["message"] = RESOLUTION_MESSAGE_REQUIRED
    if errors:
        raise ValidationError(errors)
    reply = reply_save(ticket=ticket, author=by, body=message, internal=False, at=at, field="message")
    if ticket.first_responded_at is None:
        ticket.first_responded_at = at
    ticket.status, ticket.resolution_code, ticket.resolved_at = Status.RESOLVED, code, at
    sla.sla_resolve(ticket=ticket, at=at, cause=Said(Cause.RESOLVED, {"resolution": code.name}))
    _quota_use(ticket)
    notices.ticket_resolved(ticket, reply)
    return _save(ticket, at)


@retry_once_on_conflict
@transaction.atomic
def ticket_close(*, ticket: Ticket, by, at: datetime | None = None) -> Ticket:
    """Close a resolved case; a customer may also close a case they no longer need, which
    withdraws a first response not yet answered (SPEC §2). The desk resolves with a message
    instead of closing an unresolved case."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_or_customer(ticket, by)
    if ticket.status == Status.CLOSED:
        return ticket
    if ticket.status != Status.RESOLVED:
        _check(
            ticket,
            (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER),
            pgettext_lazy("case action", "closed"),
        )
        if by.is_staff:
            raise ValidationError({"status": RESOLVE_FIRST})
        sla.sla_withdraw(ticket=ticket, at=at)
        ticket.resolved_at = at
    ticket.status, ticket.closed_at = Status.CLOSED, at
    if ticket.first_responded_at is not None:
        # Withdrawn before any answer, the desk did no work: no ticket of the quota is used.
        _quota_use(ticket)
    return _save(ticket, at)


@retry_once_on_conflict
@transaction.atomic
def ticket_reopen(*, ticket: Ticket, by, at: datetime | None = None) -> Ticket:
    ticket = _lock(ticket)
    at = _now(at)
    _desk_or_customer(ticket, by)
    return _reopen_locked(ticket, at=at)


def _reopen_locked(ticket: Ticket, *, at: datetime) -> Ticket:
    if ticket.status in (Status.NEW, Status.OPEN):
        return ticket
    check_not_merged(ticket)
    _check(ticket, REOPENS_FROM, pgettext_lazy("case action", "reopened"))
    ticket.status, ticket.resolved_at, ticket.closed_at, ticket.resolution_code = (
        Status.OPEN,
        None,
        None,
        None,
    )
    sla.sla_reopen(ticket=ticket, at=at, terms=_terms_when_asked(ticket))
    quota_use_withdraw(ticket_number=ticket.number)
    return _save(ticket, at)


@retry_once_on_conflict
@transaction.atomic
def ticket_set_open(*, ticket: Ticket, by, at: datetime | None = None) -> Ticket:
    """Set "open" as a status asked for: the desk resumes a case waiting on the customer; anyone who
    may reopen it reopens a resolved or closed one; an open case is left as it is. Decided on the
    status read under the case's lock, not the caller's copy: racing another change, the caller
    would otherwise pick the wrong one and answer a wrong 400."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_or_customer(ticket, by)
    if ticket.status == Status.WAITING_ON_CUSTOMER and by.is_staff:
        return _resume_locked(ticket, at=at, cause=Said(Cause.DESK_RESUMED))
    return _reopen_locked(ticket, at=at)
