"""Reads about people: whose organization, which time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from .models import ApiToken, Membership, Organization


def user_membership(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def user_organization(user) -> Organization | None:
    membership = user_membership(user)
    return membership.organization if membership else None


def user_timezone(user) -> ZoneInfo:
    """The user's own zone, else their organization's, else UTC."""
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    if profile is not None and profile.timezone:
        return ZoneInfo(profile.timezone)
    organization = user_organization(user)
    return ZoneInfo(organization.timezone if organization else "UTC")


def user_api_tokens(user):
    return ApiToken.objects.filter(user=user).only("id", "name", "prefix", "created_at", "last_used_at")


def person_name(user) -> str:
    """A person as people call them ("Dana Desk"); the username only when no name is known."""
    return user.get_full_name() or user.username
