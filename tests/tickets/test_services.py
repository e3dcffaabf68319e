"""The SLA rules of a ticket's life (SPEC §5), asserted on stored state.

Times are written in the vendor's zone so each expected deadline can be checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from portal.markdown import MAX_LENGTH, TOO_LONG
from tickets.explain import target_explanation
from tickets.models import SlaEvent, Status, TargetState, Ticket
from tickets.services import (
    reply_add,
    ticket_change_priority,
    ticket_close,
    ticket_open,
    ticket_reopen,
    ticket_resolve,
    ticket_split,
    ticket_wait_on_customer,
)
from tickets.services.tickets import KIND_NOT_OFFERED, NOT_A_MEMBER

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


def la(*args) -> datetime:
    return datetime(*args, tzinfo=LA)


def _open(customer, vendors, vendor="alectrona", priority="high", at=None, **kwargs) -> Ticket:
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors[vendor],
        priority=priority,
        subject="Export fails",
        body="It **fails**",
        at=at,
        **kwargs,
    )


def targets(ticket: Ticket) -> dict:
    return {t.kind: t for t in ticket.sla_targets.all()}


def test_numbers_are_per_vendor_and_never_reused(customer, vendors):
    first = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    second = _open(customer, vendors, at=ny(2026, 11, 23, 11))
    other = _open(customer, vendors, vendor="secpod", priority="normal", at=ny(2026, 11, 23, 11))
    assert (first.number, second.number, other.number) == ("ALC-000001", "ALC-000002", "SEC-000001")
    second.delete()
    assert _open(customer, vendors, at=ny(2026, 11, 23, 12)).number == "ALC-000003"


def test_open_fixes_first_response_from_the_policy_in_force(customer, vendors):
    # Alectrona High: 2 business hours from Mon 10:00 New York → Mon 12:00.
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    first = targets(ticket)["first_response"]
    assert ticket.policy_version.key == "2022-06-15"
    assert first.state == TargetState.RUNNING
    assert first.due_at == ny(2026, 11, 23, 12)
    assert ticket.next_due_at == ny(2026, 11, 23, 12)
    assert ticket.status == Status.NEW


def test_update_target_waits_for_the_first_staff_reply(customer, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    update = targets(ticket)["update"]
    assert update.state == TargetState.NOT_APPLICABLE
    assert update.due_at is None


def test_first_staff_public_reply_meets_first_response_and_starts_update_clock(customer, agent, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    reply_add(ticket=ticket, author=agent, body="Looking into it", at=ny(2026, 11, 23, 11, 30))
    ticket.refresh_from_db()
    first, update = targets(ticket)["first_response"], targets(ticket)["update"]
    assert first.state == TargetState.MET
    assert first.met_at == ny(2026, 11, 23, 11, 30)
    assert first.response_business_time == timedelta(hours=1, minutes=30)
    # Update: 12 business hours from Mon 11:30 → Mon 6 h (to 17:30) + Tue 6 h → Tue 15:00.
    assert update.state == TargetState.RUNNING
    assert update.due_at == ny(2026, 11, 24, 15)
    assert ticket.status == Status.OPEN
    assert ticket.first_responded_at == ny(2026, 11, 23, 11, 30)


def test_each_staff_reply_restarts_the_alectrona_update_clock(customer, agent, vendors):
    ticket = _open(customer, vendors, priority="urgent", at=ny(2026, 11, 23, 9))
    reply_add(ticket=ticket, author=agent, body="On it", at=ny(2026, 11, 23, 9, 30))
    # Urgent update = 4 business hours: from Mon 09:30 → Mon 13:30.
    assert targets(ticket)["update"].due_at == ny(2026, 11, 23, 13, 30)
    reply_add(ticket=ticket, author=agent, body="Progress", at=ny(2026, 11, 23, 16))
    # From Mon 16:00: 1.5 h to 17:30, 2.5 h from Tue 09:00 → Tue 11:30.
    update = targets(ticket)["update"]
    assert update.due_at == ny(2026, 11, 24, 11, 30)
    assert update.state == TargetState.RUNNING
    assert update.events.filter(kind=SlaEvent.Kind.RESTARTED).count() == 2


def test_a_late_update_is_recorded_as_breached_then_restarts(customer, agent, vendors):
    ticket = _open(customer, vendors, priority="urgent", at=ny(2026, 11, 23, 9))
    reply_add(ticket=ticket, author=agent, body="On it", at=ny(2026, 11, 23, 9, 30))
    reply_add(ticket=ticket, author=agent, body="Sorry for the wait", at=ny(2026, 11, 23, 15))
    update = targets(ticket)["update"]
    assert update.events.filter(kind=SlaEvent.Kind.BREACHED).exists()
    assert update.state == TargetState.RUNNING
    assert update.due_at == ny(2026, 11, 24, 10, 30)  # 2.5 h Monday + 1.5 h Tuesday


def test_customer_replies_and_internal_notes_do_not_count_as_a_response(customer, agent, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    reply_add(ticket=ticket, author=customer, body="Any news?", at=ny(2026, 11, 23, 10, 30))
    reply_add(ticket=ticket, author=agent, body="note to self", internal=True, at=ny(2026, 11, 23, 10, 45))
    assert targets(ticket)["first_response"].state == TargetState.RUNNING


def test_first_response_after_the_deadline_is_breached(customer, agent, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    reply_add(ticket=ticket, author=agent, body="Late", at=ny(2026, 11, 23, 12, 0, 1))
    first = targets(ticket)["first_response"]
    assert first.state == TargetState.BREACHED
    assert first.breached_at == ny(2026, 11, 23, 12)
    assert first.fulfilled_at == ny(2026, 11, 23, 12, 0, 1)


def test_a_reply_exactly_at_the_deadline_meets_it(customer, agent, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    reply_add(ticket=ticket, author=agent, body="Just in time", at=ny(2026, 11, 23, 12))
    assert targets(ticket)["first_response"].state == TargetState.MET


def test_running_target_past_due_reads_as_breached_before_any_sweep(customer, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    first = targets(ticket)["first_response"]
    assert first.state_at(ny(2026, 11, 23, 12)) == TargetState.RUNNING
    assert first.state_at(ny(2026, 11, 23, 12, 0, 1)) == TargetState.BREACHED


def test_albert_pause_and_resume_over_a_weekend(customer, agent, vendors):
    """Albert Medium: 240 h of Sun 19:30 → Fri 19:30 Pacific support time, US holidays closed.
    Opened Fri 13 Nov 10:00. Without a pause: Fri 9.5 + Sun 4.5 + Mon–Thu 96 + Fri 19.5 + Sun 4.5
    + Mon–Wed 72 = 206 h by Wed 25 Nov 24:00; Thanksgiving (Thu 26) closed; Fri 27 19.5 → 225.5;
    Sun 29 4.5 → 230; Mon 30 Nov 10:00 → 240 h.
    Waiting on the customer Fri 12:00 → Mon 16 Nov 09:00: support time lost = Fri 7.5 h +
    Sun 4.5 h + Mon 9 h = 21 h, so the deadline moves 21 support hours: Mon 30 Nov has 14 h
    left after 10:00, then 7 h on Tue 1 Dec → Tue 1 Dec 07:00 Pacific."""
    ticket = _open(customer, vendors, vendor="albert", priority="medium", at=la(2026, 11, 13, 10))
    assert targets(ticket)["first_response"].due_at == la(2026, 11, 30, 10)
    ticket_wait_on_customer(ticket=ticket, by=agent, at=la(2026, 11, 13, 12))
    ticket.refresh_from_db()
    first = targets(ticket)["first_response"]
    assert (ticket.status, first.state, ticket.sla_state) == (
        Status.WAITING_ON_CUSTOMER,
        TargetState.PAUSED,
        "paused",
    )
    reply_add(ticket=ticket, author=customer, body="Here are the logs", at=la(2026, 11, 16, 9))
    ticket.refresh_from_db()
    first = targets(ticket)["first_response"]
    assert ticket.status == Status.OPEN
    assert first.state == TargetState.RUNNING
    assert first.paused == timedelta(hours=21)
    assert first.due_at == la(2026, 12, 1, 7)
    assert "21 h of support time spent waiting on the customer is credited" in target_explanation(first)
    assert "Thanksgiving" in target_explanation(first)
    # The desk answers Mon 16 Nov 10:00: 9.5 (Fri) + 4.5 (Sun) + 10 (Mon) = 24 h of support time
    # since the opening, less the 21 h credited for the pause = 3 h to first response.
    reply_add(ticket=ticket, author=agent, body="Found it", at=la(2026, 11, 16, 10))
    assert targets(ticket)["first_response"].response_business_time == timedelta(hours=3)


def test_pause_on_the_24x7_clock_credits_real_time(customer, agent, vendors):
    # Albert Urgent: 8 h around the clock. Opened Sat 10:00, waiting 13:00 → Sun 13:00 (24 h).
    ticket = _open(customer, vendors, vendor="albert", priority="urgent", at=la(2026, 11, 14, 10))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=la(2026, 11, 14, 13))
    reply_add(ticket=ticket, author=customer, body="done", at=la(2026, 11, 15, 13))
    assert targets(ticket)["first_response"].due_at == la(2026, 11, 15, 18)


def test_waiting_twice_is_a_no_op(customer, agent, vendors):
    ticket = _open(customer, vendors, vendor="albert", priority="medium", at=la(2026, 11, 13, 10))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=la(2026, 11, 13, 12))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=la(2026, 11, 13, 13))
    assert targets(ticket)["first_response"].paused_since == la(2026, 11, 13, 12)


def test_a_target_overdue_when_paused_stays_breached(customer, agent, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=ny(2026, 11, 23, 13))
    first = targets(ticket)["first_response"]
    assert first.state == TargetState.BREACHED
    assert first.breached_at == ny(2026, 11, 23, 12)


def test_priority_change_recomputes_from_the_original_opening(customer, agent, vendors):
    # Low: 8 business hours from Mon 10:00 → 7.5 h on Monday, 0.5 h Tuesday → Tue 09:30.
    # Raised to Urgent at 10:20: 1 business hour from the ORIGINAL opening → Mon 11:00.
    ticket = _open(customer, vendors, priority="low", at=ny(2026, 11, 23, 10))
    assert targets(ticket)["first_response"].due_at == ny(2026, 11, 24, 9, 30)
    ticket_change_priority(
        ticket=ticket, priority="urgent", by=agent, reason="Production down", at=ny(2026, 11, 23, 10, 20)
    )
    ticket.refresh_from_db()
    first = targets(ticket)["first_response"]
    assert ticket.priority.code == "urgent"
    assert first.due_at == ny(2026, 11, 23, 11)
    event = first.events.get(kind=SlaEvent.Kind.RECOMPUTED)
    assert event.detail == "Priority changed from Low to Urgent (Emergency): Production down"
    assert "Priority changed from Low to Urgent" in target_explanation(first)
    assert ticket.history.first().priority_id == ticket.priority_id


def test_priority_change_recounts_the_wait_on_the_new_clock(customer, agent, vendors):
    ticket = _open(customer, vendors, vendor="albert", priority="medium", at=la(2026, 11, 13, 10))
    ticket_wait_on_customer(ticket=ticket, by=agent, at=la(2026, 11, 13, 12))
    reply_add(ticket=ticket, author=customer, body="logs", at=la(2026, 11, 16, 9))
    ticket_change_priority(ticket=ticket, priority="urgent", by=agent, at=la(2026, 11, 16, 9, 30))
    # Urgent is 8 h on the 24×7 clock from Fri 13 Nov 10:00; the wait Fri 12:00 → Mon 09:00 is
    # 69 real hours on that clock (not the 21 support hours Medium's calendar credited):
    # Fri 10:00 + 77 h = Mon 16 Nov 15:00.
    first = targets(ticket)["first_response"]
    assert first.paused == timedelta(hours=69)
    assert first.due_at == la(2026, 11, 16, 15)


def test_priority_without_target_marks_running_targets_not_applicable(customer, agent, vendors):
    ticket = _open(customer, vendors, vendor="albert", priority="medium", at=la(2026, 11, 13, 10))
    ticket_change_priority(ticket=ticket, priority="low", by=agent, at=la(2026, 11, 13, 11))
    ticket.refresh_from_db()
    assert targets(ticket)["first_response"].state == TargetState.NOT_APPLICABLE
    assert ticket.next_due_at is None


def test_lowest_albert_priority_has_no_contractual_target(customer, vendors):
    albert = _open(customer, vendors, vendor="albert", priority="low", at=la(2026, 11, 13, 10))
    assert not albert.sla_targets.exists()
    assert albert.sla_state == TargetState.NOT_APPLICABLE


def test_resolving_stops_every_clock(customer, agent, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    reply_add(ticket=ticket, author=agent, body="Try this", at=ny(2026, 11, 23, 11))
    ticket_resolve(
        ticket=ticket, by=agent, resolution_code="workaround", message="Done", at=ny(2026, 11, 23, 14)
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution_code.code == "workaround"
    assert {t.state for t in ticket.sla_targets.all()} == {TargetState.MET}
    assert ticket.next_due_at is None


def test_resolution_code_must_come_from_the_vendor(customer, agent, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    with pytest.raises(ValidationError) as error:
        ticket_resolve(
            ticket=ticket, by=agent, resolution_code="fix", message="Done", at=ny(2026, 11, 23, 11)
        )
    assert "resolution_code" in error.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_reopen_restarts_the_update_clock(customer, agent, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    reply_add(ticket=ticket, author=agent, body="Fixed", at=ny(2026, 11, 23, 11))
    ticket_resolve(
        ticket=ticket, by=agent, resolution_code="upgrade", message="Done", at=ny(2026, 11, 23, 11)
    )
    ticket_close(ticket=ticket, by=customer, at=ny(2026, 11, 23, 12))
    ticket_reopen(ticket=ticket, by=customer, at=ny(2026, 11, 24, 9))
    ticket.refresh_from_db()
    update = targets(ticket)["update"]
    assert ticket.status == Status.OPEN
    assert update.state == TargetState.RUNNING
    assert update.due_at == ny(2026, 11, 25, 12, 30)  # 12 business hours from Tue 09:00


def test_subordinate_incidents_are_measured_on_their_own(customer, agent, vendors):
    parent = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    child = ticket_split(
        parent=parent,
        subject="Second symptom",
        body="x",
        priority="urgent",
        by=agent,
        at=ny(2026, 11, 23, 13),
    )
    assert child.parent == parent
    assert child.number == "ALC-000002"
    assert targets(child)["first_response"].due_at == ny(2026, 11, 23, 14)
    assert targets(parent)["first_response"].due_at == ny(2026, 11, 23, 12)


def test_body_is_rendered_and_sanitized(customer, vendors):
    ticket = ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="x",
        body="**bold** <script>alert(1)</script> [x](javascript:alert(1))",
    )
    ticket.refresh_from_db()
    assert "<strong>bold</strong>" in ticket.body_html
    assert "<script" not in ticket.body_html and "javascript:" not in ticket.body_html


def test_a_customer_cannot_open_a_case_for_another_organization(customer, outsider, vendors):
    with pytest.raises(ValidationError) as error:
        ticket_open(
            organization=customer.membership.organization,
            requester=outsider,
            vendor=vendors["alectrona"],
            priority="high",
            subject="x",
            body="y",
        )
    assert error.value.message_dict["organization"] == [NOT_A_MEMBER]
    assert not Ticket.objects.exists()


def test_requests_only_where_the_vendor_distinguishes_them(customer, vendors):
    assert _open(customer, vendors, vendor="albert", priority="high", kind="request").kind == "request"
    with pytest.raises(ValidationError) as error:
        _open(customer, vendors, kind="request")
    assert error.value.message_dict["kind"] == [KIND_NOT_OFFERED.format(vendor="Alectrona")]


def test_unknown_priority_names_the_field_and_saves_nothing(customer, vendors):
    with pytest.raises(ValidationError) as error:
        _open(customer, vendors, priority="blocker")
    assert "priority" in error.value.message_dict
    assert not Ticket.objects.exists()


def test_ticket_measured_against_version_in_force_when_opened(customer, vendors):
    ticket = _open(customer, vendors, at=datetime(2026, 1, 5, 15, tzinfo=UTC))
    assert ticket.policy_version.vendor.slug == "alectrona"
    with pytest.raises(ValidationError):
        _open(customer, vendors, at=datetime(2020, 1, 1, tzinfo=UTC))  # before any version


def test_a_description_longer_than_the_cap_is_refused_naming_the_limit(customer, vendors):
    """Rendering is linear but not free (portal.markdown.MAX_LENGTH): the service is the one check."""
    arguments = dict(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        at=ny(2026, 11, 23, 10),
    )
    with pytest.raises(ValidationError) as error:
        ticket_open(**arguments, body="x" * (MAX_LENGTH + 1))
    assert error.value.message_dict == {"body": [TOO_LONG]}
    assert "20,000 characters" in TOO_LONG
    assert not Ticket.objects.exists()
    assert len(ticket_open(**arguments, body="x" * MAX_LENGTH).body) == MAX_LENGTH


def test_a_reply_longer_than_the_cap_is_refused_naming_the_limit(customer, agent, vendors):
    ticket = _open(customer, vendors, at=ny(2026, 11, 23, 10))
    with pytest.raises(ValidationError) as error:
        reply_add(ticket=ticket, author=customer, body="[" * (MAX_LENGTH + 1), at=ny(2026, 11, 23, 11))
    assert error.value.message_dict == {"body": [TOO_LONG]}
    assert not ticket.replies.exists()
    reply_add(ticket=ticket, author=agent, body="[" * MAX_LENGTH, at=ny(2026, 11, 23, 11))
    assert ticket.replies.get().body_html == "<p>" + "[" * MAX_LENGTH + "</p>\n"
