"""Bearer tokens (``ulinzi api-token USERNAME``) and the logged-in session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from ulinzi.accounts.middleware import needs_second_factor
from ulinzi.accounts.models import ApiToken, token_digest


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token or len(token) > 200:
            return None
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        now = timezone.now()
        # Record use at most once a minute: a busy client should not write on every call.
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class VerifiedSession(SessionAuth):
    """The browser's session, once any required second factor is done."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user and not user.is_verified() and needs_second_factor(user):
            return None
        return user


AUTH = [BearerToken(), VerifiedSession()]
