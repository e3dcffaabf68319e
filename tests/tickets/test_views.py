"""The customer portal's pages: My cases, Open a case, the case page and its actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lifecycle.models import ContractTarget, MajorVersion, PremiumOptionKind, Product
from lifecycle.services import premium_option_set
from portal.markdown import MAX_LENGTH, TOO_LONG
from tickets.forms import UsersAffected, Workaround, suggest_priority
from tickets.models import Attachment, Reply, Status, TargetState, Ticket
from tickets.services import attachment_add, reply_add, ticket_open, ticket_wait_on_customer
from tickets.views import due_words, duration_words

# A Tuesday inside Alectrona's business hours (10:00 New York).
NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def open_case(vendor, requester, *, priority="high", subject="Export fails", at=None, **extra):
    return ticket_open(
        organization=requester.membership.organization,
        requester=requester,
        vendor=vendor,
        priority=priority,
        subject=subject,
        body="It **fails**.",
        at=at or NOW - timedelta(hours=1),
        **extra,
    )


# ---------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("users", "workaround", "halted", "expected"),
    [
        (UsersAffected.MAJORITY, Workaround.NO, True, "urgent"),
        (UsersAffected.MAJORITY, Workaround.YES, True, "high"),
        (UsersAffected.SEVERAL, Workaround.YES, False, "high"),
        (UsersAffected.ONE, Workaround.NO, True, "high"),
        (UsersAffected.ONE, Workaround.NOT_OPTIMAL, False, "medium"),
        (UsersAffected.ONE, Workaround.NO, False, "medium"),
        (UsersAffected.ONE, Workaround.YES, False, "low"),
    ],
)
def test_suggest_priority_follows_alberts_impact_criteria(users, workaround, halted, expected):
    assert suggest_priority(users=users, workaround=workaround, halted=halted) == expected


@pytest.mark.parametrize(
    ("status", "due_at", "expected"),
    [
        (Status.OPEN, NOW + timedelta(hours=3, minutes=20), "due in 3 h 20 min"),
        (Status.NEW, NOW - timedelta(hours=2), "overdue by 2 h"),
        (Status.NEW, NOW - timedelta(seconds=1), "overdue by less than a minute"),
        (Status.OPEN, NOW + timedelta(days=2, hours=4), "due in 2 d 4 h"),
        (Status.WAITING_ON_CUSTOMER, NOW + timedelta(hours=1), "waiting on you"),
        (Status.OPEN, None, "no deadline running"),
        (Status.RESOLVED, None, "resolved"),
    ],
)
def test_due_words(status, due_at, expected):
    assert due_words(status=status, due_at=due_at, now=NOW) == expected


def test_due_words_after_the_sweep_wrote_a_breach_down():
    words = due_words(status=Status.NEW, due_at=None, now=NOW, sla_state=TargetState.BREACHED)
    assert words == "a deadline was missed"


def test_duration_words_under_an_hour():
    assert duration_words(timedelta(minutes=12, seconds=40)) == "12 min"


# ---------------------------------------------------------------------------- my cases


def test_list_shows_the_whole_organization_and_marks_my_cases(client, customer, colleague, outsider, vendors):
    mine = open_case(vendors["alectrona"], customer, subject="My export")
    theirs = open_case(vendors["secpod"], colleague, subject="Colleague scan")
    hidden = open_case(vendors["secpod"], outsider, subject="Globex secret")
    client.force_login(customer)
    response = client.get(reverse("tickets:list"))
    assert response.status_code == HTTPStatus.OK
    rows = {t.number: t for t in response.context["tickets"]}
    assert set(rows) == {mine.number, theirs.number}
    assert rows[mine.number].mine and not rows[theirs.number].mine
    assert hidden.subject not in response.content.decode()


def test_list_shows_deadline_in_customers_zone_with_words(client, customer, vendors):
    ticket = open_case(vendors["secpod"], customer, priority="critical")  # 2 h on 24×7, opened 1 h ago
    client.force_login(customer)
    body = client.get(reverse("tickets:list")).content.decode()
    assert ticket.next_due_at == NOW + timedelta(hours=1)
    assert "due in 1 h" in body
    assert "CST" in body  # Acme's zone is America/Chicago


def test_list_filters_waiting_on_you_and_search(client, customer, agent, vendors):
    waiting = open_case(vendors["alectrona"], customer, subject="Needs logs")
    open_case(vendors["alectrona"], customer, subject="Other thing")
    ticket_wait_on_customer(ticket=waiting, by=agent)
    client.force_login(customer)
    response = client.get(reverse("tickets:list"), {"status": "waiting"})
    assert [t.number for t in response.context["tickets"]] == [waiting.number]
    assert "waiting on you" in response.content.decode()
    response = client.get(reverse("tickets:list"), {"q": "other"})
    assert [t.subject for t in response.context["tickets"]] == ["Other thing"]


def test_list_filters_by_vendor_and_product(client, customer, vendors):
    analytics = Product.objects.create(vendor=vendors["alectrona"], name="Analytics")
    scanner = Product.objects.create(vendor=vendors["secpod"], name="Scanner")
    open_case(vendors["alectrona"], customer, product=analytics)
    open_case(vendors["secpod"], customer)
    secpod = open_case(vendors["secpod"], customer, product=scanner)
    client.force_login(customer)
    response = client.get(reverse("tickets:list"), {"vendor": "secpod", "product": scanner.pk})
    assert [t.number for t in response.context["tickets"]] == [secpod.number]
    choices = [label for _, label in response.context["form"].fields["product"].choices]
    assert choices == ["All products", "Analytics", "Scanner"]


def test_list_pages_without_counting_and_with_flat_queries(
    client, customer, vendors, django_assert_max_num_queries
):
    for n in range(30):
        open_case(vendors["secpod"], customer, subject=f"Case {n}", at=NOW - timedelta(minutes=n + 1))
    client.force_login(customer)
    # Session, user, profile, membership, organization; the form's products and vendors; one page of
    # cases with their people joined, then their vendors and priorities (selectors.CASE_LOOKUPS).
    with django_assert_max_num_queries(10):
        first = client.get(reverse("tickets:list"))
    assert len(first.context["tickets"]) == 25 and first.context["has_next"]
    with django_assert_max_num_queries(10):
        second = client.get(reverse("tickets:list"), {"page": 2})
    assert [t.subject for t in second.context["tickets"]] == [f"Case {n}" for n in range(25, 30)]
    assert not second.context["has_next"]


@pytest.mark.parametrize("page", ["1000000000000000000", "1000001", str(2**63)])
def test_a_page_far_past_any_case_list_is_404(client, customer, agent, vendors, page):
    """An offset SQLite cannot hold (page 10**18) is a page that cannot exist: 404, not a 500."""
    open_case(vendors["secpod"], customer)
    for user in (customer, agent):
        client.force_login(user)
        assert client.get(reverse("tickets:list"), {"page": page}).status_code == HTTPStatus.NOT_FOUND


def test_only_the_organization_admin_filters_by_requester(client, customer, colleague, org_admin, vendors):
    open_case(vendors["alectrona"], customer)
    theirs = open_case(vendors["alectrona"], colleague)
    client.force_login(customer)
    assert "requester" not in client.get(reverse("tickets:list")).context["form"].fields
    client.force_login(org_admin)
    response = client.get(reverse("tickets:list"), {"requester": "bob"})
    assert [t.number for t in response.context["tickets"]] == [theirs.number]
    assert "Opened by" in response.content.decode()


# ---------------------------------------------------------------------------- open a case


def form_data(**overrides):
    data = {
        "vendor": "alectrona",
        "priority": "high",
        "kind": "incident",
        "subject": "Export fails",
        "body": "Steps:\n\n1. Click *export*",
        "action": "open",
    }
    data.update(overrides)
    return data


def test_a_description_past_the_cap_is_refused_on_the_field_and_not_rendered(client, customer):
    client.force_login(customer)
    long_body = "[" * (MAX_LENGTH + 1)
    response = client.post(reverse("tickets:open"), form_data(body=long_body))
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["body"] == [TOO_LONG]
    # Both previews (the page's button, the script's fragment) say so instead of rendering it.
    page = client.post(reverse("tickets:open"), form_data(body=long_body, action="preview"))
    fragment = client.post(reverse("tickets:markdown_preview"), {"body": long_body})
    for preview in (page.context["markdown_preview"], fragment.content.decode()):
        assert str(TOO_LONG) in preview and "[[[" not in preview
    assert not Ticket.objects.exists()


def test_open_page_shows_each_priority_definition(client, customer):
    client.force_login(customer)
    body = client.get(reverse("tickets:open"), {"vendor": "albert"}).content.decode()
    assert "Incident with critical impact on the business" in body
    assert "No contractual target" in body  # Albert's Low
    assert "Is a business function halted?" in body  # the impact helper
    assert 'name="kind"' in body and 'value="request"' in body


def test_open_creates_the_case_with_attachments(client, customer, vendors):
    client.force_login(customer)
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")
    response = client.post(reverse("tickets:open"), {**form_data(), "files": [upload]})
    ticket = Ticket.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("tickets:detail", args=[ticket.number])
    assert (ticket.vendor, ticket.priority.code, ticket.requester, ticket.product) == (
        vendors["alectrona"],
        "high",
        customer,
        None,
    )
    assert ticket.sla_targets.get(kind="first_response").due_at == NOW + timedelta(hours=2)
    assert [a.filename for a in ticket.attachments.all()] == ["screen.png"]


def test_a_bad_attachment_saves_nothing_and_keeps_the_text(client, customer):
    client.force_login(customer)
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    text = "  Every character: <script>kept</script> & ünïcode  "
    response = client.post(reverse("tickets:open"), {**form_data(body=text), "files": [fake]})
    assert response.status_code == HTTPStatus.OK
    assert Ticket.objects.count() == 0
    assert "report.pdf" in str(response.context["form"].errors["files"])
    assert response.context["form"]["body"].value() == text
    assert "&lt;script&gt;kept&lt;/script&gt; &amp; ünïcode" in response.content.decode()


def test_a_refused_case_says_why_on_the_field(client, customer):
    client.force_login(customer)
    response = client.post(reverse("tickets:open"), form_data(kind="request"))
    assert Ticket.objects.count() == 0
    assert "Alectrona does not distinguish requests from incidents" in str(
        response.context["form"].errors["kind"]
    )


def test_a_missing_subject_keeps_what_was_typed(client, customer, vendors):
    analytics = Product.objects.create(vendor=vendors["alectrona"], name="Analytics")
    client.force_login(customer)
    response = client.post(
        reverse("tickets:open"), form_data(subject="", body="Long story", product=analytics.pk)
    )
    assert "subject" in response.context["form"].errors
    assert "Long story" in response.content.decode()
    assert f'<option value="{analytics.pk}" selected data-vendor="alectrona">' in response.content.decode()


def test_product_and_version_options_name_their_vendor_and_product(client, customer, vendors):
    analytics = Product.objects.create(vendor=vendors["alectrona"], name="Analytics")
    scanner = Product.objects.create(vendor=vendors["secpod"], name="Scanner")
    four = MajorVersion.objects.create(product=scanner, number=4, name="4")
    client.force_login(customer)
    body = client.get(reverse("tickets:open")).content.decode()
    # the page's script offers only the chosen vendor's products and the product's versions
    assert f'<option value="{analytics.pk}" data-vendor="alectrona">' in body
    assert f'<option value="{scanner.pk}" data-vendor="secpod">' in body
    assert f'<option value="{four.pk}" data-product="{scanner.pk}">' in body
    assert '<option value="" selected>Not about one product</option>' in body


def test_outsider_cannot_open_a_case_for_nobody(client, agent):
    client.force_login(agent)  # staff have no organization: they open cases in admin
    response = client.post(reverse("tickets:open"), form_data())
    assert Ticket.objects.count() == 0 and response.status_code == HTTPStatus.OK


def test_panel_shows_the_deadlines_a_new_case_gets(client, customer):
    client.force_login(customer)
    response = client.post(reverse("tickets:open_panel"), {"vendor": "alectrona", "priority": "urgent"})
    body = response.content.decode()
    # Urgent: first response 1 business hour → 11:00 New York = 10:00 Chicago.
    assert "Tue 3 Mar 2026 10:00 CST" in body and "due in 1 h" in body


def test_panel_suggests_albert_priority(client, customer):
    client.force_login(customer)
    answers = {
        "vendor": "albert",
        "impact-users": "majority",
        "impact-workaround": "no",
        "impact-halted": "yes",
    }
    body = client.post(reverse("tickets:open_panel"), answers).content.decode()
    assert "Suggested priority: <strong>1 - Urgent</strong>" in body


def test_panel_keeps_albert_helper_open_once_a_question_is_answered(client, customer):
    client.force_login(customer)
    unanswered = client.post(reverse("tickets:open_panel"), {"vendor": "albert"}).content.decode()
    one_answer = client.post(
        reverse("tickets:open_panel"), {"vendor": "albert", "impact-users": "majority"}
    ).content.decode()
    # Each answer re-renders the panel: a helper that closed again would hide the next question.
    assert '<details class="helper">' in unanswered
    assert '<details class="helper" open>' in one_answer
    assert '<option value="majority" selected>' in one_answer
    assert '<option value="" selected>Choose…</option>' in one_answer  # the questions not yet answered
    assert "Answer all three to see a suggestion." in one_answer


def test_no_js_suggest_selects_the_priority_and_previews_deadlines(client, customer):
    client.force_login(customer)
    answers = {
        **form_data(vendor="albert", priority=""),
        "action": "suggest",
        "impact-users": "one",
        "impact-workaround": "not_optimal",
        "impact-halted": "no",
    }
    response = client.post(reverse("tickets:open"), answers)
    assert response.context["priority_code"] == "medium"
    assert Ticket.objects.count() == 0


def test_markdown_preview_is_sanitized(client, customer):
    client.force_login(customer)
    body = client.post(reverse("tickets:markdown_preview"), {"body": "**hi** <script>x()</script>"}).content
    assert b"<strong>hi</strong>" in body and b"<script>" not in body


# ---------------------------------------------------------------------------- case page


def test_case_page_shows_public_replies_only(client, customer, agent, vendors):
    ticket = open_case(vendors["alectrona"], customer)
    reply_add(ticket=ticket, author=agent, body="We are on it", at=NOW - timedelta(minutes=30))
    reply_add(ticket=ticket, author=agent, body="Internal: blame the DB", internal=True, at=NOW)
    client.force_login(customer)
    body = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "We are on it" in body and "blame the DB" not in body
    assert "Met" in body  # first response met by the desk's reply
    assert "<svg" in body


def test_case_page_is_404_for_another_organization(client, customer, outsider, vendors):
    ticket = open_case(vendors["alectrona"], customer)
    client.force_login(outsider)
    assert client.get(reverse("tickets:detail", args=[ticket.number])).status_code == HTTPStatus.NOT_FOUND
    response = client.post(reverse("tickets:reply", args=[ticket.number]), {"body": "hi"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert client.post(reverse("tickets:close", args=[ticket.number])).status_code == HTTPStatus.NOT_FOUND
    assert Reply.objects.count() == 0


def test_attachment_download_checks_access(client, customer, colleague, outsider, agent, vendors):
    ticket = open_case(vendors["alectrona"], customer)
    attachment = attachment_add(
        ticket=ticket, uploaded_by=customer, upload=SimpleUploadedFile("a.txt", b"log")
    )
    note = reply_add(ticket=ticket, author=agent, body="note", internal=True)
    secret = attachment_add(
        ticket=ticket, uploaded_by=agent, upload=SimpleUploadedFile("s.txt", b"x"), reply=note
    )
    url = reverse("tickets:attachment", args=[ticket.number, attachment.pk])
    client.force_login(colleague)
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK and b"".join(response.streaming_content) == b"log"
    assert client.get(reverse("tickets:attachment", args=[ticket.number, secret.pk])).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_reply_to_a_waiting_case_resumes_the_clock(client, customer, agent, vendors):
    ticket = open_case(vendors["albert"], customer, priority="medium", at=NOW - timedelta(days=1))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=NOW - timedelta(hours=5))
    client.force_login(customer)
    upload = SimpleUploadedFile("trace.log", b"trace", content_type="text/plain")
    response = client.post(
        reverse("tickets:reply", args=[ticket.number]), {"body": "Here it is", "files": [upload]}
    )
    assert response.status_code == HTTPStatus.FOUND
    ticket.refresh_from_db()
    target = ticket.sla_targets.get(kind="first_response")
    assert ticket.status == Status.OPEN and target.state == TargetState.RUNNING
    assert target.paused == timedelta(hours=5)
    reply = ticket.replies.get()
    assert [a.filename for a in reply.attachments.all()] == ["trace.log"]


def test_a_reply_past_the_cap_is_refused_on_the_field(client, customer, vendors):
    ticket = open_case(vendors["alectrona"], customer)
    client.force_login(customer)
    response = client.post(reverse("tickets:reply", args=[ticket.number]), {"body": "x" * (MAX_LENGTH + 1)})
    assert response.status_code == HTTPStatus.OK
    assert response.context["reply_form"].errors["body"] == [TOO_LONG]
    assert not ticket.replies.exists()


def test_empty_reply_is_refused_and_nothing_saved(client, customer, vendors):
    ticket = open_case(vendors["alectrona"], customer)
    client.force_login(customer)
    response = client.post(reverse("tickets:reply", args=[ticket.number]), {"body": "   "})
    assert response.status_code == HTTPStatus.OK and "body" in response.context["reply_form"].errors
    assert Reply.objects.count() == 0 and Attachment.objects.count() == 0


def test_close_and_reopen(client, customer, vendors):
    ticket = open_case(vendors["secpod"], customer)
    client.force_login(customer)
    client.post(reverse("tickets:close", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    client.post(reverse("tickets:reopen", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_case_page_query_count_is_flat(client, customer, agent, vendors, django_assert_max_num_queries):
    ticket = open_case(vendors["alectrona"], customer, at=NOW - timedelta(days=5))
    for n in range(20):
        reply = reply_add(
            ticket=ticket,
            author=agent if n % 2 else customer,
            body=f"Reply {n}",
            at=NOW - timedelta(days=4, minutes=-n),
        )
        attachment_add(
            ticket=ticket, uploaded_by=customer, upload=SimpleUploadedFile(f"{n}.txt", b"x"), reply=reply
        )
    client.force_login(customer)
    # 23, each one query whatever the number of replies: the mailroom's original emails behind the
    # conversation, the case's subordinate incidents and followers (issue 19), its exclusions, and the
    # Infotecs services' work, expenses, remote sessions, on-site visit and quotes (issue 21).
    with django_assert_max_num_queries(23):
        response = client.get(reverse("tickets:detail", args=[ticket.number]))
    html = response.content.decode()
    assert html.count('class="reply') == 21
    # Each reply with its file, in order: a page that left replies or files out would cost less.
    shown = re.findall(r'<div class="markdown"><p>(Reply \d+)</p>.*?download>(\d+\.txt)</a>', html, re.S)
    assert shown == [(f"Reply {n}", f"{n}.txt") for n in range(20)]
    assert html.count("· Support desk") == 10


# ---------------------------------------------------------------------------- no surprise charges
# SPEC §4: "if you open it now" is the opening's own computation — the customer's contract, product,
# version and on-site answers — and a billable case is opened only once its charge is confirmed.
# The Infotecs line of tests/lifecycle/conftest.py: on NOW version 3 is in Extended Support.


def infotecs_data(product, version, **overrides):
    fields = {"vendor": "infotecs", "priority": "normal", "product": product.pk, "major_version": version.pk}
    return form_data(**{**fields, **overrides})


def preview_of(client, data: dict) -> str:
    """The "If you open it now" part of the policy panel, as the page's script fetches it."""
    body = client.post(reverse("tickets:open_panel"), data).content.decode()
    return body[body.index('id="deadline-preview"') :]


