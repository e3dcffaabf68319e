"""What the desk records as a code and its parameters, in the reader's words (issue 22 point 1).

An SLA event's cause (SlaEvent.code/params), where a target's duration comes from
(SlaTarget.source_code/params), the notes the desk writes itself into the conversation — a merge's,
a decline's, a re-classification's (Reply.note/params) — and why a case changed, in its history
(history_change_reason, a code and its values as compact JSON), are stored as a code and plain JSON
values, never as text in one language: the case page, admin, the API and the emails word them here,
in the active language, when they are read. Each row but the history's also keeps its
English wording (`detail`, `source`, `body`) as a fallback: rows written before the codes existed that
the data migration could not read back show that text as it is; so does a history row written before
the codes, whose reason is English text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecycle.models import Plan
from policies.services import SourceCode
from policies.words import decline_words, duration_words


@dataclass(frozen=True)
class Said:
    """A code and its parameters, as stored; `also` adds parameters (a modifier such as "late")."""

    code: str
    params: dict = field(default_factory=dict)

    def also(self, **params) -> Said:
        return Said(self.code, {**self.params, **params})


def in_english(words, *args) -> str:
    """The English wording of a stored code, kept beside it as the row's fallback text."""
    with translation.override("en"):
        return str(words(*args))


# ---------------------------------------------------------------------------- SLA events


class Cause:
    """Why an SLA event happened (SlaEvent.code)."""

    DESK_FIRST_REPLY = "desk_first_reply"
    DESK_REPLIED = "desk_replied"
    DESK_UPDATED = "desk_updated"
    DESK_RESUMED = "desk_resumed"
    UPDATE_LATE = "update_late"
    WAITING = "waiting"
    OVERDUE_WHEN_WAITING = "overdue_when_waiting"
    CUSTOMER_ANSWERED = "customer_answered"
    CUSTOMER_CLOSED = "customer_closed"
    NO_ANSWER = "no_answer"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"
    RESOLVED = "resolved"  # resolution: the resolution code's name
    DECLINED = "declined"  # exclusion: the exclusion's text
    MERGED = "merged"  # number: the case kept
    PRIORITY_CHANGED = "priority_changed"  # old, new: the priorities' names; reason, if given


CAUSES = {
    Cause.DESK_FIRST_REPLY: gettext_lazy("First public reply from the desk"),
    Cause.DESK_REPLIED: gettext_lazy("The desk replied"),
    Cause.DESK_UPDATED: gettext_lazy("The desk updated the case"),
    Cause.DESK_RESUMED: gettext_lazy("The desk resumed the case"),
    Cause.UPDATE_LATE: gettext_lazy("The update came after the deadline"),
    Cause.WAITING: gettext_lazy("Waiting on the customer"),
    Cause.OVERDUE_WHEN_WAITING: gettext_lazy("Overdue when the case was set to wait on the customer"),
    Cause.CUSTOMER_ANSWERED: gettext_lazy("The customer answered"),
    Cause.CUSTOMER_CLOSED: gettext_lazy("Closed by the customer"),
    Cause.NO_ANSWER: gettext_lazy("No answer from the desk by the deadline"),
    Cause.WITHDRAWN: gettext_lazy("The customer closed the case before the desk answered"),
    Cause.REOPENED: gettext_lazy("The case was reopened"),
    Cause.RESOLVED: gettext_lazy("Resolved: %(resolution)s"),
    Cause.DECLINED: gettext_lazy("Declined: %(exclusion)s"),
    Cause.MERGED: gettext_lazy("Merged into %(number)s"),
    Cause.PRIORITY_CHANGED: gettext_lazy("Priority changed from %(old)s to %(new)s"),
}


def event_words(code: str, params: dict | None = None, fallback: str = "") -> str:
    """An SLA event's cause in the active language, with what the event adds to it: answered after
    the deadline (`late`), closed unanswered after it (`unanswered`), the pause credit
    (`credited_seconds`) or a target the new priority lacks (`no_such_target`). An unknown or empty
    code reads the stored `fallback`."""
    params = params or {}
    if code not in CAUSES:
        return fallback
    text = CAUSES[code] % params if "%(" in str(CAUSES[code]) else str(CAUSES[code])
    if params.get("reason"):
        text = _("%(change)s: %(reason)s") % {"change": text, "reason": params["reason"]}
    if params.get("late"):
        text = _("%(cause)s (after the deadline)") % {"cause": text}
    if params.get("unanswered"):
        text = _("%(cause)s after the deadline, unanswered") % {"cause": text}
    if "credited_seconds" in params:
        credit = duration_words(timedelta(seconds=params["credited_seconds"]))
        text = _("%(cause)s; %(duration)s of support time credited") % {"cause": text, "duration": credit}
    if params.get("no_such_target"):
        text = _("%(cause)s; the new priority has no such target") % {"cause": text}
    return text


def event_text(event) -> str:
    """One stored SlaEvent's cause, in the reader's language."""
    return event_words(event.code, event.params, event.detail)


# ---------------------------------------------------------------------------- target sources


def version_words(vendor: str, name: str, key: str) -> str:
    return _("%(vendor)s %(name)s (version %(key)s)") % {"vendor": vendor, "name": name, "key": key}


