"""One message in, exactly one outcome out (SPEC §7).

`message_ingest` is the only door: the Maildir poller, `manage.py ingestmail` (files and an MTA's
pipe) and any later transport hand it the raw bytes. In order:

1. Too large (MAIL_MAX_BYTES, checked on the size the transport reports): only the headers are
   read and kept, and the message is refused.
2. Keyed by (vendor, Message-ID), or, when it has none, sha256 of the message as its sender wrote
   it: without the trace an MTA writes on each delivery (Received, Return-Path, Delivered-To...,
   TRACE_HEADERS), line ends as LF. A key already stored is a duplicate and changes nothing (a
   re-poll, a crash between commit and mark, two transports, an MTA delivering it again). The raw
   bytes are stored, then the row, then the outcome, in one transaction.
3. Automatic mail (Auto-Submitted, Precedence, list headers, delivery reports, a null return
   path, our own messages and addresses) is ignored: stored, never answered, so never a loop.
4. A DMARC failure, an unknown or ambiguous sender, a stranger to the case: quarantined for
   staff, with no answer (no backscatter, nothing confirmed to a forger).
5. A reply (the case's reply address, confirmed by In-Reply-To/References against what the desk
   sent) adds a reply through tickets.services.reply_add; anything else from a member opens a
   case through tickets.services.ticket_open, entitlement check and notices included.
6. What the portal refuses (entitlement, charges, a closed case, attachments) is answered in the
   portal's words, at most MAIL_ANSWERS_PER_HOUR times an hour per address.
7. The loop guard, behind the signals of 3: past MAIL_REPLIES_PER_HOUR replies added from one address
   to one case in the last hour, the next reply is quarantined for staff, unanswered; a responder that
   sends no signal and the desk's notices stop there instead of ping-ponging on the case.

Nothing raises for bad input: an error while deciding rolls back that decision's writes and
quarantines the message with the error as its reason. A transient database error (OperationalError,
InterfaceError: the database restarting, a lock timeout) is not the message's fault: everything of
it rolls back, row included, and TransientError is raised, on which each transport leaves the
message for its next try (Maildir: in new/; IMAP: the cursor before it; ingestmail: exit status 75,
EX_TEMPFAIL, so the MTA keeps it queued). Unless the database fails on that same message (vendor and
bytes) every time, a statement that always times out on its content, say: past MAIL_TRANSIENT_TRIES
failures (counted in the cache, mailroom.services.tries) the next one quarantines it, stored as any
other, with how often it was tried and the last error as its reason; the transport then moves on
(Maildir: to cur/; IMAP: the cursor past it; ingestmail: exit status 0), and a later copy of it is a
duplicate. If even that row cannot be stored, TransientError is raised as before."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from policies.models import Vendor
from policies.selectors import version_in_force, version_terms
from portal.markdown import MAX_LENGTH, TOO_LONG
from portal.models import Notice, NoticeKind
from portal.outbox import mail_domain, thread_id, thread_reference
from portal.selectors import email_language, user_membership
from tickets.models import Ticket, TicketChannel
from tickets.reply_address import reply_token_in, reply_token_ticket
from tickets.services import MAX_FILES, attachment_add, attachment_validate, reply_add, ticket_open

from .. import notices
from ..models import InboundMessage, Outcome, Transport
from ..parsing import ParsedMail, mail_head, mail_parse, text_markdown
from ..replytext import reply_text
from .tries import transient_tries_clear, transient_try_count

logger = logging.getLogger(__name__)


class TransientError(Exception):
    """The database failed for a moment (it restarted, a lock or statement timed out, a deadlock)
    while a message was taken in: nothing of it was stored, and the transport leaves it where it
    was, for its next poll or the MTA's next try. Not bad input: never a reason to quarantine."""


TRANSIENT = (OperationalError, InterfaceError)  # what of django.db.DatabaseError may pass by itself


HEAD_BYTES = 64 * 1024  # what is read of an oversized message: its headers
SUBJECT_LENGTH = 200  # tickets.Ticket.subject

