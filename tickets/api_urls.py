"""The tickets API, included under /api/ by config.urls (names in the "api" namespace)."""

from __future__ import annotations

from django.urls import path

from . import api
from .api.chases import ChaseCollectionApi
from .api.vendors import VendorAnsweredApi, VendorHandoffCollectionApi

urlpatterns = [
    path("tickets/", api.TicketCollectionApi.as_view(), name="ticket-list"),
    path("tickets/<str:number>/", api.TicketItemApi.as_view(), name="ticket-detail"),
    path("tickets/<str:number>/replies/", api.ReplyCollectionApi.as_view(), name="ticket-replies"),
    path("tickets/<str:number>/exclusions/", api.ExclusionCollectionApi.as_view(), name="ticket-exclusions"),
    path("tickets/<str:number>/decline/", api.DeclineApi.as_view(), name="ticket-decline"),
    path("tickets/<str:number>/chases/", ChaseCollectionApi.as_view(), name="ticket-chases"),
    path("tickets/<str:number>/vendor/", VendorHandoffCollectionApi.as_view(), name="ticket-vendor"),
    path("tickets/<str:number>/vendor/answered/", VendorAnsweredApi.as_view(), name="ticket-vendor-answered"),
    path("tickets/<str:number>/attachments/", api.AttachmentUploadApi.as_view(), name="ticket-attachments"),
    path(
        "tickets/<str:number>/attachments/<str:attachment_id>/",
        api.AttachmentDownloadApi.as_view(),
        name="ticket-attachment",
    ),
    path("tickets/<str:number>/merge/", api.TicketMergeApi.as_view(), name="ticket-merge"),
    path("tickets/<str:number>/split/", api.TicketSplitApi.as_view(), name="ticket-split"),
    path("tickets/<str:number>/followers/", api.FollowerCollectionApi.as_view(), name="ticket-followers"),
    path(
        "tickets/<str:number>/followers/<str:username>/",
        api.FollowerItemApi.as_view(),
        name="ticket-follower",
    ),
    # Anything else under tickets/ answers the API's JSON 404, not the site's HTML page.
    api.not_found_under("tickets", name="ticket-not-found"),
]
