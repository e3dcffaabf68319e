from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from lifecycle import views as lifecycle_views
from policies import api as policies_api
from portal import views as portal_views
from portal.middleware import API_PREFIX

from . import views

api_patterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("vendors/", policies_api.VendorListApi.as_view(), name="vendor-list"),
    path("vendors/<str:slug>/policy/", policies_api.VendorPolicyApi.as_view(), name="vendor-policy"),
    path("sla/preview/", policies_api.SlaPreviewApi.as_view(), name="sla-preview"),
    path("", include("tickets.api.billing_urls")),  # issue 21: before tickets' catch-all
    path("", include("tickets.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("lifecycle.api_urls")),
]

urlpatterns = [
    # First: no page pattern takes a path under api/ (tests/config/test_urls.py), and an API request
    # no longer tries some 60 of them before its own.
    path(API_PREFIX.removeprefix("/"), include((api_patterns, "api"))),  # portal.middleware.is_api_path
    path("", views.home, name="home"),
    path("profile/", portal_views.profile, name="profile"),
    # The footer's language switch (Django's set_language, which also saves a signed-in person's choice).
    path("i18n/setlang/", portal_views.set_language, name="set_language"),
    # The words of static/js in the reader's language (the djangojs catalog of locale/), a script file
    # like any other under the CSP; the portal's own strings only, not every app's.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["portal"]), name="javascript-catalog"),
    path("accounts/email/confirm/<str:token>/", portal_views.email_confirm, name="email-confirm"),
    path("profile/tokens/", portal_views.api_token_new, name="api-token-create"),
    path("profile/tokens/<int:token_id>/revoke/", portal_views.api_token_delete, name="api-token-revoke"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", portal_views.two_factor_verify, name="two-factor-verify"),
    path("accounts/two-factor/setup/", portal_views.two_factor_setup, name="two-factor-setup"),
    path(
        "accounts/two-factor/recovery-codes/",
        portal_views.two_factor_recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("accounts/two-factor/off/", portal_views.two_factor_off, name="two-factor-off"),
    path("accounts/password_reset/", portal_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("policies/", include("policies.urls")),
    path("tickets/", include("tickets.urls")),
    path("tickets/", include("mailroom.urls")),  # a case's original emails
    path("", include("tickets.billing.urls")),  # issue 21: a case's services, orders and pilots
    path("reports/", include("reports.urls")),
    path("products/", include("lifecycle.urls")),
    path("lifecycle/", lifecycle_views.public_lifecycle, name="public-lifecycle"),
    path("lifecycle/calendar.ics", lifecycle_views.public_calendar, name="public-lifecycle-calendar"),
    path("admin/", admin.site.urls),
]

# A page refusing a parameter (portal.errors.BadInput) answers 400 naming it.
handler400 = "portal.views.bad_request"
