"""Logging in: Argon2 passwords, lockout after failures, TOTP for admin and human rights."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ulinzi.test import PASSWORD, make_user, totp_code

pytestmark = pytest.mark.django_db


def test_passwords_are_stored_with_argon2(db: Any) -> None:
    user = make_user("alice", "duty_officer")
    assert user.password.startswith("argon2$argon2id$")


def test_a_duty_officer_logs_in_with_a_password_and_lands_home(db: Any) -> None:
    make_user("alice", "duty_officer")
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Welcome, alice" in response.content.decode()


def test_pages_need_a_login(db: Any) -> None:
    response = Client().get("/map/")
    assert (response.status_code, response.url) == (302, "/accounts/login/?next=%2Fmap%2F")


def test_the_account_locks_after_five_failed_logins(db: Any) -> None:
    make_user("alice", "duty_officer")
    client = Client()
    for _ in range(4):
        page = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        assert (
            page.status_code == 200 and "Please enter a correct username" in page.content.decode()
        )
    locked = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Even the right password is refused while locked.
    again = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert again.status_code == 429


@pytest.mark.parametrize("role", ["admin", "human_rights"])
def test_restricted_roles_enrol_an_authenticator_before_anything_else(db: Any, role: str) -> None:
    make_user("hana", role, whole_mission=True)
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "hana", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/accounts/otp/?next=%2F"
    assert "Set up your authenticator" in response.content.decode()
    assert client.get("/map/").url == "/accounts/otp/?next=%2Fmap%2F"
    client.post("/accounts/otp/", {"action": "start", "next": "/"})
    device = TOTPDevice.objects.get(user__username="hana", confirmed=False)
    wrong = client.post("/accounts/otp/", {"token": "000000"})
    assert "That code is not valid." in wrong.content.decode()
    time.sleep(1.1)  # a failed code makes the device wait a second before the next try
    done = client.post("/accounts/otp/", {"token": totp_code(device), "next": "/map/"})
    assert done.url == "/map/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/map/").status_code == 200


def test_an_enrolled_admin_must_give_a_code_at_each_login(db: Any) -> None:
    user = make_user("carol", "admin", whole_mission=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.post("/accounts/login/", {"username": "carol", "password": PASSWORD})
    page = client.get("/accounts/otp/")
    assert "Enter your authenticator code" in page.content.decode()
    wrong = client.post("/accounts/otp/", {"token": "12ab56"})
    assert "The code is made of digits only." in wrong.content.decode()
    assert client.post("/accounts/otp/", {"token": totp_code(device)}).url == "/"
    assert client.get("/audit/").status_code == 200


def test_any_user_may_set_up_totp_and_is_then_asked_for_it(db: Any) -> None:
    make_user("lina", "liaison")
    client = Client()
    client.post("/accounts/login/", {"username": "lina", "password": PASSWORD})
    assert client.get("/map/").status_code == 200  # not required for a liaison assistant
    assert "Set up an authenticator app" in client.get("/accounts/preferences/").content.decode()
    client.post("/accounts/otp/", {"action": "start"})
    device = TOTPDevice.objects.get(user__username="lina", confirmed=False)
    client.post("/accounts/otp/", {"token": totp_code(device)})
    assert "An authenticator app is set up" in client.get("/accounts/preferences/").content.decode()

    again = Client()
    again.post("/accounts/login/", {"username": "lina", "password": PASSWORD})
    assert again.get("/map/").url == "/accounts/otp/?next=%2Fmap%2F"


def test_the_api_session_needs_the_second_factor_the_pages_need(db: Any) -> None:
    user = make_user("lina", "liaison", whole_mission=True)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.post("/accounts/login/", {"username": "lina", "password": PASSWORD})
    assert client.get("/api/v1/communities").status_code == 401
    assert client.get("/map/").url == "/accounts/otp/?next=%2Fmap%2F"


def test_the_login_redirect_keeps_the_whole_address(db: Any) -> None:
    response = Client().get("/places/search/?q=Mbau&hint=Beni")
    assert response.url == "/accounts/login/?next=%2Fplaces%2Fsearch%2F%3Fq%3DMbau%26hint%3DBeni"


def test_logins_and_failures_are_audited(db: Any) -> None:
    from ulinzi.audit.models import AuditEntry

    make_user("alice", "duty_officer")
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.post("/accounts/logout/")
    actions = list(
        AuditEntry.objects.filter(action__startswith="accounts.log")
        .order_by("id")
        .values_list("action", "subject_label")
    )
    assert actions == [
        ("accounts.login_failed", "alice"),
        ("accounts.login", "alice"),
        ("accounts.logout", "alice"),
    ]
    assert not AuditEntry.objects.filter(after__icontains="wrong").exists()
