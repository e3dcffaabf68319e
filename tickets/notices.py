"""Which emails a ticket change promises. Each function writes outbox rows in the caller's
transaction (filled in by the notices work: see portal/outbox)."""

from __future__ import annotations


def ticket_received(ticket) -> None:
    pass


def staff_replied(ticket, reply) -> None:
    pass


def waiting_on_customer(ticket) -> None:
    pass


def ticket_resolved(ticket) -> None:
    pass
