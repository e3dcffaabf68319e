"""The portal's shell: home page and the signed-in person's profile."""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from policies.selectors import vendor_list

from .models import Profile
from .selectors import user_membership


def home(request):
    return render(request, "portal/home.html", {"vendors": vendor_list(), "membership": user_membership(request.user)})


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField()
    timezone = forms.ChoiceField(
        label="Time zone", required=False,
        choices=[("", "My organization's time zone")] + [(z, z) for z in sorted(available_timezones())],
    )


@login_required
def profile(request):
    user = request.user
    profile_row, _ = Profile.objects.get_or_create(user=user)
    initial = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
               "timezone": profile_row.timezone}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        for field in ("first_name", "last_name", "email"):
            setattr(user, field, form.cleaned_data[field])
        user.full_clean()
        user.save()
        profile_row.timezone = form.cleaned_data["timezone"]
        profile_row.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(request, "portal/profile.html", {"form": form, "membership": user_membership(user)})