# What a sender is told (issue 22): lazy, and formatted lazily (`_text`), so that each is written
# when mailroom.notices reads it, in the recipient's language, numbers grouped as it groups them.
TOO_LARGE = _("Your email is %(size)s bytes; the desk takes emails of at most %(limit)s bytes.")
TOO_LARGE_ADVICE = _(
    "Open the case in the portal instead and attach the files there (each up to %(limit)s bytes)"
)
CASE_REFUSED_ADVICE = _(
    "Open the case in the portal instead, where you choose the product and version and see the "
    "deadlines, and any charge, before you submit"
)
REPLY_ADVICE = _("Add your message to the case in the portal instead")
# A text past portal.markdown.MAX_LENGTH, which tickets' services refuse with the form's words
# ("Keep it to …"): said again in an email's terms, with what to send instead.
TEXT_TOO_LONG = {
    "case": _(
        "The text of your email is %(length)s characters long; a case takes at most %(limit)s characters "
        "of text."
    ),
    "reply": _(
        "The text of your email is %(length)s characters long; a reply takes at most %(limit)s characters "
        "of text."
    ),
}
TEXT_TOO_LONG_ADVICE = {
    "case": _(
        "Send it again with a shorter text and attach the long logs or documents as files (each up to "
        "%(size)s bytes), or open the case in the portal"
    ),
    "reply": _(
        "Reply again with a shorter text and attach the long logs or documents as files (each up to "
        "%(size)s bytes), or add your message to the case in the portal"
    ),
}
NOT_CONFIRMED = _(
    "It went to the reply address of case %(number)s but answers none of the desk's emails about it, so "
    "it was not added. Reply to the latest email about the case."
)
NO_REPLY_ADDRESS = _(
    "It answers case %(number)s, but it was not sent to the case's reply address (the Reply-To of the "
    "desk's emails), so it was not added. Reply to the latest email about the case."
)


def _format(message, params: dict) -> str:
    values = {
        name: number_format(value, force_grouping=True) if isinstance(value, int) else value
        for name, value in params.items()
    }
    return str(message) % values if values else str(message)


_text = lazy(_format, str)  # _text(message, params): formatted in the language active when read
UNANSWERED = _("Not answered: {count} answers to {address} in the last hour (MAIL_ANSWERS_PER_HOUR).")
REPLIES_HELD = _(
    "Not added: {count} replies from {address} to {case} in the last hour (MAIL_REPLIES_PER_HOUR): a loop "
    "of automatic replies, or a person writing very often. Staff can add it as a reply to its case "
    "(Add as a reply to its case), or discard it."
)
GAVE_UP = _(
    "Could not be taken in after %(tries)s tries, the database failing on it each time (more than "
    "MAIL_TRANSIENT_TRIES); the last error: %(error)s. Quarantined for staff: open it for an "
    "organization or discard it."
)


@dataclass
class Decision:
    """What became of a message, written onto its row at the end."""

    outcome: str = ""
    reasons: list[str] = field(default_factory=list)
    ticket: Ticket | None = None
    reply: object = None
    sender: object = None

    def set(self, outcome: str, reason: str, **fields) -> Decision:
        self.outcome = outcome
        self.reasons.insert(0, reason)
        for name, value in fields.items():
            setattr(self, name, value)
        return self


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Delivered:
    data: bytes  # the whole message, or only its headers when too large
    size: int
    too_large: bool

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _drain(stream: BinaryIO) -> int:
    count = 0
    while chunk := stream.read(HEAD_BYTES):
        count += len(chunk)
    return count


def _read(raw: bytes | BinaryIO, size: int | None) -> Delivered:
    """The bytes to keep, reading at most MAIL_MAX_BYTES + 1 of a stream (a pipe has no size)."""
    limit = settings.MAIL_MAX_BYTES
    if isinstance(raw, bytes | bytearray):
        data = bytes(raw)
        if len(data) > limit:
            return Delivered(mail_head(data[:HEAD_BYTES]), len(data), True)
        return Delivered(data, len(data), False)
    if size is not None and size > limit:
        return Delivered(mail_head(raw.read(HEAD_BYTES)), size, True)
    data = raw.read(limit + 1)
    if len(data) > limit:
        return Delivered(mail_head(data[:HEAD_BYTES]), len(data) + _drain(raw), True)
    return Delivered(data, len(data), False)


# Header fields an MTA or mail store writes on delivery, none of them the sender's: a message
# delivered again (an MTA's retry, another relay, IMAP and a Maildir copy) carries other ones.
TRACE_HEADERS = frozenset(
    {
        "return-path",
        "received",
        "x-received",
        "delivered-to",
        "x-delivered-to",
        "x-original-to",
        "envelope-to",
        "x-envelope-to",
        "x-envelope-from",
        "received-spf",
        "authentication-results",
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "x-virus-scanned",
        "status",  # mbox and Maildir stores' flags
        "x-status",
        "x-uid",
        "x-keywords",
    }
)
TRACE_PREFIXES = (b"x-spam-",)  # SpamAssassin's and the like
# A header line as the stdlib parser reads one (email.feedparser.headerRE): a field's name and its
# colon, or a folded continuation; anything else ends the header, as a blank line does.
HEADER_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+):|[ \t]")
LINE = re.compile(rb"[^\n]*\n|[^\n]+")


