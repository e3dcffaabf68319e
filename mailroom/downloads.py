"""The original email behind a case or a reply, from the portal's case page: answered exactly as an
attachment is (tickets.downloads), and 404 to anyone who may not see it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from tickets.downloads import private_download

from . import selectors
from .models import InboundMessage


@login_required
def original_download(request, number: str, message_id: int) -> FileResponse:
    """/tickets/<number>/emails/<id>/: the message as it arrived, headers and all."""
    try:
        message = selectors.original_for(user=request.user, number=number, message_id=message_id)
        handle = message.raw.open("rb")
    except (InboundMessage.DoesNotExist, FileNotFoundError):
        raise Http404("No such email.") from None
    return private_download(
        handle, filename=f"{number}-email-{message.pk}.eml", content_type="message/rfc822"
    )
