"""The quarantine: messages the mailroom would not act on alone (unknown senders, staff
addresses, DMARC failures, strangers to a case, replies past the loop guard, what it could not
process). Staff open one as a case for an organization, add its sender to an organization and open
it, add a held reply to its case, or discard it."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.models import Membership, Organization, Role
from portal.selectors import user_membership
from tickets.models import Ticket

from ..models import InboundMessage, Outcome
from ..parsing import mail_parse
from .ingest import (
    Decision,
    acknowledgement_thread,
    case_from_mail,
    mail_sender,
    may_reply,
    reply_content,
    reply_from_mail,
)

# Staff read these in admin, in their language: formatted when raised, in the request's.
NOT_QUARANTINED = _("This message is no longer in the quarantine ({outcome}).")
NOT_A_MEMBER = _("{user} is not a member of {organization}.")
ONLY_HEADERS = _("Only the headers of this message were kept (it was over the size limit): nothing to open.")
NO_SENDER = _("The message has no sender address to add.")
ALREADY_A_MEMBER = _("{address} already belongs to {organization}.")
NO_CASE = _("It replies to no case: open it as a case, or discard it.")
MAY_NOT_REPLY = _("{address} may not reply on {case}: only the desk and the people of {organization} may.")


def _claim(message: InboundMessage) -> InboundMessage:
    """Lock the row and check it is still waiting: two staff acting at once act once."""
    message = InboundMessage.objects.select_for_update().select_related("vendor").get(pk=message.pk)
    if message.outcome != Outcome.QUARANTINED:
        raise ValidationError(NOT_QUARANTINED.format(outcome=message.get_outcome_display().lower()))
    return message


def _handled(message: InboundMessage, *, by, outcome: str, note: str) -> None:
    message.outcome, message.handled_by, message.handled_at = outcome, by, timezone.now()
    message.reason = f"{message.reason} {note}".strip()
    message.save()


@transaction.atomic
def message_open_for(*, message: InboundMessage, organization: Organization, requester, by) -> Ticket:
    """Open the quarantined message as a case of `organization`, requested by one of its members
    (the sender, once added, or the colleague staff pick); ticket_open's checks all apply."""
    message = _claim(message)
    membership = user_membership(requester)
    if membership is None or membership.organization_id != organization.pk:
        raise ValidationError(
            NOT_A_MEMBER.format(user=requester.get_username(), organization=organization.name)
        )
    mail = _mail(message)
    ticket, refused = case_from_mail(
        message=message, mail=mail, organization=organization, requester=requester
    )
    decision = Decision()
    if requester.email.lower() == message.from_address:
        acknowledgement_thread(message, decision, ticket)
    notes = [
        gettext("Opened as %(number)s for %(organization)s by %(username)s.")
        % {"number": ticket.number, "organization": organization.name, "username": by.get_username()}
    ]
    if refused:
        notes.append(gettext("Attachments refused: %(reasons)s") % {"reasons": " ".join(map(str, refused))})
    message.ticket, message.sender = ticket, requester
    _handled(message, by=by, outcome=Outcome.OPENED, note=" ".join(notes + decision.reasons))
    return ticket


def _mail(message: InboundMessage):
    if message.size > message.raw.size:
        raise ValidationError(ONLY_HEADERS)
    with message.raw.open("rb") as file:
        return mail_parse(file.read())


@transaction.atomic
def message_add_to_case(*, message: InboundMessage, by) -> Ticket:
    """Add the held message to the case it replies to (`message.ticket`) as its sender's reply, the
    way the email path adds one (ingest.reply_from_mail), past the loop guard and the other reasons
    it was held: refused when it knows no case, when its sender may not reply on that case (the
    email path's rule, ingest.may_reply), or when the case takes no reply (reply_add's checks: a
    merged duplicate, a closed case). Nothing is sent to the sender; the desk hears of the reply as
    of any other."""
    message = _claim(message)
    ticket = message.ticket
    if ticket is None:
        raise ValidationError(NO_CASE)
    sender, unknown = mail_sender(message.from_address)
    if sender is None:
        raise ValidationError(unknown)
    if not may_reply(sender, ticket):
        raise ValidationError(
            MAY_NOT_REPLY.format(
                address=message.from_address, case=ticket.number, organization=ticket.organization.name
            )
        )
    content = reply_content(_mail(message), sender)
    reply = reply_from_mail(message=message, ticket=ticket, sender=sender, content=content)
    notes = [
        gettext("Added by %(username)s as a reply to %(number)s.")
        % {"username": by.get_username(), "number": ticket.number}
    ]
    if content.refused:
        notes.append(
            gettext("Attachments refused: %(reasons)s") % {"reasons": " ".join(map(str, content.refused))}
        )
    message.reply, message.sender = reply, sender
    _handled(message, by=by, outcome=Outcome.REPLIED, note=" ".join(notes))
    return ticket


def _username(address: str) -> str:
    User = get_user_model()
    base = address.split("@")[0][:140] or "customer"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


@transaction.atomic
def message_add_sender_and_open(*, message: InboundMessage, organization: Organization, by) -> Ticket:
    """Make the sender a member of `organization` (an account with a random password, which they
    replace through "forgotten password"), then open the message as their case."""
    locked = _claim(message)
    address = locked.from_address
    if not address:
        raise ValidationError(NO_SENDER)
    User = get_user_model()
    user = User.objects.filter(email__iexact=address).first()
    if user is None:
        first, _space, last = locked.from_name.partition(" ")
        user = User(username=_username(address), email=address, first_name=first[:150], last_name=last[:150])
        user.set_password(get_random_string(40))
        user.full_clean()
        user.save()
    elif (membership := user_membership(user)) is not None:
        raise ValidationError(
            ALREADY_A_MEMBER.format(address=address, organization=membership.organization.name)
        )
    Membership.objects.create(user=user, organization=organization, role=Role.MEMBER)
    return message_open_for(message=locked, organization=organization, requester=user, by=by)


@transaction.atomic
def message_discard(*, message: InboundMessage, by) -> InboundMessage:
    message = _claim(message)
    _handled(
        message,
        by=by,
        outcome=Outcome.DISCARDED,
        note=gettext("Discarded by %(username)s.") % {"username": by.get_username()},
    )
    return message