def _without_trace(data: bytes) -> tuple[bytes, int]:
    """The message as its sender wrote it: its header without the trace fields (each with its
    folded lines) and without an mbox "From " line, line ends as LF, then its body; and how many
    bytes were taken out of the header."""
    kept, removed, dropping = [], 0, False
    lines = LINE.findall(data)
    for index, line in enumerate(lines):
        if index == 0 and line.startswith(b"From "):
            removed += len(line)
            continue
        field = HEADER_LINE.match(line)
        if field is None:  # a blank line, or the body's first line: the header is over
            body = b"".join(lines[index:])
            break
        if field[1] is not None:
            name = field[1].lower()
            dropping = name.decode() in TRACE_HEADERS or name.startswith(TRACE_PREFIXES)
        if dropping:
            removed += len(line)
        else:
            kept.append(line)
    else:
        body = b""
    return (b"".join(kept) + body).replace(b"\r\n", b"\n"), removed


def _message_id(mail: ParsedMail, delivered: Delivered) -> str:
    if mail.message_id and len(mail.message_id) <= 255:
        return mail.message_id
    # No Message-ID (or an absurd one): the hash of the message names it, so the same message
    # fetched or delivered again is still recognised (SPEC §7). Not of its bytes as they came:
    # the trace an MTA writes on each delivery (Received, Return-Path, Delivered-To...) and the
    # line ends differ from one delivery, or transport, to the next.
    if mail.message_id:
        basis = mail.message_id.encode()
    else:
        basis, removed = _without_trace(delivered.data)
        if delivered.too_large:  # only its header was read: its size stands for the rest
            basis += str(delivered.size - removed).encode()
    return f"sha256:{hashlib.sha256(basis).hexdigest()}"


def _keys(message: InboundMessage, mail: ParsedMail, delivered: Delivered) -> list[str]:
    """The keys a stored copy of this message may have: its own, and, for one without a Message-ID,
    the key of its bytes and size as they came, which such messages had before 5e25cf4 (a message
    stored then and fetched again since is still the same one)."""
    if mail.message_id:
        return [message.message_id]
    return [
        message.message_id,
        f"sha256:{hashlib.sha256(delivered.data + str(delivered.size).encode()).hexdigest()}",
    ]


def _store_raw(message: InboundMessage, data: bytes) -> None:
    """Content-addressed: the same bytes stored again (a message re-fetched after a crash, before
    its row committed) are the same file, not a second copy."""
    name = message.raw.field.generate_filename(message, f"{message.sha256}.eml")
    if message.raw.storage.exists(name):
        message.raw.name = name
    else:
        message.raw.save(f"{message.sha256}.eml", ContentFile(data), save=False)


def _duplicate(original: InboundMessage, message: InboundMessage) -> InboundMessage:
    InboundMessage.objects.filter(pk=original.pk).update(times_seen=F("times_seen") + 1)
    message.outcome = Outcome.DUPLICATE
    message.reason = gettext("Already received on %(when)s UTC (%(outcome)s); nothing was done again.") % {
        "when": f"{original.received_at:%Y-%m-%d %H:%M}",
        "outcome": original.get_outcome_display().lower(),
    }
    message.ticket_id, message.reply_id = original.ticket_id, original.reply_id
    message.original = original
    return message


# ---------------------------------------------------------------------------- who and what


def mail_sender(address: str):
    """The one active person with this address, or None and why not."""
    if not address:
        return None, gettext("No sender address could be read from the message.")
    users = list(
        get_user_model()
        .objects.filter(email__iexact=address, is_active=True)
        .select_related("membership__organization")[:2]
    )
    if not users:
        return None, gettext("%(address)s is not the address of anyone in the portal.") % {"address": address}
    if len(users) > 1:
        return None, gettext(
            "Several people in the portal have the address %(address)s: staff must choose."
        ) % {"address": address}
    return users[0], ""


def _ours(mail: ParsedMail) -> str:
    domain = mail_domain()
    if mail.message_id and (
        mail.message_id.endswith(f"@{domain}>")
        and mail.message_id.startswith(("<notice.", "<case."))
        or Notice.objects.filter(message_id=mail.message_id).exists()
    ):
        return gettext("the desk's own email came back (its Message-ID is one the desk sent)")
    if mail.from_address and Vendor.objects.filter(support_email__iexact=mail.from_address).exists():
        return gettext("sent from the desk's own address %(address)s") % {"address": mail.from_address}
    return ""


