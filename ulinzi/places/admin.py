"""Read-only admin pages: every change goes through a domain function (and the audit
log), so the admin site only shows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ulinzi.places.models import Base, Community, Place


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Place)
class PlaceAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "pcode", "province", "territory", "key")
    list_filter = ("kind", "country")
    search_fields = ("name", "pcode", "key")
    list_select_related = ("province", "territory")
    exclude = ("geometry",)


@admin.register(Base)
class BaseAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "kind", "lat", "lon")
    list_filter = ("kind",)


@admin.register(Community)
class CommunityAdmin(ReadOnlyAdmin):
    list_display = ("name", "place", "population")
    search_fields = ("name",)
    list_select_related = ("place",)
