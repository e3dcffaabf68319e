"""The notice outbox: queue an email as a row in the caller's transaction, deliver it after commit.

Delivery is at-least-once made as close to exactly-once as SMTP allows:

1. `notice_queue` writes one row per (event, recipient) under a unique `dedupe_key`, with the
   email's template name and the context it needs (`context_dump`: values, and a snapshot of
   each model instance's fields): nothing is rendered in the request. A background fan-out (a
   policy change, a lifecycle milestone, the maintenance and SLA sweeps: `notices_queue(build=
   True)`) renders and stores each new row's message as it queues it, so step 3 finds it built.
   Queueing the same notice twice keeps the first row. After commit, one thin Celery task is
   enqueued; if the broker is down that is logged and the periodic sweep sends the row later.
2. `notice_deliver` claims a chunk of rows in one statement (pending → sending; on PostgreSQL
   `FOR UPDATE SKIP LOCKED`, so two workers, a retried task and the sweep never both send one).
3. It renders each claimed row once, in its recipient's language and zone, builds the message
   and stores its bytes on the row (one bulk UPDATE): every later attempt sends the same bytes.
4. It sends the chunk over one SMTP connection (portal.mail: the server's reply to the end of
   each message is awaited until the lease's end less one EMAIL_TIMEOUT), appends each accepted
   row to the chunk's journal file (NOTICE_JOURNAL_DIR, no fsync: it outlives a killed worker,
   not a lost host), then marks the chunk's accepted rows sent in one UPDATE (retried through a
   database outage, the journal flushed to disk first) and removes the file.
5. A worker killed between 2 and 4 leaves rows "sending"; the sweep first marks sent what the
   journal names, and after NOTICE_LEASE_SECONDS returns the rest to pending to be sent again.
   A failure before the end of the message was sent goes back to pending at once. The
   duplicate SMTP cannot rule out: the server read the end of the message and its reply never
   reached the worker within the lease (a kill, a cut connection, a server slower than the
   lease); the duplicate carries the same Message-ID.
"""

from __future__ import annotations

import base64
import email.policy
import logging
import os
import re
import secrets
import time
import uuid
from collections import deque
from contextlib import ExitStack, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import cache, lru_cache
from hashlib import sha256
from pathlib import Path
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, models, transaction
from django.db import connection as db_connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.safestring import SafeData, mark_safe

from .models import MANDATORY_NOTICES, Notice, NoticePreference, NoticeState
from .selectors import email_language

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
DELIVERY_CHUNK = 50  # rows claimed, built, sent over one connection and marked sent together


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, context: dict, *, zone=None, language: str | None = None) -> RenderedEmail:
    """Render `templates/emails/<name>-subject.txt`, `-body.txt` and `-body.html`; datetimes
    show in `zone` (the recipient's time zone) when given.

    Issue 22: the email is written in `language`, the recipient's (`email_language(recipient)`:
    their profile's, else their organization's), else the desk's default LANGUAGE_CODE. This
    override is the one place an email's language is applied; keep it wherever rendering moves."""
    context = {"site_url": settings.SITE_URL, **context}
    with _speaking(language or settings.LANGUAGE_CODE, zone or timezone.get_default_timezone()):
        subject = render_to_string(f"emails/{name}-subject.txt", context)
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    # A subject is one line: template newlines would fold into the header.
    return RenderedEmail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)


@contextmanager
def _speaking(language: str, zone):
    """`language` and `zone` active for the block, switched only if they are not already: a
    delivery renders a chunk's rows grouped by both (`_prepared`), under one switch a group."""
    with ExitStack() as stack:
        if translation.get_language() != language:
            stack.enter_context(translation.override(language))
        if timezone.get_current_timezone() != zone:
            stack.enter_context(timezone.override(zone))
        yield


class _RememberedTranslation:
    """The active translation with its `gettext` answers kept: a chunk's emails look up the same
    few dozen messages (each blocktranslate, each choice label, each date format) once per email,
    and Django's lookup walks every catalog each time. Anything else is the translation's own."""

    def __init__(self, translation_):
        self._translation, self._answers = translation_, {}

    def gettext(self, message):
        answer = self._answers.get(message)
        if answer is None:
            answer = self._answers[message] = self._translation.gettext(message)
        return answer

    def __getattr__(self, name):
        return getattr(self._translation, name)


@contextmanager
def _remembering_translations():
    """For the block (one group of `_prepared`: one language), the active translation's answers
    remembered (`_RememberedTranslation`). Django keeps the active one in trans_real._active, as
    `translation.activate` sets it; an `override` inside the block replaces the wrapper until its
    end, which only forgets the answers. Without i18n (USE_I18N off) nothing changes."""
    from django.utils.translation import trans_real

    active = getattr(trans_real._active, "value", None) if settings.USE_I18N else None
    if active is None or isinstance(active, _RememberedTranslation):
        yield
        return
    trans_real._active.value = _RememberedTranslation(active)
    try:
        yield
    finally:
        if isinstance(getattr(trans_real._active, "value", None), _RememberedTranslation):
            trans_real._active.value = active


# ---------------------------------------------------------------------------- stored context

SNAPSHOT_DEPTH = 2  # a case, its vendor, the vendor's ... : related objects the request had loaded
_SECRET_FIELDS = frozenset({"password"})


class Snapshot:
    """A value already dumped (`context_snapshots`): stored as it is in each row that names it, so
    an event mailed to two people walks its case once."""

    __slots__ = ("dumped",)

    def __init__(self, dumped):
        self.dumped = dumped


