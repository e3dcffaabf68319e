from django.urls import path

from . import views

app_name = "lifecycle"
urlpatterns = [
    path("", views.my_products, name="my-products"),
    path("calendar/regenerate/", views.calendar_regenerate, name="calendar-regenerate"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
]
