"""The admin site shows records but cannot change them: changes go through domain
functions, which write the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from ulinzi.places.models import Place
from ulinzi.test import verified_client

pytestmark = pytest.mark.django_db


def test_administrators_browse_but_do_not_edit(personas: dict[str, Any]) -> None:
    adam = verified_client(personas["adam"])
    listing = adam.get("/admin/places/place/", {"q": "Mbau"})
    assert listing.status_code == 200
    assert "Mbau Centre" in listing.content.decode()
    place = Place.objects.get(name="Mbau Centre")
    assert adam.get("/admin/places/place/add/").status_code == 403
    refused = adam.post(f"/admin/places/place/{place.pk}/change/", {"name": "Renamed"})
    assert refused.status_code == 403
    assert adam.post(f"/admin/places/place/{place.pk}/delete/", {"post": "yes"}).status_code == 403
    place.refresh_from_db()
    assert place.name == "Mbau Centre"
    users = adam.get("/admin/accounts/user/").content.decode()
    assert "alice" in users and "argon2" not in users


def test_other_roles_have_no_admin_site(personas: dict[str, Any]) -> None:
    from django.test import Client

    carol = Client()
    carol.force_login(personas["carol"])
    response = carol.get("/admin/places/place/")
    assert (response.status_code, response.url) == (302, "/admin/login/?next=/admin/places/place/")


def test_nothing_in_the_admin_site_can_be_changed(personas: dict[str, Any]) -> None:
    """Second factors, lockouts and groups are not there at all; everything else is
    read-only, because changes must go through audited domain functions."""
    from django.contrib import admin
    from django.test import RequestFactory
    from django_otp.plugins.otp_totp.models import TOTPDevice

    registered = {model._meta.label for model in admin.site._registry}
    assert "otp_totp.TOTPDevice" not in registered
    assert not {"axes.AccessAttempt", "axes.AccessLog", "auth.Group"} & registered
    assert not admin.site.is_registered(TOTPDevice)
    request = RequestFactory().get("/admin/")
    request.user = personas["adam"]
    for model, model_admin in admin.site._registry.items():
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