def test_panel_gives_an_infotecs_case_its_contracts_targets(client, customer, basic_contract, versions):
    for kind, hours in (("first_response", 2), ("resolution", 24)):
        ContractTarget.objects.create(
            contract=basic_contract, priority_code="critical", kind=kind, duration=hours
        )
    client.force_login(customer)
    preview = preview_of(client, infotecs_data(basic_contract.product, versions[4], priority="critical"))
    # 09:00 Chicago + 2 h and + 24 h on the 24×7 clock.
    assert "<strong>First response</strong> within 2 hours (24×7)" in preview
    assert "Tue 3 Mar 2026 11:00 CST" in preview
    assert "<strong>Resolution</strong> within 24 hours (24×7)" in preview
    assert "Wed 4 Mar 2026 09:00 CST" in preview
    assert "Contract B-1 (Basic)" in preview
    assert "No contractual target" not in preview and "charged" not in preview


def test_panel_says_an_extended_support_case_will_be_charged_and_why(
    client, customer, basic_contract, versions
):
    client.force_login(customer)
    extended = preview_of(client, infotecs_data(basic_contract.product, versions[3]))
    assert (
        "<strong>This case will be charged:</strong> ViPNet Coordinator 3 is in Extended Support since "
        "16 January 2026: only vulnerabilities and critical bugs are covered" in extended
    )
    assert 'name="confirm_billable"' in extended and "I understand this case will be charged" in extended
    mainstream = preview_of(client, infotecs_data(basic_contract.product, versions[4]))
    assert "charged" not in mainstream and 'name="confirm_billable"' not in mainstream


