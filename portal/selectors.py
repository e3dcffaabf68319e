"""Reads about people: whose organization, which time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model

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


def person_settings_load(user) -> None:
    """Read a signed-in person's profile, membership and organization in one query, into the user
    object's relation cache, so that the page's language and time zone (and whatever else reads
    them) ask the database nothing more, even for someone with no profile or membership."""
    if not user.is_authenticated:
        return
    cache = user._state.fields_cache
    if "profile" in cache and "membership" in cache:
        return
    loaded = get_user_model().objects.select_related("profile", "membership__organization").get(pk=user.pk)
    for name in ("profile", "membership"):
        cache.setdefault(name, loaded._state.fields_cache.get(name))
        if cache[name] is not None:
            cache[name]._state.fields_cache.setdefault("user", user)


def user_language(user) -> str | None:
    """The language a person chose, else their organization's; None when neither chose one (a page
    then follows the browser, an email the desk's default, settings.LANGUAGE_CODE)."""
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is not None and profile.language:
        return profile.language
    organization = user_organization(user)
    return organization.language or None if organization else None


def email_language(user) -> str:
    """The language of an email to `user`: theirs (user_language), else the desk's default."""
    return user_language(user) or settings.LANGUAGE_CODE


def user_api_tokens(user):
    return ApiToken.objects.filter(user=user).only("id", "name", "prefix", "created_at", "last_used_at")


def person_name(user) -> str:
    """A person as people call them ("Dana Desk"); the username only when no name is known."""
    return user.get_full_name() or user.username
