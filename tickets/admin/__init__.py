"""The staff UI in Django admin, split by what it shows: the triage list (listing), the forms of the
actions and of opening a case (forms), the case page's inlines (inlines) and the ModelAdmin (tickets)."""

from __future__ import annotations

from . import billing  # noqa: F401  (issue 21: work, expenses, visits, orders)
from .listing import CappedCountPaginator, breached_case, live_sla_state
from .tickets import TicketAdmin

__all__ = ["CappedCountPaginator", "TicketAdmin", "breached_case", "live_sla_state"]
