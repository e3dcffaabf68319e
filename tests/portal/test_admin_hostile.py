"""Audit sweep of Django admin, the staff side: signed in as the desk signs in (password and second
factor), no input answers a 5xx. For every registered ModelAdmin: its list with hostile values in
every list filter's parameters (the project's own SimpleListFilters and the stock field filters, as
the list itself names them), ordering (`o`), search (`q`), page (`p`), `all`, the date drill-down,
unknown lookups and repeated parameters; its pages (change, delete, history and every URL its
get_urls adds) with ids that do not exist or are no ids, asked and posted; its add and change forms
posted with garbage; its actions posted with garbage selections and missing or garbage fields. A 4xx,
or a 200/302 with a message, is a fine answer; the test collects every 5xx (and every exception the
view let out) and names them all. A NUL is refused by config.limits before any view (its own tests,
tests/portal/test_query_nul.py), so it is not among the values."""

from __future__ import annotations

import itertools
import re
import traceback
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.urls import URLPattern, reverse

from tests.factories import StaffFactory

from ..tickets.test_audit_channels import open_case

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past any database integer
LONG = "ä" * 5_000  # 10 kB once encoded
RTL = "\u202eﻉﺮﺑﻲ\u202c 🚀👩‍💻 עִבְרִית"
# The values every parameter gets in turn (a value for a NUL is left to config.limits' own tests).
HOSTILE = [
    "",
    "x",
    "-1",
    HUGE,
    "1e309",
    "2026-13-45",
    "'; DROP TABLE tickets_ticket; --",
    "%",
    "²",  # a digit to str.isdigit(), none to int()
    LONG,
    RTL,
    " 1 ",
    "1,2",
]
# Ids of rows that do not exist or could not: asked for on every object page.
BAD_IDS = ["0", HUGE, "x", "²", "%27%3B DROP", "a/b"]
ORDERINGS = [HUGE, "-1.-2.x.0.0", LONG]
PAGES = ["-1", HUGE + "x"]
UNKNOWN_LOOKUPS = ["nosuch", "pk__in"]
ROOT = Path(__file__).resolve().parents[2]
STOCK_URL_NAMES = ("_changelist", "_add", "_change", "_delete", "_history", "_simple_history")


def _admins() -> list:
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


class Sweep:
    """A client's requests, each in a savepoint (a view's database error leaves the test's
    transaction usable for the next request); every 5xx or exception is kept with its cause."""

    def __init__(self, client):
        self.client = client
        self.failures: list[str] = []

    def __call__(self, method: str, url: str, data=None):
        try:
            with transaction.atomic():
                response = getattr(self.client, method)(url, data or {})
        except Exception as error:  # noqa: BLE001 - the sweep names every one
            self.failures.append(f"{method.upper()} {url} {_short(data)}: {_cause(error)}")
            return None
        if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            self.failures.append(f"{method.upper()} {url} {_short(data)}: {response.status_code}")
        return response

    def assert_none(self):
        assert not self.failures, f"{len(self.failures)} 5xx:\n" + "\n".join(self.failures)


def _short(data) -> str:
    text = repr(data or {})
    return text if len(text) < 160 else text[:160] + "…"


def _cause(error: Exception) -> str:
    """The exception and the project's own frame nearest to where it was raised."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if ".venv" not in f.filename]
    where = f"{Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__}: {str(error)[:200]} (at {where})"


def _rotate(values: list, n: int, start: int) -> list:
    """n of `values` from position `start` on, round: each parameter gets a few values and the
    parameters between them all of them."""
    return [values[(start + i) % len(values)] for i in range(min(n, len(values)))]


def _url(route: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: quote(values[m[1]], safe="/%"), route)


@pytest.fixture
def desk(client, settings, verified_login, customer, vendors, django_capture_on_commit_callbacks):
    """A superuser of the desk, signed in with the second factor, and a case to act on."""
    settings.STAFF_TWO_FACTOR = True
    agent = StaffFactory(username="sweeper")
    verified_login(client, agent)
    open_case(customer, vendors, django_capture_on_commit_callbacks)
    return Sweep(client)


def _changelist(sweep: Sweep, model, model_admin) -> None:
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = sweep("get", changelist)
    assert response is not None and response.status_code == HTTPStatus.OK, changelist
    cl = (response.context or {}).get("cl") if response.context else None
    own = {
        spec.parameter_name
        for spec in (cl.filter_specs if cl else [])
        if isinstance(spec, admin.SimpleListFilter) and not type(spec).__module__.startswith("django.")
    }
    parameters = [name for spec in (cl.filter_specs if cl else []) for name in spec.expected_parameters()]
    if model_admin.date_hierarchy:
        parameters += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    for i, name in enumerate(parameters):
        # The project's own filters get every value; the framework's a few, in turn.
        for value in HOSTILE if name in own else _rotate(HOSTILE, 2, i * 2):
            sweep("get", changelist, {name: value})
        if name in own:
            sweep("get", changelist, {name: ["x", HUGE, "1"]})
    for name in UNKNOWN_LOOKUPS:
        sweep("get", changelist, {name: "1"})
    for value in ORDERINGS:
        sweep("get", changelist, {"o": value})
    for value in ["x" * 10_000, f"'; DROP % ALC-{HUGE} {RTL}", "alc-000001 " * 900]:
        sweep("get", changelist, {"q": value})
    for value in PAGES:
        sweep("get", changelist, {"p": value})
    for extra in ({"all": "x", "p": HUGE}, {"_to_field": "x", "_popup": "x", "e": "1"}):
        sweep("get", changelist, extra)
    everything = dict.fromkeys(parameters, "x") | {"o": "1.-2", "q": "x", "p": "1"}
    sweep("get", changelist, everything)
    if cl is not None:
        _actions(sweep, changelist, response, cl)


def _actions(sweep: Sweep, changelist: str, response, cl) -> None:
    action_form = response.context.get("action_form")
    names = [name for name, _ in action_form.fields["action"].choices if name] if action_form else []
    real = [str(obj.pk) for obj in cl.result_list[:1]]
    sweep("post", changelist, {"action": ["nosuch", *names[:1]], "index": HUGE, ACTION_CHECKBOX_NAME: real})
    for i, name in enumerate(names):
        sweep("post", changelist, {"action": name, "select_across": "x", "index": "x"})  # nothing chosen
        sweep("post", changelist, {"action": name, ACTION_CHECKBOX_NAME: _rotate(BAD_IDS, 2, i * 2) + real})
        if name == "delete_selected":  # confirmed, on ids no row has: the sweep's rows stay
            sweep("post", changelist, {"action": name, ACTION_CHECKBOX_NAME: ["0", HUGE], "post": "yes"})
            continue
        page = sweep("post", changelist, {"action": name, ACTION_CHECKBOX_NAME: real})
        form = (page.context or {}).get("form") if page is not None and page.context else None
        fields = list(form.fields) if form is not None and hasattr(form, "fields") else []
        for value in _rotate(HOSTILE, 1, i):
            garbage = dict.fromkeys(fields, value) | {"apply": "1", "post": "yes", "confirm": "yes"}
            sweep("post", changelist, {"action": name, ACTION_CHECKBOX_NAME: real, **garbage})


def _object_pages(sweep: Sweep, model, model_admin) -> None:
    """Every URL of the admin but its list, with each id in BAD_IDS (and the first row's, with
    garbage posted), asked and posted; the add and change forms posted with garbage."""
    opts = model._meta
    row = model_admin.get_queryset(_request(sweep)).order_by("pk").first() if opts.managed else None
    real = str(row.pk) if row is not None else None
    for k, pattern in enumerate(p for p in model_admin.get_urls() if isinstance(p, URLPattern)):
        route = str(pattern.pattern)
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if not names or (pattern.name or "").endswith("_changelist"):
            continue
        converters = dict(re.findall(r"<(\w+):(\w+)>", route))
        custom = not (pattern.name or "").endswith(STOCK_URL_NAMES)
        ids = BAD_IDS if custom else _rotate(BAD_IDS, 2, k * 2)
        for bad in ids:
            digits = bad.isascii() and bad.isdigit()
            values = {n: bad if converters.get(n) != "int" or digits else HUGE for n in names}
            url = f"/admin/{opts.app_label}/{opts.model_name}/" + _url(route, values)
            sweep("get", url)
            if custom:
                sweep("post", url, {"x": bad, "post": "yes", "apply": "1", "confirm": "yes"})
        if real is not None and pattern.name and not pattern.name.endswith("_delete"):
            url = f"/admin/{opts.app_label}/{opts.model_name}/" + _url(route, dict.fromkeys(names, real))
            sweep("get", url, {"canned": "²", "_changelist_filters": "o=x&p=-1", "p": HUGE})
            for value in _rotate(HOSTILE, 2, k * 2) if custom else []:
                sweep("post", url, {"apply": "1", "confirm": "yes", "x": value})
    add = f"/admin/{opts.app_label}/{opts.model_name}/add/"
    forms = [add] + ([f"/admin/{opts.app_label}/{opts.model_name}/{real}/change/"] if real else [])
    for n, url in enumerate(forms):
        page = sweep("get", url)
        admin_form = (page.context or {}).get("adminform") if page is not None and page.context else None
        fields = list(admin_form.form.fields) if admin_form is not None else []
        for value in _rotate(HOSTILE, 2, n * 5 + len(fields)):
            sweep("post", url, dict.fromkeys(fields, value))


def _request(sweep: Sweep):
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(pk=sweep.client.session["_auth_user_id"])
    return request


@pytest.mark.parametrize(("model", "model_admin"), _admins(), ids=lambda v: getattr(v, "_meta", v).__str__())
def test_no_input_to_a_model_admin_answers_5xx(desk, model, model_admin):
    _changelist(desk, model, model_admin)
    _object_pages(desk, model, model_admin)
    desk.assert_none()


def test_no_input_to_the_admin_sites_own_pages_answers_5xx(desk):
    from django.contrib.contenttypes.models import ContentType

    ticket_type = str(ContentType.objects.get(app_label="tickets", model="ticket").pk)
    for content_type, object_id in itertools.product(["x", HUGE, "0", ticket_type], ["x", HUGE, "-1", "²"]):
        desk("get", f"/admin/r/{content_type}/{object_id}/")
    autocomplete = "/admin/autocomplete/"
    for query in (
        {},
        {"app_label": "x", "model_name": "y", "field_name": "z"},
        {"app_label": "tickets", "model_name": "ticket", "field_name": "organization", "term": "x" * 10_000},
        {
            "app_label": "tickets",
            "model_name": "ticket",
            "field_name": "requester",
            "term": RTL,
            "page": "-1",
        },
        {"app_label": "tickets", "model_name": "ticket", "field_name": "vendor", "page": "x"},
        {"app_label": "tickets", "model_name": "ticket", "field_name": "subject"},
    ):
        desk("get", autocomplete, query)
    for value in ["nosuch", "tickets", "x" * 10_000]:
        desk("get", f"/admin/{quote(value)}/")
        desk("get", f"/admin/tickets/{quote(value)}/")
    desk("post", "/admin/tickets/ticket/views/save/", {"name": LONG, "query": "x" * 10_000, "shared": "x"})
    desk("post", "/admin/tickets/ticket/views/save/", {"name": RTL, "query": "%&=&&o=x"})
    desk("get", "/admin/tickets/ticket/views/save/")
    desk("post", "/admin/password_change/", {"old_password": LONG, "new_password1": RTL, "new_password2": ""})
    desk("get", "/admin/jsi18n/", {"language": "x"})
    desk.assert_none()
