"""Reads for the staff changelist and the API lists: one place that knows which rows a user may see
and which relations each row needs, so a page costs a constant number of queries."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from policies.models import Vendor
from tickets.models import Attachment, Reply, SlaEvent, SlaTarget, Ticket

# What a case row shows, loaded in a fixed number of queries: its organization and people joined,
# the small look-up tables (vendors, priorities, products, versions) prefetched, one IN query each
# and none for a key that is empty on every row. Each join multiplies PostgreSQL's planning time, and
# the case table's many indexes multiply it again: at 100,000 cases the list with all seven joined
# took 39 ms to plan and 1 ms to run; with three joined it plans in 1 ms.
CASE_JOINS = ("organization", "requester", "assignee")
CASE_LOOKUPS = ("vendor", "priority", "product", "major_version")
CASE_PAGE_LOOKUPS = (
    "parent",
    "merged_into",
    "resolution_code",
    "policy_version",
)  # what a case's own page adds


def ticket_list_for(user) -> QuerySet[Ticket]:
    """The tickets `user` may see, with everything a list row shows joined or prefetched."""
    return (
        Ticket.objects.visible_to(user)
        .select_related(*CASE_JOINS)
        .prefetch_related(
            *CASE_LOOKUPS,
            Prefetch(
                "sla_targets", queryset=SlaTarget.objects.order_by("kind").prefetch_related(recomputations())
            ),
        )
    )


def recomputations() -> Prefetch:
    """A target's priority changes, which its explanation lists (tickets.explain): one query for
    all the targets of a page."""
    return Prefetch(
        "events", queryset=SlaEvent.objects.filter(kind=SlaEvent.Kind.RECOMPUTED), to_attr="recomputations"
    )


def ticket_detail_for(*, user, number: str) -> Ticket:
    """One case `user` may see, with what its detail shows. Raises Ticket.DoesNotExist for a
    number the user may not see, so callers answer 404 whether or not it exists elsewhere."""
    return (
        ticket_list_for(user)
        .prefetch_related(
            *CASE_PAGE_LOOKUPS,
            Prefetch("attachments", queryset=_attachments_for(user)),
            Prefetch("subordinates", queryset=Ticket.objects.order_by("number")),
        )
        .get(number=number)
    )


def _attachments_for(user) -> QuerySet[Attachment]:
    # A file attached to an internal note is as private as the note.
    attachments = Attachment.objects.order_by("created_at", "id")
    return attachments if user.is_staff else attachments.exclude(reply__internal=True)


def reply_list_for(*, user, ticket: Ticket) -> QuerySet[Reply]:
    """The conversation of a case as `user` sees it: customers never see internal notes."""
    replies = Reply.objects.filter(ticket=ticket).select_related("author").prefetch_related("attachments")
    return replies if user.is_staff else replies.filter(internal=False)


def attachment_for(*, user, number: str, attachment_id: int) -> Attachment:
    """An attachment of a case `user` may see; Attachment.DoesNotExist otherwise."""
    visible = Ticket.objects.visible_to(user).filter(number=number)
    return _attachments_for(user).select_related("ticket").get(pk=attachment_id, ticket__in=visible)


# ---------------------------------------------------------------------------- search

# One meaning in the portal, the admin and the API. A case matches when its number is the one named
# ("ALC-000003", "ALC-3", "alc-3", "#3", "3": every vendor's case 3), when every word of the query,
# in any order, starts a word of its number, subject or description ("sea slo" finds "Slow search"),
# or when the whole query is part of its requester's username or email. Ranked: the named case,
# then cases whose number and subject hold every word, then the rest, newest first in each rank.
# The words are read from an index on both databases (_words_match): PostgreSQL's GIN-indexed
# `search` column, SQLite's FTS5 table kept in step by triggers. Neither scans the cases.
SEARCH_ORDERING = ("-search_rank", "-opened_at", "-id")
SEARCH_HELP = _(
    "Words in any order (each the start of a word of the number, subject or description), a case "
    "number (ALC-000003, ALC-3, 3) or a requester's username or email; ranked unless ordered."
)
SHORT_NUMBER = re.compile(r"#?(?:(?P<prefix>[A-Za-z]{2,5})-?)?0*(?P<digits>\d{1,6})")
QUERY_WORD = re.compile(r"[^\W_]+")
RANK_NUMBER, RANK_TITLE, RANK_TEXT = 3, 2, 1
MAX_WORDS = 8
SQLITE_SEARCH_INDEX = "tickets_ticket_search"  # migration tickets.0016


def search_words(text: str) -> list[str]:
    """The query's words, lower-cased, as PostgreSQL's "simple" parser splits a text."""
    return [word.lower() for word in QUERY_WORD.findall(text)][:MAX_WORDS]


def search_numbers(text: str) -> list[str]:
    """The case numbers a query names in full or short form; [] when it is not a number."""
    named = SHORT_NUMBER.fullmatch(text.strip())
    if named is None or int(named["digits"]) == 0:
        return []
    prefix = named["prefix"]
    prefixes = [prefix.upper()] if prefix else [p.upper() for p in vendor_prefixes()]
    return [f"{p}-{int(named['digits']):06d}" for p in prefixes]


def vendor_prefixes() -> list[str]:
    return list(Vendor.objects.order_by("ticket_prefix").values_list("ticket_prefix", flat=True))


class _SearchColumnMatch(Expression):
    """`<the case table>.search @@ to_tsquery('simple', <words>)` on PostgreSQL, naming the case
    table by the alias of the query it is compiled in (a subquery calls it U0)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, tsquery: str):
        super().__init__()
        self.tsquery = tsquery

    def as_sql(self, compiler, connection):
        table = compiler.quote_name(compiler.query.get_initial_alias())
        return f"{table}.search @@ to_tsquery('simple', %s)", [self.tsquery]


