"""The admin's home page is the desk's: the shell knows every app, so it orders them.

First a "Desk" section (the triage list, the quarantine of unmatched email, the dashboard), then
the support apps in the order an agent needs them, and the framework's own tables (accounts,
lock-outs, periodic tasks, API tokens) last. Autodiscovered like any app's admin module."""

from __future__ import annotations

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

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
