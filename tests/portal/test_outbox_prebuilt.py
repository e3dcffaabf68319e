"""Issue 24, fan-outs built before delivery: a background fan-out (a policy change, a lifecycle
milestone, the maintenance and SLA sweeps) renders and stores each new row's message as it queues
it, in its recipient's language and zone, so that delivery only claims, sends stored bytes and
marks; a row that fails to render stays pending without a message (the delivery renders it later,
as before). The request path (a case's acknowledgement) still renders nothing."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle.models import Deployment, Plan, Product
from lifecycle.notices import policy_change_notices_sweep
from lifecycle.services import contract_create
from policies.models import PolicyVersion
from policies.services import policy_version_publish
from portal.models import Notice, NoticeKind, NoticeState, Profile
from portal.outbox import (
    context_dump,
    notice_build,
    notice_deliver,
    notice_render,
    notice_speech,
    notice_sweep,
    notices_queue,
    render_email,
)
from tests.policies.test_services import _draft
from tests.portal.test_email_languages import holds_vipnet_4
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _speaks(user, language: str) -> None:
    Profile.objects.update_or_create(user=user, defaults={"language": language})
    user.refresh_from_db()


def _policy_change_fan_out(vendors, customer, colleague) -> PolicyVersion:
    """A version published before anyone held a contract, then two contract holders (one reading
    Russian, one English) reached by the daily background run, as policy_change_notices_task does."""
    _speaks(customer, "ru")
    _speaks(colleague, "en")
    draft = _draft(vendors["alectrona"], key="2027", effective_from=NOW + timedelta(days=10))
    draft.source_text = "The full policy text. " * 400  # a big field no email reads
    draft.save(update_fields=["source_text"])
    policy_version_publish(version=draft, published_at=NOW)
    assert not Notice.objects.exists()
    product = Product.objects.create(vendor=vendors["alectrona"], name="Alectrona Cloud")
    contract_create(
        organization=customer.membership.organization,
        product=product,
        plan=Plan.STANDARD,
        start=date(2026, 11, 25),
        end=date(2026, 12, 31),
        deployment=Deployment.HOSTED,
        license_price=Decimal("0"),
    )
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert policy_change_notices_sweep() == 2
    return draft


def test_a_background_fan_out_stores_each_message_built_in_its_recipients_language(
    vendors, customer, colleague
):
    _policy_change_fan_out(vendors, customer, colleague)
    rows = {n.recipient.username: n for n in Notice.objects.select_related("recipient")}
    assert set(rows) == {"alice", "bob"}
    for notice in rows.values():
        assert notice.state == NoticeState.PENDING and notice.message is not None
        # What the delivery would have built from the stored template and context.
        rendered = notice_render(notice)
        assert (notice.subject, notice.body_text, notice.body_html) == (
            rendered.subject,
            rendered.text,
            rendered.html,
        )
        parsed = email.message_from_bytes(bytes(notice.message), policy=email.policy.default)
        assert parsed["Message-ID"] == notice.message_id and parsed["To"] == notice.to_email
        assert parsed.get_body(("plain",)).get_content() == notice.body_text
        # Built ahead, dated when it is due to enter the mail system, not when it was built.
        dated = parsedate_to_datetime(parsed["Date"])
        assert (dated if dated.tzinfo else dated.replace(tzinfo=UTC)) == notice.send_after
    assert "Здравствуйте" in rows["alice"].body_text and "Hello" not in rows["alice"].body_text
    assert "Hello" in rows["bob"].body_text and "Здравствуйте" not in rows["bob"].body_text


def test_delivery_sends_the_stored_bytes_without_rendering(vendors, customer, colleague):
    _policy_change_fan_out(vendors, customer, colleague)
    stored = dict(Notice.objects.values_list("message_id", "message"))
    with (
        time_machine.travel(NOW + timedelta(days=3), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        assert notice_sweep().sent == 2
    sent = {m.extra_headers["Message-ID"]: m.message().as_bytes() for m in mail.outbox}
    assert sent == {key: bytes(value) for key, value in stored.items()}  # a rebuild draws a new boundary
    # Nothing stored again: no UPDATE writing a message during the delivery.
    assert not [q for q in queries.captured_queries if "SET subject" in q["sql"]]


def test_the_snapshot_leaves_out_the_policy_text_and_the_email_reads_the_same(vendors, customer, colleague):
    version = _policy_change_fan_out(vendors, customer, colleague)
    notice = Notice.objects.select_related("recipient").get(recipient=colleague)
    assert "source_text" not in notice.context["version"]["fields"]
    assert len(str(notice.context)) < 4000
    # The same email as one rendered from the live objects, full text and all.
    live = _live_context(notice)
    live["version"] = PolicyVersion.objects.select_related("vendor").get(pk=version.pk)
    live["vendor"] = live["version"].vendor
    language, zone = notice_speech(notice)
    assert language == "en"
    expected = render_email("policy_change", live, zone=zone, language=language)
    rendered = notice_render(notice)
    assert (rendered.subject, rendered.text, rendered.html) == (
        expected.subject,
        expected.text,
        expected.html,
    )


def _live_context(notice: Notice) -> dict:
    from portal.outbox import context_load

    return context_load(notice.context)


def test_no_email_template_reads_a_field_the_snapshots_leave_out():
    from django.apps import apps

    omitted = {
        (model._meta.label, name)
        for model in apps.get_models()
        for name in getattr(model, "notice_snapshot_omits", ())
    }
    assert ("policies.PolicyVersion", "source_text") in omitted
    folder = Path(django_settings.BASE_DIR) / "templates" / "emails"
    texts = "\n".join(
        path.read_text() for path in folder.rglob("*") if path.is_file() and path.suffix != ".mo"
    )
    for _, name in omitted:
        assert not re.search(rf"\b{name}\b", texts), name


def test_a_row_that_fails_to_render_stays_pending_without_a_message(customer):
    built = [
        notice_build(
            kind=NoticeKind.TICKET_RECEIVED,
            dedupe_key=f"broken:{template}",
            template=template,
            context={"ticket": {"number": "ALC-000001", "subject": "Export fails"}, "targets": []},
            recipient=customer,
        )
        for template in ("ticket_received", "no_such_template")
    ]
    assert notices_queue(notices=built, build=True) == 2
    good, broken = (
        Notice.objects.get(dedupe_key=f"broken:{t}") for t in ("ticket_received", "no_such_template")
    )
    assert good.message is not None and broken.message is None
    assert broken.state == NoticeState.PENDING and broken.attempts == 0
    assert notice_deliver(notice_ids=[good.pk, broken.pk]) == [good.pk]  # rendered at delivery, fails there
    broken.refresh_from_db()
    assert broken.state == NoticeState.PENDING and broken.attempts == 1 and broken.last_error


def test_a_row_already_queued_is_left_as_it_was(customer):
    def row():
        return notice_build(
            kind=NoticeKind.TICKET_RECEIVED,
            dedupe_key="once",
            template="ticket_received",
            context={"ticket": {"number": "ALC-000001", "subject": "Export fails"}, "targets": []},
            recipient=customer,
        )

    assert notices_queue(notices=[row()]) == 1  # queued unbuilt (a request's path)
    assert notices_queue(notices=[row()], build=True) == 0
    assert Notice.objects.get().message is None


def test_a_case_acknowledgement_is_still_rendered_at_delivery(customer, vendors):
    ticket = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        body="It fails",
    )
    notice = Notice.objects.get(kind=NoticeKind.TICKET_RECEIVED, reference=ticket.number)
    assert notice.message is None and notice.body_text == ""


def test_the_lifecycle_fan_out_builds_its_rows(customer, vendors):
    from lifecycle.tasks import lifecycle_notices_task

    holds_vipnet_4(customer, vendors)
    _speaks(customer, "ru")
    with time_machine.travel(NOW, tick=False):
        assert lifecycle_notices_task.delay().get()["milestones"] == 1
    notice = Notice.objects.get(kind=NoticeKind.LIFECYCLE_MILESTONE)
    assert notice.message is not None
    assert notice.subject == "ViPNet Coordinator 4: окончание продаж (EOS) — 1 мая 2027"


def test_context_dump_of_a_policy_version_omits_its_text(vendors):
    version = PolicyVersion.objects.filter(vendor=vendors["alectrona"]).first()
    assert "source_text" not in context_dump(version)["fields"]
    assert "key" in context_dump(version)["fields"]