def may_reply(user, ticket: Ticket) -> bool:
    """Whether this sender's email is added to the case as their reply (by the email path, or by
    staff from the quarantine): the portal's own rule, staff see every case, a customer their
    organization's."""
    return Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists()


def _desk_sent(ticket: Ticket, references: list[str]) -> bool:
    """Does the message answer one of the desk's emails about this case?"""
    if not references:
        return False
    return thread_id(ticket.number) in references or (
        Notice.objects.filter(reference=ticket.number, message_id__in=references).exists()
    )


def _referenced_case(references: list[str], sender) -> Ticket | None:
    """A case the sender may see among those the references name: another organization's case
    beside it (the newer, say) must not hide it, nor be named to the sender."""
    if not references or sender is None:
        return None
    numbers = set(Notice.objects.filter(message_id__in=references).values_list("reference", flat=True))
    numbers.update(thread_reference(reference) for reference in references)
    return Ticket.objects.visible_to(sender).filter(number__in=numbers - {""}).first()


def _email_priority(vendor: Vendor, at: datetime) -> str:
    """The vendor's default for email; if the policy in force lacks it, its least urgent one."""
    version = version_in_force(vendor=vendor, at=at)
    if version is None:
        return vendor.email_priority
    priorities = version_terms(version).priorities
    if vendor.email_priority in priorities or not priorities:
        return vendor.email_priority
    return max(priorities.values(), key=lambda priority: priority.rank).code


def _subject(mail: ParsedMail) -> str:
    subject = mail.subject.strip() or gettext("(no subject)")
    return subject if len(subject) <= SUBJECT_LENGTH else subject[: SUBJECT_LENGTH - 1] + "…"


def _messages(error: ValidationError) -> list:
    """The error's messages, still lazy (ValidationError.messages would write them now, in the
    ingestion's language): each is written in the sender's when their answer is rendered."""
    if hasattr(error, "error_dict"):
        errors = [item for items in error.error_dict.values() for item in items]
    else:
        errors = error.error_list
    return [_text(item.message, item.params or {}) for item in errors]


def _said(texts) -> str:
    """Texts for the message's own record (staff read it): in the language active now."""
    return " ".join(str(text) for text in texts)


def _case_body(mail: ParsedMail) -> str:
    return text_markdown(mail.text) or gettext("(The email had no text.)")


def _refusal(error: ValidationError, *, body: str, what: str, advice: str) -> tuple[list[str], str]:
    """Why tickets' services refused, and what to do: their words, except for a text over the cap,
    whose words are the form's."""
    reasons = _messages(error)
    if TOO_LONG not in getattr(error, "message_dict", {}).get("body", []):
        return reasons, advice
    reasons[reasons.index(TOO_LONG)] = _text(TEXT_TOO_LONG[what], {"length": len(body), "limit": MAX_LENGTH})
    return reasons, _text(TEXT_TOO_LONG_ADVICE[what], {"size": settings.ATTACHMENT_MAX_BYTES})


def _too_many_files(names: list[str]) -> str:
    shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
    return _format(
        ngettext(
            "%(count)s more file was not added (%(names)s): an email adds at most %(limit)s files, as the "
            "portal's form does.",
            "%(count)s more files were not added (%(names)s): an email adds at most %(limit)s files, as the "
            "portal's form does.",
            len(names),
        ),
        {"count": len(names), "names": shown, "limit": MAX_FILES},
    )


_too_many_files_text = lazy(_too_many_files, str)  # written in the language active when read


def _uploads(mail: ParsedMail) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments the portal accepts, at most MAX_FILES as its forms take at a time, and why
    each of the others is refused (those past MAX_FILES in one line, however many)."""
    accepted, refused = [], []
    for index, part in enumerate(mail.attachments):
        if len(accepted) == MAX_FILES:
            refused.append(_too_many_files_text([part.filename for part in mail.attachments[index:]]))
            break
        upload = SimpleUploadedFile(part.filename, part.content, content_type=part.content_type)
        try:
            attachment_validate(upload)
        except ValidationError as error:
            refused.extend(_messages(error))
            continue
        accepted.append(upload)
    return accepted, refused


def _as_sender(sender):
    """Tickets' services run for a known sender as a portal request of theirs does, in their
    language (portal.selectors.email_language): what those services refuse, listed back in the
    answer, is in the sender's words, as the rest of that answer is (issue 22)."""
    return translation.override(email_language(sender))


