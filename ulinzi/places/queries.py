"""Reads of the gazetteer used by pages, the API and commands."""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from ulinzi.lib.text import record_id
from ulinzi.places.models import Base, Community, GazetteerState, Place
from ulinzi.places.namesakes import telling_apart
from ulinzi.places.records import ADMIN_KINDS, PlaceRecord
from ulinzi.places.scope import Scope

ANCESTOR_ID_FIELDS = [f"{f}_id" for f in Place.ANCESTOR_FIELDS]
_lock = threading.Lock()
_matcher: dict[str, Any] = {"version": None, "matcher": None, "pcodes": {}, "places": {}}
PLACES_KEPT = 10_000  # places kept by matched_place before it starts again


def bases_for(user: Any) -> QuerySet[Base]:
    """The bases a user works for: the whole mission's, or their own (not those whose
    areas merely overlap the user's)."""
    if user.scope().whole_mission:
        return Base.objects.order_by("name")
    return Base.objects.filter(pk__in=user.bases.values("pk")).order_by("name")


def communities_for(user: Any) -> QuerySet[Community]:
    """The communities in the user's area (every one for the whole mission), by name."""
    scope = user.scope()
    communities = Community.objects.select_related("place", "place__territory").order_by("name")
    return communities if scope.whole_mission else communities.filter(scope.place_q("place__"))


def gazetteer_version() -> str:
    state = GazetteerState.objects.filter(pk=1).values_list("version", "token").first()
    return f"{state[0]}:{state[1]}" if state else "0:"


def place_records() -> tuple[list[PlaceRecord], dict[int, str]]:
    """Every place as a PlaceRecord, and the P-code of each place that has one."""
    rows = list(
        Place.objects.values_list(
            "id",
            "name",
            "kind",
            "lat",
            "lon",
            "alt_names",
            "population",
            "pcode",
            "country",
            "province_id",
            "territory_id",
            "health_zone_id",
            "health_area_id",
        )
    )
    names = {r[0]: r[1] for r in rows}
    records = []
    for pk, name, kind, lat, lon, alt, population, pcode, country, *chain in rows:
        ancestors = tuple(i for i in chain if i)
        records.append(
            PlaceRecord(
                id=pk,
                name=name,
                kind=kind,
                lat=lat,
                lon=lon,
                alt_names=tuple(alt or ()),
                admin_names=tuple(names[i] for i in ancestors if i in names),
                admin_ids=ancestors,
                population=population,
                pcode=pcode,
                country=country,
            )
        )
    return records, {r[0]: r[7] for r in rows if r[7]}


def matcher() -> Any:
    """The place matcher over the current gazetteer, rebuilt after each import."""
    from ulinzi.places.matching import Matcher

    version = gazetteer_version()
    with _lock:
        if _matcher["version"] != version or _matcher["matcher"] is None:
            records, pcodes = place_records()
            _matcher.update(version=version, matcher=Matcher(records), pcodes=pcodes, places={})
        return _matcher["matcher"]


def matched_place(place_id: int) -> Place | None:
    """The place (without its outline and details) of a match the current matcher gave.
    Places change only by a gazetteer import, which makes a new matcher: each is read
    once per matcher, not once per report."""
    with _lock:
        kept: dict[int, Place] = _matcher["places"]
        if place_id in kept:
            return kept[place_id]
    place = Place.objects.defer("geometry", "details").filter(pk=place_id).first()
    if place is not None:
        with _lock:
            if len(kept) >= PLACES_KEPT:
                kept.clear()
            kept[place_id] = place
    return place


def admin_pcode(record: PlaceRecord) -> str | None:
    """The record's own P-code, else that of the smallest area around it that has one."""
    if record.pcode:
        return record.pcode
    pcodes: dict[int, str] = _matcher["pcodes"]
    for area_id in reversed(record.admin_ids):
        if area_id in pcodes:
            return pcodes[area_id]
    return None


def search_places(
    query: str,
    *,
    hint: str | None = None,
    limit: int = 5,
    country: str | None = None,
    using: Any = None,
) -> dict[str, Any]:
    """Ranked candidates for a place description, as JSON-ready data.

    ``using``: a matcher from ``matcher()`` to reuse across many look-ups (each call
    to ``matcher()`` checks the gazetteer version in the database)."""
    from ulinzi.places.matching import result_json

    found = (using or matcher()).match(query, hint=hint, limit=limit, country=country)
    data: dict[str, Any] = result_json(found)
    for candidate, item in zip(found.candidates, data["candidates"], strict=True):
        item["admin_pcode"] = admin_pcode(candidate.record)
    return data


def communities_in(scope: Scope) -> QuerySet[Community]:
    return Community.objects.filter(scope.place_q("place__")).select_related("place")


def bases_in(scope: Scope) -> QuerySet[Base]:
    if scope.whole_mission:
        return Base.objects.all()
    # A base is in scope when its area lies inside the user's areas, or contains them.
    around = set()
    for row in Place.objects.filter(pk__in=scope.area_ids).values_list(*ANCESTOR_ID_FIELDS):
        around.update(i for i in row if i)
    return Base.objects.filter(scope.place_q("areas__") | Q(areas__in=around)).distinct()


def get_place(pk: int) -> Place | None:
    return Place.objects.filter(pk=pk).first()


def names_of(ids: list[int]) -> dict[int, str]:
    return dict(Place.objects.filter(pk__in=ids).values_list("pk", "name"))


