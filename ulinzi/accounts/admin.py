from __future__ import annotations

from django.contrib import admin

from ulinzi.accounts.models import ApiToken, User
from ulinzi.places.admin import ReadOnlyAdmin


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
