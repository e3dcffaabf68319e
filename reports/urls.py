from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report, name="report"),
    path("print/", views.report_print, name="print"),
    path("compliance.csv", views.compliance_csv, name="compliance-csv"),
    path("availability.csv", views.availability_csv, name="availability-csv"),
    path("periods/<slug:organization>/<slug:vendor>/<str:month>/", views.period, name="period"),
]
