"""The conversation of a case: its replies, and its attachments up and down."""

from __future__ import annotations

import re

from django.http import Http404
from django.urls import URLPattern, re_path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from portal.api import IDEMPOTENCY_KEY, KEY_REUSED_ANSWER, Serializer, api_submit_once
from portal.idempotency import Submission
from portal.markdown import MAX_LENGTH, TOO_LONG
from portal.parsers import FormParser, MultiPartParser

from .. import selectors, services
from ..downloads import attachment_response
from .common import NUMBER, AttachmentOutput, ReplyOutput, TicketApi, error_answers, ticket_or_404


class ReplyListApi(TicketApi):
    @extend_schema(
        operation_id="tickets_replies_list",
        description=_("The case's conversation, oldest first; internal notes only for staff."),
        parameters=[NUMBER],
        responses={200: ReplyOutput(many=True), **error_answers(401, 404)},
    )
    def get(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        replies = selectors.reply_list_for(user=request.user, ticket=ticket)
        return Response(ReplyOutput(replies, many=True, context={"viewer": request.user}).data)


class ReplyCreateApi(TicketApi):
    @extend_schema_serializer(component_name="ReplyNew")
    class InputSerializer(Serializer):
        body = serializers.CharField(
            max_length=MAX_LENGTH,
            error_messages={"max_length": TOO_LONG},
            help_text=format_lazy(_("Markdown, up to {limit} characters."), limit=f"{MAX_LENGTH:,}"),
        )
        internal = serializers.BooleanField(
            default=False, help_text=_("Staff: an internal note, never shown to customers.")
        )
        wait_on_customer = serializers.BooleanField(
            default=False,
            help_text=_("Staff: the reply asks the customer something; the clocks pause until they answer."),
        )

    @extend_schema(
        operation_id="tickets_replies_create",
        description=_(
            "Add a reply to the case's conversation (staff: or an internal note); answers with the reply."
        ),
        parameters=[NUMBER, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: ReplyOutput, **error_answers(400, 401, 403, 404), 422: KEY_REUSED_ANSWER},
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        # A repeated Idempotency-Key answers with the reply the first request added.
        return api_submit_once(
            request, scope="tickets.reply", target=ticket.number, create=lambda: self._add(request, ticket)
        )

    @staticmethod
    def _add(request, ticket) -> Submission:
        serializer = ReplyCreateApi.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        reply = services.reply_add(ticket=ticket, author=request.user, **serializer.validated_data)
        shown = ReplyOutput(reply, context={"viewer": request.user}).data
        return Submission(str(reply.pk), status.HTTP_201_CREATED, shown)


class ReplyCollectionApi(ReplyListApi, ReplyCreateApi):
    """GET /api/tickets/<number>/replies/ reads the conversation; POST adds to it."""


class AttachmentUploadApi(TicketApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema_serializer(component_name="AttachmentUpload")
    class InputSerializer(Serializer):
        file = serializers.FileField(
            help_text=_("PDF, PNG, JPEG, GIF, ZIP (Office files included) or plain text, checked on content.")
        )

    @extend_schema(
        operation_id="tickets_attachments_create",
        parameters=[NUMBER],
        request={"multipart/form-data": InputSerializer},
        responses={201: AttachmentOutput, **error_answers(400, 401, 403, 404)},
    )
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        serializer = AttachmentUploadApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.attachment_add(
            ticket=ticket, uploaded_by=request.user, upload=serializer.validated_data["file"]
        )
        return Response(AttachmentOutput(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadApi(TicketApi):
    @extend_schema(
        operation_id="tickets_attachments_retrieve",
        parameters=[
            NUMBER,
            OpenApiParameter(
                "attachment_id", int, OpenApiParameter.PATH, examples=[OpenApiExample("A file", value=1)]
            ),
        ],
        responses={(200, "*/*"): OpenApiTypes.BINARY, **error_answers(401, 404)},
    )
    def get(self, request, number: str, attachment_id: str):
        # Matched as text so that a malformed id gets this API's 404, not the site's HTML one.
        if not attachment_id.isascii() or not attachment_id.isdigit():
            raise Http404(_("No such attachment."))
        return attachment_response(user=request.user, number=number, attachment_id=int(attachment_id))


@extend_schema(exclude=True)
class NotFoundApi(TicketApi):
    permission_classes = [AllowAny]

    def get(self, request, *args, **kwargs):
        raise Http404(_("No such endpoint."))

    # An unknown URL under /api/tickets/ is a 404 whatever the verb.
    post = put = patch = delete = get


def not_found_under(*prefixes: str, name: str) -> URLPattern:
    """The catch-all route of a urlconf, placed last: any other path under these prefixes of /api/,
    whatever the verb, answers the API's JSON 404 rather than the site's HTML page."""
    alternatives = "|".join(re.escape(prefix) for prefix in prefixes)
    return re_path(rf"^(?:{alternatives})/", NotFoundApi.as_view(), name=name)
