"""Issue 21 point 3 in the staff UI: the desk re-classifies an Infotecs case as a vulnerability or
not, with a reason, from the case page ("Re-classify…") or as a changelist action; the charge is
decided again by tickets.services.billing.ticket_reclassify (free as a vulnerability on an Extended
Support version, charged under an agreement as an ordinary bug); the reason is an internal note."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse

from tests.factories import PASSWORD
from tests.lifecycle.conftest import NOW
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def extended_case(customer, infotecs, versions, basic_contract):
    """A normal bug on version 3 (Extended Support): charged, under an additional agreement."""
    return ticket_open(
        organization=customer.membership.organization, requester=customer, vendor=infotecs,
        priority="normal", subject="Tunnel drops", body="x", product=versions[3].product,
        major_version=versions[3], at=NOW - timedelta(hours=2), confirm_billable=True,
    )  # fmt: skip


@pytest.fixture
def staff_client(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    return client


def test_the_case_page_reclassifies_with_a_reason_and_the_charge_follows(staff_client, extended_case, agent):
    assert extended_case.billable and extended_case.agreement_required and not extended_case.vulnerability
    form_url = reverse("admin:tickets_ticket_reclassify", args=[extended_case.pk])
    case_page = staff_client.get(reverse("admin:tickets_ticket_change", args=[extended_case.pk]))
    assert form_url in case_page.content.decode()

    page = staff_client.get(form_url)
    assert page.status_code == HTTPStatus.OK
    assert page.context["form"]["vulnerability"].value() is False  # the case's own classification
    assert extended_case.number in page.content.decode()

    refused = staff_client.post(form_url, {"vulnerability": "on", "cve_id": "cve-2026-4321", "reason": ""})
    assert refused.status_code == HTTPStatus.OK and "reason" in refused.context["form"].errors
    extended_case.refresh_from_db()
    assert not extended_case.vulnerability

    done = staff_client.post(
        form_url, {"vulnerability": "on", "cve_id": "cve-2026-4321", "reason": "Remote code execution"}
    )
    assert done.status_code == HTTPStatus.FOUND
    assert done["Location"] == reverse("admin:tickets_ticket_change", args=[extended_case.pk])
    extended_case.refresh_from_db()
    assert (extended_case.vulnerability, extended_case.cve_id) == (True, "CVE-2026-4321")
    assert not extended_case.billable and not extended_case.agreement_required  # free on Extended Support
    note = extended_case.replies.get(internal=True)
    assert "Remote code execution" in note.body and note.author == agent
    assert "CVE-2026-4321" in note.body


def test_the_changelist_action_reclassifies_back_and_reports_a_bad_cve(staff_client, extended_case):
    changelist = reverse("admin:tickets_ticket_changelist")
    chosen = {"action": "reclassify", "_selected_action": [extended_case.pk]}
    intermediate = staff_client.post(changelist, chosen)
    assert intermediate.status_code == HTTPStatus.OK and "reason" in intermediate.context["form"].fields

    bad = staff_client.post(
        changelist,
        {**chosen, "apply": "1", "vulnerability": "on", "cve_id": "CVE-1", "reason": "x"},
        follow=True,
    )
    assert extended_case.number in bad.content.decode()
    extended_case.refresh_from_db()
    assert not extended_case.vulnerability  # the service refused it: nothing changed

    staff_client.post(
        changelist, {**chosen, "apply": "1", "vulnerability": "on", "reason": "Exploitable"}, follow=True
    )
    back = staff_client.post(changelist, {**chosen, "apply": "1", "reason": "Not exploitable"}, follow=True)
    assert "1 case re-classified" in back.content.decode()
    extended_case.refresh_from_db()
    assert not extended_case.vulnerability and extended_case.billable and extended_case.agreement_required
    assert extended_case.replies.filter(internal=True).count() == 2


def test_a_customer_cannot_reach_the_form(client, customer, extended_case):
    client.login(username=customer.username, password=PASSWORD)
    response = client.get(reverse("admin:tickets_ticket_reclassify", args=[extended_case.pk]))
    assert response.status_code == HTTPStatus.FOUND and "/login/" in response["Location"]
    extended_case.refresh_from_db()
    assert not extended_case.vulnerability
