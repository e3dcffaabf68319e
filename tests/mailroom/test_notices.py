"""The emails the mailroom sends back are outbox kinds of their own, each a choice of
portal.NoticeKind, so admin names them and nothing stores a code the portal does not know."""

from __future__ import annotations

import pytest

from portal.models import Notice, NoticeKind
from tests.mailroom.conftest import corpus

pytestmark = pytest.mark.django_db


def test_every_kind_the_mailroom_sends_is_a_notice_kind(customer, deliver, answer, case):
    deliver(corpus("new_attachments.eml"))  # opened, with refused attachments listed back
    deliver(corpus("infotecs_no_product.eml"), vendor="infotecs")  # refused in the portal's words
    deliver(answer("reply_no_references.eml"))  # a reply the desk cannot confirm: refused
    sent = set(Notice.objects.values_list("kind", flat=True))
    assert {NoticeKind.MAIL_REFUSED, NoticeKind.MAIL_ATTACHMENTS} <= sent
    assert sent <= set(NoticeKind.values)


def test_admin_names_them_in_words(customer, deliver):
    deliver(corpus("infotecs_no_product.eml"), vendor="infotecs")
    notice = Notice.objects.get(kind=NoticeKind.MAIL_REFUSED)
    assert notice.get_kind_display() == "Email not taken in (answer to its sender)"
