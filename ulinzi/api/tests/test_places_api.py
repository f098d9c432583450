"""The v1 API: bearer tokens, the place matcher, scope, and clear errors."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ulinzi.accounts.domain import revoke_api_token
from ulinzi.accounts.models import ApiToken
from ulinzi.places.models import Place

pytestmark = pytest.mark.django_db


def token_for(username: str) -> str:
    out = StringIO()
    call_command("api_token", username, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def alice_api(personas: dict[str, Any]) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_for('alice')}")


def test_a_token_is_printed_once_and_only_its_hash_is_kept(personas: dict[str, Any]) -> None:
    raw = token_for("alice")
    assert raw.startswith("ulz_") and len(raw) > 40
    stored = ApiToken.objects.get(user__username="alice")
    assert raw not in (stored.digest, stored.prefix) and stored.prefix == raw[:10]


def test_searching_a_misspelled_village_returns_ranked_candidates(alice_api: Client) -> None:
    data = alice_api.get("/api/v1/places", {"q": "MBAU", "hint": "Beni"}).json()
    assert data["query"] == "MBAU"
    top = data["candidates"][0]
    assert (top["name"], top["kind"], top["admin_pcode"]) == ("Mbau", "health_area", "CD6107")
    assert top["admin_path"] == "Nord-Kivu › Oïcha › Oicha"
    assert set(top) == {
        "place_id",
        "name",
        "kind",
        "admin_path",
        "pcode",
        "admin_pcode",
        "lat",
        "lon",
        "score",
    }
    scores = [c["score"] for c in data["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_one_place_by_id(alice_api: Client) -> None:
    oicha = Place.objects.get(pcode="CD6107")
    data = alice_api.get(f"/api/v1/places/{oicha.pk}").json()
    assert (data["name"], data["kind"], data["admin_path"], data["pcode"]) == (
        "Oïcha",
        "territory",
        "Nord-Kivu",
        "CD6107",
    )
    missing = alice_api.get("/api/v1/places/999999999")
    assert (missing.status_code, missing.json()) == (404, {"detail": "No place with this id."})


def test_without_a_valid_token_the_api_refuses(personas: dict[str, Any]) -> None:
    assert Client().get("/api/v1/places", {"q": "Beni"}).status_code == 401
    assert (
        Client(HTTP_AUTHORIZATION="Bearer ulz_not-a-token")
        .get("/api/v1/places", {"q": "Beni"})
        .status_code
        == 401
    )
    raw = token_for("bob")
    revoke_api_token(actor="test", token=ApiToken.objects.get(user__username="bob"))
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/places", {"q": "Beni"}).status_code
        == 401
    )


def test_the_api_applies_the_callers_scope(personas: dict[str, Any], alice_api: Client) -> None:
    assert [c["name"] for c in alice_api.get("/api/v1/communities").json()] == ["Mbau"]
    bob = Client(HTTP_AUTHORIZATION=f"Bearer {token_for('bob')}")
    assert [c["name"] for c in bob.get("/api/v1/communities").json()] == ["Goma ville"]
    assert [b["code"] for b in bob.get("/api/v1/bases").json()] == ["goma"]


def test_bad_input_gets_a_clear_error(alice_api: Client) -> None:
    too_long = alice_api.get("/api/v1/places", {"q": "x" * 201})
    assert too_long.status_code == 422
    assert too_long.json()["detail"] == "The request is not valid."
    assert too_long.json()["errors"][0]["where"].endswith("q")
    nul = alice_api.get("/api/v1/places", {"q": "Be\x00ni"})
    assert nul.status_code == 422 and "NUL" in nul.json()["errors"][0]["problem"]
    assert alice_api.get("/api/v1/places", {"q": "Beni", "limit": 0}).status_code == 422
    assert alice_api.get("/api/v1/places").status_code == 422


def test_the_openapi_document_describes_the_endpoints(personas: dict[str, Any]) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/places",
        "/api/v1/places/{place_id}",
        "/api/v1/communities",
        "/api/v1/bases",
    } <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    # A report's text is documented as the server reads it: not blank, without NUL.
    import re

    pattern = doc["components"]["schemas"]["ReportIn"]["properties"]["text"]["pattern"]
    for text in ("  ", "\t\n", "\x1c\x1f", "", "Mbau\x00"):
        assert re.search(pattern, text) is None, repr(text)
        assert not text.strip() or "\x00" in text
    for text in (" Mbau ", "\u00a0x", "!"):
        assert re.search(pattern, text), repr(text)


def test_any_query_text_gets_an_answer_or_a_clear_refusal(personas: dict[str, Any]) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for('alice')}")

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(q=st.text(max_size=250), hint=st.one_of(st.none(), st.text(max_size=50)))
    def check(q: str, hint: str | None) -> None:
        params = {"q": q} | ({"hint": hint} if hint is not None else {})
        response = client.get("/api/v1/places", params)
        assert response.status_code in (200, 422), response.content
        if response.status_code == 200:
            assert all(0 <= c["score"] <= 1 for c in response.json()["candidates"])
        else:
            assert response.json()["detail"] == "The request is not valid."

    check()