def context_snapshots(*values) -> list[Snapshot]:
    """`values` dumped now, together (an instance named twice is walked once), for the contexts of
    several rows of one event; each stores what `context_dump` of the value would."""
    memo: dict = {}
    return [Snapshot(context_dump(value, _memo=memo)) for value in values]


def context_dump(value, _depth: int = 0, _memo: dict | None = None):
    """`value` as JSON the delivery task turns back into what the templates read (context_load):
    a model instance becomes a snapshot of its concrete fields as they are now (the email tells
    of this moment, not of the row when it is sent), with the forward relations the caller had
    loaded and its public plain attributes; datetimes, dates, decimals and safe strings keep
    their type. Passwords are never stored, nor the fields a model names in
    `notice_snapshot_omits` (big text no email reads: a policy version's full text); anything
    else raises TypeError. An instance met
    twice at the same depth (a case and its targets' case) is walked once."""
    if _memo is None:
        _memo = {}
    if isinstance(value, models.Model):
        return _instance_dump(value, _depth, _memo)
    if isinstance(value, Snapshot):
        return value.dumped
    if isinstance(value, SafeData):
        return {"$safe": str(value)}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(key): context_dump(item, _depth, _memo) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [context_dump(item, _depth, _memo) for item in value]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, timedelta):
        return {"$seconds": value.total_seconds()}
    raise TypeError(f"A notice's context cannot store {type(value).__name__}: {value!r}")


_PLAIN, _FILE, _UUID, _JSON = range(4)
_AS_IS = frozenset({str, int, float, bool, type(None)})  # stored as they are (not their subclasses)


@cache
def _dump_plan(model: type[models.Model]) -> tuple[tuple, frozenset]:
    """Per model, once: the fields a snapshot stores (attname, how to store it, the field when it
    is a relation) and the names its plain attributes must not shadow."""
    fields = []
    omitted = frozenset(getattr(model, "notice_snapshot_omits", ()))  # big text no email reads
    for field in model._meta.concrete_fields:
        if field.name in _SECRET_FIELDS or field.name in omitted or getattr(field, "generated", False):
            continue
        if isinstance(field, models.BinaryField):
            continue
        if isinstance(field, models.FileField):
            how = _FILE
        elif isinstance(field, models.UUIDField):
            how = _UUID
        elif isinstance(field, models.JSONField):
            how = _JSON
        else:
            how = _PLAIN
        fields.append((field.attname, how, field if field.is_relation else None))
    concrete = model._meta.concrete_fields
    names = frozenset({f.attname for f in concrete} | {f.name for f in concrete})
    return tuple(fields), names


def _instance_dump(instance: models.Model, depth: int, memo: dict) -> dict:
    key = (id(instance), depth)
    if key in memo:
        return memo[key][1]
    plan, names = _dump_plan(instance.__class__)
    deferred = instance.get_deferred_fields()
    state = vars(instance)
    proxied = type(instance) is not instance.__class__  # request.user: a SimpleLazyObject
    fields, related = {}, {}
    for attname, how, relation in plan:
        if attname in deferred:
            continue
        value = getattr(instance, attname) if proxied else state[attname]
        if how == _FILE:
            value = getattr(instance, attname).name or ""
        elif how == _UUID and value is not None:
            value = str(value)
        elif how == _JSON:
            value = {"$json": value}
        fields[attname] = value if type(value) in _AS_IS else context_dump(value, depth, memo)
        if relation is not None and depth < SNAPSHOT_DEPTH and relation.is_cached(instance):
            target = relation.get_cached_value(instance)
            related[relation.name] = None if target is None else _instance_dump(target, depth + 1, memo)
    extra = {
        key: value
        for key, value in state.items()
        if not key.startswith("_") and key not in names and isinstance(value, (str, int, float, bool))
    }
    dumped = {"$model": instance._meta.label_lower, "fields": fields, "related": related, "extra": extra}
    memo[key] = (instance, dumped)  # the instance kept alive: its id is not reused meanwhile
    return dumped


def context_load(value, *, memo: dict | None = None):
    """The inverse of context_dump: unsaved-looking instances built from their snapshots (no
    query), which read their other relations lazily as any instance does.

    `memo` (a dict the caller keeps for the rows of one delivery chunk) shares one instance
    among the rows whose snapshots of it are equal (the vendor, the priority, the policy version
    of a fan-out's cases): built once, compared by value, so no row reads another's data."""
    if isinstance(value, list):
        return [context_load(item, memo=memo) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        [(key, item)] = value.items()
        if key == "$datetime":
            return datetime.fromisoformat(item)
        if key == "$date":
            return date.fromisoformat(item)
        if key == "$decimal":
            return Decimal(item)
        if key == "$seconds":
            return timedelta(seconds=item)
        if key == "$safe":
            return mark_safe(item)  # noqa: S308 - it was a SafeString when the request stored it
        if key == "$json":
            return item
    if "$model" in value:
        return _instance_load(value, memo)
    return {key: context_load(item, memo=memo) for key, item in value.items()}


_KEPT_TYPES = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)


@cache
def _load_plan(label: str) -> tuple[type[models.Model], dict, int]:
    """Per model, once: the model, and per attname its field's position among the concrete
    fields, the field, and whether its stored plain values need `to_python` (a CharField's str,
    an IntegerField's int and a BooleanField's bool are already what it holds)."""
    model = apps.get_model(label)
    concrete = model._meta.concrete_fields
    plan = {}
    for index, field in enumerate(concrete):
        kept = isinstance(field, _KEPT_TYPES) and not isinstance(field, models.JSONField)
        if field.is_relation:
            kept = isinstance(field.target_field, _KEPT_TYPES)
        plan[field.attname] = (index, field, isinstance(field, models.JSONField), kept)
    return model, plan, len(concrete)


