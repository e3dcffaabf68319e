from django.urls import path

from . import downloads, views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_open_view, name="open"),
    path("new/panel/", views.ticket_open_panel, name="open_panel"),
    path("new/markdown-preview/", views.markdown_preview, name="markdown_preview"),
    path("<str:number>/", views.ticket_detail, name="detail"),
    path("<str:number>/reply/", views.ticket_reply, name="reply"),
    path("<str:number>/close/", views.ticket_close_view, name="close"),
    path("<str:number>/reopen/", views.ticket_reopen_view, name="reopen"),
    path("<str:number>/follow/", views.ticket_follow, name="follow"),
    path("<str:number>/unfollow/", views.ticket_unfollow, name="unfollow"),
    path("<str:number>/split/", views.ticket_split_view, name="split"),
    path("<str:number>/attachments/<int:attachment_id>/", downloads.attachment_download, name="attachment"),
]
