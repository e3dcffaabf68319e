"""Public pages: each vendor's policy in plain words, with an SLA calculator."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .describe import calendar_summary, upcoming_holidays
from .models import Vendor
from .selectors import vendor_list, version_detail, version_in_force, version_scheduled
from .services import policy_version_reductions, sla_preview
from .words import texts_notice

COMMON_ZONES = [
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
]


class CalculatorForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"))
    opened_at = forms.DateTimeField(
        label=_("Opened at (your local time)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    timezone = forms.ChoiceField(label=_("Your time zone"), choices=[(z, z) for z in COMMON_ZONES])

    def __init__(self, *args, priorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = [(p.code, p.shown_name) for p in priorities]


def vendor_index(request):
    return render(request, "policies/index.html", {"vendors": vendor_list()})


def vendor_policy(request, slug: str):
    vendor = get_object_or_404(Vendor, slug=slug)
    version = version_in_force(vendor=vendor)
    if version is None:
        raise Http404(_("No policy in force"))
    scheduled = version_scheduled(vendor=vendor)
    # The change ahead, announced with its date and what it gives customers less of (SPEC §1).
    reductions = policy_version_reductions(draft=scheduled, current=version) if scheduled else []
    version = version_detail(version)
    priorities = list(version.priorities.all())
    form = CalculatorForm(request.GET or None, priorities=priorities)
    preview = zone = None
    if form.is_valid():
        zone = ZoneInfo(form.cleaned_data["timezone"])
        opened_at = form.cleaned_data["opened_at"].replace(tzinfo=None).replace(tzinfo=zone)
        try:
            preview = sla_preview(
                vendor=vendor, priority_code=form.cleaned_data["priority"], opened_at=opened_at
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
    calendars = [
        {
            "calendar": c,
            "summary": calendar_summary(c),
            "holidays": upcoming_holidays(c, start=timezone.localdate()),
        }
        for c in version.calendars.all()
    ]
    return render(
        request,
        "policies/vendor.html",
        {
            "vendor": vendor,
            "version": version,
            "scheduled": scheduled,
            "reductions": reductions,
            "priorities": priorities,
            "calendars": calendars,
            "form": form,
            "preview": preview,
            "zone": zone,
            "around_the_clock": calendar_summary(None),
            "texts_notice": texts_notice(version),
            "texts_language": version.texts_language(),
        },
    )
