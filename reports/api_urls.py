from django.urls import path

from . import api

urlpatterns = [
    path("outages/", api.OutageCreateApi.as_view(), name="outage-create"),
    path("outages/<int:outage_id>/end/", api.OutageEndApi.as_view(), name="outage-end"),
]
