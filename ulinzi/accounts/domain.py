"""Every change to accounts. Each runs in one transaction with its audit entry."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ulinzi.accounts import roles
from ulinzi.accounts.models import ApiToken, User, token_digest
from ulinzi.audit import domain as audit
from ulinzi.places.models import Base, Place

TOKEN_PREFIX = "ulz_"  # noqa: S105 (a prefix that marks tokens in logs, not a secret)
USER_FIELDS = ["username", "role", "language", "whole_mission", "is_active", "is_staff"]


def _user_snapshot(user: User) -> dict[str, Any]:
    data = audit.snapshot(user, USER_FIELDS)
    data["bases"] = sorted(user.bases.values_list("code", flat=True))
    data["areas"] = sorted(user.areas.values_list("pk", flat=True))
    return data


def save_user(
    *,
    actor: Any,
    username: str,
    role: str,
    password: str | None = None,
    whole_mission: bool = False,
    bases: list[Base] | None = None,
    areas: list[Place] | None = None,
    language: str = "en",
    check_password: bool = True,
) -> User:
    """Create the user or update their role, scope and (if given) password.

    Administrators also get Django's admin site (``is_staff``). Passwords are
    validated unless ``check_password`` is off (the demo's generated passwords).
    """
    role = roles.Role(role).value
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        before = _user_snapshot(user) if user else None
        if user is None:
            user = User(username=username)
        user.role = role
        user.language = language
        user.whole_mission = whole_mission
        user.is_staff = user.is_superuser = role == roles.Role.ADMIN
        if password is not None:
            if check_password:
                validate_password(password, user)
            user.set_password(password)
        elif user.pk is None:
            user.set_unusable_password()
        user.save()
        if bases is not None:
            user.bases.set(bases)
        if areas is not None:
            user.areas.set(areas)
        audit.record(actor, "accounts.save_user", user, before=before, after=_user_snapshot(user))
    return user


def set_language(*, user: User, language: str) -> None:
    with transaction.atomic():
        before = user.language
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
        audit.record(
            user,
            "accounts.set_language",
            user,
            before={"language": before},
            after={"language": language},
        )


def issue_api_token(*, actor: Any, user: User) -> str:
    """Create a bearer token for ``user`` and return it; only its digest is kept."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, prefix=raw[:10], digest=token_digest(raw))
        audit.record(
            actor,
            "accounts.issue_api_token",
            token,
            after={"user": user.username, "prefix": token.prefix},
        )
    return raw


def revoke_api_token(*, actor: Any, token: ApiToken) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        audit.record(actor, "accounts.revoke_api_token", token, after={"prefix": token.prefix})


def start_totp_enrolment(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device for the user to scan; replaces an earlier unconfirmed one."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
        audit.record(user, "accounts.start_totp_enrolment", user)
    return device


def verify_totp(*, user: User, device: TOTPDevice, token: str) -> bool:
    """Check a code at login; the result, good or bad, is audited."""
    with transaction.atomic():
        good = bool(device.verify_token(token))
        audit.record(user, "accounts.totp_verified" if good else "accounts.totp_failed", user)
    return good


def confirm_totp_enrolment(*, user: User, device: TOTPDevice, token: str) -> bool:
    """Confirm the device if ``token`` is a current code from it."""
    with transaction.atomic():
        if not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(user, "accounts.confirm_totp", user)
    return True


def purge_login_records(before: Any, *, dry_run: bool = False) -> int:
    """Delete the records of log-in attempts older than ``before`` (user names typed and
    addresses), and the sessions that have expired: how many records."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.sessions.models import Session

    old = [
        AccessAttempt.objects.filter(attempt_time__lt=before),
        AccessLog.objects.filter(attempt_time__lt=before),
        AccessFailureLog.objects.filter(attempt_time__lt=before),
    ]
    if dry_run:
        return sum(q.count() for q in old)
    with transaction.atomic():
        removed = sum(q.delete()[0] for q in old)
        Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return removed
