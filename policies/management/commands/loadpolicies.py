from __future__ import annotations

from django.core.management.base import BaseCommand

from policies.services import policy_catalog_load


class Command(BaseCommand):
    help = "Load the vendor policies in policies/catalog/ (idempotent: safe to run again)."

    def handle(self, *args, **options):
        for version in policy_catalog_load():
            priorities = version.priorities.count()
            self.stdout.write(
                f"  {version.vendor.slug:<10} {version.name} ({version.key}): {priorities} priorities"
            )
        self.stdout.write(self.style.SUCCESS("Policies loaded."))
