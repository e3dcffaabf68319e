"""The portal core's pages: the signed-in person's profile (name, email, time zone, optional
emails). The home page lists the vendors, so it belongs to the shell above policies (config.views)."""

from __future__ import annotations

from http import HTTPStatus
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .clientip import client_ip
from .errors import BadInput
from .models import MANDATORY_NOTICES, NoticeKind, NoticePreference, Profile
from .ratelimit import allow
from .selectors import user_api_tokens, user_membership
from .services import api_token_create, api_token_revoke, notice_preference_set

# The new key travels to the next page in the session, shown there once, then forgotten.
NEW_KEY_SESSION = "portal.new_api_key"


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField()
    timezone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=[("", "My organization's time zone")] + [(z, z) for z in sorted(available_timezones())],
    )


CUSTOMER_NOTICES = [
    NoticeKind.TICKET_RECEIVED,
    NoticeKind.STAFF_REPLY,
    NoticeKind.WAITING_ON_YOU,
    NoticeKind.TICKET_RESOLVED,
    NoticeKind.PRIORITY_CHANGED,
]
STAFF_NOTICES = [
    NoticeKind.NEW_CASE,
    NoticeKind.CUSTOMER_REPLY,
    NoticeKind.SLA_WARNING,
    NoticeKind.SLA_ESCALATION,
]


class NoticePreferenceForm(forms.Form):
    """The optional emails, ticked when wanted; those a vendor's policy promises are listed, not offered."""

    wanted = forms.MultipleChoiceField(
        label="Emails I want", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = CUSTOMER_NOTICES + (STAFF_NOTICES if user.is_staff else [])
        self.fields["wanted"].choices = [(kind.value, kind.label) for kind in kinds]
        self.mandatory = [kind.label for kind in NoticeKind if kind in MANDATORY_NOTICES]


@login_required
def profile(request):
    user = request.user
    profile_row, _ = Profile.objects.get_or_create(user=user)
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "timezone": profile_row.timezone,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    preference = NoticePreference.objects.filter(user=user).first()
    muted = preference.muted_kinds if preference else []
    notices_form = NoticePreferenceForm(
        request.POST or None,
        user=user,
        prefix="notices",
        initial={"wanted": [k for k in CUSTOMER_NOTICES + STAFF_NOTICES if k not in muted]},
    )
    if request.method == "POST" and form.is_valid() and notices_form.is_valid():
        for field in ("first_name", "last_name", "email"):
            setattr(user, field, form.cleaned_data[field])
        user.full_clean()
        user.save()
        profile_row.timezone = form.cleaned_data["timezone"]
        profile_row.save()
        if "notices-shown" in request.POST:  # a form without the section leaves the choices alone
            offered = [value for value, _ in notices_form.fields["wanted"].choices]
            notice_preference_set(user=user, wanted=notices_form.cleaned_data["wanted"], offered=offered)
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(
        request,
        "portal/profile.html",
        {
            "form": form,
            "notices_form": notices_form,
            "membership": user_membership(user),
            "api_tokens": user_api_tokens(user),
            "api_token_form": ApiTokenForm(),
            "new_api_key": request.session.pop(NEW_KEY_SESSION, None),
        },
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="What the token is for", max_length=100, required=False)


@login_required
@require_POST
def api_token_new(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        _, key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        request.session[NEW_KEY_SESSION] = key
        messages.success(request, "Your new API token is below: copy it now, it is not shown again.")
    return redirect("profile")


@login_required
@require_POST
def api_token_delete(request, token_id: int):
    if not api_token_revoke(user=request.user, token_id=token_id):
        raise Http404("No such token.")
    messages.success(request, "The token is revoked.")
    return redirect("profile")


def bad_request(request, exception):
    """handler400: a BadInput names its parameter and what it takes; any other 400 (a
    suspicious host, a malformed body) says nothing about what Django found."""
    context = {}
    if isinstance(exception, BadInput):
        context = {"field": exception.field, "message": exception.message}
    return render(request, "400.html", context, status=HTTPStatus.BAD_REQUEST)


RESET_WINDOW_SECONDS = 3600


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, throttled (issue 18 point 6): one address may ask
    PASSWORD_RESET_PER_ADDRESS_PER_HOUR times an hour (then 429), and one email address receives at
    most PASSWORD_RESET_PER_EMAIL_PER_HOUR links an hour. Past the second cap the page answers as
    always and sends nothing, so it tells no one whether the address has an account."""

    def post(self, request, *args, **kwargs):
        allowed = allow(
            scope="reset-address",
            key=client_ip(request),
            limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR,
            window_seconds=RESET_WINDOW_SECONDS,
        )
        if not allowed:
            return render(request, "429.html", status=HTTPStatus.TOO_MANY_REQUESTS)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        allowed = allow(
            scope="reset-email",
            key=form.cleaned_data["email"],
            limit=settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR,
            window_seconds=RESET_WINDOW_SECONDS,
        )
        if not allowed:
            return redirect(self.get_success_url())
        return super().form_valid(form)
