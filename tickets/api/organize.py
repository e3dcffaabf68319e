"""Organizing cases: POST /api/tickets/<number>/merge/ and /split/, and the case's followers
(GET and POST /api/tickets/<number>/followers/, DELETE …/followers/<username>/)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from portal.api import Serializer
from portal.markdown import MAX_LENGTH, TOO_LONG

from .. import services
from ..models import Follower, Ticket
from .common import (
    NUMBER,
    UNKNOWN_USER,
    TicketApi,
    TicketDetailOutput,
    created_data,
    detail_data,
    error_answers,
    ticket_or_404,
)

NO_SUCH_CASE = _("No such case.")


class TicketMergeApi(TicketApi):
    @extend_schema_serializer(component_name="TicketMerge")
    class InputSerializer(Serializer):
        into = serializers.CharField(max_length=20, help_text=_("The case that is kept, e.g. ALC-000003."))
        message = serializers.CharField(
            required=False, allow_blank=True, max_length=2000, help_text=_("Added to the customer's email.")
        )

    @extend_schema(
        operation_id="tickets_merge",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={200: TicketDetailOutput, **error_answers(400, 401, 404)},
        description=_(
            "Staff: merge this case, a duplicate, into `into` (same organization and vendor); "
            "answers with the kept case."
        ),
    )
    def post(self, request, number: str):
        duplicate = ticket_or_404(request.user, number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        into = Ticket.objects.visible_to(request.user).filter(number=serializer.validated_data["into"])
        if not into.exists():
            raise serializers.ValidationError({"into": NO_SUCH_CASE})
        kept = into.get()
        services.ticket_merge(
            duplicate=duplicate,
            into=kept,
            by=request.user,
            message=serializer.validated_data.get("message", ""),
        )
        return Response(detail_data(kept, request.user))


class TicketSplitApi(TicketApi):
    @extend_schema_serializer(component_name="TicketSplit")
    class InputSerializer(Serializer):
        subject = serializers.CharField(max_length=200)
        body = serializers.CharField(max_length=MAX_LENGTH, error_messages={"max_length": TOO_LONG})
        priority = serializers.CharField(
            max_length=50, required=False, help_text=_("A priority code; the parent's by default.")
        )
        confirm_billable = serializers.BooleanField(default=False)

    @extend_schema(
        operation_id="tickets_split",
        parameters=[NUMBER],
        request=InputSerializer,
        responses={201: TicketDetailOutput, **error_answers(400, 401, 404)},
        description=_("Open a subordinate incident of this case, measured on its own clock from now."),
    )
    def post(self, request, number: str):
        parent = ticket_or_404(request.user, number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        child = services.ticket_split(
            parent=parent,
            subject=data["subject"],
            body=data["body"],
            priority=data.get("priority") or parent.priority.code,
            confirm_billable=data["confirm_billable"],
            by=request.user,
        )
        return Response(created_data(child, request.user), status=status.HTTP_201_CREATED)


@extend_schema_serializer(component_name="Follower")
class FollowerOutput(Serializer):
    username = serializers.CharField(source="user.username")
    name = serializers.SerializerMethodField()

    def get_name(self, follower) -> str:
        return follower.user.get_full_name() or follower.user.username


class FollowerCollectionApi(TicketApi):
    """GET lists the people copied on the case's public emails; POST adds one (yourself by default)."""

    @extend_schema_serializer(component_name="FollowerNew")
    class InputSerializer(Serializer):
        username = serializers.CharField(
            max_length=150,
            required=False,
            help_text=_("A member of the case's organization; you by default."),
        )

    @extend_schema(operation_id="tickets_followers_list", parameters=[NUMBER],
                   description=_("The people copied on the case's public emails."),
                   responses={200: FollowerOutput(many=True), **error_answers(401, 404)})  # fmt: skip
    def get(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        followers = Follower.objects.filter(ticket=ticket).select_related("user")
        return Response(FollowerOutput(followers, many=True).data)

    @extend_schema(operation_id="tickets_followers_create", parameters=[NUMBER], request=InputSerializer,
                   description=_(
                       "Copy a member of the case's organization (you by default) on its public emails; "
                       "204 when that is the requester, who gets them anyway."
                   ),
                   responses={201: FollowerOutput, 204: None, **error_answers(400, 401, 404)})  # fmt: skip
    def post(self, request, number: str):
        ticket = ticket_or_404(request.user, number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _user(serializer.validated_data.get("username")) or request.user
        follower = services.follower_add(ticket=ticket, user=user, by=request.user)
        if follower is None:  # the requester, who is mailed anyway
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(FollowerOutput(follower).data, status=status.HTTP_201_CREATED)


def _user(username: str | None):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise serializers.ValidationError({"username": UNKNOWN_USER.format(username=username)})
    return user


class FollowerItemApi(TicketApi):
    @extend_schema(
        operation_id="tickets_followers_destroy",
        parameters=[NUMBER, OpenApiParameter("username", str, OpenApiParameter.PATH)],
        responses={204: None, **error_answers(400, 401, 404)},
    )
    def delete(self, request, number: str, username: str):
        ticket = ticket_or_404(request.user, number)
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise Http404(_("No such follower."))
        services.follower_remove(ticket=ticket, user=user, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