def source_words(code: str, params: dict | None = None, fallback: str = "") -> str:
    """Where a target's duration comes from — the policy version and priority, or the contract —
    in the active language; an unknown or empty code reads the stored `fallback`."""
    params = params or {}
    if code == SourceCode.POLICY:
        version = version_words(params["vendor"], params["name"], params["key"])
        return _("%(version)s, priority %(priority)s") % {"version": version, "priority": params["priority"]}
    if code == SourceCode.CONTRACT:
        plan = Plan(params["plan"]).label if params.get("plan") in Plan.values else params.get("plan", "")
        return _("Contract %(reference)s (%(plan)s), %(priority)s") % {**params, "plan": plan}
    if code == SourceCode.EMERGENCY_CONTRACT:
        return _("Emergency call: immediate reaction (contract %(reference)s)") % params
    if code == SourceCode.EMERGENCY_POLICY:
        return _("Emergency call: immediate reaction (%(vendor)s policy)") % params
    return fallback


def target_source(target) -> str:
    """A target's source (SlaTarget or PlannedTarget), in the reader's language."""
    code, params = getattr(target, "source_code", ""), getattr(target, "source_params", None)
    return source_words(code, params, getattr(target, "source", ""))


# ---------------------------------------------------------------------------- notes in the conversation


class Note:
    """A reply the desk writes itself (Reply.note)."""

    MERGED_FROM = "merged_from"  # number, subject, body: the duplicate's description, on the kept case
    MERGED_INTO = "merged_into"  # number: the kept case; message: the desk's words, if any
    # vendor, preamble, exclusion: the policy's words; texts: the vendor's own translations of the
    # last two, per language; reason: the desk's words, if any
    DECLINED = "declined"
    RECLASSIFIED = "reclassified"  # vulnerability: true or false; cve_id, if any; reason (internal)


def _reclassified(vulnerability: bool) -> str:
    if vulnerability:
        return _("Re-classified as a vulnerability")
    return _("Re-classified as not a vulnerability")


def note_words(code: str, params: dict | None = None, fallback: str = "") -> str:
    """A note's Markdown in the active language; an unknown or empty code reads `fallback`."""
    params = params or {}
    if code == Note.MERGED_FROM:
        heading = _("Merged from %(number)s: %(subject)s") % params
        return f"**{heading}**\n\n{params.get('body', '')}"
    if code == Note.MERGED_INTO:
        told = _("This case was merged into %(number)s, where the desk continues with it.") % params
        return f"{told} {params.get('message', '')}".strip()
    if code == Note.DECLINED:
        texts = params.get("texts", {}).get((translation.get_language() or "").split("-")[0], {})
        words = decline_words(
            vendor=params["vendor"],
            preamble=texts.get("preamble") or params.get("preamble", ""),
            exclusion=texts.get("exclusion") or params["exclusion"],
        )
        return f"{words}\n\n{params['reason']}" if params.get("reason") else words
    if code == Note.RECLASSIFIED:
        said = _reclassified(params["vulnerability"])
        if params.get("cve_id"):
            said = f"{said} ({params['cve_id']})"
        return _("%(change)s: %(reason)s") % {"change": said, "reason": params["reason"]}
    return fallback


# ---------------------------------------------------------------------------- a case's history


class Reason:
    """Why a case changed, as its history records it (history_change_reason), besides the SLA causes
    it shares (Cause.MERGED, Cause.PRIORITY_CHANGED)."""

    DECLINED_OUT_OF_SCOPE = "declined_out_of_scope"  # exclusion: the exclusion's code
    INCIDENT_MOVED = "incident_moved"  # duplicate, into: the numbers of a merge that moved an incident
    RECLASSIFIED = "reclassified"  # vulnerability: true or false; reason: the desk's words


REASON_LENGTH = 100  # HistoricalTicket.history_change_reason's max_length
CUT = "…"


STORED_REASON = re.compile(r"([a-z_]+):(\{.*\})", re.DOTALL)


def stored_reason(code: str, params: dict | None = None) -> str:
    """A change reason as the history stores it: `code:{params}`, the values as compact JSON, to fit
    the 100-character column. Only the free text (`reason`) is ever cut, marked with "…"; the whole
    of it lives where the change keeps it (the internal note, the SLA event)."""
    params = dict(params or {})

    def dumped() -> str:
        return f"{code}:{json.dumps(params, ensure_ascii=False, separators=(',', ':'))}"

    text, reason = dumped(), params.get("reason")
    if len(text) > REASON_LENGTH and reason:
        # The longest start of the reason that fits once dumped (JSON escapes some characters).
        low, high = 0, len(reason)
        while low < high:
            middle = (low + high + 1) // 2
            params["reason"] = reason[:middle].rstrip() + CUT
            low, high = (middle, high) if len(dumped()) <= REASON_LENGTH else (low, middle - 1)
        params["reason"] = reason[:low].rstrip() + CUT
        text = dumped()
    return text[:REASON_LENGTH]


def reason_words(stored: str | None) -> str:
    """A stored change reason in the active language: a code's words, or, for a reason written
    before the codes (plain English text) or an unknown code, the stored text as it is."""
    stored = stored or ""
    match = STORED_REASON.fullmatch(stored)
    try:
        code, params = match[1], json.loads(match[2])
    except (TypeError, ValueError):  # no match, or no JSON after all
        return stored
    try:
        if code == Reason.DECLINED_OUT_OF_SCOPE:
            return _("Declined out of scope: %(exclusion)s") % params
        if code == Reason.INCIDENT_MOVED:
            return _("%(duplicate)s merged into %(into)s") % params
        if code == Reason.RECLASSIFIED:
            change = _reclassified(params["vulnerability"])
            return _("%(change)s: %(reason)s") % {"change": change, "reason": params["reason"]}
        return event_words(code, params, stored) if code in CAUSES else stored
    except (KeyError, TypeError):
        return stored