def _instance_load(snapshot: dict, memo: dict | None = None) -> models.Model:
    if memo is not None:
        key = (snapshot["$model"], snapshot["fields"].get("id"))
        for seen, instance in memo.get(key, ()):
            if seen == snapshot:
                return instance
    model, plan, width = _load_plan(snapshot["$model"])
    values, stored = [models.DEFERRED] * width, set()
    for attname, raw in snapshot["fields"].items():
        entry = plan.get(attname)
        if entry is None:
            continue
        index, field, is_json, kept = entry
        if is_json:
            value = context_load(raw)
        elif kept and type(raw) in _AS_IS:
            value = raw
        else:
            value = field.to_python(context_load(raw))
        values[index] = value
        stored.add(attname)
    for attname, (index, field, _, _) in plan.items():
        if attname not in stored and not getattr(field, "generated", False):
            values[index] = field.get_default()  # not stored (a password): what Model(**values) gave it
    instance = model(*values)  # positional: Django's fast path, as for a row read from the database
    instance._state.adding, instance._state.db = False, "default"
    for name, target in snapshot.get("related", {}).items():
        field = model._meta.get_field(name)
        field.set_cached_value(instance, None if target is None else _instance_load(target, memo))
    for key_, item in snapshot.get("extra", {}).items():
        setattr(instance, key_, item)
    if memo is not None:
        memo.setdefault(key, []).append((snapshot, instance))
    return instance


def notice_render(
    notice: Notice, speech: tuple[str, object] | None = None, *, memo: dict | None = None
) -> RenderedEmail:
    """Render a stored notice (`template` and `context`) in its recipient's language and zone
    (`speech`, when the caller has it: notice_speech(notice)); `memo`: context_load's."""
    language, zone = speech or notice_speech(notice)
    context = context_load(notice.context, memo=memo)
    return render_email(notice.template, context, zone=zone, language=language)


def notice_speech(notice: Notice) -> tuple[str, object]:
    """The language and zone a stored notice is written in: its recipient's language (issue 22),
    else the desk's, and the zone stored with it, else the desk's."""
    recipient = notice.recipient
    language = email_language(recipient) if recipient is not None else None
    zone = ZoneInfo(notice.zone) if notice.zone else timezone.get_default_timezone()
    return language or settings.LANGUAGE_CODE, zone


def notices_render(notices: list[Notice]) -> list[Notice]:
    """Render and build every row that has no message yet and store them in one UPDATE: what a
    delivery does first, and what a test calls to read a queued notice's subject and bodies."""
    fresh = [n for n in notices if n.message is None]
    for notice in fresh:
        _build(notice)
    _store(fresh)
    return notices


def _store(notices: list[Notice]) -> None:
    """The built messages, in one executemany statement (bulk_update's CASE per row and field
    cost more Python than the rendering)."""
    if not notices:
        return
    table = db_connection.ops.quote_name(Notice._meta.db_table)
    with db_connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET subject = %s, body_text = %s, body_html = %s, message = %s WHERE id = %s",
            [(n.subject, n.body_text, n.body_html, n.message, n.pk) for n in notices],
        )


def _build(notice: Notice, speech: tuple[str, object] | None = None, memo: dict | None = None) -> None:
    if notice.template:
        rendered = notice_render(notice, speech, memo=memo)
        notice.subject, notice.body_text, notice.body_html = rendered.subject, rendered.text, rendered.html
    notice.message = message_bytes(notice)


class _WirePolicy(email.policy.Compat32):
    """compat32 with CRLF, and a short ASCII header written as is: what `email.header.Header`
    would return for it, without building one for each of a message's 17 headers."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
            and "\n" not in value
            and "\r" not in value
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_WIRE = _WirePolicy(linesep="\r\n")


# Every email of the desk is machine-made (RFC 3834: responders must not answer it), and asks
# Exchange and Outlook, which honour their own header before RFC 3834's, for no out-of-office or
# other automatic reply: the first defence against a loop; the mailroom ignores any that come.
MACHINE_MADE = (("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "OOF, AutoReply"))


def message_bytes(notice: Notice) -> bytes:
    """The notice's message as sent: multipart/alternative, text then HTML, with our Message-ID,
    the threading headers, From/Reply-To and MACHINE_MADE's Auto-Submitted and
    X-Auto-Response-Suppress (no responder is to answer it).

    Written out directly, byte for byte what email.mime's classes flattened under compat32 with
    CRLF give (headers folded by the same policy), without building a Message and its parts and
    re-reading their headers to flatten them (0.7 ms a message, as much as rendering it): the
    shape is fixed, two text parts, 7bit where SMTP's line limit holds, else utf-8 in base64. The
    header-registry policy Django's EmailMessage uses cost 7x as much again."""
    headers = dict(notice.headers)
    from_email = headers.pop("From", "") or settings.DEFAULT_FROM_EMAIL
    reply_to = headers.pop("Reply-To", "")
    text, html = _part(notice.body_text, "plain"), _part(notice.body_html, "html")
    boundary = _boundary(text, html)
    fields = [
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ("MIME-Version", "1.0"),
        ("Subject", _header(notice.subject)),
        ("From", _address(from_email)),
        ("To", _address(notice.to_email)),
        ("Date", formatdate(_dated(notice), localtime=settings.EMAIL_USE_LOCALTIME)),
        ("Message-ID", notice.message_id),
    ]
    if reply_to:
        fields.append(("Reply-To", _address(reply_to)))
    fields += [(name, _header(value)) for name, value in headers.items()]
    fields += MACHINE_MADE
    head = "".join(_WIRE.fold(name, value) for name, value in fields).encode("ascii")
    delimiter = f"\r\n--{boundary}".encode("ascii")
    # As email.generator lays out a multipart: a blank line, then each part after its delimiter.
    return b"".join([head, delimiter, b"\r\n", text, delimiter, b"\r\n", html, delimiter, b"--\r\n"])


