"""Exclusions on a case (issue 20 point 1): the desk marks a case, or one of its targets, as not
the vendor's to measure, with one of the vendor's exclusion codes and the evidence, and tells the
customer; or declines a case out of the policy's scope, which resolves it with the exclusion and
the policy's words. Whether an exclusion counts is the month's review (reports.periods)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy, pgettext_lazy

from policies.models import Exclusion, TargetKind

from .. import notices
from ..models import Attachment, CaseExclusion, Status, Ticket
from ..words import Cause, Note, Reason, Said, stored_reason
from . import sla
from .tickets import _check, _desk_only, _lock, _now, _save, reply_save

UNKNOWN_EXCLUSION = gettext_lazy("Choose one of {vendor}'s exclusions: {choices}.")
REASON_REQUIRED = gettext_lazy(
    "Say why, with the evidence (what happened, references): the customer reads it."
)
NO_SUCH_TARGET = gettext_lazy("This case has no {kind} target.")
ATTACHMENT_OF_ANOTHER_CASE = gettext_lazy("Attach evidence from this case's own attachments.")
# The pause is recorded as waits, not claimed by hand.
NOT_CLAIMED_BY_HAND = frozenset({"waiting-on-customer"})


def exclusion_choices(ticket: Ticket) -> list[Exclusion]:
    return [
        exclusion
        for exclusion in Exclusion.objects.filter(version=ticket.policy_version_id)
        if exclusion.code not in NOT_CLAIMED_BY_HAND
    ]


def _validated(
    ticket: Ticket, *, code: str, reason: str, target_kind: str | None, attachments: Sequence[Attachment]
):
    errors = {}
    choices = exclusion_choices(ticket)
    exclusion = next((e for e in choices if e.code == code), None)
    if exclusion is None:
        errors["code"] = UNKNOWN_EXCLUSION.format(
            vendor=ticket.vendor.name, choices=", ".join(e.code for e in choices) or "none"
        )
    if not (reason or "").strip():
        errors["reason"] = REASON_REQUIRED
    target = None
    if target_kind:
        target = ticket.sla_targets.filter(kind=target_kind).first()
        if target is None:
            errors["target"] = NO_SUCH_TARGET.format(
                kind=dict(TargetKind.choices).get(target_kind, target_kind)
            )
    if any(attachment.ticket_id != ticket.pk for attachment in attachments):
        errors["attachments"] = ATTACHMENT_OF_ANOTHER_CASE
    if errors:
        raise ValidationError(errors)
    return exclusion, target


def _record(ticket, *, exclusion, target, reason, attachments, by, at, declined=False) -> CaseExclusion:
    record = CaseExclusion.objects.create(
        ticket=ticket,
        target=target,
        exclusion=exclusion,
        reason=reason.strip(),
        declined=declined,
        recorded_by=by,
        recorded_at=at,
    )
    if attachments:
        record.attachments.set(attachments)
    return record


@transaction.atomic
def ticket_exclude(
    *,
    ticket: Ticket,
    by,
    code: str,
    reason: str,
    target_kind: str | None = None,
    attachments: Sequence[Attachment] = (),
    at: datetime | None = None,
) -> CaseExclusion:
    """Mark the case (or its `target_kind` target) excluded; the customer is emailed the reason.
    The desk's alone. The case's clocks and states are untouched: the report leaves the excluded
    targets out of met rates and statistics unless the customer disputes the exclusion."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_only(by, "code")
    exclusion, target = _validated(
        ticket, code=code, reason=reason, target_kind=target_kind, attachments=attachments
    )
    record = _record(
        ticket, exclusion=exclusion, target=target, reason=reason, attachments=attachments, by=by, at=at
    )
    notices.case_excluded(ticket, record)
    return record


def _declined(ticket: Ticket, exclusion: Exclusion, reason: str) -> dict:
    """A decline note's values: the policy's sentence and exclusion as the vendor publishes them,
    with the vendor's own translations of the two (worded for each reader), and the desk's reason."""
    version = ticket.policy_version
    texts = {}
    for language, translated in (version.translations or {}).items():
        text = translated.get("exclusions", {}).get(exclusion.code, "")  # {"text": …} as the catalog loads it
        said = {
            "preamble": translated.get("exclusions_preamble", ""),
            "exclusion": text.get("text", "") if isinstance(text, dict) else text,
        }
        if any(said.values()):
            texts[language] = {key: value for key, value in said.items() if value}
    params = {"vendor": ticket.vendor.name, "preamble": version.exclusions_preamble}
    params["exclusion"] = exclusion.text
    return {**params, **({"texts": texts} if texts else {}), **({"reason": reason} if reason else {})}


@transaction.atomic
def ticket_decline(
    *, ticket: Ticket, by, code: str, reason: str = "", at: datetime | None = None
) -> CaseExclusion:
    """Decline a case out of the policy's scope (Alectrona's "no obligation … for"): it is
    resolved, every clock stops, the whole case is excluded, and the resolving message tells the
    customer why in the policy's words (plus the desk's reason, if given)."""
    ticket = _lock(ticket)
    at = _now(at)
    _desk_only(by, "code")
    _check(
        ticket,
        (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER),
        pgettext_lazy("case action", "declined"),
    )
    exclusion, _ = _validated(ticket, code=code, reason=reason or "-", target_kind=None, attachments=())
    note = Said(Note.DECLINED, _declined(ticket, exclusion, (reason or "").strip()))
    reply = reply_save(ticket=ticket, author=by, note=note, internal=False, at=at, field="reason")
    message = reply.body  # the policy's words and the desk's reason, in English: the exclusion's evidence
    if ticket.first_responded_at is None:
        ticket.first_responded_at = at
    ticket.status, ticket.resolved_at = Status.RESOLVED, at
    sla.sla_resolve(ticket=ticket, at=at, cause=Said(Cause.DECLINED, {"exclusion": exclusion.text}))
    record = _record(
        ticket, exclusion=exclusion, target=None, reason=message, attachments=(), by=by, at=at, declined=True
    )
    ticket._change_reason = stored_reason(Reason.DECLINED_OUT_OF_SCOPE, {"exclusion": exclusion.code})
    notices.ticket_resolved(ticket, reply)
    _save(ticket, at)
    return record
