"""Setting up an authenticator: a GET only explains or shows; the start button's POST enrols."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ulinzi.audit.models import AuditEntry
from ulinzi.test import make_user, totp_code

pytestmark = pytest.mark.django_db

START = "accounts.start_totp_enrolment"


def _client(username: str = "lina", role: str = "liaison") -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(username, role))
    return client


def _post(client: Client, data: dict[str, str]) -> Any:
    """Post the way a browser does: with the CSRF token from the page's cookie."""
    client.get("/accounts/otp/")
    token = client.cookies["csrftoken"].value
    return client.post("/accounts/otp/", {"csrfmiddlewaretoken": token, **data})


def test_preferences_link_to_the_set_up_page(db: Any) -> None:
    page = _client().get("/accounts/preferences/").content.decode()
    assert 'href="/accounts/otp/?next=/accounts/preferences/"' in page


def test_a_get_of_the_set_up_page_creates_no_device_and_no_audit_entry(db: Any) -> None:
    client = _client()
    page = client.get("/accounts/otp/?next=/accounts/preferences/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Set up your authenticator" in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert '<button type="submit" name="action" value="start">' in html
    assert 'name="next" value="/accounts/preferences/"' in html
    assert "no-cache" in page["Cache-Control"]
    client.get("/accounts/otp/")
    assert not TOTPDevice.objects.exists()
    assert not AuditEntry.objects.filter(action=START).exists()


def test_the_post_starts_the_enrolment_with_one_audit_entry(db: Any) -> None:
    client = _client()
    response = _post(client, {"action": "start", "next": "/accounts/preferences/"})
    assert (response.status_code, response.url) == (
        302,
        "/accounts/otp/?next=%2Faccounts%2Fpreferences%2F",
    )
    device = TOTPDevice.objects.get(user__username="lina")
    assert not device.confirmed
    assert list(AuditEntry.objects.filter(action=START).values_list("actor_label", flat=True)) == [
        "lina"
    ]
    page = client.get(response.url)
    html = page.content.decode()
    assert "Scan this code with an authenticator app" in html
    assert "data:image/svg+xml;base64," in html
    assert "no-cache" in page["Cache-Control"]


def test_the_post_needs_the_csrf_token(db: Any) -> None:
    response = _client().post("/accounts/otp/", {"action": "start"})
    assert response.status_code == 403
    assert not TOTPDevice.objects.exists()
    assert not AuditEntry.objects.filter(action=START).exists()


def test_coming_back_shows_the_pending_enrolment_without_a_new_one(db: Any) -> None:
    client = _client()
    _post(client, {"action": "start"})
    device = TOTPDevice.objects.get()
    for _ in range(2):
        page = client.get("/accounts/otp/").content.decode()
        assert "Scan this code with an authenticator app" in page
    assert list(TOTPDevice.objects.values_list("pk", "key")) == [(device.pk, device.key)]
    assert AuditEntry.objects.filter(action=START).count() == 1


def test_confirming_a_valid_code_completes_the_enrolment(db: Any) -> None:
    client = _client()
    _post(client, {"action": "start"})
    device = TOTPDevice.objects.get()
    done = _post(client, {"token": totp_code(device), "next": "/accounts/preferences/"})
    assert done.url == "/accounts/preferences/"
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="accounts.confirm_totp").count() == 1
    preferences = client.get("/accounts/preferences/").content.decode()
    assert "An authenticator app is set up" in preferences
    assert "Your authenticator is set up." in preferences


def test_a_code_sent_before_any_start_creates_nothing(db: Any) -> None:
    client = _client()
    page = _post(client, {"token": "123456"})
    assert '<button type="submit" name="action" value="start">' in page.content.decode()
    assert not TOTPDevice.objects.exists()
    assert not AuditEntry.objects.filter(action=START).exists()


def test_a_restricted_role_starts_from_the_explanation_too(db: Any) -> None:
    client = _client("hana", "admin")
    page = client.get("/accounts/otp/?next=/").content.decode()
    assert "Your role reaches restricted data" in page
    assert "Your login does not change" not in page
    assert not TOTPDevice.objects.exists()
    _post(client, {"action": "start", "next": "/"})
    assert TOTPDevice.objects.filter(user__username="hana", confirmed=False).count() == 1
