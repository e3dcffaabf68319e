"""Submitting twice creates once.

A form that creates something (open a case, send a reply, close, reopen) carries a one-time
token made when the form is rendered; an API request that does may carry an `Idempotency-Key`
header. `submit_once` claims (person, operation, key) by inserting an `IdempotencyKey` row in
the same transaction as the creation, so a double click, a retried request or two requests in
flight create one thing, and every repeat answers with the first one's result:

1. A key already claimed and younger than KEY_LIFETIME answers with its stored result at once.
2. Otherwise, in one transaction: insert the claim, create, store the result on the claim.
   A twin in flight has inserted the same key first: PostgreSQL makes this INSERT wait on the
   unique index until the twin commits, then fail; SQLite (BEGIN IMMEDIATE, settings.py) makes
   the whole transaction wait for the twin's commit, then the INSERT fails. Either way nothing
   is created, and step 1 answers with the twin's result.
3. A creation that fails (a ValidationError) rolls its claim back: the same key still works.

A key is the person's own: two people sending the same key are two requests. The same key with
a different request (another text, another case) is refused, never answered with the first's
result: that is a client bug or an edited form, and guessing either way would lose something.
Nothing here knows what is created; views and the API hand over a `create` function."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .errors import ApplicationError
from .models import IdempotencyKey
from .throttles import check_form_write
from .transactions import retry_once_on_conflict

# How long a key answers with its first result: a retry or a resubmitted page comes within
# minutes; a day covers a client that retries after an outage. Older keys are forgotten.
KEY_LIFETIME = timedelta(hours=24)
KEY_MAX_LENGTH = 255
# The hidden field of every form that creates something.
FORM_FIELD = "submit_token"
# Fields of a form post that change per rendering but not what is asked for.
NOT_FINGERPRINTED = frozenset({"csrfmiddlewaretoken", FORM_FIELD})

BAD_KEY = format_lazy(
    _("An idempotency key is 1 to {length} printable ASCII characters."), length=KEY_MAX_LENGTH
)
KEY_REUSED = _(
    "This Idempotency-Key was already used for a different request in the last 24 hours; "
    "send a new key for a new request."
)


@dataclass(frozen=True)
class Submission:
    """What a creating request answered: the reference of what it created (a case number, a
    reply id) and, for the API, the status and JSON body it sent."""

    reference: str
    status: int | None = None
    body: Any = None
    replayed: bool = False


class KeyReused(ApplicationError):
    """The key was claimed by a different request; `previous` is that request's result."""

    def __init__(self, previous: Submission):
        super().__init__(KEY_REUSED)
        self.previous = previous


class _Taken(Exception):
    """Another request claimed the key first (raised out of the claiming transaction)."""


def new_token() -> str:
    """An unguessable form token (192 random bits)."""
    return secrets.token_urlsafe(24)


def well_formed(key: str) -> bool:
    return 0 < len(key) <= KEY_MAX_LENGTH and key.isascii() and key.isprintable()


def fingerprint(*parts: Any) -> str:
    """SHA-256 over the parts as canonical JSON: the same request always gives the same value."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def submit_once(
    *,
    user,
    scope: str,
    key: str | None,
    fingerprint: Callable[[], str],
    create: Callable[[], Submission],
    now: datetime | None = None,
) -> Submission:
    """Run `create` once per (user, scope, key) within KEY_LIFETIME; repeats answer with its
    result (`replayed=True`). Without a key, `create` simply runs, and the request's
    `fingerprint` (a canonical dump and digest of its body) is not made. Raises KeyReused when
    the key came with another request, ValidationError for a malformed key."""
    if not key:
        return create()  # its own transaction, if it needs one: no savepoint more per case
    if not well_formed(key):
        raise ValidationError(BAD_KEY)
    digest = fingerprint()
    now = now or timezone.now()
    claimed = dict(user=user, scope=scope, key=key)
    previous = _claimed(claimed, now)
    if previous is None:
        try:
            return _claim_and_create(claimed, digest, create, now)
        except _Taken:
            previous = _claimed(claimed, now)
            if previous is None:  # the twin's claim expired in between: a day-long request
                raise
    return _replay(previous, digest)


def _claimed(claimed: dict, now: datetime) -> IdempotencyKey | None:
    """The claim of this key, if one is alive. An expired one gives way (deleted by its id, so a
    newer claim of the same key that a twin made meanwhile stays): the lifetime holds between
    the daily purges."""
    try:
        previous = IdempotencyKey.objects.get(**claimed)
    except IdempotencyKey.DoesNotExist:
        return None
    if previous.created_at > now - KEY_LIFETIME:
        return previous
    IdempotencyKey.objects.filter(pk=previous.pk).delete()
    return None


@retry_once_on_conflict  # `create`'s services run inside this transaction: their retry cannot
def _claim_and_create(claimed: dict, fingerprint: str, create: Callable[[], Submission], now) -> Submission:
    with transaction.atomic():
        try:
            claim = IdempotencyKey.objects.create(**claimed, fingerprint=fingerprint, created_at=now)
        except IntegrityError:
            # Leaving the block rolls the failed transaction (or savepoint) back; nothing to save.
            raise _Taken from None
        submission = create()
        claim.reference = submission.reference
        claim.response_status = submission.status
        if submission.body is not None:
            claim.response_body = json.dumps(submission.body, cls=DjangoJSONEncoder)
        claim.save(update_fields=["reference", "response_status", "response_body"])
    return submission


def _replay(previous: IdempotencyKey, fingerprint: str) -> Submission:
    submission = Submission(
        reference=previous.reference,
        status=previous.response_status,
        body=json.loads(previous.response_body) if previous.response_body else None,
        replayed=True,
    )
    if previous.fingerprint != fingerprint:
        raise KeyReused(submission)
    return submission


@transaction.atomic
def idempotency_keys_forget(*, now: datetime | None = None) -> int:
    """Delete the keys older than KEY_LIFETIME (a daily task); returns how many."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted


# ---------------------------------------------------------------------------- forms


def form_token(request) -> str:
    """The token a form being rendered carries, one per page. A form sent back with errors keeps
    the token it was sent with while that token is unclaimed (nothing was created with it), so
    sending the corrected form still counts once; any other rendering gets a new token."""
    token = getattr(request, "_submit_token", None)
    if token is None:
        posted = request.POST.get(FORM_FIELD, "") if request.method == "POST" else ""
        reusable = (
            well_formed(posted)
            and request.user.is_authenticated
            and not IdempotencyKey.objects.filter(user=request.user, key=posted).exists()
        )
        token = request._submit_token = posted if reusable else new_token()
    return token


def form_submit_once(
    request, *, scope: str, target: str = "", create: Callable[[], Submission]
) -> Submission:
    """`submit_once` for a form post: keyed by its token (a post without one, or with a malformed
    one, from a page rendered before tokens existed, simply runs) and fingerprinted by its
    fields and files, whatever the form. Each post counts against the person's write rate first
    (portal.throttles.check_form_write: TooManyWrites past it, nothing claimed or created)."""
    check_form_write(request)
    key = request.POST.get(FORM_FIELD, "")

    def fingerprinted() -> str:
        fields = sorted(
            (name, values) for name, values in request.POST.lists() if name not in NOT_FINGERPRINTED
        )
        files = sorted(
            (name, [(upload.name, upload.size) for upload in uploads])
            for name, uploads in request.FILES.lists()
        )
        return fingerprint(scope, target, fields, files)

    return submit_once(
        user=request.user,
        scope=scope,
        key=key if well_formed(key) else None,
        fingerprint=fingerprinted,
        create=create,
    )
