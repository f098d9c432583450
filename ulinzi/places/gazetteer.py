"""Linking places to the areas that contain them (no Django import).

Sources name their containing areas in different ways: GRID3 by province,
territory, health zone and health area names; COD-AB territories by their parent's
P-code; GeoNames not at all. ``AreaIndex`` resolves each row to the chain
(province, territory, health zone, health area) of keys, by P-code first, then by
name, then by locating the point inside the province and territory polygons.

The same code runs for the database import (``places.domain``) and for
``bundled_records()``, which builds the whole demo gazetteer in memory for the
matcher's tests and benchmark.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ulinzi.places.records import PlaceRecord
from ulinzi.places.sources import SourceRow, fold, parse

BUNDLED_DIR = Path(__file__).resolve().parent / "data"

# The files `make demo` loads, in order: areas first so that settlements link to them.
BUNDLED_FILES: tuple[tuple[str, str, str | None], ...] = (
    ("cod_adm1_provinces.geojson.gz", "geojson", "CD"),
    ("cod_adm2_territoires.geojson.gz", "geojson", "CD"),
    ("geonames_cd_towns.tsv.gz", "geonames", "CD"),
    ("grid3_ituri.geojson.gz", "grid3", "CD"),
    ("grid3_nord-kivu.geojson.gz", "grid3", "CD"),
    ("grid3_sud-kivu.geojson.gz", "grid3", "CD"),
)

Chain = tuple[str | None, str | None, str | None, str | None]
EMPTY_CHAIN: Chain = (None, None, None, None)
LEVELS = ("province", "territory", "health_zone", "health_area")


@dataclass
class Area:
    key: str
    kind: str
    name: str
    chain: Chain  # the area's own ancestors
    geometry: Any = None  # shapely geometry for provinces and territories


@dataclass
class AreaIndex:
    """Known admin areas, by key, P-code and folded name."""

    areas: dict[str, Area] = field(default_factory=dict)
    by_pcode: dict[str, str] = field(default_factory=dict)
    by_name: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    _trees: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        key: str,
        kind: str,
        name: str,
        chain: Chain,
        pcode: str | None = None,
        geometry: dict[str, Any] | None = None,
    ) -> None:
        if kind not in LEVELS:
            return
        # The polygon is parsed only if a point must be located in it (see _containing).
        kept = geometry if geometry and kind in ("province", "territory") else None
        self.areas[key] = Area(key, kind, name, chain, kept)
        if pcode:
            self.by_pcode[pcode] = key
        names = self.by_name.setdefault((kind, fold(name)), [])
        if key not in names:
            names.append(key)
        self._trees.pop(kind, None)

    def chain_of(self, key: str) -> Chain:
        """The chain of an area including the area itself."""
        area = self.areas[key]
        level = LEVELS.index(area.kind)
        chain = list(area.chain)
        chain[level] = key
        return (chain[0], chain[1], chain[2], chain[3])

    def _named(self, kind: str, name: str, within: str | None) -> str | None:
        keys = self.by_name.get((kind, fold(name)), [])
        if within:
            keys = [k for k in keys if within in self.areas[k].chain]
        return keys[0] if len(keys) == 1 else None

    def _containing(self, kind: str, lat: float, lon: float) -> str | None:
        import shapely
        from shapely import STRtree
        from shapely.geometry import Point

        if kind not in self._trees:
            keyed = [
                (k, a.geometry) for k, a in self.areas.items() if a.kind == kind and a.geometry
            ]
            shapes = [shapely.from_geojson(json.dumps(g)) for _, g in keyed]
            self._trees[kind] = (STRtree(shapes), [k for k, _ in keyed])
        tree, keys = self._trees[kind]
        if not keys:
            return None
        hits = tree.query(Point(lon, lat), predicate="intersects")
        return keys[int(hits[0])] if len(hits) else None

    def containing(self, kind: str, lat: float, lon: float) -> str | None:
        """The key of the province or territory whose boundary contains the point."""
        return self._containing(kind, lat, lon)

    def locate(self, row: SourceRow) -> Chain:
        """The chain of areas that contain ``row`` (excluding the row itself)."""
        if row.parent_pcode and row.parent_pcode in self.by_pcode:
            return self.chain_of(self.by_pcode[row.parent_pcode])
        level = LEVELS.index(row.kind) if row.kind in LEVELS else len(LEVELS)
        chain: list[str | None] = [None, None, None, None]
        has_point = row.lat is not None and row.lon is not None
        if level > 0:
            province = self._named("province", row.province, None) if row.province else None
            if province is None and has_point:
                province = self._containing("province", row.lat, row.lon)  # type: ignore[arg-type]
            chain[0] = province
        if level > 1:
            territory = self._named("territory", row.territory, chain[0]) if row.territory else None
            if territory is None and has_point:
                territory = self._containing("territory", row.lat, row.lon)  # type: ignore[arg-type]
            chain[1] = territory
        if level > 2 and row.health_zone:
            chain[2] = self.by_name_key(
                "health_zone", f"grid3-zs:{fold(row.province)}/{fold(row.health_zone)}"
            )
        if level > 3 and row.health_area and row.health_zone:
            chain[3] = self.by_name_key(
                "health_area",
                f"grid3-as:{fold(row.province)}/{fold(row.health_zone)}/{fold(row.health_area)}",
            )
        return (chain[0], chain[1], chain[2], chain[3])

    def by_name_key(self, kind: str, key: str) -> str | None:
        return key if key in self.areas and self.areas[key].kind == kind else None


def order_for_linking(rows: list[SourceRow]) -> list[SourceRow]:
    """Areas before what they contain, so one pass links everything in a file."""
    rank = {kind: i for i, kind in enumerate(LEVELS)}
    return sorted(rows, key=lambda r: rank.get(r.kind, len(LEVELS)))


def link_rows(rows: list[SourceRow], index: AreaIndex) -> list[tuple[SourceRow, Chain]]:
    """Resolve each row's containing areas, adding the file's own areas as it goes."""
    linked = []
    for row in order_for_linking(rows):
        chain = index.locate(row)
        index.add(row.key, row.kind, row.name, chain, row.pcode, row.geometry)
        linked.append((row, chain))
    return linked


def bundled_records(data_dir: Path | None = None) -> list[PlaceRecord]:
    """The whole demo gazetteer as PlaceRecords, built in memory from the bundled files."""
    directory = data_dir or BUNDLED_DIR
    index = AreaIndex()
    linked: list[tuple[SourceRow, Chain]] = []
    for filename, fmt, country in BUNDLED_FILES:
        path = directory / filename
        if not path.exists():
            path = directory / filename.removesuffix(".gz")
        linked.extend(link_rows(parse(path, fmt, country).rows, index))
    ids = {row.key: number for number, (row, _) in enumerate(linked, start=1)}
    names = {row.key: row.name for row, _ in linked}
    records = []
    for row, chain in linked:
        ancestors = [k for k in chain if k]
        records.append(
            PlaceRecord(
                id=ids[row.key],
                name=row.name,
                kind=row.kind,
                lat=row.lat,
                lon=row.lon,
                alt_names=row.alt_names,
                admin_names=tuple(names[k] for k in ancestors),
                admin_ids=tuple(ids[k] for k in ancestors),
                population=row.population,
                pcode=row.pcode,
                country=row.country,
            )
        )
    return records
