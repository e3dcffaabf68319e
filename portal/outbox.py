"""The notice outbox: queue an email as a row in the caller's transaction, deliver it after commit.

Delivery is at-least-once made as close to exactly-once as SMTP allows:

1. `notice_queue` writes one row per (event, recipient) under a unique `dedupe_key`; queueing
   the same notice twice keeps the first row. After commit, one thin Celery task is enqueued;
   if the broker is down that is logged and the periodic sweep sends the row later.
2. `notice_deliver` claims the row with a conditional UPDATE (pending → sending, acting only if
   one row changed), so two workers, a retried task and the sweep never both send it.
3. It sends through Django's mail API (portal.mail: the server's reply to the end of the
   message is awaited until the lease's end less one EMAIL_TIMEOUT), then marks the row sent
   (`notice_mark_sent`: retried through a database outage, noted in the journal first).
4. A worker killed between 2 and 3 leaves the row "sending"; after NOTICE_LEASE_SECONDS the
   sweep returns it to pending and it is sent again. A failure before the end of the message
   was sent goes back to pending at once. The duplicate SMTP cannot rule out: the server read
   the end of the message and its reply never reached the worker within the lease (a kill, a
   cut connection, a server slower than the lease); the duplicate carries the same Message-ID.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import MANDATORY_NOTICES, Notice, NoticePreference, NoticeState
from .selectors import email_language

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


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
    with (
        timezone.override(zone or timezone.get_default_timezone()),
        translation.override(language or settings.LANGUAGE_CODE),
    ):
        subject = render_to_string(f"emails/{name}-subject.txt", context)
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    # A subject is one line: template newlines would fold into the header.
    return RenderedEmail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)


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
    rendered: RenderedEmail,
    recipient=None,
    to_email: str = "",
    reference: str = "",
    thread: str = "",
    send_after: datetime | None = None,
    from_email: str = "",
    reply_to: str = "",
) -> Notice:
    """An unsaved notice row; `notices_queue` saves a batch of them. `from_email` and `reply_to`
    (a vendor's support address and a case's reply address) ride in the row's headers."""
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
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=_message_id(),
        headers=headers,
        send_after=send_after or timezone.now(),
    )


def notice_queue(*, template: str, context: dict, zone=None, **fields) -> Notice | None:
    """Render and write one notice row in the caller's transaction; None when the recipient does
    not want this kind or has no address. Queueing an existing key returns the existing row."""
    recipient, kind = fields.get("recipient"), fields["kind"]
    if recipient is not None and not notice_wanted(user=recipient, kind=kind):
        return None
    if not (fields.get("to_email") or getattr(recipient, "email", "")):
        return None
    language = email_language(recipient) if recipient is not None else None  # issue 22: theirs
    rendered = render_email(template, context, zone=zone, language=language)
    return notice_save(notice_build(rendered=rendered, **fields))


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


def _muted_user_ids(notices: list[Notice]) -> set[int]:
    user_ids = {n.recipient_id for n in notices if n.recipient_id and n.kind not in MANDATORY_NOTICES}
    muted = set()
    for user_id, kinds in NoticePreference.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "muted_kinds"
    ):
        muted.update((user_id, kind) for kind in kinds)
    return muted


