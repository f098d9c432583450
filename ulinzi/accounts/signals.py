"""Logins, logouts and failed logins go into the audit log like any other change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from ulinzi.audit import domain as audit


@receiver(user_logged_in, dispatch_uid="ulinzi-audit-login")
def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        audit.record(user, "accounts.login", user)


@receiver(user_logged_out, dispatch_uid="ulinzi-audit-logout")
def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        with transaction.atomic():
            audit.record(user, "accounts.logout", user)


@receiver(user_login_failed, dispatch_uid="ulinzi-audit-login-failed")
def login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # The username as typed, never the password (Django already masks it).
    username = str(credentials.get("username", ""))[:150].replace("\x00", "")
    with transaction.atomic():
        audit.record(
            "anonymous",
            "accounts.login_failed",
            subject_type="accounts.user",
            subject_label=username,
        )
