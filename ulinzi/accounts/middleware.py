"""Login everywhere, a second factor for the roles that need it, the user's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django_otp import user_has_device

# Paths served without a login session: each authenticates in its own way or is public.
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/static/",
    "/api/",  # bearer tokens, checked per endpoint
    "/channels/ext/",  # gateways, each with its channel's own secret
    "/favicon.ico",
    "/about/",
)
OTP_PREFIXES = ("/accounts/otp/", "/accounts/logout/")


def needs_second_factor(user: Any) -> bool:
    """Required for restricted roles; for anyone else, once they have set it up."""
    return bool(user.requires_totp or user_has_device(user, confirmed=True))


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class RequireLoginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(PUBLIC_PREFIXES):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return redirect(
                f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
            )
        if (
            not user.is_verified()
            and not path.startswith(OTP_PREFIXES)
            and needs_second_factor(user)
        ):
            return redirect(
                f"{reverse('accounts:otp')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)
