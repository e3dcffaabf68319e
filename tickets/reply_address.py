"""Each case's own reply address (SPEC §7): `<vendor mailbox>+<token>@<domain>`, the Reply-To of
every email about the case, which is how a reply by email finds its case.

The token is `<case number>.<mac>`: the number makes it readable, the mac is an HMAC-SHA256 of the
case's id and number keyed with SECRET_KEY, cut to 96 bits. Nothing is stored: every case, old
ones included, has an address, and nobody without the key can make one for another case (the
number alone proves nothing). Rotating SECRET_KEY keeps old addresses working while the old key
stays in SECRET_KEY_FALLBACKS. Lower-case hex only, since some mail servers change the case of
the local part. Here, in tickets, and not in mailroom: the notices below mailroom need it."""

from __future__ import annotations

from email.utils import formataddr

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import Ticket

REPLY_TOKEN_SALT = "tickets.reply-address"
MAC_LENGTH = 24  # hex digits: 96 bits


def _mac(ticket: Ticket, secret: str) -> str:
    value = f"{ticket.pk}:{ticket.number}"
    return salted_hmac(REPLY_TOKEN_SALT, value, secret=secret, algorithm="sha256").hexdigest()[:MAC_LENGTH]


def reply_token(ticket: Ticket) -> str:
    return f"{ticket.number.lower()}.{_mac(ticket, settings.SECRET_KEY)}"


def reply_address(ticket: Ticket) -> str:
    """The case's reply address on its vendor's mailbox; empty when the vendor has none."""
    mailbox = ticket.vendor.support_email
    if not mailbox:
        return ""
    local, _, domain = mailbox.rpartition("@")
    return f"{local}+{reply_token(ticket)}@{domain}"


def vendor_sender(vendor) -> str:
    """The vendor's support address as a From, e.g. "Alectrona Support <alectrona@…>"; empty
    when the vendor has none (the outbox then sends from DEFAULT_FROM_EMAIL)."""
    return formataddr((f"{vendor.name} Support", vendor.support_email)) if vendor.support_email else ""


def reply_sender(ticket: Ticket) -> dict[str, str]:
    """The From and Reply-To of the emails about a case, for portal.outbox's notice_build."""
    vendor = ticket.vendor
    if not vendor.support_email:
        return {}
    return {
        "from_email": vendor_sender(vendor),
        "reply_to": formataddr((f"{vendor.name} Support", reply_address(ticket))),
    }


def reply_token_ticket(token: str) -> Ticket | None:
    """The case a token belongs to, or None for a token nobody here made."""
    number, _, mac = token.strip().lower().partition(".")
    if len(mac) != MAC_LENGTH or not number:
        return None
    ticket = Ticket.objects.select_related("vendor").filter(number=number.upper()).first()
    if ticket is None:
        return None
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(constant_time_compare(mac, _mac(ticket, secret)) for secret in secrets):
        return ticket
    return None


def reply_token_in(address: str, *, mailbox: str) -> str:
    """The token in `address` when it is a reply address of `mailbox` (local+token@domain), else ''."""
    local, _, domain = address.strip().lower().rpartition("@")
    box_local, _, box_domain = mailbox.strip().lower().rpartition("@")
    base, plus, token = local.partition("+")
    if not plus or base != box_local or domain != box_domain:
        return ""
    return token
