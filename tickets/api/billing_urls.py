"""Issue 21's API routes, included under /api/ by config.urls ahead of tickets.api_urls (whose
catch-all answers any other path under tickets/ with the API's 404)."""

from __future__ import annotations

from django.urls import path

from . import billing
from .conversation import not_found_under

urlpatterns = [
    path("tickets/<str:number>/work/", billing.WorkCollectionApi.as_view(), name="ticket-work"),
    path("tickets/<str:number>/expenses/", billing.ExpenseCollectionApi.as_view(), name="ticket-expenses"),
    path(
        "tickets/<str:number>/remote-sessions/",
        billing.RemoteSessionCollectionApi.as_view(),
        name="ticket-remote-sessions",
    ),
    path("tickets/<str:number>/onsite/", billing.OnsiteVisitApi.as_view(), name="ticket-onsite"),
    path(
        "tickets/<str:number>/onsite/schedule/",
        billing.OnsiteScheduleApi.as_view(),
        name="ticket-onsite-schedule",
    ),
    path(
        "tickets/<str:number>/onsite/arrival/",
        billing.OnsiteArrivalApi.as_view(),
        name="ticket-onsite-arrival",
    ),
    path(
        "tickets/<str:number>/classification/",
        billing.ClassificationApi.as_view(),
        name="ticket-classification",
    ),
    path("tickets/<str:number>/quotes/", billing.QuoteCollectionApi.as_view(), name="ticket-quotes"),
    path(
        "tickets/<str:number>/quotes/<int:order_id>/accept/",
        billing.QuoteAcceptApi.as_view(),
        name="ticket-quote-accept",
    ),
    path(
        "tickets/<str:number>/quotes/<int:order_id>/decline/",
        billing.QuoteDeclineApi.as_view(),
        name="ticket-quote-decline",
    ),
    path("orders/", billing.OrderCollectionApi.as_view(), name="order-list"),
    path("orders/<int:order_id>/", billing.OrderItemApi.as_view(), name="order-detail"),
    path("orders/<int:order_id>/accept/", billing.OrderAcceptApi.as_view(), name="order-accept"),
    path("orders/<int:order_id>/decline/", billing.OrderDeclineApi.as_view(), name="order-decline"),
    path("orders/<int:order_id>/quote/", billing.OrderQuoteApi.as_view(), name="order-quote"),
    path("orders/<int:order_id>/deliver/", billing.OrderDeliverApi.as_view(), name="order-deliver"),
    path("pilots/", billing.PilotCollectionApi.as_view(), name="pilot-list"),
    # Anything else under orders/ or pilots/ answers the API's JSON 404, not the site's HTML page.
    not_found_under("orders", "pilots", name="order-not-found"),
]
