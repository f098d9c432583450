"""Link an event's point to the gazetteer: nearest settlement, containing province and
territory, nearest community, and its 0.5-degree grid cell.

Built once per import from the database (``Linker.from_database()``), then pure
look-ups: a k-d tree on unit vectors for "nearest" (chord distance orders points as
the great-circle distance does), and the gazetteer's own polygons for "inside".
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ulinzi.places.records import SETTLEMENT_KINDS

EARTH_KM = 6371.0088
LINK_KM = 25.0  # an event further than this from every settlement keeps no place
COMMUNITY_KM = 15.0  # and further than this from every community keeps no community
BORDER_KM = 2.0  # a point outside every province this close to a settlement takes its areas
_lock = threading.Lock()
_cache: dict[str, Any] = {}  # the cached linker and the state it was built for


def grid_cell(lat: float, lon: float) -> int:
    """The PRIO-GRID cell id of a point: 0.5-degree cells numbered row by row from the
    south-west corner (-90, -180), starting at 1 (``gid = row * 720 + col + 1``)."""
    row = min(int(math.floor((lat + 90.0) / 0.5)), 359)
    col = min(int(math.floor((lon + 180.0) / 0.5)), 719)
    return row * 720 + col + 1


def grid_cell_centre(gid: int) -> tuple[float, float]:
    row, col = divmod(gid - 1, 720)
    return -90.0 + row * 0.5 + 0.25, -180.0 + col * 0.5 + 0.25


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def _chord_to_km(chord: np.ndarray) -> np.ndarray:
    return 2.0 * EARTH_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))


class _Nearest:
    def __init__(self, ids: list[int], lat: list[float], lon: list[float]) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.tree = cKDTree(_unit_vectors(np.asarray(lat), np.asarray(lon))) if ids else None

    def query(
        self, lat: np.ndarray, lon: np.ndarray, max_km: float
    ) -> tuple[list[int | None], list[float | None]]:
        if self.tree is None or not len(lat):
            return [None] * len(lat), [None] * len(lat)
        chord, index = self.tree.query(_unit_vectors(lat, lon))
        km = _chord_to_km(np.asarray(chord))
        found: list[int | None] = []
        distance: list[float | None] = []
        for k, i in zip(km, index, strict=True):
            near = bool(k <= max_km)
            found.append(int(self.ids[i]) if near else None)
            distance.append(round(float(k), 2) if near else None)
        return found, distance


@dataclass(frozen=True, slots=True)
class Link:
    place_id: int | None
    place_km: float | None
    province_id: int | None
    territory_id: int | None
    community_id: int | None
    grid_cell: int


class Linker:
    def __init__(
        self,
        settlements: list[tuple[int, float, float, int | None, int | None]],
        communities: list[tuple[int, float, float]],
        area_index: Any,
        area_ids: dict[str, int],
    ) -> None:
        self.settlements = _Nearest(
            [s[0] for s in settlements], [s[1] for s in settlements], [s[2] for s in settlements]
        )
        self.parents = {s[0]: (s[3], s[4]) for s in settlements}
        self.communities = _Nearest(
            [c[0] for c in communities], [c[1] for c in communities], [c[2] for c in communities]
        )
        self.area_index = area_index
        self.area_ids = area_ids

    @classmethod
    def from_database(cls) -> Linker:
        from ulinzi.places.domain import area_index_from_database
        from ulinzi.places.models import Community, Place

        settlements = list(
            Place.objects.filter(
                kind__in=SETTLEMENT_KINDS, lat__isnull=False, lon__isnull=False
            ).values_list("id", "lat", "lon", "province_id", "territory_id")
        )
        communities = list(
            Community.objects.filter(place__lat__isnull=False).values_list(
                "id", "place__lat", "place__lon"
            )
        )
        area_ids = dict(
            Place.objects.filter(kind__in=("province", "territory")).values_list("key", "id")
        )
        return cls(settlements, communities, area_index_from_database(), area_ids)

    @classmethod
    def cached(cls) -> Linker:
        """One linker per state of the gazetteer and the communities: closing an alert
        links one point, and must not reload 20,000 places and the polygons to do it."""
        from django.db.models import Count, Max

        from ulinzi.places.models import Community
        from ulinzi.places.queries import gazetteer_version

        stamp = Community.objects.aggregate(n=Count("id"), last=Max("id"))
        key = f"{gazetteer_version()}:{stamp['n']}:{stamp['last']}"
        with _lock:
            if _cache.get("key") == key:
                return _cache["linker"]  # type: ignore[no-any-return]
        linker = cls.from_database()
        with _lock:
            _cache.update(key=key, linker=linker)
        return linker

    def _area(self, kind: str, lat: float, lon: float) -> int | None:
        key = self.area_index.containing(kind, lat, lon)
        return self.area_ids.get(key) if key else None

    def link(self, points: list[tuple[float, float]]) -> list[Link]:
        """Links for many points at once (one tree query per kind)."""
        if not points:
            return []
        lat = np.asarray([p[0] for p in points], dtype=float)
        lon = np.asarray([p[1] for p in points], dtype=float)
        places, km = self.settlements.query(lat, lon, LINK_KM)
        communities, _ = self.communities.query(lat, lon, COMMUNITY_KM)
        links = []
        for i, (la, lo) in enumerate(points):
            province = self._area("province", la, lo)
            territory = self._area("territory", la, lo) if province else None
            place, place_km = places[i], km[i]
            if place is not None and province is None:
                if place_km is not None and place_km <= BORDER_KM:
                    # Just outside every polygon (a point on a border river, a
                    # coordinate rounded into the lake): the settlement's areas.
                    province, territory = self.parents[place]
                else:
                    # Across a border (Bangui is 5 km from Zongo): not this gazetteer's.
                    place, place_km = None, None
            links.append(
                Link(place, place_km, province, territory, communities[i], grid_cell(la, lo))
            )
        return links