def _portal_url(name: str, *args, query: str = "") -> str:
    return settings.SITE_URL + reverse(name, args=args) + query


# ---------------------------------------------------------------------------- answering


def _answers_left(message: InboundMessage) -> int:
    """MAIL_ANSWERS_PER_HOUR counts emails, not messages: one message may earn two (a case's
    acknowledgement and the list of its refused files), and this one's own count too."""
    since = message.received_at - timedelta(hours=1)
    answered = InboundMessage.objects.filter(
        from_address=message.from_address, answered_at__isnull=False, received_at__gt=since
    ).aggregate(total=Sum("answers"))["total"]
    return settings.MAIL_ANSWERS_PER_HOUR - (answered or 0) - message.answers


def _may_answer(message: InboundMessage, decision: Decision) -> bool:
    if _answers_left(message) > 0:
        return True
    decision.reasons.append(
        UNANSWERED.format(count=settings.MAIL_ANSWERS_PER_HOUR, address=message.from_address)
    )
    return False


def _replies_added(message: InboundMessage, ticket: Ticket) -> int:
    """Replies from this message's address added to the case in the hour before it (the index
    inbound_replied: the case's replied rows, at most MAIL_REPLIES_PER_HOUR a sender an hour)."""
    since = message.received_at - timedelta(hours=1)
    return InboundMessage.objects.filter(
        ticket=ticket,
        outcome=Outcome.REPLIED,
        received_at__gt=since,
        vendor=message.vendor,
        from_address__iexact=message.from_address,
    ).count()


def _answered(message: InboundMessage, notice) -> None:
    if notice is not None:
        message.answered_at = message.answered_at or timezone.now()
        message.answers += 1


def _refuse(message: InboundMessage, decision: Decision, *, user, reasons, advice, url, ticket=None) -> None:
    decision.set(
        Outcome.REFUSED,
        gettext("Refused: %(reasons)s") % {"reasons": _said(reasons)},
        sender=user,
        ticket=ticket,
    )
    if _may_answer(message, decision):
        notice = notices.mail_refused(
            message=message, user=user, reasons=reasons, advice=advice, portal_url=url, ticket=ticket
        )
        _answered(message, notice)


def _attachments_refused(message: InboundMessage, decision: Decision, *, user, ticket, refused) -> None:
    if not refused:
        return
    decision.reasons.append(gettext("Attachments refused: %(reasons)s") % {"reasons": _said(refused)})
    if _may_answer(message, decision):
        _answered(
            message,
            notices.mail_attachments_refused(message=message, user=user, ticket=ticket, reasons=refused),
        )


def acknowledgement_thread(message: InboundMessage, decision: Decision, ticket: Ticket) -> None:
    """ticket_open queued "we received your case"; it answers in the sender's thread, or, over
    the rate limit, is withdrawn before it is sent (the case stays opened)."""
    acknowledgements = Notice.objects.filter(
        kind=NoticeKind.TICKET_RECEIVED, reference=ticket.number, recipient=ticket.requester
    )
    if not acknowledgements.exists():
        return
    if not _may_answer(message, decision):
        acknowledgements.delete()
        return
    if not message.message_id.startswith("sha256:"):
        for notice in acknowledgements:
            notice.headers = {
                **notice.headers,
                "In-Reply-To": message.message_id,
                "References": f"{message.message_id} {thread_id(ticket.number)}",
            }
            notice.save(update_fields=["headers"])
    for notice in acknowledgements:
        _answered(message, notice)


# ---------------------------------------------------------------------------- the outcomes


def case_from_mail(
    *, message: InboundMessage, mail: ParsedMail, organization, requester
) -> tuple[Ticket, list[str]]:
    """Open the case a message asks for, through ticket_open (which may refuse: ValidationError),
    with the attachments the portal accepts; returns it and why each other attachment was refused.
    The acknowledgement ticket_open queues is threaded onto the message by the caller."""
    vendor = message.vendor
    accepted, refused = _uploads(mail)
    ticket = ticket_open(
        organization=organization,
        requester=requester,
        vendor=vendor,
        priority=_email_priority(vendor, message.received_at),
        subject=_subject(mail),
        body=_case_body(mail),
        channel=TicketChannel.EMAIL,
        at=message.received_at,
    )
    for upload in accepted:
        attachment_add(ticket=ticket, uploaded_by=requester, upload=upload)
    return ticket, refused


