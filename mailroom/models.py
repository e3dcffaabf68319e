"""Every message that came in to a vendor's support address, kept raw with what became of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    OPENED = "opened", _("Opened a case")
    REPLIED = "replied", _("Added a reply")
    # Never stored: the second fetch of a message returns an unsaved row saying so.
    DUPLICATE = "duplicate", _("Duplicate")
    IGNORED = "ignored", _("Ignored (automatic mail)")
    REFUSED = "refused", _("Refused")
    QUARANTINED = "quarantined", _("Quarantined")
    # Staff threw a quarantined message away.
    DISCARDED = "discarded", _("Discarded by staff")


class Transport(models.TextChoices):
    MAILDIR = "maildir", "Maildir"
    IMAP = "imap", "IMAP"
    PIPE = "pipe", _("Standard input or file")


def raw_path(instance: InboundMessage, filename: str) -> str:
    # Named by content: the same bytes stored twice are one file.
    return f"mail/{instance.vendor.slug}/{instance.received_at:%Y/%m}/{filename}"


class InboundMessage(models.Model):
    """One message, once per vendor mailbox and Message-ID (SPEC §7: exactly once). The vendor is
    the mailbox: each vendor has one support address, and whichever transport brings a message
    (Maildir, IMAP, a pipe), a second copy of it is a duplicate of the first."""

    vendor = models.ForeignKey(
        "policies.Vendor",
        on_delete=models.PROTECT,
        related_name="inbound_messages",
        db_index=False,
        verbose_name=_("vendor"),
    )
    message_id = models.CharField(
        _("Message-ID"),
        max_length=255,
        help_text=_("The Message-ID header; sha256:<hash of the bytes> when it has none."),
    )
    transport = models.CharField(_("delivered by"), max_length=10, choices=Transport.choices)
    received_at = models.DateTimeField(
        _("received"), help_text=_("When the desk received it: a new case opens at this time.")
    )
    sent_at = models.DateTimeField(
        _("sent"), null=True, blank=True, help_text=_("The sender's Date header, if readable.")
    )
    from_address = models.CharField(_("sender address"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # Kept through Django's storage API, outside the web root like attachments (MEDIA_ROOT):
    # a database row per message would carry megabytes; a file can move to object storage.
    raw = models.FileField(
        _("original message"), upload_to=raw_path, max_length=200, help_text=_("The message as it arrived.")
    )
    size = models.PositiveIntegerField(
        _("size"), help_text=_("Bytes as delivered (only the headers are kept above the limit).")
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("Why this outcome, in words staff can act on.")
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sender"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
        verbose_name=_("case"),
    )
    reply = models.ForeignKey(
        "tickets.Reply",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
        verbose_name=_("reply"),
    )
    answered_at = models.DateTimeField(
        _("answered"),
        null=True,
        blank=True,
        help_text=_("When the first email went back to the sender."),
    )
    answers = models.PositiveSmallIntegerField(
        _("answers"),
        default=0,
        help_text=_("Emails that went back to the sender about it (MAIL_ANSWERS_PER_HOUR counts these)."),
    )
    times_seen = models.PositiveIntegerField(
        _("times seen"), default=1, help_text=_("Fetched again: duplicates create nothing.")
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(
        _("handled"), null=True, blank=True, help_text=_("When staff took it out of quarantine.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "message_id"], name="inbound_message_once"),
        ]
        indexes = [
            # Admin: the list by outcome (the quarantine queue), newest first.
            models.Index(fields=["outcome", "-received_at"], name="inbound_outcome_received"),
            # The answer rate limit: messages from one address answered in the last hour.
            models.Index(
                fields=["from_address", "received_at"],
                name="inbound_answered",
                condition=Q(answered_at__isnull=False),
            ),
            # The reply loop guard (MAIL_REPLIES_PER_HOUR): a case's replies added in the last hour.
            models.Index(
                fields=["ticket", "received_at"],
                name="inbound_replied",
                condition=Q(outcome="replied"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.outcome}"


class ImapCursor(models.Model):
    """How far the desk has read one IMAP folder (mailroom.imap): the folder's UIDVALIDITY and the
    highest UID taken in, advanced in the transaction that stores each message. The poll asks the
    server only for UIDs above it, so flags set by anyone else (read, unread) change nothing, and
    a new UIDVALIDITY (the server renumbered the folder) starts it again from UID 1."""

    mailbox = models.CharField(
        _("mailbox"),
        max_length=300,
        unique=True,
        help_text=_("user@host:port/folder, from MAIL_IMAP_URLS (never the password)."),
    )
    vendor = models.ForeignKey(
        "policies.Vendor", on_delete=models.PROTECT, related_name="+", verbose_name=_("vendor")
    )
    uidvalidity = models.PositiveBigIntegerField(_("UIDVALIDITY"))
    last_uid = models.PositiveBigIntegerField(
        _("last UID"), default=0, help_text=_("Every message up to this UID is taken in.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("IMAP mailbox")
        verbose_name_plural = _("IMAP mailboxes")

    def __str__(self) -> str:
        return f"{self.mailbox} at UID {self.last_uid}"


class QuarantinedMessage(InboundMessage):
    """The quarantine, as its own list in admin: messages waiting for staff."""

    class Meta:
        proxy = True
        verbose_name = _("quarantined message")
        verbose_name_plural = _("quarantine")