def _dated(notice: Notice) -> float:
    """The message's Date: now, or the row's send_after when it is later (a fan-out builds a
    policy change's emails when it queues them, a week before they are due): RFC 5322's moment
    the message is ready to enter the mail system."""
    now = time.time()
    due = notice.send_after.timestamp() if notice.send_after else now
    return max(now, due)


def _header(value: str):
    value = " ".join(value.split())  # no header injection: one line
    return value if value.isascii() else Header(value, "utf-8")


def _address(value: str) -> str:
    if value.isascii():
        return value
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8")


_NEWLINE = re.compile(r"\r\n|\r|\n")  # what email.generator writes as the policy's linesep


def _part(body: str, subtype: str) -> bytes:
    """One text part, headers and payload, as MIMEText(body, subtype, charset) flattens."""
    # 7bit only where SMTP's line limit holds; anything else utf-8, base64 encoded.
    if body.isascii() and all(len(line) < 990 for line in body.splitlines()):
        charset, encoding, payload = "us-ascii", "7bit", _NEWLINE.sub("\r\n", body).encode("ascii")
    else:
        charset, encoding = "utf-8", "base64"
        payload = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
    head = (
        f'Content-Type: text/{subtype}; charset="{charset}"\r\nMIME-Version: 1.0\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + payload


def _boundary(*parts: bytes) -> str:
    # "=_" never occurs in base64; a 7bit part that holds the drawn boundary gets another one.
    while True:
        boundary = f"=_{secrets.token_hex(12)}"
        if not any(boundary.encode("ascii") in part for part in parts):
            return boundary


@lru_cache(maxsize=64)
def envelope_sender(from_email: str) -> str:
    return parseaddr(from_email)[1]


def mail_domain() -> str:
    return _domain_of(settings.DEFAULT_FROM_EMAIL)


@lru_cache(maxsize=8)
def _domain_of(from_email: str) -> str:
    # Cached by value: the sweeps build thousands of Message-IDs, and parsing is not free.
    return parseaddr(from_email)[1].rpartition("@")[2] or "portal.invalid"


def thread_id(reference: str) -> str:
    """The Message-ID every notice about one case refers to, so mail clients thread them.

    Case numbers repeat across installations (a restore, a staging copy on the same domain):
    an HMAC of the number under this installation's SECRET_KEY keeps each one's threads apart
    while staying the same for every notice of one case here. Never the key itself."""
    return f"<case.{reference}.{_thread_mark(reference)}@{mail_domain()}>"


def _thread_mark(reference: str) -> str:
    return salted_hmac("portal.outbox.thread_id", reference, algorithm="sha256").hexdigest()[:16]


def thread_reference(message_id: str) -> str:
    """The case number a thread id of this installation names; "" for any other Message-ID
    (another installation's threads, or a forged mark, name no case here)."""
    suffix = f"@{mail_domain()}>"
    if not (message_id.startswith("<case.") and message_id.endswith(suffix)):
        return ""
    reference, _, mark = message_id[len("<case.") : -len(suffix)].rpartition(".")
    return reference if reference and constant_time_compare(mark, _thread_mark(reference)) else ""


def threading_headers(reference: str) -> dict[str, str]:
    root = thread_id(reference)
    return {"In-Reply-To": root, "References": root}


def _message_id() -> str:
    # Random, drawn once when the row is built and stored on it: a re-send reuses the row's
    # id. Hashing the dedupe key ("case pk : user pk") gave two databases the same ids.
    return f"<notice.{secrets.token_hex(16)}@{mail_domain()}>"


def notice_wanted(*, user, kind: str) -> bool:
    # The accessor: a user signed in through the API has the row (or its absence) loaded already.
    try:
        preference = user.notice_preference
    except NoticePreference.DoesNotExist:
        return True
    return preference.wants(kind)


def notice_build(
    *,
    kind: str,
    dedupe_key: str,
    rendered: RenderedEmail | None = None,
    template: str = "",
    context: dict | None = None,
    zone=None,
    recipient=None,
    to_email: str = "",
    reference: str = "",
    thread: str = "",
    send_after: datetime | None = None,
    from_email: str = "",
    reply_to: str = "",
) -> Notice:
    """An unsaved notice row; `notices_queue` saves a batch of them. Either `template` with its
    `context` (stored by context_dump, rendered at delivery in `zone` and the recipient's
    language) or an email already `rendered`. `from_email` and `reply_to` (a vendor's support
    address and a case's reply address) ride in the row's headers."""
    if rendered is None and not template:
        raise ValueError("A notice needs a template and its context, or a rendered email")
    headers = threading_headers(thread) if thread else {}
    if from_email:
        headers["From"] = from_email
    if reply_to:
        headers["Reply-To"] = reply_to
    return Notice(
        kind=kind,
        dedupe_key=dedupe_key,
        recipient=recipient,
        to_email=to_email or getattr(recipient, "email", ""),
        reference=reference,
        template="" if rendered else template,
        context={} if rendered else context_dump(context or {}),
        zone=str(zone) if zone and not rendered else "",
        subject=rendered.subject if rendered else "",
        body_text=rendered.text if rendered else "",
        body_html=rendered.html if rendered else "",
        message_id=_message_id(),
        headers=headers,
        send_after=send_after or timezone.now(),
    )


def notice_queue(*, template: str, context: dict, zone=None, **fields) -> Notice | None:
    """Write one notice row (its template and context, rendered at delivery) in the caller's
    transaction; None when the recipient does not want this kind or has no address. Queueing an
    existing key returns the existing row."""
    recipient, kind = fields.get("recipient"), fields["kind"]
    if recipient is not None and not notice_wanted(user=recipient, kind=kind):
        return None
    if not (fields.get("to_email") or getattr(recipient, "email", "")):
        return None
    # Rendered at delivery (notice_render), in the recipient's language (issue 22) and `zone`.
    return notice_save(notice_build(template=template, context=context, zone=zone, **fields))


def notice_save(notice: Notice) -> Notice:
    """Write one built row in the caller's transaction and send it after commit; a key already
    written keeps its first row, which is returned. Mutes are the caller's to check."""
    try:
        # Insert first, in a savepoint: the unique key decides, so a notice queued again (or
        # by a concurrent writer) keeps the first row and the caller's transaction lives on.
        # A new key, the usual case, costs one INSERT and no look-up.
        with transaction.atomic():
            notice.save(force_insert=True)
    except IntegrityError:
        return Notice.objects.get(dedupe_key=notice.dedupe_key)
    if notice.send_after <= timezone.now():
        notices_enqueue_on_commit([notice.pk])
    return notice


def notices_save(notices: list[Notice]) -> list[Notice]:
    """notice_save for the rows of one event (mutes are the caller's to check): one INSERT in one
    savepoint and one hand-off after commit, instead of one of each per row. If a key was already
    written, the batch is rolled back to its savepoint and each row goes through notice_save, which
    keeps the first row of its key."""
    if len(notices) < 2:
        return [notice_save(notice) for notice in notices]
    try:
        with transaction.atomic():
            Notice.objects.bulk_create(notices)
    except IntegrityError:
        for notice in notices:
            notice.pk = None
        return [notice_save(notice) for notice in notices]
    now = timezone.now()
    notices_enqueue_on_commit([n.pk for n in notices if n.send_after <= now])
    return notices


def _muted_user_ids(notices: list[Notice]) -> set[int]:
    user_ids = {n.recipient_id for n in notices if n.recipient_id and n.kind not in MANDATORY_NOTICES}
    muted = set()
    for user_id, kinds in NoticePreference.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "muted_kinds"
    ):
        muted.update((user_id, kind) for kind in kinds)
    return muted


