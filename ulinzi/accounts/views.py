from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ulinzi.accounts import domain
from ulinzi.accounts.forms import LanguageForm, TokenForm
from ulinzi.accounts.models import User


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache
@login_required
def otp(request: HttpRequest) -> HttpResponse:
    """Second factor: verify a code, or enrol an authenticator first if there is none.

    Enrolment starts only on a POST of the start button: a GET explains the step, or shows
    the enrolment already pending, and changes nothing.
    """
    user: User = request.user  # type: ignore[assignment]
    if user.is_verified():
        return redirect(_next(request))
    starting = request.method == "POST" and request.POST.get("action") == "start"
    form = TokenForm(request.POST if request.method == "POST" and not starting else None)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        if form.is_bound and form.is_valid():
            if domain.verify_totp(user=user, device=confirmed, token=form.cleaned_data["token"]):
                otp_login(request, confirmed)
                return redirect(_next(request))
            form.add_error("token", _("That code is not valid. Check the time on your phone."))
        return render(request, "accounts/otp_verify.html", {"form": form, "next": _next(request)})
    if starting:
        domain.start_totp_enrolment(user=user)
        return redirect(f"{reverse('accounts:otp')}?{urlencode({'next': _next(request)})}")
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if pending is None:
        return render(request, "accounts/otp_start.html", {"next": _next(request)})
    if form.is_bound and form.is_valid():
        if domain.confirm_totp_enrolment(
            user=user, device=pending, token=form.cleaned_data["token"]
        ):
            otp_login(request, pending)
            messages.success(request, _("Your authenticator is set up."))
            return redirect(_next(request))
        form.add_error("token", _("That code is not valid. Check the time on your phone."))
    secret = base64.b32encode(pending.bin_key).decode()
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "secret": secret, "qr": _qr_svg(pending.config_url), "next": _next(request)},
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = LanguageForm(request.POST or None, initial={"language": user.language})
    if request.method == "POST" and form.is_valid():
        domain.set_language(user=user, language=form.cleaned_data["language"])
        return redirect("accounts:preferences")
    has_totp = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return render(request, "accounts/preferences.html", {"form": form, "has_totp": has_totp})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout as auth_logout

    auth_logout(request)
    return redirect("accounts:login")
