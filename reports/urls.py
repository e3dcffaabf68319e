from django.urls import path

from . import views
from .billing import views as statements

app_name = "reports"
urlpatterns = [
    path("", views.report, name="report"),
    path("print/", views.report_print, name="print"),
    path("compliance.csv", views.compliance_csv, name="compliance-csv"),
    path("availability.csv", views.availability_csv, name="availability-csv"),
    path("periods/<slug:organization>/<slug:vendor>/<str:month>/", views.period, name="period"),
    path("vendors/", views.vendor_responsiveness, name="vendor-responsiveness"),
    path("statements/", statements.statement_list, name="statements"),
    path("statements/<int:contract_id>/<str:month>/", statements.statement_detail, name="statement"),
    path(
        "statements/<int:contract_id>/<str:month>/print/",
        statements.statement_detail,
        {"printable": True},
        name="statement-print",
    ),
    path(
        "statements/<int:contract_id>/<str:month>/statement.csv",
        statements.statement_csv,
        name="statement-csv",
    ),
    path(
        "statements/<int:contract_id>/<str:month>/close/",
        statements.statement_close_view,
        name="statement-close",
    ),
]
