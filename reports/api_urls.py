from django.urls import path

from tickets.api import not_found_under

from . import api
from .billing import api as statements

urlpatterns = [
    path("statements/", statements.StatementListApi.as_view(), name="statement-list"),
    path(
        "statements/<int:contract_id>/<str:month>/",
        statements.StatementDetailApi.as_view(),
        name="statement-detail",
    ),
    # Anything else under statements/ answers the API's JSON 404, not the site's HTML page.
    not_found_under("statements", name="statement-not-found"),
    path("outages/", api.OutageCreateApi.as_view(), name="outage-create"),
    path("outages/<int:outage_id>/", api.OutageRescheduleApi.as_view(), name="outage-reschedule"),
    path("outages/<int:outage_id>/end/", api.OutageEndApi.as_view(), name="outage-end"),
    path("outages/<int:outage_id>/cancel/", api.OutageCancelApi.as_view(), name="outage-cancel"),
    path(
        "periods/<slug:organization>/<slug:vendor>/<str:month>/",
        api.PeriodDetailApi.as_view(),
        name="period-detail",
    ),
    path(
        "periods/<slug:organization>/<slug:vendor>/<str:month>/reviews/",
        api.PeriodReviewApi.as_view(),
        name="period-reviews",
    ),
    path(
        "periods/<slug:organization>/<slug:vendor>/<str:month>/close/",
        api.PeriodCloseApi.as_view(),
        name="period-close",
    ),
]