def notices_queue(*, notices: list[Notice], build: bool = False) -> int:
    """Write a batch of built rows in a few statements (the sweeps' path): drop unwanted and
    address-less ones, keep existing keys untouched, enqueue the new due rows after commit.
    Returns how many rows were new.

    `build` (issue 24; background fan-outs only, never a web request): each new row's message
    is rendered and built here, in its recipient's language and zone, and stored with it (one
    more statement), so that its delivery only claims, sends the stored bytes and marks. A row
    that fails to render stays pending without a message: its delivery renders it, as without
    `build`. A key another writer inserted first keeps that writer's row, unbuilt by us."""
    muted = _muted_user_ids(notices)
    wanted = [n for n in notices if n.to_email and (n.recipient_id, n.kind) not in muted]
    if not wanted:
        return 0
    keys = [n.dedupe_key for n in wanted]
    existing = set(Notice.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh = [n for n in wanted if n.dedupe_key not in existing]
    Notice.objects.bulk_create(fresh, batch_size=500, ignore_conflicts=True)
    now = timezone.now()
    written = Notice.objects.filter(dedupe_key__in=[n.dedupe_key for n in fresh]).values_list(
        "dedupe_key", "pk", "message_id", "state", "send_after"
    )
    ours = {n.dedupe_key: n for n in fresh}
    due, mine = [], []
    for key, pk, message_id, state, send_after in written:
        if state == NoticeState.PENDING and send_after <= now:
            due.append(pk)
        notice = ours[key]
        if message_id == notice.message_id:  # this call's row, not a concurrent writer's
            notice.pk = pk
            mine.append(notice)
    if build:
        _store(_built(mine, failed=lambda notice, error: None))  # left pending, rendered at delivery
    notices_enqueue_on_commit(due)
    return len(fresh)


_held: ContextVar[bool] = ContextVar("outbox_enqueue_held", default=False)


@contextmanager
def enqueue_held():
    """Rows queued inside are written but handed to no worker: for history recorded as sent when it
    is made (the demo), whose deliveries would find nothing to send. Pending rows left inside are
    still the sweep's."""
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)


def notices_enqueue_on_commit(notice_ids: list[int]) -> None:
    if notice_ids and not _held.get():
        transaction.on_commit(lambda: notices_enqueue(notice_ids))


class BrokerPause:
    """After a failed publish, this process leaves new rows to the sweep for `seconds` instead
    of paying the broker's timeout again on each of them: a hung Redis would otherwise add a
    socket timeout per notice to every request that queues one."""

    seconds = 15.0

    def __init__(self):
        self.until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def start(self) -> None:
        self.until = time.monotonic() + self.seconds

    def clear(self) -> None:
        self.until = 0.0


broker_pause = BrokerPause()


