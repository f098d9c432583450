"""Logging in: Argon2 passwords, lockout after failures, TOTP for admin and human rights."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ulinzi.accounts.models import User
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
    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/map/")


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
    assert response.redirect_chain[-1][0] == "/accounts/otp/?next=/"
    assert "Set up your authenticator" in response.content.decode()
    assert client.get("/map/").url == "/accounts/otp/?next=/map/"
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


def test_roles_without_restricted_data_do_not_need_totp(db: Any) -> None:
    for role in (
        "duty_officer",
        "liaison",
        "analyst",
        "patrol_planner",
        "me_officer",
        "public_information",
        "viewer",
    ):
        assert not User(role=role).requires_totp
    assert User(role="admin").requires_totp and User(role="human_rights").requires_totp


def test_any_user_may_set_up_totp_and_is_then_asked_for_it(db: Any) -> None:
    make_user("lina", "liaison")
    client = Client()
    client.post("/accounts/login/", {"username": "lina", "password": PASSWORD})
    assert client.get("/map/").status_code == 200  # not required for a liaison assistant
    assert "Set up an authenticator app" in client.get("/accounts/preferences/").content.decode()
    client.get("/accounts/otp/")
    device = TOTPDevice.objects.get(user__username="lina", confirmed=False)
    client.post("/accounts/otp/", {"token": totp_code(device)})
    assert "An authenticator app is set up" in client.get("/accounts/preferences/").content.decode()

    again = Client()
    again.post("/accounts/login/", {"username": "lina", "password": PASSWORD})
    assert again.get("/map/").url == "/accounts/otp/?next=/map/"
