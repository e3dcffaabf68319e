"""The portal core's pages: the signed-in person's profile (name, email, time zone, optional
emails). The home page lists the vendors, so it belongs to the shell above policies (config.views)."""

from __future__ import annotations

import base64
from http import HTTPStatus
from importlib import resources
from zoneinfo import available_timezones

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from .clientip import client_ip
from .emailchange import LinkRefused, email_change_confirm, email_change_request
from .errors import BadInput
from .forms import PasswordResetForm
from .models import MANDATORY_NOTICES, NoticeKind, NoticePreference, Profile
from .ratelimit import allow
from .selectors import user_api_tokens, user_membership, user_organization
from .services import api_token_create, api_token_revoke, notice_preference_set, profile_language_set
from .throttles import TooManyWrites, back_to, check_form_write, counts_as_write
from .twofactor import (
    PENDING_SESSION_KEY,
    recovery_codes_replace,
    totp_device_confirm,
    totp_device_start,
    two_factor_check,
    two_factor_enabled,
    two_factor_turn_off,
    wait_seconds,
    with_next,
)

# The new key travels to the next page in the session, shown there once, then forgotten.
NEW_KEY_SESSION = "portal.new_api_key"


# The time-zone menu: the zones of tzdata's zone.tab (one per place, current names: no
# "Asia/Calcutta", "US/Eastern" or "Etc/GMT+5") under their region, by city.
ZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def _places() -> set[str]:
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    listed = {line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")}
    return listed & available_timezones()


def _zone_menu() -> list:
    by_region: dict[str, list[tuple[str, str]]] = {region: [] for region in ZONE_REGIONS}
    for zone in sorted(PLACES):
        region, _, city = zone.partition("/")
        if region in by_region and city:
            by_region[region].append((zone, city.replace("_", " ").replace("/", " / ")))
    return [("UTC", [("UTC", "UTC")])] + [(region, cities) for region, cities in by_region.items()]


PLACES = _places()
ZONE_MENU = _zone_menu()


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"))
    timezone = forms.ChoiceField(label=gettext_lazy("Time zone"), required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        help_text=gettext_lazy("Of these pages and of the emails you receive."),
    )

    def __init__(self, *args, organization_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        default = (
            _("My organization's time zone (%(zone)s)") % {"zone": organization_zone}
            if organization_zone
            else "UTC"
        )
        kept = self.initial.get("timezone")  # an older name chosen before stays selectable
        current = [(kept, kept)] if kept and kept not in PLACES else []
        self.fields["timezone"].choices = [("", default), *current, *ZONE_MENU]
        self.fields["language"].choices = [
            ("", _("My organization's, else my browser's")),
            *settings.LANGUAGES,
        ]


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
        label=gettext_lazy("Emails I want"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = CUSTOMER_NOTICES + (STAFF_NOTICES if user.is_staff else [])
        self.fields["wanted"].choices = [(kind.value, kind.label) for kind in kinds]
        self.mandatory = [kind.label for kind in NoticeKind if kind in MANDATORY_NOTICES]


@login_required
def profile(request):
    user = request.user
    profile_row, _created = Profile.objects.get_or_create(user=user)
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "timezone": profile_row.timezone,
        "language": profile_row.language,
    }
    organization = user_organization(user)
    form = ProfileForm(
        request.POST or None, initial=initial, organization_zone=organization.timezone if organization else ""
    )
    preference = NoticePreference.objects.filter(user=user).first()
    muted = preference.muted_kinds if preference else []
    notices_form = NoticePreferenceForm(
        request.POST or None,
        user=user,
        prefix="notices",
        initial={"wanted": [k for k in CUSTOMER_NOTICES + STAFF_NOTICES if k not in muted]},
    )
    status = HTTPStatus.OK
    saving = request.method == "POST" and form.is_valid() and notices_form.is_valid()
    if saving:
        try:
            check_form_write(request)  # a save may send an email: a write on the person's count
        except TooManyWrites as error:  # the form as sent, with the error; 429
            form.add_error(None, error.messages)
            status, saving = error.status, False
    if saving:
        for field in ("first_name", "last_name"):
            setattr(user, field, form.cleaned_data[field])
        user.full_clean()
        user.save()
        new_email = form.cleaned_data["email"]
        if new_email != user.email:  # takes effect from the link sent to it (portal.emailchange)
            email_change_request(
                user=user,
                new_email=new_email,
                confirm_url=lambda token: request.build_absolute_uri(reverse("email-confirm", args=[token])),
            )
            messages.info(
                request,
                _("We sent a link to %(email)s: your address changes when you confirm it from there.")
                % {"email": new_email},
            )
        profile_row.timezone = form.cleaned_data["timezone"]
        profile_row.language = form.cleaned_data["language"]
        profile_row.save()
        if profile_row.language:  # the confirmation already in the language just chosen
            translation.activate(profile_row.language)
        if "notices-shown" in request.POST:  # a form without the section leaves the choices alone
            offered = [value for value, _label in notices_form.fields["wanted"].choices]
            notice_preference_set(user=user, wanted=notices_form.cleaned_data["wanted"], offered=offered)
        messages.success(request, _("Your profile is saved."))
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
            "two_factor_enabled": two_factor_enabled(user),
            "two_factor_required": user.is_staff and settings.STAFF_TWO_FACTOR,
        },
        status=status,
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What the token is for"), max_length=100, required=False)


# Past the write rate a profile button says so there (portal.throttles).
PROFILE_PAGE = back_to("profile")


@login_required
@require_POST
@counts_as_write(PROFILE_PAGE)
def api_token_new(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            _token, key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("profile")
        request.session[NEW_KEY_SESSION] = key
        messages.success(request, _("Your new API token is below: copy it now, it is not shown again."))
    return redirect("profile")


@login_required
@require_POST
def api_token_delete(request, token_id: int):
    if not api_token_revoke(user=request.user, token_id=token_id):
        raise Http404(_("No such token."))
    messages.success(request, _("The token is revoked."))
    return redirect("profile")


WRONG_CODE = gettext_lazy(
    "That code is not right: enter the code your app shows now, or one of your recovery codes."
)
STAFF_MUST_KEEP = gettext_lazy("Staff must keep two-factor sign-in (STAFF_TWO_FACTOR).")
VERIFY_FIRST = gettext_lazy("Enter a two-factor code first.")


def code_wait(seconds: int) -> str:
    return ngettext(
        "Too many wrong codes: wait %(seconds)d second, then try again.",
        "Too many wrong codes: wait %(seconds)d seconds, then try again.",
        seconds,
    ) % {"seconds": seconds}


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "size": 12}),
    )