def notices_enqueue(notice_ids: list[int]) -> bool:
    """Hand the rows to a worker. Never raises nor waits long: with the broker down or hung,
    the request that queued them must still succeed quickly (one attempt, no publish retry,
    the transport's short socket timeouts in settings); the rows stay pending and the sweep
    delivers them."""
    from .tasks import notice_deliver_task

    if broker_pause.active():
        logger.warning(
            "Broker paused after a failure: %d notice(s) left for the outbox sweep", len(notice_ids)
        )
        return False
    try:
        notice_deliver_task.apply_async(args=[list(notice_ids)], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure (refused, timed out); the outbox keeps the work
        broker_pause.start()
        logger.warning(
            "Broker unavailable: %d notice(s) left for the outbox sweep", len(notice_ids), exc_info=True
        )
        return False
    return True


def _claim(notice_ids: list[int], now: datetime) -> list[int]:
    """pending → sending for those of `notice_ids` still pending and due, in one statement: the
    one guard against sending twice. On PostgreSQL rows another worker is claiming are skipped,
    not waited for (FOR UPDATE SKIP LOCKED). Returns the ids this call claimed."""
    if not notice_ids:
        return []
    table = db_connection.ops.quote_name(Notice._meta.db_table)
    at = db_connection.ops.adapt_datetimefield_value(now)
    if db_connection.vendor == "postgresql":
        where = (
            f"id IN (SELECT id FROM {table} WHERE id = ANY(%s) AND state = %s AND send_after <= %s"
            " FOR UPDATE SKIP LOCKED)"
        )
        params = [list(notice_ids), NoticeState.PENDING, at]
    else:
        where = f"id IN ({', '.join(['%s'] * len(notice_ids))}) AND state = %s AND send_after <= %s"
        params = [*notice_ids, NoticeState.PENDING, at]
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s, claimed_at = %s, attempts = attempts + 1 WHERE {where}"
            " RETURNING id",
            [NoticeState.SENDING, at, *params],
        )
        return [row[0] for row in cursor.fetchall()]


def _release(notices: list[Notice]) -> None:
    """Claimed rows this call never tried (the lease ran short): pending again, uncounted."""
    if notices:
        Notice.objects.filter(pk__in=[n.pk for n in notices], state=NoticeState.SENDING).update(
            state=NoticeState.PENDING, claimed_at=None, attempts=models.F("attempts") - 1
        )


class StoredEmail(mail.EmailMultiAlternatives):
    """The row's email whose message is the bytes stored on the row: Django's SMTP backend sends
    them as they are (`message().as_bytes()`), nothing is parsed or flattened again."""

    stored: bytes = b""

    def message(self, *, policy=email.policy.default):
        return _Stored(self.stored, policy)


class _Stored:
    """The stored bytes; parsed only if something reads a header or a part (tests, the admin)."""

    def __init__(self, data: bytes, policy):
        self.data, self.policy, self._parsed = data, policy, None

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self.data

    def _message(self):
        if self._parsed is None:
            self._parsed = email.message_from_bytes(self.data, policy=self.policy)
        return self._parsed

    def __getitem__(self, name):
        return self._message()[name]

    def __getattr__(self, name):
        return getattr(self._message(), name)


def _stored_email(notice: Notice) -> StoredEmail:
    built = _message(notice)
    built.__class__ = StoredEmail
    built.stored = bytes(notice.message)
    return built


def _message(notice: Notice) -> mail.EmailMultiAlternatives:
    headers = dict(notice.headers)
    from_email = headers.pop("From", "") or settings.DEFAULT_FROM_EMAIL
    reply_to = headers.pop("Reply-To", "")
    message = mail.EmailMultiAlternatives(
        subject=notice.subject,
        body=notice.body_text,
        from_email=from_email,
        to=[notice.to_email],
        reply_to=[reply_to] if reply_to else None,
        headers={"Message-ID": notice.message_id, **dict(MACHINE_MADE), **headers},
    )
    message.attach_alternative(notice.body_html, "text/html")
    return message


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.NOTICE_RETRY_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def _record_failure(notice: Notice, error: Exception, now: datetime) -> None:
    attempts = notice.attempts
    failed = attempts >= settings.NOTICE_MAX_ATTEMPTS
    Notice.objects.filter(pk=notice.pk, state=NoticeState.SENDING).update(
        state=NoticeState.FAILED if failed else NoticeState.PENDING,
        send_after=now + retry_delay(attempts),
        claimed_at=None,
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )
    logger.warning(
        "Notice %s failed (attempt %d%s): %s", notice.pk, attempts, ", giving up" if failed else "", error
    )


def send_deadline(started: float) -> float:
    """The monotonic instant by which a send claimed at `started` must have its SMTP reply: the
    lease's end less one EMAIL_TIMEOUT kept for marking the row sent. After it the sweep may
    hand the row to another worker, so no attempt may still be able to complete (portal.mail)."""
    return started + settings.NOTICE_LEASE_SECONDS - (settings.EMAIL_TIMEOUT or 0)