def notices_queue(*, notices: list[Notice]) -> int:
    """Write a batch of built rows in a few statements (the sweeps' path): drop unwanted and
    address-less ones, keep existing keys untouched, enqueue the new due rows after commit.
    Returns how many rows were new."""
    muted = _muted_user_ids(notices)
    wanted = [n for n in notices if n.to_email and (n.recipient_id, n.kind) not in muted]
    if not wanted:
        return 0
    keys = [n.dedupe_key for n in wanted]
    existing = set(Notice.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh = [n for n in wanted if n.dedupe_key not in existing]
    Notice.objects.bulk_create(fresh, batch_size=500, ignore_conflicts=True)
    now = timezone.now()
    due = list(
        Notice.objects.filter(
            dedupe_key__in=[n.dedupe_key for n in fresh], state=NoticeState.PENDING, send_after__lte=now
        ).values_list("pk", flat=True)
    )
    notices_enqueue_on_commit(due)
    return len(fresh)


def notices_enqueue_on_commit(notice_ids: list[int]) -> None:
    if notice_ids:
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


def _claim(notice_id: int, now: datetime) -> bool:
    """pending → sending, only if still pending and due: the one guard against sending twice."""
    return (
        Notice.objects.filter(pk=notice_id, state=NoticeState.PENDING, send_after__lte=now).update(
            state=NoticeState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


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
        # Every email of the desk is machine-made (RFC 3834): responders must not answer it.
        headers={"Message-ID": notice.message_id, "Auto-Submitted": "auto-generated", **headers},
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
    """Claim, send and mark each notice; return the ids sent by this call. Rows already taken
    by another worker, sent, or not yet due are skipped. One SMTP connection serves the batch.

    The rows are read once up front (their content never changes after queueing); each is then
    claimed on its own just before its send, so a crash strands at most one claimed row.
    A failure before the message's end was sent goes back to the queue; one after it, with no
    reply (`portal.mail.DeliveryUncertain`), stays "sending" until its lease runs out."""
    from .mail import DeliveryUncertain

    notices = Notice.objects.filter(pk__in=notice_ids, state=NoticeState.PENDING).in_bulk()
    sent: list[int] = []
    if not notices:
        return sent
    connection = connection or mail.mailers.default
    with connection:
        for notice_id in notice_ids:
            notice = notices.get(notice_id)
            started, claimed_at = time.monotonic(), timezone.now()
            if notice is None or not _claim(notice_id, claimed_at):
                continue
            notice.attempts += 1
            connection.deadline = send_deadline(started)
            try:
                connection.send_messages([_message(notice)])
            except DeliveryUncertain as error:
                _record_uncertain(notice, error, claimed_at)
                connection.close()  # a new connection for the next one
                continue
            except Exception as error:  # noqa: BLE001 - SMTP and socket errors alike go back to the queue
                _record_failure(notice, error, timezone.now())
                connection.close()
                continue
            notice_mark_sent(notice)
            sent.append(notice_id)
    return sent


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
    """Record that the SMTP server accepted `notice`, whatever the database is doing.

    The first thing after the server's 250. If the database refuses (a restart, a failover),
    the acceptance is first written to the journal (NOTICE_JOURNAL_DIR), which the sweep reads
    before it releases any expired lease, and the update is retried with backoff until it
    succeeds. A row the sweep already released, or another worker took, is marked sent all the
    same: the server has the message."""
    from django.db import DatabaseError, connection

    deadline, delay, journaled = time.monotonic() + patience, 0.1, False
    while True:
        try:
            Notice.objects.filter(pk=notice.pk).exclude(state=NoticeState.SENT).update(
                state=NoticeState.SENT, sent_at=timezone.now(), last_error=""
            )
        except DatabaseError:
            if connection.in_atomic_block:
                raise  # the caller's transaction is lost anyway; nothing to retry here
            if not journaled:
                journaled = _journal_write(notice)
            if time.monotonic() > deadline:
                raise
            logger.warning("Notice %s accepted, database unavailable: retrying 'sent'", notice.pk)
            connection.close()  # a fresh connection on the next try
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
        if journaled:
            _journal_forget(notice)
        return


def _journal_path(notice: Notice) -> Path:
    name = sha256(notice.message_id.encode()).hexdigest()[:32]
    return Path(settings.NOTICE_JOURNAL_DIR) / f"accepted-{name}"


def _journal_write(notice: Notice) -> bool:
    """One file per accepted notice, "<pk> <message-id>", flushed to disk."""
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


def _journal_forget(notice: Notice) -> None:
    _journal_path(notice).unlink(missing_ok=True)


JOURNAL_STALE = timedelta(days=1)  # an entry naming no row here (another database's) is dropped


def notices_journal_replay() -> int:
    """Mark sent every notice the journal says the SMTP server accepted; return how many."""
    folder, marked = Path(settings.NOTICE_JOURNAL_DIR), 0
    if not folder.is_dir():
        return 0
    for path in folder.glob("accepted-*"):
        try:
            pk, message_id = path.read_text().split()
            mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
        except (OSError, ValueError):
            continue  # being written, or already forgotten by its worker
        rows = Notice.objects.filter(pk=int(pk), message_id=message_id)
        marked += rows.exclude(state=NoticeState.SENT).update(
            state=NoticeState.SENT, sent_at=timezone.now(), last_error=""
        )
        if rows.exists() or timezone.now() - mtime > JOURNAL_STALE:
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