#: The least confidence at which a name a person typed is taken for a place without
#: asking; under it, or when namesakes score alike, they are asked to choose.
PICK_MIN_SCORE = 0.6
#: Candidates under this confidence are not offered as choices at all.
PICK_FLOOR = 0.3


def pick_place(name: str, *, hint: str | None = None) -> tuple[Place | None, list[str]]:
    """The place a person typed in a form: ``(place, [])`` when one gazetteer place is
    clearly meant, else ``(None, choices)``: the candidates to choose from, each with
    its kind, area and id ("Goma: town, Nord-Kivu › Goma (#72)"), empty when nothing
    matches. ``#72`` (or ``72``) is taken as that place's id. ``hint`` (a nearby
    place's name) breaks ties between namesakes.

    The areas named after a town (Beni territory and health zone around Beni town) are
    not other places: the town is meant."""
    from ulinzi.places.matching import candidate_json

    name = name.strip()
    given = record_id(name.removeprefix("#"))
    if given is not None:
        return matched_place(given), []
    candidates = matcher().match(name, hint=hint, limit=5).candidates
    found = [c for c in candidates if c.score >= PICK_FLOOR]
    if not found:
        return None, []
    top = found[0]
    same_name = [c for c in found[1:] if c.record.name.casefold() == top.record.name.casefold()]
    inner = [c for c in same_name if _named_after(c.record, top.record)]
    if inner:  # the top one is an area named after a smaller place: that one is meant
        top = max(inner, key=lambda c: len(c.record.admin_ids))
    others = [c for c in same_name if c is not top and not _named_after(top.record, c.record)]
    if top.score >= PICK_MIN_SCORE and not any(c.score >= top.score - 0.05 for c in others):
        place = matched_place(top.record.id)
        if place is not None:
            return place, []
    kinds = dict(Place.Kind.choices)
    choices = []
    for c in found:
        item = candidate_json(c)
        where = item["admin_path"] or "—"
        choices.append(
            f"{item['name']}: {kinds.get(item['kind'], item['kind'])}, {where} (#{item['place_id']})"
        )
    return None, choices


#: Where a namesake that shares every area with another is named by its nearest
#: neighbouring settlement: the boxes (degrees either side) searched in turn.
NEIGHBOUR_SPANS = (0.05, 0.15, 0.5)
SETTLEMENT_KINDS = ("village", "town", "quarter", "camp")


def namesake_words(options: list[Place]) -> list[str]:
    """What a question to a reporter calls each of these namesakes (``options``, in
    order): its largest area no other shares (:func:`namesakes.telling_apart`:
    "Which Kitsanga? 1 Maboya 2 Mambingi"), else the nearest settlement of another name
    that no other option is called by, else its territory's name (the number still
    answers the question)."""
    fields = ("territory_id", "health_zone_id", "health_area_id")
    names = names_of([i for p in options for i in (getattr(p, f) for f in fields) if i])
    areas = [[names.get(getattr(p, f)) for f in fields] for p in options]
    words = telling_apart(areas)
    taken = {w.casefold() for w in words if w} | {p.name.casefold() for p in options}
    result = []
    for place, word, own in zip(options, words, areas, strict=True):
        if word is None:
            word = _neighbour(place, taken)
            if word is not None:
                taken.add(word.casefold())
        result.append(word or next((a for a in own if a), None) or place.name)
    return result


def _neighbour(place: Place, taken: set[str]) -> str | None:
    """The name of the settlement nearest ``place`` whose name is not in ``taken``
    (casefolded), within half a degree. Names with a digit ("Butashiba 2") are passed
    over: in "1 Rutshuru 2 Butashiba 2 3 ..." the numbers would be the question's."""
    from ulinzi.places.matching import haversine_km

    if place.lat is None or place.lon is None:
        return None
    for span in NEIGHBOUR_SPANS:
        around = Place.objects.filter(
            kind__in=SETTLEMENT_KINDS,
            lat__range=(place.lat - span, place.lat + span),
            lon__range=(place.lon - span, place.lon + span),
        ).values_list("name", "lat", "lon")
        nearest = min(
            (
                (haversine_km(place.lat, place.lon, lat, lon), name)
                for name, lat, lon in around
                if name.casefold() not in taken and not any(c.isdigit() for c in name)
            ),
            default=None,
        )
        if nearest is not None:
            return nearest[1]
    return None


def unclear_place(typed: str, choices: list[str]) -> str:
    """What a form says of a place typed that :func:`pick_place` could not settle."""
    if not choices:
        return _("No place is called %(name)s.") % {"name": typed[:60]}
    return _("%(name)s may be several places; choose one, or give its id: %(choices)s.") % {
        "name": typed[:60],
        "choices": "; ".join(choices),
    }


def _named_after(inner: PlaceRecord, area: PlaceRecord) -> bool:
    """Whether ``area`` is named after ``inner`` rather than another place of that name:
    it holds it (Kokola health area around Kokola village; Kibirizi health zone around
    Kibirizi health area), or lies beside a settlement in the same larger area (Beni
    health zone beside Beni town, in Beni territory)."""
    if area.kind not in ADMIN_KINDS or area.id == inner.id:
        return False
    beside = inner.kind not in ADMIN_KINDS and set(area.admin_ids) <= set(inner.admin_ids)
    return area.id in inner.admin_ids or beside
