"""Attachment downloads, shared by the API and the portal's case page, and the one way a case's
files are answered (`private_download`).

Files live under MEDIA_ROOT, which no URL serves; this is the only way out, and it answers 404
to anyone who may not see the case (whether or not the file exists), so a number or an id from
another organization reveals nothing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Attachment


def attachment_response(*, user, number: str, attachment_id: int) -> FileResponse:
    """The file as a download, or Http404. Always `attachment` with the content type sniffed at
    upload and `nosniff`, so a browser never renders an uploaded file as a page of ours."""
    try:
        attachment = selectors.attachment_for(user=user, number=number, attachment_id=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404(_("No such attachment.")) from None
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        # The row survived its file (a restore without media, a manual clean-up): nothing to send.
        raise Http404(_("No such attachment.")) from None
    return private_download(handle, filename=attachment.filename, content_type=attachment.content_type)


def private_download(handle, *, filename: str, content_type: str) -> FileResponse:
    """A file of a case, as every download of one is answered (attachments here, original emails
    in the mailroom): saved, never rendered, never cached by anyone but the person's browser."""
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def attachment_download(request, number: str, attachment_id: int) -> FileResponse:
    """The portal page's download link: /tickets/<number>/attachments/<id>/."""
    return attachment_response(user=request.user, number=number, attachment_id=attachment_id)
