"""Attachments: size limit and an allow-list of types checked on the content, not the name."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from ..models import Attachment, Reply, Status, Ticket

TOO_LARGE = _("{name} is {size:,} bytes; attachments may be at most {limit:,} bytes.")
TYPE_NOT_ALLOWED = _(
    "{name}: only PDF, PNG, JPEG, GIF, ZIP (including Office files) and plain-text files are accepted."
)
EMPTY = _("{name} is empty.")
CLOSED_CASE = _("This case is closed; reopen it to add files.")
TYPE_MISMATCH = _(
    "{name} does not contain what its name says ({expected}); rename it or attach the right file."
)

MAX_FILES = 5  # files one post adds at a time: the portal's and the admin's forms, and an email

# Content signatures of the allowed types, and the file name endings each may carry.
SIGNATURES = [
    (b"%PDF-", "application/pdf", {".pdf"}),
    (b"\x89PNG\r\n\x1a\n", "image/png", {".png"}),
    (b"\xff\xd8\xff", "image/jpeg", {".jpg", ".jpeg"}),
    (b"GIF87a", "image/gif", {".gif"}),
    (b"GIF89a", "image/gif", {".gif"}),
    (b"PK\x03\x04", "application/zip", {".zip", ".docx", ".xlsx", ".pptx", ".odt", ".ods"}),
]
TEXT_ENDINGS = {".txt", ".log", ".csv", ".json", ".xml", ".yaml", ".yml", ".md", ".conf", ".ini"}


def sniff(head: bytes, name: str) -> str:
    """The content type of an upload, from its first bytes. Raises ValidationError when the
    content is not an allowed type or does not match the file's name."""
    ending = PurePath(name).suffix.lower()
    for signature, content_type, endings in SIGNATURES:
        if head.startswith(signature):
            if ending not in endings:
                raise ValidationError(
                    {"file": TYPE_MISMATCH.format(name=name, expected=ending or "no extension")}
                )
            return content_type
    if ending in TEXT_ENDINGS:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # The head may cut a multi-byte character at its end; anything earlier is binary.
            if error.start < len(head) - 4:
                raise ValidationError({"file": TYPE_MISMATCH.format(name=name, expected=ending)}) from None
        if b"\x00" in head:
            raise ValidationError({"file": TYPE_MISMATCH.format(name=name, expected=ending)})
        return "text/plain"
    raise ValidationError({"file": TYPE_NOT_ALLOWED.format(name=name)})


def attachment_validate(upload: UploadedFile) -> str:
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError({"file": TOO_LARGE.format(name=upload.name, size=upload.size, limit=limit)})
    if not upload.size:  # as Django's FileField refuses one in the portal's forms and the API
        raise ValidationError({"file": EMPTY.format(name=upload.name)})
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    return sniff(head, upload.name)


@transaction.atomic
def attachment_add(
    *, ticket: Ticket, uploaded_by, upload: UploadedFile, reply: Reply | None = None
) -> Attachment:
    content_type = attachment_validate(upload)
    # Read under the case's lock, not from the caller's copy: a close racing the upload is seen.
    status = Ticket.objects.select_for_update(of=("self",)).values_list("status", flat=True).get(pk=ticket.pk)
    if status == Status.CLOSED:
        raise ValidationError({"file": CLOSED_CASE})
    name = get_valid_filename(PurePath(upload.name).name)[:200] or "attachment"
    attachment = Attachment(
        ticket=ticket,
        reply=reply,
        uploaded_by=uploaded_by,
        filename=name,
        content_type=content_type,
        size=upload.size,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment
