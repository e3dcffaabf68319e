"""A NUL character in an address's parameters answers 400 naming the parameter, on every page and
API path (config.limits.WellFormedRequest). PostgreSQL refuses NUL in text ("PostgreSQL text fields
cannot contain NUL (0x00) bytes"), so a filter that passed one to a query was a 500 there: the
report's ?organization=, the case form's ?vendor=, the admin's list filters (?kind=, ?status=)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

NUL = "a\x00b"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/tickets/new/", "vendor"),
        ("/tickets/", "status"),
        ("/reports/", "organization"),
        ("/reports/compliance.csv", "organization"),
    ],
)
def test_a_page_answers_400_naming_the_parameter(client, customer, vendors, path, parameter):
    client.force_login(customer)
    response = client.get(path, {parameter: NUL, "month": "2026-11"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.content.decode() == f"“{parameter}”: Null characters are not allowed."


def test_the_api_answers_400_with_the_parameter_named(client, customer, vendors):
    client.force_login(customer)
    response = client.get("/api/tickets/", {"search": NUL})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"search": ["Null characters are not allowed."]}


@pytest.mark.parametrize("parameter", ["kind", "status", "priority", "channel", "q"])
def test_the_admins_lists_answer_400(client, agent, verified_login, parameter):
    verified_login(client, agent)
    response = client.get("/admin/tickets/ticket/", {parameter: NUL})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_the_refusal_is_in_the_readers_language(client, customer, vendors):
    client.force_login(customer)
    response = client.get("/tickets/new/", {"vendor": NUL}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "«vendor»" in response.content.decode() or "“vendor”" in response.content.decode()
    assert "Null characters are not allowed." not in response.content.decode()


def test_a_nul_in_a_parameters_name_is_refused_too(client, customer):
    client.force_login(customer)
    assert client.get("/tickets/?a%00b=1").status_code == HTTPStatus.BAD_REQUEST


def test_an_encoded_percent_is_no_nul(client, customer):
    client.force_login(customer)
    assert client.get("/tickets/?search=100%2500").status_code == HTTPStatus.OK


def test_a_nul_in_the_case_forms_vendor_answers_400(client, customer, vendors):
    """The case form reads the chosen vendor from the posted form to draw its panel: a NUL there
    reached the vendor's query (PostgreSQL's 500)."""
    client.force_login(customer)
    response = client.post("/tickets/new/", {"vendor": NUL, "priority": "high", "subject": "S", "body": "B"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.content.decode() == "“vendor”: Null characters are not allowed."


def _case(customer, vendors):
    from tickets.services import ticket_open

    return ticket_open(
        organization=customer.membership.organization,
        requester=customer,
        vendor=vendors["alectrona"],
        priority="high",
        subject="S",
        body="B",
    )


def test_a_nul_in_a_posted_form_field_answers_400_naming_it(client, customer, vendors):
    """A form's field that saves its text as it comes (the on-site visit's address) was a 500 on
    PostgreSQL; the refusal names the field, and nothing is saved."""
    from tickets.models import Ticket

    ticket = _case(customer, vendors)
    client.force_login(customer)
    response = client.post(f"/tickets/{ticket.number}/onsite/", {"address": NUL, "confirm_billable": "on"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.content.decode() == "“address”: Null characters are not allowed."
    assert Ticket.objects.get(pk=ticket.pk).onsite_requested is False


def test_a_nul_in_a_saved_views_name_answers_400(client, agent, verified_login):
    from tickets.models import SavedView

    verified_login(client, agent)
    response = client.post("/admin/tickets/ticket/views/save/", {"name": NUL, "query": "status=new"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not SavedView.objects.exists()


def test_a_form_without_nul_goes_through(client, agent, verified_login):
    from tickets.models import SavedView

    verified_login(client, agent)
    response = client.post("/admin/tickets/ticket/views/save/", {"name": "Mine", "query": "status=new"})
    assert response.status_code == HTTPStatus.FOUND
    assert SavedView.objects.filter(name="Mine").exists()


@pytest.mark.parametrize("path", ["/tickets/ALC%00/", "/policies/a%00b/"])
def test_a_nul_in_a_pages_path_is_not_found(client, customer, path):
    client.force_login(customer)
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    "path", ["/api/tickets/ALC%00/", "/api/tickets/ALC%00/followers/", "/api/vendors/a%00b/policy/"]
)
def test_a_nul_in_an_api_path_is_not_found_in_json(client, customer, path):
    client.force_login(customer)
    response = client.get(path)
    assert (response.status_code, response.json()) == (HTTPStatus.NOT_FOUND, {"detail": "Not found."})


# A JSON body under /api/ (portal.parsers.JSONParser): a NUL anywhere in it, in a value, a list's
# item, a nested object's value or any object's key, answers 400 naming where it is, as DRF names a
# field ({"field": ["…"]}, a list's item or nested key one level further down), and saves nothing.
# DRF's CharField refused a NUL in a top-level string already; the rest passed: a key, or a value
# the serializer does not read, went by unseen (the case was opened), and one of the wrong type was
# refused as "Not a valid string." (a field that is no CharField, a ChoiceField or a lookup, meets
# PostgreSQL's "cannot contain NUL" only through the parser now).
NUL_REFUSED = ["Null characters are not allowed."]
CASE = {"vendor": "alectrona", "priority": "high", "subject": "S", "body": "B"}


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"vendor": NUL}, {"vendor": NUL_REFUSED}),
        ({"priority": NUL}, {"priority": NUL_REFUSED}),
        ({"kind": NUL}, {"kind": NUL_REFUSED}),
        ({"priority": [NUL]}, {"priority": {"0": NUL_REFUSED}}),
        ({"product": {"id": NUL}}, {"product": {"id": NUL_REFUSED}}),
        ({"extra": [1, {"name": NUL}]}, {"extra": {"1": {"name": NUL_REFUSED}}}),
        ({NUL: "x"}, {"ab": NUL_REFUSED}),
        ({"extra": {NUL: 1}}, {"extra": {"ab": NUL_REFUSED}}),
    ],
)
def test_a_nul_in_a_json_body_answers_400_naming_where(customer, vendors, change, refusal):
    from rest_framework.test import APIClient

    from tickets.models import Ticket

    client = APIClient()
    client.force_authenticate(customer)
    response = client.post("/api/tickets/", {**CASE, **change}, format="json")
    assert (response.status_code, response.json()) == (HTTPStatus.BAD_REQUEST, refusal)
    assert not Ticket.objects.exists()


def test_a_nul_in_a_json_patch_is_refused_too(customer, vendors):
    """A field the case's PATCH does not take (its vendor) was passed over: 200, as if accepted."""
    from rest_framework.test import APIClient

    from tickets.models import Ticket

    ticket = _case(customer, vendors)
    client = APIClient()
    client.force_authenticate(customer)
    response = client.patch(
        f"/api/tickets/{ticket.number}/", {"status": "closed", "vendor": NUL}, format="json"
    )
    assert (response.status_code, response.json()) == (HTTPStatus.BAD_REQUEST, {"vendor": NUL_REFUSED})
    assert Ticket.objects.get(pk=ticket.pk).status != "closed"


def test_a_json_body_without_nul_goes_through(customer, vendors):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(customer)
    response = client.post("/api/tickets/", {**CASE, "body": "100%00 \\x00 \\u0000"}, format="json")
    assert response.status_code == HTTPStatus.CREATED
