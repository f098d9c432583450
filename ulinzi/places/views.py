from __future__ import annotations

import json
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from ulinzi.lib.text import record_id
from ulinzi.places import queries
from ulinzi.places.models import Community, Place

SETTLEMENT_KINDS = ["town", "village", "camp", "quarter", "other"]
KIND_LABELS = dict(Place.Kind.choices)
MAX_QUERY = 200


COMPASS = {
    0.0: gettext_lazy("north"),
    45.0: gettext_lazy("north-east"),
    90.0: gettext_lazy("east"),
    135.0: gettext_lazy("south-east"),
    180.0: gettext_lazy("south"),
    225.0: gettext_lazy("south-west"),
    270.0: gettext_lazy("west"),
    315.0: gettext_lazy("north-west"),
}


def explain(result: dict[str, Any]) -> str:
    """How the matcher read the query, in the user's language (the API keeps its note)."""
    how = result["interpretation"]
    parts = how.get("parts") or []
    top = result["candidates"][0]["name"] if result["candidates"] else (parts[0] if parts else "")
    if how["kind"] == "between" and len(parts) >= 2 and how.get("lat") is not None:
        return _("Between %(a)s and %(b)s: the point midway between them.") % {
            "a": parts[0],
            "b": parts[1],
        }
    if how["kind"] == "offset" and how.get("distance_km") is not None:
        values = {
            "distance": f"{how['distance_km']:g}",
            "direction": COMPASS.get(how.get("bearing_deg"), f"{how.get('bearing_deg')}°"),
            "place": top,
        }
        if how.get("lat") is None:
            return _("%(distance)s km %(direction)s of “%(place)s”, which was not found.") % values
        return _("%(distance)s km %(direction)s of %(place)s: the point at that distance.") % values
    if how["kind"] == "near" and top:
        return _("Near %(place)s: the place itself.") % {"place": top}
    if result.get("hint"):
        return _("Places in or near %(hint)s first.") % {"hint": result["hint"]}
    return ""


def _clean(text: str | None) -> str:
    return (text or "").replace("\x00", "").strip()[:MAX_QUERY]


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    return render(request, "places/map.html", {"query": _clean(request.GET.get("q"))})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Ranked candidates for a name; a partial for htmx, a whole page otherwise."""
    # "place" is the field name on the hotline form, which searches as the CLA types.
    query = _clean(request.GET.get("q") or request.GET.get("place"))
    hint = _clean(request.GET.get("hint")) or None
    community = record_id(request.GET.get("community", ""))
    if hint is None and community is not None:
        # A form that names its community (a patrol request): namesakes near it first.
        hint = Community.objects.filter(pk=community).values_list("place__name", flat=True).first()
    template = "places/_candidates.html" if request.htmx else "places/search.html"
    return render(request, template, candidates(query, hint))


def candidates(query: str, hint: str | None = None) -> dict[str, Any]:
    """What ``places/_candidates.html`` shows for a name: the ranked places to choose."""
    result = queries.search_places(query, hint=hint, limit=8) if query else None
    for candidate in result["candidates"] if result else []:
        candidate["kind_label"] = KIND_LABELS.get(candidate["kind"], candidate["kind"])
    return {
        "query": query,
        "hint": hint or "",
        "result": result,
        "explanation": explain(result) if result else "",
    }


@require_GET
def place_detail(request: HttpRequest, pk: int) -> HttpResponse:
    place = queries.get_place(pk)
    if place is None:
        raise Http404
    names = queries.names_of(place.ancestor_ids)
    communities = queries.communities_in(request.user.scope()).filter(place=place)  # type: ignore[union-attr]
    return render(
        request,
        "places/detail.html",
        {
            "place": place,
            "admin_path": place.admin_path(names),
            "admin_pcode": place.admin_pcode(),
            "communities": communities,
        },
    )


def _feature(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
        "properties": props,
    }


def _geojson(features: list[dict[str, Any]]) -> HttpResponse:
    body = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    response = HttpResponse(body, content_type="application/geo+json")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _cached_layer(name: str, build: Any) -> HttpResponse:
    """Gazetteer layers change only on import: cache them per gazetteer version."""
    key = f"places:{name}:{queries.gazetteer_version()}"
    body = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, 3600)
    return _geojson(body)


@require_GET
@gzip_page
def areas_geojson(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "province")
    if kind not in ("province", "territory"):
        return JsonResponse({"detail": "kind must be province or territory"}, status=400)

    def build() -> list[dict[str, Any]]:
        rows = Place.objects.filter(kind=kind, geometry__isnull=False).values_list(
            "id", "name", "pcode", "geometry"
        )
        return [
            {"type": "Feature", "geometry": g, "properties": {"id": i, "name": n, "pcode": p}}
            for i, n, p, g in rows
        ]

    return _cached_layer(f"areas:{kind}", build)


@require_GET
@gzip_page
def settlements_geojson(request: HttpRequest) -> HttpResponse:
    def build() -> list[dict[str, Any]]:
        rows = Place.objects.filter(kind__in=SETTLEMENT_KINDS, lat__isnull=False).values_list(
            "id", "name", "kind", "lon", "lat"
        )
        return [
            _feature(lon, lat, {"id": i, "name": n, "kind": str(KIND_LABELS.get(k, k))})
            for i, n, k, lon, lat in rows
        ]

    # Kind labels are in the user's language, so the cache is per language.
    return _cached_layer(f"settlements:{get_language()}", build)


@require_GET
@gzip_page
def communities_geojson(request: HttpRequest) -> HttpResponse:
    scope = request.user.scope()  # type: ignore[union-attr]
    features = [
        _feature(c.place.lon, c.place.lat, {"id": c.pk, "name": c.name, "place": c.place.name})
        for c in queries.communities_in(scope)
        if c.place.lat is not None and c.place.lon is not None
    ]
    return _geojson(features)


@require_GET
def bases_geojson(request: HttpRequest) -> HttpResponse:
    scope = request.user.scope()  # type: ignore[union-attr]
    features = [
        _feature(b.lon, b.lat, {"id": b.pk, "name": b.name, "kind": b.get_kind_display()})
        for b in queries.bases_in(scope)
    ]
    return _geojson(features)
