"""Issue 22 point 1: the words stored in one language become codes and values, worded for each reader
(tickets.words). Existing rows are read back from their English (or, for a policy source, Russian)
words: an SLA event's detail, a target's source, a merge's notes. A row whose words are not
recognised keeps its code empty and shows its stored text, as before. The parsers are this
migration's own, frozen with it: the wording in tickets.words may change, the old rows do not."""

from __future__ import annotations

import re

from django.db import migrations

BATCH = 500

CAUSES = {
    "First public reply from the desk": "desk_first_reply",
    "The desk replied": "desk_replied",
    "The desk updated the case": "desk_updated",
    "The desk resumed the case": "desk_resumed",
    "The update came after the deadline": "update_late",
    "Waiting on the customer": "waiting",
    "Overdue when the case was set to wait on the customer": "overdue_when_waiting",
    "The customer answered": "customer_answered",
    "Closed by the customer": "customer_closed",
    "No answer from the desk by the deadline": "no_answer",
    "The customer closed the case before the desk answered": "withdrawn",
    "The case was reopened": "reopened",
}
CAUSES_WITH_VALUES = [
    (re.compile(r"(?s)Resolved: (?P<resolution>.+)"), "resolved"),
    (re.compile(r"(?s)Declined: (?P<exclusion>.+)"), "declined"),
    (re.compile(r"Merged into (?P<number>\S+)"), "merged"),
    (
        re.compile(r"(?s)Priority changed from (?P<old>.+?) to (?P<new>.+?)(?:: (?P<reason>.+))?"),
        "priority_changed",
    ),
]
DURATION = r"\d+ (?:d|h|min)(?: \d+ (?:h|min))*"
# What an event added to its cause, read from the end: (pattern, the value it sets).
MODIFIERS = [
    (re.compile(r"(?s)(?P<rest>.+); the new priority has no such target"), "no_such_target"),
    (re.compile(rf"(?s)(?P<rest>.+); (?P<credit>{DURATION}) of support time credited"), "credited_seconds"),
    (re.compile(r"(?s)(?P<rest>.+) after the deadline, unanswered"), "unanswered"),
    (re.compile(r"(?s)(?P<rest>.+) \(after the deadline\)"), "late"),
]
UNITS = {"d": 86400, "h": 3600, "min": 60}


def duration_seconds(words: str) -> int:
    """'2 d 4 h 20 min' → seconds, as policies.words.duration_words wrote it in English."""
    return sum(int(count) * UNITS[unit] for count, unit in re.findall(r"(\d+) (d|h|min)\b", words))


def parse_event(detail: str) -> tuple[str, dict] | None:
    """An SLA event's English detail as (code, values), or None when it is not one the desk wrote."""
    text, params = detail.strip(), {}
    for pattern, key in MODIFIERS:
        found = pattern.fullmatch(text)
        if found:
            text = found["rest"]
            params[key] = duration_seconds(found["credit"]) if key == "credited_seconds" else True
    if text in CAUSES:
        return CAUSES[text], params
    for pattern, code in CAUSES_WITH_VALUES:
        found = pattern.fullmatch(text)
        if found:
            params.update({key: value for key, value in found.groupdict().items() if value})
            return code, params
    return None


CONTRACT = re.compile(
    r"Contract (?P<reference>.+) \((?P<plan>Basic|Premium|Standard \(vendor policy\))\), (?P<priority>.+)"
)
PLANS = {"Basic": "basic", "Premium": "premium", "Standard (vendor policy)": "standard"}
EMERGENCY_CONTRACT = re.compile(r"Emergency call: immediate reaction \(Contract (?P<reference>.+)\)")
EMERGENCY_POLICY = re.compile(r"Emergency call: immediate reaction \((?P<vendor>.+) policy\)")
# The policy's words as sla.planned_targets wrote them, in the language active when the case opened.
POLICY = [
    re.compile(r"(?P<version>.+) \(version (?P<key>[^()]+)\), priority (?P<priority>.+)"),
    re.compile(r"(?P<version>.+) \(версия (?P<key>[^()]+)\), приоритет «(?P<priority>.+)»"),
]