def notice_deliver(*, notice_ids: list[int], connection=None) -> list[int]:
    """Claim, build, send and mark the notices in chunks of DELIVERY_CHUNK; return the ids sent by
    this call. Rows already taken by another worker, sent, or not yet due are skipped. One SMTP
    connection serves every chunk.

    Per chunk: one claiming statement, one read, one UPDATE storing the messages built for rows
    that had none (rendered once: a retry sends the same bytes), the sends, one UPDATE marking
    the accepted rows sent. A failure before a message's end was sent sends that row back to
    the queue; one after it, with no reply (`portal.mail.DeliveryUncertain`), stays "sending"
    until its lease runs out. Rows the lease leaves no time for are released and claimed anew."""
    from .mail import DeliveryUncertain

    queue, sent = deque(dict.fromkeys(notice_ids)), []
    connection = connection or mail.mailers.default
    with connection:
        while queue:
            chunk = [queue.popleft() for _ in range(min(DELIVERY_CHUNK, len(queue)))]
            started, claimed_at = time.monotonic(), timezone.now()
            claimed = _claim(chunk, claimed_at)
            if not claimed:
                continue
            rows = Notice.objects.select_related(
                "recipient__profile",
                "recipient__membership__organization",  # the language's sources
            ).in_bulk(claimed)
            notices = _prepared([rows[pk] for pk in chunk if pk in rows], claimed_at)
            deadline = send_deadline(started)
            connection.deadline = deadline
            journal, accepted = AcceptedJournal(), []
            try:
                for index, notice in enumerate(notices):
                    if index and deadline - time.monotonic() < max(float(settings.EMAIL_TIMEOUT or 0), 1.0):
                        _release(notices[index:])  # not tried: claimed again with a lease of their own
                        queue.extendleft(reversed([n.pk for n in notices[index:]]))
                        break
                    try:
                        _send(connection, notice)
                    except DeliveryUncertain as error:
                        _record_uncertain(notice, error, claimed_at)
                        connection.close()  # a new connection for the next one
                        continue
                    except Exception as error:  # noqa: BLE001 - SMTP and socket errors alike go back to the queue
                        _record_failure(notice, error, timezone.now())
                        connection.close()
                        continue
                    journal.add(notice)
                    accepted.append(notice)
            finally:
                # Even when releasing or failing a later row meets a database error: what the
                # server accepted is marked sent (retried through the outage), not left to the journal.
                notices_mark_sent(accepted, journal=journal)
            sent += [n.pk for n in accepted]
    return sent


def _send(connection, notice: Notice) -> None:
    """The stored bytes over the open connection: straight to smtplib with portal.mail's backend
    (`send_raw`), else through Django's API (the test and console backends)."""
    send_raw = getattr(connection, "send_raw", None)
    if send_raw is None:
        connection.send_messages([_stored_email(notice)])
        return
    from_email = notice.headers.get("From") or settings.DEFAULT_FROM_EMAIL
    send_raw(envelope_sender(from_email), [notice.to_email], bytes(notice.message))


def _prepared(notices: list[Notice], claimed_at: datetime) -> list[Notice]:
    """Build and store the message of each row that has none (one UPDATE: `_built`); a row whose
    template fails to render is recorded as a failed attempt and left out. The compiled
    templates come from the cached loader (settings.TEMPLATES: Django's default loaders, cached
    in tests as in production)."""
    failed = set()

    def fail(notice: Notice, error: Exception) -> None:
        _record_failure(notice, error, claimed_at)
        failed.add(notice.pk)

    _store(_built([n for n in notices if n.message is None], failed=fail))
    return [n for n in notices if n.pk not in failed]


def _built(notices: list[Notice], *, failed) -> list[Notice]:
    """Render and build the message of each of `notices` (the one rule for both places that do:
    a delivery's chunk, `_prepared`, and a background fan-out as it queues, `notices_queue`);
    return those built. The rows are rendered grouped by language and zone, each group under one
    switch of both and with its translations' answers remembered; the snapshots the rows share
    (a vendor, a priority) are loaded once. A row that fails is logged and handed to `failed`."""
    groups: dict[tuple | None, list[Notice]] = {}
    fresh = []
    for notice in notices:
        try:
            speech = notice_speech(notice) if notice.template else None
        except Exception as error:  # noqa: BLE001 - one broken row (an unknown zone) must not hold the others back
            logger.exception("Notice %s could not be rendered", notice.pk)
            failed(notice, error)
            continue
        groups.setdefault(speech, []).append(notice)
    memo: dict = {}  # context_load's: the instances the rows' snapshots share
    for speech, group in groups.items():
        with _speaking(*speech) if speech else nullcontext(), _remembering_translations():
            for notice in group:
                try:
                    _build(notice, speech, memo)
                except Exception as error:  # noqa: BLE001 - one broken email must not hold the others back
                    logger.exception("Notice %s could not be rendered", notice.pk)
                    notice.message = None
                    failed(notice, error)
                    continue
                fresh.append(notice)
    return fresh


def _record_uncertain(notice: Notice, error: Exception, claimed_at: datetime) -> None:
    """The server may have the message: keep the row "sending" under this claim, so it is sent
    again only after its lease, when this attempt can no longer complete (the window README's
    "Notices" section states)."""
    Notice.objects.filter(pk=notice.pk, state=NoticeState.SENDING, claimed_at=claimed_at).update(
        last_error=f"{type(error).__name__}: {error}"[:2000]
    )
    logger.warning("Notice %s: %s; it is sent again after its lease", notice.pk, error)


MARK_SENT_PATIENCE = 600.0  # seconds a worker keeps retrying "sent" through a database outage


def notice_mark_sent(notice: Notice, *, patience: float = MARK_SENT_PATIENCE) -> None:
    """Record that the SMTP server accepted `notice` (notices_mark_sent for one)."""
    journal = AcceptedJournal()
    journal.add(notice)
    notices_mark_sent([notice], journal=journal, patience=patience)


