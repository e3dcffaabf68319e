"""The customer portal: "My cases", "Open a case" and the case page. Server-rendered; the small
script in static/js/portal.js only fetches fragments from the endpoints below, so every page also
works without it. Rules live in tickets.services; these views translate forms to calls and
ValidationErrors back to form errors."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from lifecycle.models import Product
from lifecycle.services import offered_flags
from policies.models import DurationUnit, TargetKind, Vendor
from policies.selectors import vendor_list, version_in_force, version_terms
from policies.words import duration_words, overdue_words, promise_words, texts_notice
from portal.idempotency import KeyReused, Submission, form_submit_once
from portal.markdown import MAX_LENGTH, TOO_LONG, render_markdown
from portal.selectors import user_membership, user_timezone
from portal.throttles import TooManyWrites, as_fragment, check_form_write, counts_as_write

from . import selectors
from .billing.views import CASE_PAGE, case_services
from .deadlines import overdue
from .explain import target_explanation
from .forms import (
    IMPACT_HELPER_VENDORS,
    ImpactForm,
    ReplyForm,
    StatusFilter,
    TicketFilterForm,
    TicketOpenForm,
)
from .models import OPEN_STATUSES, Follower, Kind, SlaEvent, Status, TargetState, Ticket, TicketChannel
from .organize_forms import SplitForm
from .services import (
    attachment_add,
    follower_add,
    follower_remove,
    reopen_offered,
    reply_add,
    ticket_close,
    ticket_open,
    ticket_preview,
    ticket_reopen,
    ticket_split,
)
from .services.sla import sla_now
from .signals import case_originals
from .timeline import timeline
from .words import target_source

PAGE_SIZE = 25
MAX_PAGE = 1_000_000
NO_ORGANIZATION = _("Your account does not belong to a customer organization yet; ask your administrator.")
# A customer reads the status from their side of the desk.
CUSTOMER_STATUS = {
    Status.NEW: _("Received"),
    Status.OPEN: _("In progress"),
    Status.WAITING_ON_CUSTOMER: _("Waiting on you"),
    Status.RESOLVED: _("Resolved"),
    Status.CLOSED: _("Closed"),
}
# A form's one-time token came back with another text (the back button, then an edit): nothing
# is created, and what was typed is shown again with a new token.
ALREADY_OPENED = _(
    "This form was already sent and opened case {number}. To open another case with what is "
    "below, check it and open it again."
)
ALREADY_REPLIED = _(
    "This form was already sent and its reply is on the case. To send what is below as "
    "another reply, check it and send it again."
)
ALREADY_SENT = _("This form was already sent. Reload the page to see the case as it is now.")
OPENED = _("Your case {number} is open. We will answer by the deadlines below.")
REPLIED = _("Your reply is sent.")
# Operations whose form posts are submitted once (portal.idempotency).
OPEN_SCOPE, REPLY_SCOPE = "tickets.open", "tickets.reply"
CLOSE_SCOPE, REOPEN_SCOPE = "tickets.close", "tickets.reopen"
# Service error fields that have a different name (or none) on the portal's forms.
FIELD_ALIASES = {
    "file": "files",
    "organization": None,
    "status": None,
    "internal": None,
    "onsite_requested": "onsite",
}


def in_user_zone(view):
    """Render every date and time in the viewer's own time zone (profile, else organization)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with timezone.override(user_timezone(request.user)):
            return view(request, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------- words


def due_words(*, status: str, due_at: datetime | None, now: datetime, sla_state: str = "") -> str:
    """What the next deadline means to the customer, in words. A target the SLA sweep has
    written down as breached no longer runs, so `due_at` is empty: say so rather than nothing."""
    if status == Status.WAITING_ON_CUSTOMER:
        return pgettext("case list, deadline column", "waiting on you")
    if status == Status.RESOLVED:
        return pgettext("case list, deadline column", "resolved")
    if status == Status.CLOSED:
        return pgettext("case list, deadline column", "closed")
    if due_at is None:
        if sla_state == TargetState.BREACHED:
            return pgettext("case list, deadline column", "a deadline was missed")
        return pgettext("case list, deadline column", "no deadline running")
    if overdue(due_at, now):
        return overdue_words(now - due_at)
    return gettext("due in %(duration)s") % {"duration": duration_words(due_at - now, after_preposition=True)}


def _apply_errors(form, error: ValidationError) -> None:
    """A service's refusal, shown on the field it names (or above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages_ in error.message_dict.items():
        field = FIELD_ALIASES.get(field, field)
        form.add_error(field if field in form.fields else None, messages_)


# ---------------------------------------------------------------------------- my cases


def _filtered(cases, data: dict):
    if statuses := StatusFilter.STATUSES.get(data.get("status") or ""):
        cases = cases.filter(status__in=statuses)
    if data.get("vendor"):
        cases = cases.filter(vendor__slug=data["vendor"])
    if data.get("product"):
        cases = cases.filter(product_id=data["product"])
    if data.get("requester"):
        cases = cases.filter(requester__username=data["requester"])
    if query := (data.get("q") or "").strip():
        return selectors.ticket_search(cases, query)  # ranked: the order is the search's
    return cases.order_by("-opened_at", "-id")


def _page(queryset, number: int) -> tuple[list, bool]:
    """One page and whether another follows, read with one query of PAGE_SIZE + 1 rows: no COUNT
    over the whole organization, so a page costs the same at 20 cases or 20,000."""
    start = (number - 1) * PAGE_SIZE
    rows = list(queryset[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _page_number(request) -> int:
    """?page=N; an unreadable number is page 1. Past MAX_PAGE no list has cases (25 million), and
    far enough past it the offset no longer fits the database's integers: 404, as for any page
    that cannot exist."""
    try:
        number = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        return 1
    if number > MAX_PAGE:
        raise Http404(_("No such page."))
    return number


@login_required
@in_user_zone
def ticket_list(request):
    user, membership = request.user, user_membership(request.user)
    cases = Ticket.objects.visible_to(user)
    sees_requesters = user.is_staff or (membership is not None and membership.is_admin)
    requesters = None
    if membership is not None and membership.is_admin:
        requesters = get_user_model().objects.filter(membership__organization_id=membership.organization_id)
        requesters = requesters.order_by("username")
    # The organization's products, from its own cases (a few thousand rows at most); staff, who
    # see every case, filter products in admin instead of paying for a scan of the whole desk.
    products = (
        []
        if user.is_staff
        else Product.objects.filter(
            pk__in=cases.exclude(product=None).values("product_id").distinct()
        ).order_by("name")
    )
    form = TicketFilterForm(
        request.GET or None, vendors=vendor_list(), products=list(products), requesters=requesters
    )
    data = form.cleaned_data if form.is_valid() else {}
    # Joined and prefetched as selectors.CASE_JOINS says why: few joins keep PostgreSQL's planning short.
    rows = (
        _filtered(cases, data)
        .select_related("requester", "organization")
        .prefetch_related(*selectors.CASE_LOOKUPS)
    )
    number = _page_number(request)
    page, has_next = _page(rows, number)
    now = timezone.now()
    for ticket in page:
        ticket.status_words = CUSTOMER_STATUS[ticket.status]
        ticket.due_words = due_words(
            status=ticket.status, due_at=ticket.next_due_at, now=now, sla_state=ticket.sla_state
        )
        ticket.overdue = ticket.is_open and (
            overdue(ticket.next_due_at, now) or ticket.sla_state == TargetState.BREACHED
        )
        ticket.mine = ticket.requester_id == user.pk
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "tickets": page,
        "page_number": number,
        "has_next": has_next,
        "query": query.urlencode(),
        "membership": membership,
        "sees_requesters": sees_requesters,
        "no_organization": membership is None and not user.is_staff,
        "zone": timezone.get_current_timezone_name(),
    }
    return render(request, "tickets/list.html", context)


# ---------------------------------------------------------------------------- open a case


def _chosen_vendor(request) -> Vendor | None:
    slug = request.POST.get("vendor") or request.GET.get("vendor")
    vendors = vendor_list()
    return (vendors.filter(slug=slug).first() if slug else None) or vendors.first()


def _priorities(vendor: Vendor | None) -> tuple[object | None, list]:
    version = version_in_force(vendor=vendor) if vendor else None
    if version is None:
        return None, []
    return version, list(version.priorities.order_by("rank").prefetch_related("targets__calendar"))


def _chosen(form: TicketOpenForm, name: str):
    """What a field of the form says now, or None where it says nothing valid: the preview
    follows the answers without judging them (opening the case does that)."""
    try:
        return form.fields[name].clean(form[name].value())
    except ValidationError:
        return None


def _within(target) -> str:
    """'2 hours (24×7)', '2 business days (support hours)': a planned target in the policy's words.
    A whole number of the calendar's business days is said in days (SPEC §2: N × its day length)."""
    amount = Decimal(target.duration // timedelta(microseconds=1)) / 3_600_000_000  # exact, as planned
    unit = DurationUnit.HOURS
    day = target.calendar.business_day_hours if target.calendar is not None else None
    if day and amount >= day and amount % day == 0:
        amount, unit = amount / day, DurationUnit.BUSINESS_DAYS
    return promise_words(amount, unit.label, around_the_clock=target.calendar is None)


def _deadline_preview(
    request, form: TicketOpenForm, vendor: Vendor | None, priority_code: str
) -> dict | None:
    """What a case opened now with the form's answers would get — deadlines (the contract's where
    it sets them), the charge and why, or the refusal — from `ticket_preview`, the opening's own
    checks and plan, so that the preview and the opened case never disagree."""
    membership = user_membership(request.user)
    if vendor is None or not priority_code or membership is None:
        return None
    now = timezone.now()
    try:
        preview = ticket_preview(
            organization=membership.organization,
            requester=request.user,
            vendor=vendor,
            priority=priority_code,
            kind=_chosen(form, "kind") or Kind.INCIDENT,
            product=_chosen(form, "product"),
            major_version=_chosen(form, "major_version"),
            onsite=bool(_chosen(form, "onsite")),
            remote_failed=bool(_chosen(form, "remote_failed")),
            vulnerability=bool(_chosen(form, "vulnerability") or _chosen(form, "cve_id")),
            emergency=bool(_chosen(form, "emergency")),
            at=now,
        )
    except ValidationError as error:
        return {"refusal": error.messages}
    rows = [
        {
            "kind": t.get_kind_display(),
            "update": t.kind == TargetKind.UPDATE,
            "within": _within(t),
            "due_at": t.due_at,
            "words": due_words(status=Status.NEW, due_at=t.due_at, now=now) if t.due_at else "",
        }
        for t in preview.targets
    ]
    return {
        "preview": preview,
        "targets": rows,
        "sources": list(dict.fromkeys(target_source(t) for t in preview.targets)),
        "billable": preview.billable,
        "billable_reason": preview.billable_reason,
    }


def _panel_context(request, form: TicketOpenForm, vendor: Vendor | None, priorities: list) -> dict:
    """Everything that depends on the chosen vendor and priority: kinds, priority levels with
    their definitions, Albert's impact helper and the deadline preview."""
    data = request.POST if request.method == "POST" else request.GET
    priority_code = form["priority"].value() or ""
    impact = ImpactForm(data, prefix="impact") if vendor and vendor.slug in IMPACT_HELPER_VENDORS else None
    suggestion = impact.suggestion() if impact is not None else None
    if suggestion and data.get("action") == "suggest":
        priority_code = suggestion
    names = {p.code: p.name for p in priorities}
    version = priorities[0].version if priorities else None
    return {
        "form": form,
        "vendor": vendor,
        "priorities": priorities,
        # Policy texts in the reader's language where the vendor translated them, else the original,
        # said as the policy page says it (policies.words.texts_notice).
        "texts_notice": texts_notice(version) if version else "",
        "texts_language": version.texts_language() if version else "",
        "priority_code": priority_code,
        "impact": impact,
        "impact_open": impact is not None and impact.answered(),
        "suggestion": suggestion,
        "suggestion_name": names.get(suggestion or ""),
        # Issue 21: the case flags this vendor's policy offers (a vulnerability, an emergency call).
        "offered": offered_flags(version_in_force(vendor=vendor)) if vendor else frozenset(),
        "deadlines": _deadline_preview(
            request, form, vendor, priority_code if priority_code in names else ""
        ),
        "zone": timezone.get_current_timezone_name(),
    }


def _open_case(request, form: TicketOpenForm) -> Ticket:
    """The case and its attachments in one transaction: a refused attachment leaves no case."""
    data, user = form.cleaned_data, request.user
    with transaction.atomic():
        ticket = ticket_open(
            organization=user.membership.organization,
            requester=user,
            vendor=data["vendor"],
            priority=data["priority"],
            subject=data["subject"],
            body=data["body"],
            kind=data["kind"],
            channel=TicketChannel.PORTAL,
            product=data["product"],
            major_version=data["major_version"],
            onsite=data["onsite"],
            remote_failed=data["remote_failed"],
            vulnerability=data["vulnerability"],
            cve_id=data["cve_id"],
            emergency=data["emergency"],
            confirm_billable=data["confirm_billable"],
        )
        for upload in data["files"]:
            attachment_add(ticket=ticket, uploaded_by=user, upload=upload)
    return ticket


def _open_form(request, vendor, priorities) -> TicketOpenForm:
    """Bound when the customer submits; refreshing the policy panel or previewing re-renders what
    they typed without judging it yet."""
    if request.method != "POST":
        return TicketOpenForm(priorities=priorities, initial={"vendor": vendor})
    if request.POST.get("action", "open") == "open":
        return TicketOpenForm(request.POST, request.FILES, priorities=priorities)
    initial = request.POST.dict()
    initial["vendor"] = vendor
    return TicketOpenForm(initial=initial, priorities=priorities)


@login_required
@in_user_zone
def ticket_open_view(request):
    membership = user_membership(request.user)
    if membership is None:
        return render(request, "tickets/open.html", {"no_organization": NO_ORGANIZATION})
    vendor = _chosen_vendor(request)
    _version, priorities = _priorities(vendor)
    form = _open_form(request, vendor, priorities)
    status = 200
    action = request.POST.get("action", "open") if request.method == "POST" else ""
    if action and action != "open":  # a preview or the panel without script: a write, as their endpoints
        try:
            check_form_write(request)
        except TooManyWrites as error:  # the form as sent (unjudged: no errors), nothing rendered, 429
            messages.error(request, " ".join(error.messages))
            status, action = error.status, ""
    if form.is_bound and form.is_valid():
        try:
            # A second post of the same rendering answers with the case the first one opened.
            opened = form_submit_once(
                request, scope=OPEN_SCOPE, create=lambda: Submission(_open_case(request, form).number)
            )
        except TooManyWrites as error:  # past the write rate: the form as sent, answered 429
            _apply_errors(form, error)
            status = error.status
        except ValidationError as error:
            _apply_errors(form, error)
        except KeyReused as reused:
            form.add_error(None, ALREADY_OPENED.format(number=reused.previous.reference))
        else:
            messages.success(request, OPENED.format(number=opened.reference))
            return redirect("tickets:detail", number=opened.reference)
    context = _panel_context(request, form, vendor, priorities)
    if action == "preview":
        context["markdown_preview"] = _preview(request.POST.get("body", ""))
    context["had_files"] = bool(request.FILES) and form.is_bound
    return render(request, "tickets/open.html", context, status=status)


@login_required
@counts_as_write(as_fragment)
@in_user_zone
def ticket_open_panel(request):
    """The policy panel of "Open a case" as an HTML fragment, for the page's script."""
    vendor = _chosen_vendor(request)
    _version, priorities = _priorities(vendor)
    data = (request.POST if request.method == "POST" else request.GET).dict()
    data["vendor"] = vendor
    form = TicketOpenForm(initial=data, priorities=priorities)
    return render(request, "tickets/_open_panel.html", _panel_context(request, form, vendor, priorities))


def _preview(body: str) -> str:
    """The description rendered as it would be stored; past the longest one, not rendered but
    the message its field will show on opening."""
    if len(body) > MAX_LENGTH:
        return format_html('<ul class="errorlist"><li>{}</li></ul>', TOO_LONG)
    return render_markdown(body)


@login_required
@require_POST
@counts_as_write(as_fragment)
def markdown_preview(request):
    """The description as it will look, rendered and sanitized like the stored one."""
    html = _preview(request.POST.get("body", ""))
    return HttpResponse(html or '<p class="muted">Nothing to preview yet.</p>')


# ---------------------------------------------------------------------------- case page


def _ticket_or_404(request, number: str) -> Ticket:
    """The case if the viewer may see it, else 404 whether or not it exists elsewhere. Not
    selectors.ticket_detail_for: its ordered subordinates prefetch makes SQLite walk the whole
    number index (~120 ms at 100,000 cases); the page reads subordinates unordered below."""
    cases = selectors.ticket_list_for(request.user).prefetch_related(*selectors.CASE_PAGE_LOOKUPS)
    try:
        return cases.get(number=number)
    except Ticket.DoesNotExist:
        raise Http404(_("No such case")) from None


def _subordinates(ticket: Ticket) -> list[Ticket]:
    """The incidents split from this case. Ids first: that query is answered from the parent
    index alone, where SQLite (its statistics count the NULL parents) would scan the whole table
    for the full rows. A case has a handful of subordinates at most."""
    ids = list(Ticket.objects.filter(parent_id=ticket.pk).order_by().values_list("id", flat=True))
    if not ids:
        return []
    return list(Ticket.objects.filter(pk__in=ids).order_by("number").only("number", "subject", "status"))


def _remaining_words(seen) -> str:
    if seen.state == TargetState.PAUSED:
        if seen.left is not None and seen.left > timedelta(0):  # what the API's remaining_seconds says
            return gettext("paused while we wait on you; %(duration)s left") % {
                "duration": duration_words(seen.left)
            }
        return gettext("paused while we wait on you")
    if seen.state == TargetState.WITHDRAWN:
        return gettext("withdrawn: the case was closed before the desk answered")
    if seen.left is None:
        return ""
    if seen.left < timedelta(0):
        return overdue_words(-seen.left)
    return gettext("due in %(duration)s") % {"duration": duration_words(seen.left, after_preposition=True)}


def _targets(ticket: Ticket, now: datetime) -> list[dict]:
    rows = []
    for target in ticket.sla_targets.all():
        seen = sla_now(target, ticket=ticket, now=now)
        rows.append(
            {
                "target": target,
                "state": seen.state,
                "state_label": TargetState(seen.state).label,
                "remaining": _remaining_words(seen),
                "overdue": seen.left is not None and seen.left < timedelta(0),
                "answered_at": seen.answered_at,
                "answered_late": seen.late,
                "explanation": target_explanation(target),
            }
        )
    return rows


def _originals(user, ticket: Ticket, replies: list) -> dict:
    """Where each part of the conversation came from, as the apps above answer (an email, in the
    mailroom): {reply id, or None for the opening: download URL}."""
    found: dict = {}
    for _receiver, answer in case_originals.send(sender=Ticket, ticket=ticket, replies=replies, user=user):
        found.update(answer or {})
    return found


def _case_context(request, ticket: Ticket, reply_form: ReplyForm | None = None) -> dict:
    now = timezone.now()
    replies = list(selectors.reply_list_for(user=request.user, ticket=ticket))
    originals = _originals(request.user, ticket, replies)
    for reply in replies:
        reply.original_url = originals.get(reply.pk, "")
    events = list(SlaEvent.objects.filter(target__ticket=ticket).order_by("at", "id"))
    return {
        "ticket": ticket,
        "replies": replies,
        "targets": _targets(ticket, now),
        # Files attached when the case was opened; reply files come with their (public) replies.
        "opening_attachments": list(
            ticket.attachments.filter(reply__isnull=True).order_by("created_at", "id")
        ),
        "opening_original_url": originals.get(None, ""),
        "subordinates": _subordinates(ticket),
        **_organize_context(request, ticket),
        # Issue 21: the desk's work, expenses, remote sessions, the visit and quotes.
        **case_services(request, ticket),
        # Issue 20 point 1: what the desk excludes from the measurement, and why.
        "exclusions": list(
            ticket.exclusions.select_related("exclusion", "target").prefetch_related("attachments")
        ),
        "status_words": CUSTOMER_STATUS[ticket.status],
        "reply_form": reply_form or ReplyForm(),
        "can_close": ticket.status != Status.CLOSED,
        "can_reopen": reopen_offered(ticket),  # not for a merged duplicate: the page says where it went on
        "can_reply": ticket.status != Status.CLOSED,
        "is_open": ticket.status in OPEN_STATUSES,
        "timeline": timeline(ticket=ticket, replies=replies, events=events, now=now),
        "zone": timezone.get_current_timezone_name(),
    }


@login_required
@in_user_zone
def ticket_detail(request, number: str):
    ticket = _ticket_or_404(request, number)
    return render(request, "tickets/detail.html", _case_context(request, ticket))


@login_required
@require_POST
@in_user_zone
def ticket_reply(request, number: str):
    ticket = _ticket_or_404(request, number)
    form = ReplyForm(request.POST, request.FILES)
    status = 200
    if form.is_valid():
        try:
            # A second post of the same rendering answers with the reply the first one sent.
            sent = form_submit_once(
                request,
                scope=REPLY_SCOPE,
                target=ticket.number,
                create=lambda: _send_reply(request, ticket, form),
            )
        except TooManyWrites as error:  # past the write rate: the form as sent, answered 429
            _apply_errors(form, error)
            status = error.status
        except ValidationError as error:
            _apply_errors(form, error)
        except KeyReused:
            form.add_error(None, ALREADY_REPLIED)
        else:
            messages.success(request, REPLIED)
            return redirect(reverse("tickets:detail", args=[ticket.number]) + f"#reply-{sent.reference}")
    ticket = _ticket_or_404(request, number)
    context = _case_context(request, ticket, reply_form=form)
    return render(request, "tickets/detail.html", context, status=status)


def _send_reply(request, ticket: Ticket, form: ReplyForm) -> Submission:
    """The reply and its files in one transaction: a refused file sends no reply."""
    with transaction.atomic():
        reply = reply_add(ticket=ticket, author=request.user, body=form.cleaned_data["body"])
        for upload in form.cleaned_data["files"]:
            attachment_add(ticket=ticket, uploaded_by=request.user, upload=upload, reply=reply)
    return Submission(str(reply.pk))


def _transition(request, number: str, service, done: str, scope: str):
    ticket = _ticket_or_404(request, number)

    def move() -> Submission:
        return Submission(service(ticket=ticket, by=request.user).number)

    try:
        # A double click answers "done" twice rather than "a closed case cannot be closed".
        form_submit_once(request, scope=scope, target=ticket.number, create=move)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except KeyReused:
        messages.error(request, ALREADY_SENT)
    else:
        messages.success(request, done)
    return redirect("tickets:detail", number=ticket.number)


@login_required
@require_POST
def ticket_close_view(request, number: str):
    return _transition(
        request, number, ticket_close, "The case is closed. Reopen it if the problem comes back.", CLOSE_SCOPE
    )


@login_required
@require_POST
def ticket_reopen_view(request, number: str):
    return _transition(request, number, ticket_reopen, "The case is open again.", REOPEN_SCOPE)


# ---------------------------------------------------------------------------- organizing a case

FOLLOWING = _("You follow this case: its emails are copied to you.")
NOT_FOLLOWING = _("You no longer follow this case.")
SPLIT_DONE = _("Case {number} is open as a subordinate incident of {parent}, measured on its own from now.")


def _organize_context(request, ticket: Ticket) -> dict:
    """Who follows the case, whether the viewer may follow it, and what a split offers."""
    followers = list(Follower.objects.filter(ticket=ticket).select_related("user"))
    membership = user_membership(request.user)
    colleague = membership is not None and membership.organization_id == ticket.organization_id
    return {
        "followers": [f.user for f in followers],
        "following": any(f.user_id == request.user.pk for f in followers),
        "can_follow": colleague and ticket.requester_id != request.user.pk and ticket.status != Status.CLOSED,
        "can_split": ticket.status != Status.CLOSED and ticket.merged_into_id is None,
        "split_priorities": list(version_terms(ticket.policy_version).priorities.values()),
    }


def _organize(request, number: str, change, done: str):
    ticket = _ticket_or_404(request, number)
    try:
        change(ticket)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("tickets:detail", number=ticket.number)


@login_required
@require_POST
@counts_as_write(CASE_PAGE)
def ticket_follow(request, number: str):
    follow = lambda ticket: follower_add(ticket=ticket, user=request.user, by=request.user)  # noqa: E731
    return _organize(request, number, follow, FOLLOWING)


@login_required
@require_POST
@counts_as_write(CASE_PAGE)
def ticket_unfollow(request, number: str):
    unfollow = lambda ticket: follower_remove(ticket=ticket, user=request.user, by=request.user)  # noqa: E731
    return _organize(request, number, unfollow, NOT_FOLLOWING)


@login_required
@require_POST
@counts_as_write(CASE_PAGE)
def ticket_split_view(request, number: str):
    parent = _ticket_or_404(request, number)
    form = SplitForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("tickets:detail", number=parent.number)
    try:
        child = ticket_split(parent=parent, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("tickets:detail", number=parent.number)
    messages.success(request, SPLIT_DONE.format(number=child.number, parent=parent.number))
    return redirect("tickets:detail", number=child.number)