def parse_source(source: str, *, vendor: str, version: str) -> tuple[str, dict] | None:
    """A target's source as (code, values); `vendor` and `version` are its case's vendor and policy
    version names, which tell where the vendor's name ends and the version's begins."""
    found = EMERGENCY_CONTRACT.fullmatch(source)
    if found:
        return "emergency_contract", found.groupdict()
    found = EMERGENCY_POLICY.fullmatch(source)
    if found:
        return "emergency_policy", found.groupdict()
    found = CONTRACT.fullmatch(source)
    if found:
        return "contract", {**found.groupdict(), "plan": PLANS[found["plan"]]}
    for pattern in POLICY:
        found = pattern.fullmatch(source)
        if found and found["version"] in (f"{vendor} {version}", f"{vendor}, «{version}»"):
            return "policy", {
                "vendor": vendor,
                "name": version,
                "key": found["key"],
                "priority": found["priority"],
            }
    return None


MERGED_FROM = re.compile(r"(?s)\*\*Merged from (?P<number>\S+): (?P<subject>.*?)\*\*\n\n(?P<body>.*)")
MERGED_INTO = re.compile(
    r"(?s)This case was merged into (?P<number>\S+), where the desk continues with it\.(?: (?P<message>.*))?"
)


def parse_note(body: str) -> tuple[str, dict] | None:
    found = MERGED_FROM.fullmatch(body)
    if found:
        return "merged_from", found.groupdict()
    found = MERGED_INTO.fullmatch(body)
    if found:
        return "merged_into", {"number": found["number"], "message": found["message"] or ""}
    return None


def _save(model, rows: list, fields: list[str]) -> None:
    if rows:
        model.objects.bulk_update(rows, fields, batch_size=BATCH)
        rows.clear()


def events_to_codes(apps, schema_editor) -> None:
    SlaEvent = apps.get_model("tickets", "SlaEvent")
    changed = []
    for event in SlaEvent.objects.filter(code="").exclude(detail="").only("id", "detail").iterator(BATCH):
        parsed = parse_event(event.detail)
        if parsed:
            event.code, event.params = parsed
            changed.append(event)
        if len(changed) >= BATCH:
            _save(SlaEvent, changed, ["code", "params"])
    _save(SlaEvent, changed, ["code", "params"])


def sources_to_codes(apps, schema_editor) -> None:
    SlaTarget = apps.get_model("tickets", "SlaTarget")
    targets = SlaTarget.objects.filter(source_code="").select_related(
        "ticket__vendor", "ticket__policy_version"
    )
    changed = []
    for target in targets.iterator(BATCH):
        ticket = target.ticket
        parsed = parse_source(target.source, vendor=ticket.vendor.name, version=ticket.policy_version.name)
        if parsed:
            target.source_code, target.source_params = parsed
            changed.append(target)
        if len(changed) >= BATCH:
            _save(SlaTarget, changed, ["source_code", "source_params"])
    _save(SlaTarget, changed, ["source_code", "source_params"])


def notes_to_codes(apps, schema_editor) -> None:
    Reply = apps.get_model("tickets", "Reply")
    candidates = Reply.objects.filter(note="", internal=False).filter(
        body__regex=r"^(\*\*Merged from |This case was merged into )"
    )
    changed = []
    for reply in candidates.only("id", "body").iterator(BATCH):
        parsed = parse_note(reply.body)
        if parsed:
            reply.note, reply.note_params = parsed
            changed.append(reply)
    _save(Reply, changed, ["note", "note_params"])


def forwards(apps, schema_editor) -> None:
    events_to_codes(apps, schema_editor)
    sources_to_codes(apps, schema_editor)
    notes_to_codes(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0017_stored_words_as_codes")]

    # Backwards: the codes are left as they are; the English words were never removed.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
