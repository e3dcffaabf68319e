"""`manage.py makemaildirs`: each vendor's Maildir under MAILDIR_ROOT (idempotent; `make run`
calls it, so a newcomer can `cp some.eml var/mail/alectrona/new/` at once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from mailroom.transports import maildir_make
from policies.models import Vendor


class Command(BaseCommand):
    help = "Create the vendors' Maildir folders (tmp/, new/, cur/) under MAILDIR_ROOT."

    def handle(self, *args, **options):
        for vendor in Vendor.objects.exclude(support_email="").order_by("slug"):
            path = maildir_make(vendor)
            self.stdout.write(f"  {vendor.support_email:<32} {path / 'new'}")