@dataclass(frozen=True)
class ReplyContent:
    body: str
    accepted: list[SimpleUploadedFile]
    refused: list  # why each other attachment was refused, written when read


def reply_content(mail: ParsedMail, sender) -> ReplyContent:
    """What a message adds to its case as a reply: its own text, cut from the quoted history, and
    the attachments the portal accepts (the text names them when there is none), in the sender's
    language."""
    with _as_sender(sender):
        accepted, refused = _uploads(mail)
        body = text_markdown(reply_text(mail.text))
        if not body and accepted:
            body = gettext("Attached: %(files)s") % {"files": ", ".join(upload.name for upload in accepted)}
    return ReplyContent(body, accepted, refused)


@transaction.atomic
def reply_from_mail(*, message: InboundMessage, ticket: Ticket, sender, content: ReplyContent):
    """Add the message to the case as the sender's reply, through reply_add (which may refuse:
    ValidationError, nothing added), with its accepted attachments. Both the email path (`_reply`)
    and staff adding a held reply from the quarantine come here."""
    # Never before the case's last change: the timeline (and any wait) stays in order.
    at = max(message.received_at, ticket.updated_at)
    reply = reply_add(ticket=ticket, author=sender, body=content.body, at=at)
    for upload in content.accepted:
        attachment_add(ticket=ticket, uploaded_by=sender, upload=upload, reply=reply)
    return reply


def _open_case(message: InboundMessage, mail: ParsedMail, decision: Decision, sender, unknown: str) -> None:
    if sender is None:
        decision.set(
            Outcome.QUARANTINED,
            f"{unknown} " + gettext("Quarantined for staff: open it for an organization or discard it."),
        )
        return
    membership = user_membership(sender)
    if membership is None:
        if sender.is_staff:
            text = gettext(
                "%(address)s is a member of the staff: open it as a case for an organization, or discard it."
            )
        else:
            text = gettext(
                "%(address)s is a person in no organization: open it as a case for an organization, "
                "or discard it."
            )
        decision.set(
            Outcome.QUARANTINED,
            text % {"address": mail.from_address},
            sender=sender,
        )
        return
    vendor = message.vendor
    try:
        with _as_sender(sender):
            ticket, refused = case_from_mail(
                message=message, mail=mail, organization=membership.organization, requester=sender
            )
    except ValidationError as error:
        reasons, advice = _refusal(error, body=_case_body(mail), what="case", advice=CASE_REFUSED_ADVICE)
        url = _portal_url("tickets:open", query=f"?vendor={vendor.slug}")
        _refuse(message, decision, user=sender, reasons=reasons, advice=advice, url=url)
        return
    decision.set(
        Outcome.OPENED,
        gettext("Opened %(number)s for %(organization)s, requested by %(username)s.")
        % {
            "number": ticket.number,
            "organization": membership.organization.name,
            "username": sender.get_username(),
        },
        ticket=ticket,
        sender=sender,
    )
    acknowledgement_thread(message, decision, ticket)
    _attachments_refused(message, decision, user=sender, ticket=ticket, refused=refused)


def _reply(
    message: InboundMessage, mail: ParsedMail, decision: Decision, ticket: Ticket, sender, unknown: str
) -> None:
    decision.ticket = ticket
    if sender is None:
        decision.set(
            Outcome.QUARANTINED,
            f"{unknown} "
            + gettext("It replied to %(number)s; nothing was added.") % {"number": ticket.number},
        )
        return
    if not may_reply(sender, ticket):
        membership = user_membership(sender)
        where = membership.organization.name if membership else gettext("no organization")
        decision.set(
            Outcome.QUARANTINED,
            gettext(
                "%(address)s (%(where)s) replied to %(number)s of %(organization)s with its reply address: "
                "nothing was added."
            )
            % {
                "address": mail.from_address,
                "where": where,
                "number": ticket.number,
                "organization": ticket.organization.name,
            },
            sender=sender,
        )
        return
    case_url = _portal_url("tickets:detail", ticket.number)
    if not _desk_sent(ticket, mail.references):
        reason = _text(NOT_CONFIRMED, {"number": ticket.number})
        _refuse(
            message, decision, user=sender, reasons=[reason], advice=REPLY_ADVICE, url=case_url, ticket=ticket
        )
        return
    if (count := _replies_added(message, ticket)) >= settings.MAIL_REPLIES_PER_HOUR:
        # Never answered: an answer would be one more email for the responder to answer.
        reason = REPLIES_HELD.format(count=count, address=message.from_address, case=ticket.number)
        decision.set(Outcome.QUARANTINED, reason, sender=sender)
        return
    content = reply_content(mail, sender)
    try:
        with _as_sender(sender):
            reply = reply_from_mail(message=message, ticket=ticket, sender=sender, content=content)
    except ValidationError as error:
        reasons, advice = _refusal(error, body=content.body, what="reply", advice=REPLY_ADVICE)
        _refuse(message, decision, user=sender, reasons=reasons, advice=advice, url=case_url, ticket=ticket)
        return
    refused = content.refused
    if sender.is_staff:
        text = gettext("Added a staff public reply to %(number)s by %(username)s.")
    else:
        text = gettext("Added a reply to %(number)s by %(username)s.")
    decision.set(
        Outcome.REPLIED,
        text % {"number": ticket.number, "username": sender.get_username()},
        reply=reply,
        sender=sender,
    )
    _attachments_refused(message, decision, user=sender, ticket=ticket, refused=refused)


