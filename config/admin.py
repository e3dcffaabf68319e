"""The admin's home page is the desk's: the shell knows every app, so it orders them.

First a "Desk" section (the triage list, the quarantine of unmatched email, the dashboard), then
the support apps in the order an agent needs them, and the framework's own tables (accounts,
lock-outs, periodic tasks, API tokens) last. Autodiscovered like any app's admin module.

And what every ModelAdmin (the framework's and third parties' too) reads of a request and cannot
use answers 400 naming it, or is shown as nothing chosen, instead of a 500 (tests/portal/
test_admin_hostile.py): an action's selection (`_selected_action`) that is no id of the model's
key ("x" was a ValueError in Django's `pk__in`), a date drill-down's year, month or day past any
calendar's (an OverflowError in Django's datetime()), and a posted autocomplete field's value that
is no id of its model, once the form is shown again with its errors (a ValueError in the widget's
`id__in`). Ids past the column's integers are portal.lookups' to leave out.

And a list's search reads the first MAX_WORDS words typed, as the portal's and the API's search
do (tickets.selectors.search_words): Django's own ANDs one OR of every search field per word, and
900 words made PostgreSQL plan and run one statement for over a minute on a billing list."""

from __future__ import annotations

import itertools
from functools import wraps

from django.contrib import admin
from django.contrib.admin import options, widgets
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.text import smart_split
from django.utils.translation import gettext_lazy as _

from portal.errors import BadInput
from tickets.selectors import MAX_WORDS

NOT_AN_ID = _("choose the rows from the list: that is no row's id.")
NOT_A_DATE = _("a year, month or day of the calendar.")
DRILL_DOWN_PARTS = ("year", "month", "day")

# App labels in the order the desk works; anything not named comes after them, the framework last.
DESK_APPS = ["tickets", "mailroom", "reports", "policies", "lifecycle", "portal"]
FRAMEWORK_APPS = ["auth", "authtoken", "axes", "django_celery_beat", "otp_totp", "otp_static", "sites"]
# (label, URL name) of the Desk section; a link whose admin is not installed is left out.
DESK_LINKS = [
    ("Cases", "admin:tickets_ticket_changelist"),
    ("Quarantine", "admin:mailroom_quarantinedmessage_changelist"),
    ("Dashboard", "admin:reports_dashboard_changelist"),
]
# Within an app, its main table first (the rest stay alphabetical).
FIRST_MODEL = {"tickets": "ticket", "policies": "policyversion"}


def _rank(app: dict) -> tuple[int, int, str]:
    label = app["app_label"]
    if label in DESK_APPS:
        return (0, DESK_APPS.index(label), "")
    if label in FRAMEWORK_APPS:
        return (2, FRAMEWORK_APPS.index(label), "")
    return (1, 0, app["name"].lower())


def _desk_section() -> dict:
    links = []
    for name, url_name in DESK_LINKS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        links.append(
            {"name": name, "object_name": name, "admin_url": url, "add_url": None, "view_only": True}
        )
    return {
        "name": "Desk",
        "app_label": "desk",
        "app_url": reverse("admin:tickets_ticket_changelist"),
        "has_module_perms": True,
        "models": links,
    }


def desk_app_list(request, app_label=None) -> list[dict]:
    apps = sorted(_stock_app_list(request, app_label), key=_rank)
    for app in apps:
        first = FIRST_MODEL.get(app["app_label"])
        app["models"].sort(key=lambda model: (model["object_name"].lower() != first, model["name"]))
    if app_label is None and any(app["app_label"] == "tickets" for app in apps):
        apps.insert(0, _desk_section())
    return apps


_stock_app_list = admin.site.get_app_list  # the framework's, bound to the site: alphabetical
admin.site.get_app_list = desk_app_list


def _is_id(field, value) -> bool:
    """Whether `value` could be the key `field` holds (an integer for an integer key)."""
    try:
        return field.to_python(value) is not None
    except ValidationError:
        return False


def _check_input(model_admin: admin.ModelAdmin, request) -> None:
    if request.method == "POST":
        key = model_admin.model._meta.pk
        if not all(_is_id(key, value) for value in request.POST.getlist(ACTION_CHECKBOX_NAME)):
            raise BadInput(ACTION_CHECKBOX_NAME, NOT_AN_ID)
    if model_admin.date_hierarchy:
        for part in DRILL_DOWN_PARTS:
            name = f"{model_admin.date_hierarchy}__{part}"
            for value in request.GET.getlist(name):
                try:
                    past = abs(int(value)) > 9999
                except ValueError:
                    continue  # Django's own: "Incorrect lookup parameters" (?e=1)
                if past:
                    raise BadInput(name, NOT_A_DATE)


def _checked(view):
    model_admin = getattr(view, "__self__", None)
    if not isinstance(model_admin, admin.ModelAdmin):
        return view

    @wraps(view)
    def checked(request, *args, **kwargs):
        _check_input(model_admin, request)
        return view(request, *args, **kwargs)

    return checked


_stock_admin_view = admin.site.admin_view  # every ModelAdmin's views pass through it, on each request
admin.site.admin_view = lambda view, cacheable=False: _stock_admin_view(_checked(view), cacheable)


class _ChosenIds:
    """An autocomplete field shows as chosen only the posted values that are ids of its model."""

    def optgroups(self, name, value, attr=None):
        opts = self.field.remote_field.model._meta
        target = opts.get_field(getattr(self.field.remote_field, "field_name", opts.pk.attname))
        return super().optgroups(name, [v for v in value if _is_id(target, v)], attr)


class AutocompleteSelect(_ChosenIds, widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(_ChosenIds, widgets.AutocompleteSelectMultiple):
    pass


# The widgets ModelAdmin.formfield_for_foreignkey / _for_manytomany give autocomplete_fields.
options.AutocompleteSelect = AutocompleteSelect
options.AutocompleteSelectMultiple = AutocompleteSelectMultiple


_stock_search = options.ModelAdmin.get_search_results


def _first_words_search(model_admin, request, queryset, search_term):
    """Django's search on the first MAX_WORDS words (a quoted phrase is one word, as Django reads it)."""
    words = list(itertools.islice(smart_split(search_term), MAX_WORDS))
    return _stock_search(model_admin, request, queryset, " ".join(words))


options.ModelAdmin.get_search_results = _first_words_search