def notices_mark_sent(
    notices: list[Notice], *, journal: AcceptedJournal, patience: float = MARK_SENT_PATIENCE
) -> None:
    """Record in one UPDATE that the SMTP server accepted `notices`, whatever the database does.

    `journal` already names them (written after each 250, before this). If the database refuses
    (a restart, a failover), the journal is flushed to disk, which the sweep reads before it
    releases any expired lease, and the update is retried with backoff until it succeeds. A row
    the sweep already released, or another worker took, is marked sent all the same: the server
    has the message. The journal's file is removed once the rows are marked."""
    from django.db import DatabaseError, connection

    if not notices:
        journal.forget()
        return
    deadline, delay, flushed = time.monotonic() + patience, 0.1, False
    ids = [n.pk for n in notices]
    while True:
        try:
            Notice.objects.filter(pk__in=ids).exclude(state=NoticeState.SENT).update(
                state=NoticeState.SENT, sent_at=timezone.now(), last_error=""
            )
        except DatabaseError:
            if not flushed:
                flushed = journal.flush()
            if connection.in_atomic_block:
                raise  # the caller's transaction is lost anyway; nothing to retry here
            if time.monotonic() > deadline:
                raise
            logger.warning(
                "Notice(s) %s accepted, database unavailable: retrying 'sent'", ", ".join(map(str, ids))
            )
            connection.close()  # a fresh connection on the next try
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
        journal.forget()
        return


class AcceptedJournal:
    """One file per chunk under NOTICE_JOURNAL_DIR, a line "<pk> <message-id>" appended after each
    250: a killed worker leaves it in the page cache (no fsync per message), flushed to disk
    when the database refuses "sent". Opened at the first acceptance, removed once marked."""

    def __init__(self):
        self.path = Path(settings.NOTICE_JOURNAL_DIR) / f"accepted-{uuid.uuid4().hex}"
        self.descriptor: int | None = None
        self.failed = False

    def add(self, notice: Notice) -> None:
        if self.failed:
            return
        try:
            if self.descriptor is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self.descriptor, f"{notice.pk} {notice.message_id}\n".encode())
        except OSError:
            self.failed = True
            logger.exception("Notice %s: could not journal its acceptance", notice.pk)

    def flush(self) -> bool:
        if self.descriptor is None or self.failed:
            return False
        try:
            os.fsync(self.descriptor)
        except OSError:
            logger.exception("Could not flush the journal %s", self.path)
            return False
        return True

    def forget(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None
            self.path.unlink(missing_ok=True)


def _journal_path(notice: Notice) -> Path:
    name = sha256(notice.message_id.encode()).hexdigest()[:32]
    return Path(settings.NOTICE_JOURNAL_DIR) / f"accepted-{name}"


def _journal_write(notice: Notice) -> bool:
    """One file naming one accepted notice, "<pk> <message-id>", flushed to disk."""
    path = _journal_path(notice)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, f"{notice.pk} {notice.message_id}\n".encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError:
        logger.exception("Notice %s: could not journal its acceptance", notice.pk)
        return False
    return True


JOURNAL_STALE = timedelta(days=1)  # an entry naming no row here (another database's) is dropped


def notices_journal_replay() -> int:
    """Mark sent every notice the journal says the SMTP server accepted; return how many. A file
    is removed once every row it names is here and it is older than a lease (its worker can no
    longer be appending), or after JOURNAL_STALE whatever it names (another database's rows)."""
    folder, marked = Path(settings.NOTICE_JOURNAL_DIR), 0
    if not folder.is_dir():
        return 0
    lease = timedelta(seconds=settings.NOTICE_LEASE_SECONDS)
    for path in folder.glob("accepted-*"):
        try:
            entries = [line.split() for line in path.read_text().splitlines() if line.strip()]
            mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
        except OSError:
            continue  # already forgotten by its worker
        pairs = {}
        for entry in entries:
            if len(entry) == 2 and entry[0].isdigit():
                pairs[int(entry[0])] = entry[1]
        rows = Notice.objects.filter(pk__in=pairs)
        found = {
            pk: message_id
            for pk, message_id in rows.values_list("pk", "message_id")
            if pairs[pk] == message_id
        }
        if found:
            marked += (
                rows.filter(pk__in=found)
                .exclude(state=NoticeState.SENT)
                .update(state=NoticeState.SENT, sent_at=timezone.now(), last_error="")
            )
        age = timezone.now() - mtime
        if (len(found) == len(pairs) and pairs and age > lease) or age > JOURNAL_STALE:
            path.unlink(missing_ok=True)
    return marked


@dataclass(frozen=True)
class SweepResult:
    released: int
    sent: int
    remaining: bool


def notice_sweep(*, now: datetime | None = None, budget_seconds: float = 45.0) -> SweepResult:
    """The periodic safety net: return expired leases to pending, then deliver due pending rows
    (those whose task was lost, or never enqueued because the broker was down)."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.NOTICE_LEASE_SECONDS)
    notices_journal_replay()  # accepted while the database was away: never re-sent
    released = Notice.objects.filter(state=NoticeState.SENDING, claimed_at__lt=now - lease).update(
        state=NoticeState.PENDING, claimed_at=None
    )
    started, sent, remaining = time.monotonic(), 0, False
    while True:
        due = list(
            Notice.objects.filter(state=NoticeState.PENDING, send_after__lte=now)
            .order_by("send_after", "id")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if not due:
            break
        delivered = notice_deliver(notice_ids=due)
        sent += len(delivered)
        if not delivered or time.monotonic() - started > budget_seconds:
            # Nothing went out (SMTP down: retry next minute), or out of time for this run.
            remaining = True
            break
    return SweepResult(released=released, sent=sent, remaining=remaining)