def _reply_token(mail: ParsedMail, vendor: Vendor) -> tuple[str, str]:
    """A reply token in the addresses the message was delivered to, any vendor's mailbox."""
    mailboxes = [vendor.support_email] if vendor.support_email else []
    mailboxes += list(
        Vendor.objects.exclude(pk=vendor.pk).exclude(support_email="").values_list("support_email", flat=True)
    )
    for address in mail.recipients:
        for mailbox in mailboxes:
            token = reply_token_in(address, mailbox=mailbox)
            if token:
                return token, address
    return "", ""


def _decide(message: InboundMessage, mail: ParsedMail, decision: Decision) -> None:
    vendor = message.vendor
    if mail.automatic or (ours := _ours(mail)):
        decision.set(
            Outcome.IGNORED,
            gettext("Automatic mail, never answered: %(why)s.") % {"why": mail.automatic or ours},
        )
        return
    if mail.dmarc_failed:
        decision.set(
            Outcome.QUARANTINED,
            gettext("DMARC failed for %(address)s: the From may be forged.")
            % {"address": mail.from_address or gettext("the sender")},
        )
        return
    if not mail.from_address:
        problems = "; ".join(mail.problems) or "no headers"
        decision.set(
            Outcome.QUARANTINED,
            gettext("The message could not be read (%(problems)s).") % {"problems": problems},
        )
        return
    sender, unknown = mail_sender(mail.from_address)
    token, address = _reply_token(mail, vendor)
    if token:
        ticket = reply_token_ticket(token)
        if ticket is None:
            decision.set(
                Outcome.QUARANTINED,
                gettext("%(address)s is a reply address no case has (forged or mistyped).")
                % {"address": address},
            )
        elif ticket.vendor_id != vendor.pk:
            decision.set(
                Outcome.QUARANTINED,
                gettext(
                    "%(address)s is the reply address of %(number)s, a case of %(vendor)s, "
                    "not of this mailbox."
                )
                % {"address": address, "number": ticket.number, "vendor": ticket.vendor.name},
                ticket=ticket,
            )
        else:
            _reply(message, mail, decision, ticket, sender, unknown)
        return
    referenced = _referenced_case(mail.references, sender)
    if referenced is not None:
        reason = _text(NO_REPLY_ADDRESS, {"number": referenced.number})
        url = _portal_url("tickets:detail", referenced.number)
        _refuse(
            message, decision, user=sender, reasons=[reason], advice=REPLY_ADVICE, url=url, ticket=referenced
        )
        return
    _open_case(message, mail, decision, sender, unknown)


def _too_large(message: InboundMessage, mail: ParsedMail, decision: Decision) -> None:
    limit = settings.MAIL_MAX_BYTES
    reason = _text(TOO_LARGE, {"size": message.size, "limit": limit})
    if mail.automatic:
        why = gettext("Automatic mail, never answered: %(why)s.") % {"why": mail.automatic}
        decision.set(Outcome.IGNORED, f"{why} {reason}")
        return
    sender, _unknown = mail_sender(mail.from_address)
    if sender is None or mail.dmarc_failed:
        decision.set(
            Outcome.REFUSED,
            f"{reason} " + gettext("Only its headers are kept; the sender is not known, so not answered."),
        )
        return
    advice = _text(TOO_LARGE_ADVICE, {"limit": settings.ATTACHMENT_MAX_BYTES})
    url = _portal_url("tickets:open", query=f"?vendor={message.vendor.slug}")
    _refuse(message, decision, user=sender, reasons=[reason], advice=advice, url=url)
    decision.reasons.append(gettext("Only its headers are kept."))


