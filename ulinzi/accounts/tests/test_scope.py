"""Area scope: a duty officer at one base does not see another base's records."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def community_names(client: Client) -> set[str]:
    data = client.get("/places/geo/communities.geojson").json()
    return {f["properties"]["name"] for f in data["features"]}


def test_alice_at_beni_sees_beni_communities_only(personas: dict[str, Any]) -> None:
    assert community_names(logged_in(personas["alice"])) == {"Mbau"}
    assert community_names(logged_in(personas["bob"])) == {"Goma ville"}
    assert community_names(logged_in(personas["carol"])) == {"Mbau", "Goma ville"}


def test_bases_on_the_map_follow_the_scope(personas: dict[str, Any]) -> None:
    names = {
        f["properties"]["name"]
        for f in logged_in(personas["alice"]).get("/places/geo/bases.geojson").json()["features"]
    }
    assert names == {"Beni"}


def test_a_place_page_lists_only_communities_in_scope(personas: dict[str, Any]) -> None:
    mbau_place = personas["mbau"].place
    assert (
        "<li>Mbau</li>"
        in logged_in(personas["alice"]).get(f"/places/{mbau_place.pk}/").content.decode()
    )
    page = logged_in(personas["bob"]).get(f"/places/{mbau_place.pk}/").content.decode()
    assert "<li>Mbau</li>" not in page
    assert "None in your area." in page


def test_scope_by_admin_area_without_a_base(personas: dict[str, Any]) -> None:
    from ulinzi.test import area, make_user

    dave = make_user("dave", "analyst", areas=[area("CD6101")])  # Goma ville only
    assert community_names(logged_in(dave)) == {"Goma ville"}
    nobody = make_user("erin", "viewer")  # no base, no area: sees no community
    assert community_names(logged_in(nobody)) == set()


def test_the_home_page_says_what_ulinzi_is_for_the_role(personas: dict[str, Any]) -> None:
    page = logged_in(personas["alice"]).get("/").content.decode()
    assert "Duty officer" in page
    assert "triage them, dispatch responders" in page
    assert "You see the area of: Beni" in page


def test_a_province_scope_sees_the_bases_of_its_territories(personas: dict[str, Any]) -> None:
    from ulinzi.places.queries import bases_in
    from ulinzi.test import area, make_user

    nk = make_user("nadia", "analyst", areas=[area("CD61")])  # the whole of Nord-Kivu
    assert {b.code for b in bases_in(nk.scope())} == {"beni", "goma"}
    oicha = make_user("omar", "analyst", areas=[area("CD6107")])  # inside Beni base's area
    assert {b.code for b in bases_in(oicha.scope())} == {"beni"}


def test_the_api_lists_only_the_bases_in_scope(personas: dict[str, Any]) -> None:
    from ulinzi.accounts.domain import issue_api_token

    token = issue_api_token(actor="test", user=personas["alice"])
    bases = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/bases").json()
    assert [b["code"] for b in bases] == ["beni"]
