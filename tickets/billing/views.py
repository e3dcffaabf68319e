"""Infotecs' services in the portal (issue 21): on the case page the customer sees the desk's work,
expenses, remote sessions, the on-site visit and the quotes, accepts or declines a quote and asks
for a visit once remote diagnosis failed; the Orders page lists the organization's orders, orders
a feature request or an additional service, accepts or declines quotes and asks for pilot
versions. Every rule is tickets.services.billing's; a case or order of another organization
answers 404 like one that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from lifecycle.models import Contract, Plan
from lifecycle.services import offered_flags
from portal.selectors import user_organization
from portal.throttles import TooManyWrites, back_to, check_form_write, counts_as_write

from .. import selectors
from ..models import OnsiteVisit, Order, OrderKind, OrderState, Ticket
from ..services import billing
from .forms import OrderForm, PilotForm

DESK = _("Support desk")
# Past the write rate a button says so on its page (portal.throttles), as close and reopen do:
# the case page's (its services here, follow, unfollow and split in tickets.views) and the orders'.
CASE_PAGE = back_to("tickets:detail", "number")
ORDERS_PAGE = back_to("services:orders")


def _person(person, viewer) -> str:
    """Staff by name, or as the desk, to a customer (a username is half of a sign-in)."""
    if person is None:
        return ""
    if person.is_staff and not viewer.is_staff:
        return person.get_full_name() or DESK
    return person.get_full_name() or person.username


def case_services(request, ticket: Ticket) -> dict:
    """What the case page shows of the services: nothing on a vendor that sells none and a case
    that has none. The visit's entitlement is checked only where the customer could ask for one."""
    viewer = request.user
    work = list(ticket.work_entries.select_related("specialist"))
    expenses = list(ticket.expenses.select_related("receipt"))
    sessions = list(ticket.remote_sessions.select_related("specialist"))
    visit = OnsiteVisit.objects.filter(ticket=ticket).first()
    quotes = list(ticket.orders.filter(kind=OrderKind.CASE_WORK).order_by("requested_at", "pk"))
    offered = offered_flags(ticket.policy_version)
    for row in work + sessions:
        row.shown_specialist = _person(row.specialist, viewer)
    visit_check = None
    if offered and visit is None and ticket.is_open and not viewer.is_staff:
        visit_check = billing.onsite_check(ticket=ticket)
    return {
        "services": {
            "shown": bool(offered or work or expenses or sessions or visit or quotes),
            "work": work,
            "minutes": sum(w.minutes for w in work),
            "expenses": expenses,
            "sessions": sessions,
            "visit": visit,
            "quotes": quotes,
            "visit_check": visit_check,
            "can_answer_quotes": not viewer.is_staff,
        }
    }


def _case(request, number: str) -> Ticket:
    try:
        return selectors.ticket_list_for(request.user).get(number=number)
    except Ticket.DoesNotExist:
        raise Http404(_("No such case")) from None


def _done(request, change, success: str) -> None:
    try:
        change()
        messages.success(request, success)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))


@login_required
@require_POST
@counts_as_write(CASE_PAGE)
def onsite_request_view(request, number: str):
    ticket = _case(request, number)
    _done(
        request,
        lambda: billing.onsite_request(
            ticket=ticket,
            by=request.user,
            confirm_billable=request.POST.get("confirm_billable") == "on",
            address=request.POST.get("address", "")[:300],
        ),
        _("The on-site visit is requested: the desk schedules it with you."),
    )
    return redirect("tickets:detail", number=ticket.number)


def _quote(request, number: str, order_id: int) -> Order:
    quote = _case(request, number).orders.filter(pk=order_id, kind=OrderKind.CASE_WORK).first()
    if quote is None:
        raise Http404(_("No such quote"))
    return quote


@login_required
@require_POST
@counts_as_write(CASE_PAGE)
def quote_accept_view(request, number: str, order_id: int):
    quote = _quote(request, number, order_id)
    _done(request, lambda: billing.order_accept(order=quote, by=request.user), _("You accepted the quote."))
    return redirect("tickets:detail", number=number)


@login_required
@require_POST
@counts_as_write(CASE_PAGE)
def quote_decline_view(request, number: str, order_id: int):
    quote = _quote(request, number, order_id)
    _done(request, lambda: billing.order_decline(order=quote, by=request.user), _("You declined the quote."))
    return redirect("tickets:detail", number=number)


# ---------------------------------------------------------------------------- orders and pilots


def _organization(request):
    organization = user_organization(request.user)
    if organization is None:
        raise Http404(_("Orders are made by members of a customer organization."))
    return organization


def _forms(organization, data=None, which: str = ""):
    today = billing.today()
    contracts = Contract.objects.filter(
        organization=organization, plan__in=(Plan.BASIC, Plan.PREMIUM), start__lte=today, end__gte=today
    ).select_related("product")
    versions = billing.pilot_versions(organization=organization, day=today)
    order_form = OrderForm(data if which == "order" else None, contracts=contracts)
    pilot_form = PilotForm(data if which == "pilot" else None, versions=versions)
    return order_form, pilot_form


def _page(request, organization, order_form, pilot_form, status: int = 200):
    orders = (
        Order.objects.visible_to(request.user)
        .filter(organization=organization)
        .select_related("ticket", "major_version__product", "contract__product")
    )
    context = {"orders": orders, "order_form": order_form, "pilot_form": pilot_form, "State": OrderState}
    return render(request, "tickets/orders.html", context, status=status)


@login_required
def order_list(request):
    organization = _organization(request)
    return _page(request, organization, *_forms(organization))


def _apply(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def _ask(request, which: str, ask, done: str):
    """An order or a pilot asked for from the orders page (`which`, its form's prefix): through
    `ask`, the billing service, once the form is valid and within the person's write rate; else the
    page again with the form as sent, 400 (429 past the rate)."""
    organization = _organization(request)
    order_form, pilot_form = _forms(organization, request.POST, which)
    form = order_form if which == "order" else pilot_form
    status = 400
    if form.is_valid():
        try:
            check_form_write(request)
            ask(organization=organization, by=request.user, **form.cleaned_data)
            messages.success(request, done)
            return redirect("services:orders")
        except TooManyWrites as error:  # past the write rate: the form as sent, answered 429
            form.add_error(None, error.messages)
            status = error.status
        except ValidationError as error:
            _apply(form, error)
    return _page(request, organization, order_form, pilot_form, status=status)


@login_required
@require_POST
def order_new(request):
    return _ask(request, "order", billing.order_request, _("Ordered: the desk sends you a quote to accept."))


@login_required
@require_POST
def pilot_new(request):
    done = _("Asked: the desk sends you the pilot version's download reference.")
    return _ask(request, "pilot", billing.pilot_request, done)


def _order(request, order_id: int) -> Order:
    order = Order.objects.visible_to(request.user).filter(pk=order_id).first()
    if order is None:
        raise Http404(_("No such order"))
    return order


@login_required
@require_POST
@counts_as_write(ORDERS_PAGE)
def order_accept_view(request, order_id: int):
    order = _order(request, order_id)
    _done(request, lambda: billing.order_accept(order=order, by=request.user), _("You accepted the quote."))
    return redirect("services:orders")


@login_required
@require_POST
@counts_as_write(ORDERS_PAGE)
def order_decline_view(request, order_id: int):
    order = _order(request, order_id)
    _done(request, lambda: billing.order_decline(order=order, by=request.user), _("You declined the order."))
    return redirect("services:orders")
