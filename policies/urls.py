from django.urls import path

from . import views

app_name = "policies"
urlpatterns = [
    path("", views.vendor_index, name="index"),
    path("<slug:slug>/", views.vendor_policy, name="vendor"),
]
