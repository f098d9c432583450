from __future__ import annotations

from django.contrib import admin

from ulinzi.accounts.models import ApiToken, User
from ulinzi.places.admin import ReadOnlyAdmin

# Second factors, lockouts and groups change only through audited domain functions and
# commands: the admin site must not show a device's secret or lift a lockout silently.
for model_path in (
    "django_otp.plugins.otp_totp.models.TOTPDevice",
    "axes.models.AccessAttempt",
    "axes.models.AccessLog",
    "axes.models.AccessFailureLog",
    "django.contrib.auth.models.Group",
):
    module, _, name = model_path.rpartition(".")
    try:
        model = getattr(__import__(module, fromlist=[name]), name)
    except (ImportError, AttributeError):
        continue
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "role", "whole_mission", "is_active", "last_login")
    list_filter = ("role", "whole_mission", "is_active")
    search_fields = ("username",)
    exclude = ("password",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "user", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)
