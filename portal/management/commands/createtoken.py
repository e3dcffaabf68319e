"""`manage.py createtoken <username> [--name …]`: make an API token and print its key, once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print its key (only its SHA-256 is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, name, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        try:
            _, key = api_token_create(user=user, name=name)
        except ValidationError as error:  # MAX_API_TOKENS reached: said as the profile page says it
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Generated token for user {username}: {key}")