# ---------------------------------------------------------------------------- the service


def message_ingest(
    *,
    raw: bytes | BinaryIO,
    vendor: Vendor,
    received_at: datetime | None = None,
    size: int | None = None,
    transport: str = Transport.PIPE,
) -> InboundMessage:
    """Store one message and give it its one outcome. `raw` is the bytes or a binary stream; a
    stream with a known `size` over MAIL_MAX_BYTES is read only as far as its headers. Returns
    the stored row, or, for a duplicate, an unsaved row saying so (with `.original`). Raises
    TransientError, with nothing stored, when the database fails for a moment (the transport
    leaves the message for its next try), unless it failed on these bytes more than
    MAIL_TRANSIENT_TRIES times before: then the row is stored quarantined (`_give_up`). OSError
    when the stream cannot be read."""
    delivered = _read(raw, size)
    try:
        message = _ingest(delivered, vendor=vendor, received_at=received_at, transport=transport)
    except TRANSIENT as error:
        tries = transient_try_count(vendor=vendor, sha256=delivered.sha256)
        if not tries or tries <= settings.MAIL_TRANSIENT_TRIES:
            raise TransientError(f"{type(error).__name__}: {error}") from error
        message = _give_up(
            delivered, tries=tries, error=error, vendor=vendor, received_at=received_at, transport=transport
        )
    transient_tries_clear(vendor=vendor, sha256=delivered.sha256)
    return message


def _give_up(
    delivered: Delivered,
    *,
    tries: int,
    error: Exception,
    vendor: Vendor,
    received_at: datetime | None,
    transport: str,
) -> InboundMessage:
    """Store the message the database keeps failing on as quarantined, the way `_ingest` stores any
    (its raw bytes, its row; a duplicate if stored meanwhile), with the reason for its decision."""
    failure = f"{type(error).__name__}: {error}"
    connection = transaction.get_connection()
    if connection.in_atomic_block and connection.needs_rollback:  # the transport's transaction is lost
        raise TransientError(failure) from error
    reason = gettext(GAVE_UP) % {"tries": tries, "error": failure}

    def quarantine(message: InboundMessage, mail: ParsedMail, decision: Decision) -> None:
        decision.set(Outcome.QUARANTINED, reason)

    try:
        message = _ingest(
            delivered, vendor=vendor, received_at=received_at, transport=transport, decide=quarantine
        )
    except TRANSIENT as again:  # not even the quarantine: the database is really down
        raise TransientError(f"{type(again).__name__}: {again}") from again
    logger.error("Mail %s quarantined after %s transient failures: %s", message.message_id, tries, failure)
    return message


def _ingest(
    delivered: Delivered,
    *,
    vendor: Vendor,
    received_at: datetime | None,
    transport: str,
    decide: Callable[[InboundMessage, ParsedMail, Decision], None] | None = None,
) -> InboundMessage:
    mail = mail_parse(delivered.data)
    message = InboundMessage(
        vendor=vendor,
        transport=transport,
        received_at=received_at or timezone.now(),
        sent_at=mail.sent_at,
        from_address=mail.from_address[:254],
        from_name=mail.from_name[:200],
        subject=mail.subject[:300],
        size=delivered.size,
        sha256=delivered.sha256,
        outcome=Outcome.QUARANTINED,
    )
    message.message_id = _message_id(mail, delivered)
    original = InboundMessage.objects.filter(
        vendor=vendor, message_id__in=_keys(message, mail, delivered)
    ).first()
    if original is not None:
        return _duplicate(original, message)
    _store_raw(message, delivered.data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:  # the same message, stored by a concurrent poll since the look-up
            return _duplicate(
                InboundMessage.objects.get(vendor=vendor, message_id=message.message_id), message
            )
        decision = Decision()
        decide = decide or (_too_large if delivered.too_large else _decide)
        try:
            with transaction.atomic():
                decide(message, mail, decision)
        except TRANSIENT:  # the database, not the message: all of it rolls back, for the next try
            raise
        except Exception as error:  # noqa: BLE001 - bad input must never escape; the raw bytes are kept
            logger.exception("Mail %s could not be processed", message.message_id)
            decision = Decision().set(
                Outcome.QUARANTINED,
                gettext("Could not be processed: %(error)s") % {"error": f"{type(error).__name__}: {error}"},
            )
            message.answered_at, message.answers = None, 0
        message.outcome = decision.outcome
        message.reason = " ".join(decision.reasons)
        message.ticket, message.reply, message.sender = decision.ticket, decision.reply, decision.sender
        message.save()
    return message
