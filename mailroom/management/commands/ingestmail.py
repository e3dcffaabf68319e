"""`manage.py ingestmail --vendor <slug> FILE... | -`: messages from files, or one message on
standard input (an MTA's pipe, e.g. Postfix `mailbox_command` or an alias `|…ingestmail --vendor
alectrona -`), into the same ingestion service as the Maildir poll. One line per message:
`<message-id> <outcome> [<case number>]`. Exit status 0, or 1 when a message could not be read, or
else 75 (EX_TEMPFAIL) when the database failed for a moment and a message was left untaken (nothing
stored for it): an MTA then keeps it queued and delivers it again later. Once the database has failed
on the same message more than MAIL_TRANSIENT_TRIES times, it is stored quarantined and the exit
status is 0 (counted in the cache: set CACHE_URL, or each run counts alone)."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from mailroom.models import Transport
from mailroom.services import TransientError, message_ingest
from policies.models import Vendor


class Command(BaseCommand):
    help = "Take in email messages (files, or - for standard input) for a vendor's support address."

    def add_arguments(self, parser):
        parser.add_argument("--vendor", required=True, help="The vendor's slug, e.g. alectrona.")
        parser.add_argument(
            "files", nargs="+", metavar="FILE", help="Message files, or - for standard input."
        )

    def handle(self, *args, vendor: str, files: list[str], **options):
        try:
            mailbox = Vendor.objects.get(slug=vendor)
        except Vendor.DoesNotExist:
            raise CommandError(f"No vendor {vendor!r}.") from None
        unread = deferred = 0
        for name in files:
            try:
                message = self._ingest(mailbox, name)
            except OSError as error:
                self.stderr.write(f"{name}: {error.strerror or error}")
                unread += 1
                continue
            except TransientError as error:
                self.stderr.write(f"{name}: not taken in, try again later: {error}")
                deferred += 1
                continue
            number = f" {message.ticket.number}" if message.ticket_id else ""
            self.stdout.write(f"{message.message_id} {message.outcome}{number}")
        if unread:
            sys.exit(1)
        if deferred:
            sys.exit(os.EX_TEMPFAIL)

    def _ingest(self, vendor: Vendor, name: str):
        if name == "-":
            return message_ingest(raw=sys.stdin.buffer, vendor=vendor, transport=Transport.PIPE)
        with open(name, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            return message_ingest(raw=stream, size=size, vendor=vendor, transport=Transport.PIPE)
