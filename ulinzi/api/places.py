from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import AfterValidator

from ulinzi.places import queries

router = Router(tags=["places"])


def _no_nul(text: str) -> str:
    # PostgreSQL refuses NUL in text and no place name has one: refuse it at the edge.
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")
    return text


# Documented in the schema too, so that clients and the fuzzer know NUL is refused.
NO_NUL: dict[str, Any] = {"pattern": "^[^\\u0000]*$"}
#: Text from a client: refused when it holds a NUL character (use with NO_NUL).
NoNul = Annotated[str, AfterValidator(_no_nul)]


class Message(Schema):
    detail: str


class Problem(Schema):
    where: str
    problem: str


class Invalid(Schema):
    detail: str
    errors: list[Problem]


# Every endpoint can answer these; documenting them keeps clients (and the fuzzer) honest.
ERRORS: dict[int, type[Schema]] = {401: Message, 422: Invalid}


class Candidate(Schema):
    place_id: int
    name: str
    kind: str
    admin_path: str
    pcode: str | None
    admin_pcode: str | None
    lat: float | None
    lon: float | None
    score: float


class Interpretation(Schema):
    kind: str
    note: str
    lat: float | None = None
    lon: float | None = None
    parts: list[str] = []
    distance_km: float | None = None
    bearing_deg: float | None = None


class MatchOut(Schema):
    query: str
    hint: str | None
    interpretation: Interpretation
    candidates: list[Candidate]


class PlaceSearch(Schema):
    q: NoNul = Field(
        ...,
        min_length=1,
        max_length=200,
        description="A place name or description",
        json_schema_extra=NO_NUL,
    )
    hint: NoNul | None = Field(
        None,
        max_length=200,
        description="An admin area: territory, province or health zone",
        json_schema_extra=NO_NUL,
    )
    limit: int = Field(5, ge=1, le=20)
    country: str | None = Field(None, pattern="^[A-Z]{2}$")


class PlaceOut(Schema):
    id: int
    name: str
    kind: str
    country: str
    pcode: str | None
    admin_pcode: str | None
    admin_path: str
    lat: float | None
    lon: float | None
    population: int | None
    alt_names: list[str]
    province_id: int | None
    territory_id: int | None
    health_zone_id: int | None
    health_area_id: int | None


class CommunityOut(Schema):
    id: int
    name: str
    place_id: int
    place_name: str
    population: int | None
    languages: list[str]


class BaseOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    lat: float
    lon: float


@router.get(
    "/places",
    response={200: MatchOut, **ERRORS},
    summary="Match a place name against the gazetteer",
)
def search_places(request: HttpRequest, filters: Query[PlaceSearch]) -> dict[str, object]:
    """Ranked candidates for a place name or description (misspellings, compound
    descriptions such as "between Baraka and Fizi" or "35 km west of Mangina")."""
    return queries.search_places(
        filters.q, hint=filters.hint, limit=filters.limit, country=filters.country
    )


@router.get(
    "/places/{place_id}",
    response={200: PlaceOut, 404: Message, **ERRORS},
    summary="One gazetteer place",
)
def get_place(request: HttpRequest, place_id: int) -> dict[str, object]:
    place = queries.get_place(place_id)
    if place is None:
        raise HttpError(404, "No place with this id.")
    return {
        **{
            f: getattr(place, f)
            for f in ("id", "name", "kind", "country", "pcode", "lat", "lon", "population")
        },
        "alt_names": list(place.alt_names or []),
        "admin_pcode": place.admin_pcode(),
        "admin_path": place.admin_path(),
        **{f"{f}_id": getattr(place, f"{f}_id") for f in place.ANCESTOR_FIELDS},
    }


@router.get(
    "/communities", response={200: list[CommunityOut], **ERRORS}, summary="Communities in your area"
)
def list_communities(request: HttpRequest) -> list[dict[str, object]]:
    return [
        {
            "id": c.pk,
            "name": c.name,
            "place_id": c.place_id,
            "place_name": c.place.name,
            "population": c.population,
            "languages": list(c.languages or []),
        }
        for c in queries.communities_in(request.user.scope())  # type: ignore[union-attr]
    ]


@router.get("/bases", response={200: list[BaseOut], **ERRORS}, summary="Bases in your area")
def list_bases(request: HttpRequest) -> list[object]:
    return list(queries.bases_in(request.user.scope()))  # type: ignore[union-attr]