def _words_match(words: list[str], *, title: bool = False) -> Q:
    """Every word starts a word of the case's number, subject or description (with `title`: of its
    number or subject), read from the database's full-text index, never by scanning the cases.

    PostgreSQL: `search @@ to_tsquery('simple', 'word:*')` on the GIN-indexed `search` column
    (migrations 0009, 0014), whose weight A holds the number and subject. SQLite: the case's id among
    the rows of the FTS5 index (migration 0016) that MATCH `"word"*`, in its number and subject
    columns for the title; a key look-up (`id IN`), which SQLite's planner reads as an index, where
    a boolean expression would be compared with `= 1` row by row."""
    if connection.vendor == "postgresql":
        weight = "A" if title else ""
        return Q(_SearchColumnMatch(" & ".join(f"{word}:*{weight}" for word in words)))
    # The words hold letters and digits only (QUERY_WORD); quoted, none is read as an operator.
    columns = "{number subject} : " if title else ""
    match = " AND ".join(f'{columns}"{word}"*' for word in words)
    index = SQLITE_SEARCH_INDEX
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {index} WHERE {index} MATCH %s", [match]))


def ticket_search(tickets: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    """The cases of `tickets` that `text` finds, annotated with `search_rank` and ordered by it
    (SEARCH_ORDERING). An empty query finds every case, unranked."""
    text = text.strip()
    words, numbers = search_words(text), search_numbers(text)
    if not text:
        return tickets
    requesters = get_user_model().objects.filter(Q(username__icontains=text) | Q(email__icontains=text))
    found = Q(requester__in=requesters.values("pk"))
    rank = [When(number__in=numbers, then=Value(RANK_NUMBER))] if numbers else []
    if numbers:
        found |= Q(number__in=numbers)
    if words:
        found |= _words_match(words)
        rank.append(When(_words_match(words, title=True), then=Value(RANK_TITLE)))
    return (
        tickets.filter(found)
        .annotate(search_rank=Case(*rank, default=Value(RANK_TEXT), output_field=IntegerField()))
        .order_by(*SEARCH_ORDERING)
    )
