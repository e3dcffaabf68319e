"""Every email the desk sends says it was generated automatically (RFC 3834), so that vacation
responders and mail robots do not answer it: no loops (SPEC §7). A notice may carry its own
sender and reply address."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail

from portal.models import NoticeKind
from portal.outbox import notice_queue, thread_id

pytestmark = pytest.mark.django_db

CONTEXT = {
    "ticket": {"number": "ALC-000042", "subject": "Export fails"},
    "recipient_name": "Alice",
    "ticket_url": "http://portal.test/tickets/ALC-000042/",
    "targets": [],
}


def test_a_notice_without_a_sender_of_its_own_is_auto_generated_from_the_default(
    customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_queue(
            kind=NoticeKind.TICKET_RECEIVED,
            dedupe_key="k1",
            template="ticket_received",
            context=CONTEXT,
            recipient=customer,
        )
    mime = mail.outbox[0].message()
    assert mime["Auto-Submitted"] == "auto-generated"
    # Exchange and Outlook send no out-of-office or automatic reply to a message that asks them not to.
    assert mime["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert mime["From"] == settings.DEFAULT_FROM_EMAIL
    assert mime["Reply-To"] is None


def test_a_notice_sent_from_a_vendor_address_with_a_reply_address(
    customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_queue(
            kind=NoticeKind.TICKET_RECEIVED,
            dedupe_key="k2",
            template="ticket_received",
            context=CONTEXT,
            recipient=customer,
            thread="ALC-000042",
            from_email="Alectrona Support <alectrona@support.portal.test>",
            reply_to="alectrona+alc-000042.x@support.portal.test",
        )
    [message] = mail.outbox
    assert message.from_email == "Alectrona Support <alectrona@support.portal.test>"
    assert message.reply_to == ["alectrona+alc-000042.x@support.portal.test"]
    mime = message.message()
    assert mime["Auto-Submitted"] == "auto-generated"
    assert mime["Message-ID"] == notice.message_id
    assert mime["References"] == thread_id("ALC-000042")
