"""Issue 22 point 1: an error message names a status, an action or a target kind in the reader's
words, never as the stored code ("нельзя перевести в «reopened»" read as half English)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tickets.services import ticket_close, ticket_open, ticket_wait_on_customer
from tickets.services.exclusions import ticket_exclude

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(customer, vendors):
    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="Export fails",
        body="The export fails.",
    )


def _error(call) -> str:
    with pytest.raises(ValidationError) as raised:
        call()
    return " ".join(str(m) for messages in raised.value.message_dict.values() for m in messages)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "A case that is closed cannot be set to wait on the customer."),
        ("ru", "Обращение в статусе «закрыт» нельзя перевести в ожидание ответа клиента."),
    ],
)
def test_a_refused_transition_names_the_action_in_the_readers_words(language, said, case, customer, agent):
    ticket_close(ticket=case, by=customer)
    with translation.override(language):
        assert _error(lambda: ticket_wait_on_customer(ticket=case, by=agent)) == said


def test_a_missing_target_is_named_in_russian(case, agent):
    case.sla_targets.filter(kind="resolution").delete()
    with translation.override("ru"):
        text = _error(
            lambda: ticket_exclude(ticket=case, by=agent, code="nope", reason="", target_kind="resolution")
        )
    assert "нет срока «Решение»" in text and "resolution" not in text
