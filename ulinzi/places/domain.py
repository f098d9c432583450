"""Every change to places, bases and communities.

Each function runs in one transaction and writes its audit entry in it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ulinzi.audit import domain as audit
from ulinzi.places.gazetteer import LEVELS, AreaIndex, Chain, link_rows
from ulinzi.places.models import Base, Community, GazetteerState, Place
from ulinzi.places.sources import RowError, SourceRow, parse

COMPARED_FIELDS = (
    "name",
    "kind",
    "country",
    "pcode",
    "lat",
    "lon",
    "population",
    "alt_names",
    "province_id",
    "territory_id",
    "health_zone_id",
    "health_area_id",
    "geometry",
    "details",
)


class ImportRefused(Exception):
    """The file has bad rows and the import was asked to apply completely or not at all."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} bad row(s); nothing was imported")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_bad: int = 0
    other_country: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_bad": self.skipped_bad,
            "other_country": self.other_country,
        }


def area_index_from_database() -> AreaIndex:
    index = AreaIndex()
    areas = list(
        Place.objects.filter(kind__in=LEVELS).values(
            "id", "key", "kind", "name", "pcode", "geometry", *(f"{f}_id" for f in LEVELS)
        )
    )
    key_of = {a["id"]: a["key"] for a in areas}
    # Add larger areas first so that the index can resolve names within them.
    for area in sorted(areas, key=lambda a: LEVELS.index(a["kind"])):
        chain = tuple(key_of.get(area[f"{f}_id"]) for f in LEVELS)
        index.add(area["key"], area["kind"], area["name"], chain, area["pcode"], area["geometry"])  # type: ignore[arg-type]
    return index


# A file may leave these out (a P-code list without coordinates, a CSV without
# boundaries): then the place keeps what it had instead of losing it.
KEPT_WHEN_ABSENT = ("lat", "lon", "population", "geometry", "alt_names", "details")


def _refused_change(place: Place, values: dict[str, Any]) -> str:
    """Changes a re-import must not make silently."""
    if place.kind != values["kind"] and (place.kind in LEVELS or values["kind"] in LEVELS):
        return (
            f"{place.name} is a {place.kind} in the gazetteer; this file would make it a "
            f"{values['kind']} (fix the kind, or give the place another code)"
        )
    return ""


def _values(
    row: SourceRow, chain: Chain, ids: dict[str, int], existing: Place | None
) -> dict[str, Any]:
    values = _row_values(row, chain, ids)
    if existing is not None:
        for name in KEPT_WHEN_ABSENT:
            if values[name] in (None, [], {}):
                values[name] = getattr(existing, name)
        for name in ("province_id", "territory_id", "health_zone_id", "health_area_id"):
            if values[name] is None:
                values[name] = getattr(existing, name)
    return values


def _row_values(row: SourceRow, chain: Chain, ids: dict[str, int]) -> dict[str, Any]:
    return {
        "name": row.name[:200],
        "kind": row.kind if row.kind in Place.Kind.values else Place.Kind.OTHER,
        "country": row.country,
        "pcode": row.pcode,
        "lat": row.lat,
        "lon": row.lon,
        "population": row.population,
        "alt_names": list(row.alt_names),
        "province_id": ids.get(chain[0]) if chain[0] else None,
        "territory_id": ids.get(chain[1]) if chain[1] else None,
        "health_zone_id": ids.get(chain[2]) if chain[2] else None,
        "health_area_id": ids.get(chain[3]) if chain[3] else None,
        "geometry": row.geometry,
        "details": row.extra,
    }