def _next(request) -> str:
    """Where to go once verified: the page that asked (same site only), else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else reverse("home")


def _verified(request, device) -> None:
    otp_login(request, device)
    request.session.pop(PENDING_SESSION_KEY, None)


@login_required
def two_factor_verify(request):
    """The second step of signing in: a code of the person's app, or a recovery code."""
    if request.user.is_verified():
        return redirect(_next(request))
    if not two_factor_enabled(request.user):
        return redirect(with_next("two-factor-setup", _next(request)))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        seconds = wait_seconds(request.user)
        device = None if seconds else two_factor_check(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            _verified(request, device)
            return redirect(_next(request))
        form.add_error("token", code_wait(seconds) if seconds else WRONG_CODE)
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)})


@login_required
def two_factor_setup(request):
    """Enrol an authenticator app: a new secret (QR code and text), confirmed by a code from the app,
    then the recovery codes, shown once. Replacing an app needs a verified session first."""
    if two_factor_enabled(request.user) and not request.user.is_verified():
        return redirect(with_next("two-factor-verify", reverse("two-factor-setup")))
    form = CodeForm(request.POST or None)
    device = request.user.totpdevice_set.filter(confirmed=False).first()
    if request.method == "POST" and device is not None and form.is_valid():
        codes = totp_device_confirm(device=device, token=form.cleaned_data["token"])
        if codes is not None:
            _verified(request, device)
            return _recovery_codes_page(request, codes)
        form.add_error("token", WRONG_CODE)
    elif request.method != "POST" or device is None:
        device = totp_device_start(user=request.user)
    return render(
        request,
        "registration/two_factor_setup.html",
        {"form": form, **_enrolment(device), "next": _next(request)},
    )


def _enrolment(device) -> dict:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    qr = segno.make(device.config_url, error="m")
    return {"secret": secret, "config_url": device.config_url, "qr_svg": qr.svg_inline(scale=4, dark="#111")}


def _recovery_codes_page(request, codes: list[str]):
    return render(
        request, "registration/recovery_codes.html", {"recovery_codes": codes, "next": _next(request)}
    )


@login_required
@require_POST
@counts_as_write(PROFILE_PAGE)
def two_factor_recovery_codes(request):
    if not request.user.is_verified():
        return HttpResponseForbidden(VERIFY_FIRST)
    return _recovery_codes_page(request, recovery_codes_replace(user=request.user))


@login_required
@require_POST
def two_factor_off(request):
    if request.user.is_staff and settings.STAFF_TWO_FACTOR:
        return HttpResponseForbidden(STAFF_MUST_KEEP)
    if two_factor_enabled(request.user) and not request.user.is_verified():
        return HttpResponseForbidden(VERIFY_FIRST)
    two_factor_turn_off(user=request.user)
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect("profile")


@require_POST
def set_language(request):
    """The footer's language switch: Django's set_language (the cookie, back to the page), and for a
    signed-in person their profile's language too, so that their emails follow their choice."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if (
        request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and check_for_language(language)
    ):
        profile_language_set(user=request.user, language=language)
    return response


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

    form_class = PasswordResetForm  # the email in the account holder's language (issue 22)

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


@login_required
def email_confirm(request, token: str):
    """The link sent to a new address: the change is made only here (portal.emailchange)."""
    try:
        address = email_change_confirm(token=token, user=request.user)
    except LinkRefused as refused:
        return render(
            request,
            "registration/email_change_refused.html",
            {"reason": str(refused)},
            status=HTTPStatus.BAD_REQUEST,
        )
    messages.success(request, _("Your email address is now %(email)s.") % {"email": address})
    return redirect("profile")