def test_panel_says_a_premium_emergency_onsite_call_will_be_charged(
    client, customer, premium_contract, versions
):
    premium_option_set(contract=premium_contract, kind=PremiumOptionKind.EMERGENCY_ONSITE, price=1500)
    client.force_login(customer)
    data = infotecs_data(premium_contract.product, versions[4])
    assert "charged" not in preview_of(client, data)
    onsite = preview_of(client, {**data, "onsite": "on"})
    assert "<strong>This case will be charged:</strong> Each Premium emergency on-site call" in onsite


def test_panel_says_why_the_case_would_be_refused(client, customer, basic_contract, versions):
    client.force_login(customer)
    preview = preview_of(client, infotecs_data(basic_contract.product, versions[2]))
    assert "ViPNet Coordinator 2 reached the end of its life" in preview


def test_show_the_deadlines_without_the_script_says_the_case_will_be_charged(
    client, customer, basic_contract, versions
):
    client.force_login(customer)
    data = infotecs_data(basic_contract.product, versions[3], action="refresh")
    body = client.post(reverse("tickets:open"), data).content.decode()
    assert "<strong>This case will be charged:</strong>" in body and 'name="confirm_billable"' in body
    assert not Ticket.objects.exists()


def test_a_billable_case_is_opened_only_once_the_charge_is_confirmed(
    client, customer, basic_contract, versions
):
    client.force_login(customer)
    data = infotecs_data(basic_contract.product, versions[3], body="Nightly drops, see log")
    refused = client.post(reverse("tickets:open"), data)
    assert refused.status_code == HTTPStatus.OK and not Ticket.objects.exists()
    [error] = refused.context["form"].errors["confirm_billable"]
    assert error.startswith("This case will be charged: ViPNet Coordinator 3 is in Extended Support")
    page = refused.content.decode()
    assert "Nightly drops, see log" in page and 'name="confirm_billable"' in page
    opened = client.post(reverse("tickets:open"), {**data, "confirm_billable": "on"})
    ticket = Ticket.objects.get()
    assert opened.status_code == HTTPStatus.FOUND
    assert ticket.billable and "Extended Support" in ticket.billable_reason


def test_case_page_shows_the_billable_row_once(client, customer, basic_contract, versions):
    ticket = open_case(
        basic_contract.vendor,
        customer,
        priority="normal",
        product=basic_contract.product,
        major_version=versions[3],
        confirm_billable=True,
    )
    client.force_login(customer)
    body = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert body.count("<dt>Billable</dt>") == 1
    assert f"<dd>{ticket.billable_reason}</dd>" in body
