"""`manage.py loaddemo`: demo organizations, sign-ins and cases for a newcomer's `make run`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.demo import DEMO_PASSWORD, DEMO_RECOVERY_CODES, DEMO_TOTP_SECRET, SIGN_INS, demo_load

REFUSED = "loaddemo creates users with a published password; it runs only with DEBUG on, never in production."


class Command(BaseCommand):
    help = "Load demo organizations, users and cases (idempotent). Runs only with DEBUG on."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(REFUSED)
        demo_load(out=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in at /accounts/login/ as:"))
        for username, who in SIGN_INS:
            self.stdout.write(f"  {username} / {DEMO_PASSWORD}   {who}")
        self.stdout.write(
            f"  staff's second factor: TOTP secret {DEMO_TOTP_SECRET} in an authenticator app,"
            f" or a recovery code {DEMO_RECOVERY_CODES[0]} ... {DEMO_RECOVERY_CODES[-1]}"
        )