def import_gazetteer(
    path: Path,
    fmt: str,
    *,
    actor: Any = None,
    country: str | None = None,
    skip_bad: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a gazetteer file: create new places, update changed ones in place.

    With bad rows, refuses the whole file (``ImportRefused``, nothing written) unless
    ``skip_bad``. Re-importing the same file changes nothing. Side effects: one audit
    entry; bumps the gazetteer version so every matcher rebuilds.
    """
    parsed = parse(path, fmt, country)
    if parsed.errors and not skip_bad:
        raise ImportRefused(parsed.errors)
    result = ImportResult(
        skipped_bad=len(parsed.errors), other_country=parsed.skipped, errors=parsed.errors
    )
    with transaction.atomic():
        linked = link_rows(parsed.rows, area_index_from_database())
        keys = [row.key for row, _ in linked]
        existing: dict[str, Place] = {}
        for start in range(0, len(keys), 2000):
            for place in Place.objects.filter(key__in=keys[start : start + 2000]):
                existing[place.key] = place
        ids = dict(Place.objects.filter(kind__in=LEVELS).values_list("key", "id"))
        ids.update({k: p.pk for k, p in existing.items()})
        # Areas are linked before what they contain, so create level by level.
        by_level: dict[int, list[tuple[SourceRow, Chain]]] = {}
        for row, chain in linked:
            level = LEVELS.index(row.kind) if row.kind in LEVELS else len(LEVELS)
            by_level.setdefault(level, []).append((row, chain))
        now = timezone.now()
        refused: list[RowError] = []
        for level in sorted(by_level):
            new: list[Place] = []
            changed: list[Place] = []
            for row, chain in by_level[level]:
                place = existing.get(row.key)
                values = _values(row, chain, ids, place)
                if place is None:
                    new.append(Place(key=row.key, **values))
                elif any(getattr(place, k) != v for k, v in values.items()):
                    problem = _refused_change(place, values)
                    if problem:
                        refused.append(RowError(row.where, problem))
                        continue
                    for k, v in values.items():
                        setattr(place, k, v)
                    place.updated_at = now  # bulk_update does not apply auto_now
                    changed.append(place)
                else:
                    result.unchanged += 1
                if progress:
                    progress(1)
            for created in Place.objects.bulk_create(new, batch_size=500):
                if created.pk is None:  # backends that do not return ids
                    created.pk = Place.objects.get(key=created.key).pk
                ids[created.key] = created.pk
            if changed:
                Place.objects.bulk_update(changed, [*COMPARED_FIELDS, "updated_at"], batch_size=500)
            result.created += len(new)
            result.updated += len(changed)
        if refused:
            if not skip_bad:
                transaction.set_rollback(True)
                raise ImportRefused(refused)
            result.errors.extend(refused)
            result.skipped_bad += len(refused)
        if result.created or result.updated:
            bump_gazetteer_version()
        audit.record(
            actor,
            "places.import_gazetteer",
            subject_type="places.gazetteer",
            subject_label=f"{path.name} ({fmt})",
            after={
                **result.summary(),
                "file": path.name,
                "format": fmt,
                "errors": [str(e) for e in result.errors[:50]],
            },
        )
    return result


def bump_gazetteer_version() -> None:
    state, _ = GazetteerState.objects.get_or_create(pk=1)
    GazetteerState.objects.filter(pk=state.pk).update(
        version=F("version") + 1, token=uuid.uuid4().hex
    )


def save_base(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    lat: float,
    lon: float,
    place: Place | None = None,
    areas: list[Place] | None = None,
) -> Base:
    """Create a base or update the one with this code; its areas are replaced."""
    with transaction.atomic():
        base = Base.objects.filter(code=code).first()
        before = audit.snapshot(base, ["name", "kind", "lat", "lon", "place"]) if base else None
        if base is None:
            base = Base(code=code)
        base.name, base.kind, base.lat, base.lon, base.place = name, kind, lat, lon, place
        base.full_clean(exclude=["place"])
        base.save()
        if areas is not None:
            base.areas.set(areas)
        after = audit.snapshot(base, ["name", "kind", "lat", "lon", "place"])
        after["areas"] = sorted(base.areas.values_list("pk", flat=True))
        audit.record(actor, "places.save_base", base, before=before, after=after)
    return base


def save_community(
    *,
    actor: Any,
    name: str,
    place: Place,
    population: int | None = None,
    languages: list[str] | None = None,
) -> Community:
    """Create the community of this name at this place, or update it."""
    with transaction.atomic():
        community = Community.objects.filter(name=name, place=place).first()
        fields = ["name", "place", "population", "languages"]
        before = audit.snapshot(community, fields) if community else None
        if community is None:
            community = Community(name=name, place=place)
        community.population = population
        community.languages = languages or []
        community.full_clean()
        community.save()
        audit.record(
            actor,
            "places.save_community",
            community,
            before=before,
            after=audit.snapshot(community, fields),
        )
    return community
