from django.urls import path

from . import downloads

app_name = "mailroom"
urlpatterns = [
    path("<str:number>/emails/<int:message_id>/", downloads.original_download, name="original"),
]
