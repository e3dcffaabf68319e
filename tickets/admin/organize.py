"""Organizing cases in the triage list and on the case page: search read by rank, merge, split into
subordinate incidents and followers. Each goes through tickets.services; nothing here has a rule."""

from __future__ import annotations

from django.contrib.admin.views.main import ORDER_VAR, ChangeList

from ..selectors import SEARCH_ORDERING


class SearchRankedChangeList(ChangeList):
    """A search is read by rank (tickets.selectors.ticket_search) unless a column header was clicked."""

    def get_ordering(self, request, queryset):
        ranked = "search_rank" in queryset.query.annotations
        if ranked and self.query.strip() and ORDER_VAR not in self.params:
            return list(SEARCH_ORDERING)
        return super().get_ordering(request, queryset)
