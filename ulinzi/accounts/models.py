"""Users, their role and area scope, and API tokens."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from ulinzi.accounts import roles
from ulinzi.places.models import Base, Place
from ulinzi.places.scope import Scope

ROLE_LABELS = {
    roles.Role.ADMIN: _("Administrator"),
    roles.Role.DUTY_OFFICER: _("Duty officer"),
    roles.Role.LIAISON: _("Community liaison assistant / interpreter"),
    roles.Role.ANALYST: _("Protection analyst"),
    roles.Role.PATROL_PLANNER: _("Patrol planner"),
    roles.Role.HUMAN_RIGHTS: _("Human rights officer"),
    roles.Role.ME_OFFICER: _("Monitoring and evaluation officer"),
    roles.Role.PUBLIC_INFORMATION: _("Public information officer"),
    roles.Role.VIEWER: _("Viewer"),
}


class User(AbstractUser):
    """An account. Its role says what it may do; its scope, where.

    The scope is the whole mission, or the areas of responsibility of its bases plus
    any admin areas given directly.
    """

    role = models.CharField(
        _("role"),
        max_length=30,
        choices=[(r.value, ROLE_LABELS[r]) for r in roles.Role],
        default=roles.Role.VIEWER.value,
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    whole_mission = models.BooleanField(_("whole mission"), default=False)
    bases = models.ManyToManyField(Base, blank=True, related_name="users", verbose_name=_("bases"))
    areas = models.ManyToManyField(
        Place, blank=True, related_name="+", verbose_name=_("admin areas")
    )

    def can(self, capability: str) -> bool:
        return self.is_active and capability in roles.capabilities(self.role)

    @property
    def requires_totp(self) -> bool:
        return roles.requires_totp(self.role)

    def scope(self) -> Scope:
        if self.whole_mission:
            return Scope.everything()
        cached = getattr(self, "_scope", None)
        if cached is None:
            ids = set(self.areas.values_list("pk", flat=True))
            ids.update(
                Base.areas.through.objects.filter(base__users=self).values_list(
                    "place_id", flat=True
                )
            )
            cached = Scope(whole_mission=False, area_ids=frozenset(ids))
            self._scope = cached
        return cached

    def role_label(self) -> str:
        return str(ROLE_LABELS.get(roles.Role(self.role), self.role))


def token_digest(raw: str) -> str:
    # Tokens are 256-bit random values, so a plain SHA-256 is enough to store them
    # safely; a slow hash would only slow every API call.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
