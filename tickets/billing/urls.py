"""The portal's pages for Infotecs' services (issue 21), included by config.urls."""

from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("tickets/<str:number>/onsite/", views.onsite_request_view, name="onsite"),
    path("tickets/<str:number>/quotes/<int:order_id>/accept/", views.quote_accept_view, name="quote-accept"),
    path(
        "tickets/<str:number>/quotes/<int:order_id>/decline/", views.quote_decline_view, name="quote-decline"
    ),
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_new, name="order-new"),
    path("orders/pilot/", views.pilot_new, name="pilot-new"),
    path("orders/<int:order_id>/accept/", views.order_accept_view, name="order-accept"),
    path("orders/<int:order_id>/decline/", views.order_decline_view, name="order-decline"),
]
