"""Readers for gazetteer files (no Django import).

Each reader turns one file into ``SourceRow`` objects and a list of ``RowError``
(with the line or feature number and a reason a person understands). A file that
cannot be read at all (not UTF-8, not the expected columns, not GeoJSON) raises
``SourceError``. The importer decides what to do with bad rows: refuse the whole
file (the default) or skip them.

Every row carries a stable ``key`` so that re-importing a file updates places in
place instead of duplicating them:

- ``pcode:<P-code>`` for admin areas and anything else with an official P-code,
  whichever format it came from (COD-AB GeoJSON, a P-code CSV, an HXL sheet);
- ``geonames:<geonameid>`` for GeoNames rows;
- ``grid3:<grid3id>`` for GRID3 settlements, and ``grid3-zs:…``/``grid3-as:…`` for
  the health zones and health areas derived from them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ulinzi.places.records import KINDS

FORMATS = ("geonames", "grid3", "geojson", "pcode-csv", "hxl")

# Rough bounding boxes (lat_min, lat_max, lon_min, lon_max) of the countries the
# data covers. A point outside its country is almost always a swapped or
# mistyped coordinate, so it is refused rather than put on the map in the sea.
COUNTRY_BOUNDS: dict[str, tuple[float, float, float, float]] = {
    "CD": (-13.6, 5.5, 12.0, 31.4),
    "CF": (2.1, 11.1, 14.3, 27.6),
    "SS": (3.4, 12.3, 23.4, 36.0),
    "SD": (8.6, 22.3, 21.8, 38.7),
    "TD": (7.4, 23.5, 13.4, 24.1),
}

GRID3_KINDS = {
    "village": "village",
    "campement": "camp",
    "quartier": "quarter",
    "avenue": "quarter",
    "ferme": "other",
    "autre": "other",
}


class SourceError(Exception):
    """The file as a whole cannot be read in the format asked for."""


@dataclass(frozen=True, slots=True)
class RowError:
    where: str  # "line 12" or "feature 7"
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(slots=True)
class SourceRow:
    where: str
    key: str
    name: str
    kind: str
    lat: float | None
    lon: float | None
    country: str = "CD"
    pcode: str | None = None
    alt_names: tuple[str, ...] = ()
    population: int | None = None
    # Names of containing areas as the file gives them (any may be empty).
    province: str = ""
    territory: str = ""
    health_zone: str = ""
    health_area: str = ""
    parent_pcode: str | None = None
    geometry: dict[str, Any] | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Parsed:
    rows: list[SourceRow]
    errors: list[RowError]
    skipped: int = 0  # rows deliberately left out (another country), not errors


def fold(text: str) -> str:
    """Case- and accent-insensitive key for joining names across sources."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace("-", " ").replace("'", " ").split())


def read_text(path: Path) -> str:
    """Read a UTF-8 file (optionally gzipped), with a clear error if it is not text."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise SourceError(f"{path.name} looks gzipped but is damaged: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"{path.name} is not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line}. "
            "Save the file as UTF-8 and import it again."
        ) from exc
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise SourceError(f"{path.name} contains a NUL character on line {line}")
    return text


def parse_coordinate(value: Any, what: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{what} is missing")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {value!r} is not a number")
    if not math.isfinite(number):
        raise ValueError(f"{what} {value!r} is not a finite number")
    return number


def check_point(lat: float, lon: float, country: str | None) -> None:
    if not -90 <= lat <= 90:
        raise ValueError(f"latitude {lat} is outside -90..90")
    if not -180 <= lon <= 180:
        raise ValueError(f"longitude {lon} is outside -180..180")
    bounds = COUNTRY_BOUNDS.get(country or "")
    if bounds and not (bounds[0] <= lat <= bounds[1] and bounds[2] <= lon <= bounds[3]):
        raise ValueError(
            f"point (lat {lat}, lon {lon}) is outside {country}; are latitude and longitude swapped?"
        )


MAX_POPULATION = 2_000_000_000
MAX_NAME = 200
PCODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def parse_population(value: str) -> int | None:
    """An optional head count: a whole number from 0 to two billion."""
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"population {value!r} is not a number")
    if not math.isfinite(number) or not 0 <= number <= MAX_POPULATION:
        raise ValueError(f"population {value!r} is not between 0 and {MAX_POPULATION:,}")
    return int(number)


def check_pcode(pcode: str) -> str:
    if len(pcode) > 20 or not set(pcode) <= PCODE_CHARS:
        raise ValueError(f"P-code {pcode[:30]!r} is not a P-code (letters, digits, up to 20)")
    return pcode


def check_name(name: str) -> str:
    if len(name) > MAX_NAME:
        raise ValueError(f"the name is longer than {MAX_NAME} characters")
    return name


def _latin_names(names: Iterable[str], own: str) -> tuple[str, ...]:
    """Alternate names people in the field could type: Latin script, distinct."""
    seen = {fold(own)}
    kept = []
    for name in names:
        name = name.strip()
        key = fold(name)
        if not key or key in seen or not key.isascii() or len(key) < 2:
            continue
        seen.add(key)
        kept.append(name)
    return tuple(kept)


# --- GeoNames ---------------------------------------------------------------

GEONAMES_COLUMNS = 19


def parse_geonames(text: str, country: str | None = None) -> Parsed:
    """GeoNames dump rows (tab-separated, 19 columns, no header)."""
    out = Parsed([], [])
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != GEONAMES_COLUMNS:
            if number == 1:
                raise SourceError(
                    f"line 1 has {len(cells)} tab-separated columns; a GeoNames file has "
                    f"{GEONAMES_COLUMNS} (geonameid, name, asciiname, alternatenames, latitude, …)"
                )
            out.errors.append(
                RowError(f"line {number}", f"{len(cells)} columns instead of {GEONAMES_COLUMNS}")
            )
            continue
        gid, name, asciiname, alternates, lat, lon, fclass, fcode, cc = cells[:9]
        population = cells[14]
        if country and cc != country:
            out.skipped += 1
            continue
        try:
            if not gid.strip().isdigit():
                raise ValueError(f"geonameid {gid!r} is not a number")
            if not name.strip():
                raise ValueError("the name is empty")
            if gid in seen:
                raise ValueError(f"geonameid {gid} already appears on line {seen[gid]}")
            la = parse_coordinate(lat, "latitude")
            lo = parse_coordinate(lon, "longitude")
            check_point(la, lo, cc)
            pop = parse_population(population)
            check_name(name.strip())
        except ValueError as exc:
            out.errors.append(RowError(f"line {number}", str(exc)))
            continue
        seen[gid] = number
        kind = "town" if fclass == "P" else "other"
        if fcode in ("PPLX",):
            kind = "quarter"
        out.rows.append(
            SourceRow(
                where=f"line {number}",
                key=f"geonames:{gid.strip()}",
                name=name.strip(),
                kind=kind,
                lat=la,
                lon=lo,
                country=cc,
                alt_names=_latin_names([asciiname, *alternates.split(",")], name),
                population=pop,
            )
        )
    return out


# --- GeoJSON (GRID3 settlements, COD-AB boundaries, any named features) -------


def _features(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON: {exc.msg} on line {exc.lineno}") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise SourceError("not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise SourceError("the FeatureCollection has no list of features")
    return features


def _numbered_features(
    text: str, out: Parsed
) -> Iterator[tuple[int, str, dict[str, Any], dict[str, Any]]]:
    """Each feature with its number and properties; what is not a Feature is an error."""
    for number, feature in enumerate(_features(text), start=1):
        where = f"feature {number}"
        if not isinstance(feature, dict):
            out.errors.append(RowError(where, "not a GeoJSON Feature"))
            continue
        props = feature.get("properties")
        yield number, where, feature, props if isinstance(props, dict) else {}


def _point(feature: dict[str, Any], country: str | None) -> tuple[float, float]:
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise ValueError("geometry is not a Point")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise ValueError("the Point has no [longitude, latitude] coordinates")
    lon = parse_coordinate(coords[0], "longitude")
    lat = parse_coordinate(coords[1], "latitude")
    check_point(lat, lon, country)
    return lat, lon


def _text(props: dict[str, Any], *names: str) -> str:
    for name in names:
        value = props.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def parse_grid3(text: str, country: str | None = "CD") -> Parsed:
    """GRID3 settlement points; also derives their health zones and health areas.

    A health zone or health area is how many localities are known, so each becomes
    a place of its own at the centroid of its settlements.
    """
    country = country or "CD"
    out = Parsed([], [])
    seen: dict[str, int] = {}
    for number, where, feature, props in _numbered_features(text, out):
        try:
            gid = _text(props, "grid3id")
            name = _text(props, "localite")
            if not gid:
                raise ValueError("grid3id is missing")
            if not name:
                raise ValueError("localite (the settlement name) is missing")
            if gid in seen:
                raise ValueError(f"grid3id {gid} already appears in feature {seen[gid]}")
            lat, lon = _point(feature, country)
        except ValueError as exc:
            out.errors.append(RowError(where, str(exc)))
            continue
        seen[gid] = number
        alt = _text(props, "localite_alt")
        out.rows.append(
            SourceRow(
                where=where,
                key=f"grid3:{gid}",
                name=name,
                kind=GRID3_KINDS.get(fold(_text(props, "localitetype")), "other"),
                lat=lat,
                lon=lon,
                country=country,
                alt_names=_latin_names([alt], name) if alt else (),
                province=_text(props, "province"),
                territory=_text(props, "territoire"),
                health_zone=_text(props, "zonesante"),
                health_area=_text(props, "airesante"),
                extra={"source": _text(props, "source_acronym"), "year": _text(props, "date")},
            )
        )
    out.rows.extend(derive_health_areas(out.rows))
    return out


def derive_health_areas(settlements: list[SourceRow]) -> list[SourceRow]:
    """Health zones and health areas at the centroid of their settlements.

    The territory of a zone is the one most of its settlements lie in (zones can
    straddle a territory border).
    """
    zones: dict[tuple[str, str], list[SourceRow]] = defaultdict(list)
    areas: dict[tuple[str, str, str], list[SourceRow]] = defaultdict(list)
    for row in settlements:
        if row.health_zone:
            zones[(row.province, row.health_zone)].append(row)
            if row.health_area:
                areas[(row.province, row.health_zone, row.health_area)].append(row)
    derived = []
    for (province, zone), members in sorted(zones.items()):
        derived.append(
            _centroid_row(
                f"grid3-zs:{fold(province)}/{fold(zone)}", zone, "health_zone", members, province
            )
        )
    for (province, zone, area), members in sorted(areas.items()):
        row = _centroid_row(
            f"grid3-as:{fold(province)}/{fold(zone)}/{fold(area)}",
            area,
            "health_area",
            members,
            province,
        )
        row.health_zone = zone
        derived.append(row)
    return derived


def _centroid_row(
    key: str, name: str, kind: str, members: list[SourceRow], province: str
) -> SourceRow:
    lats = [m.lat for m in members if m.lat is not None]
    lons = [m.lon for m in members if m.lon is not None]
    territories: dict[str, int] = defaultdict(int)
    for m in members:
        if m.territory:
            territories[m.territory] += 1
    territory = max(sorted(territories), key=lambda t: territories[t]) if territories else ""
    return SourceRow(
        where=f"derived from {len(members)} settlements",
        key=key,
        name=name,
        kind=kind,
        lat=round(sum(lats) / len(lats), 6),
        lon=round(sum(lons) / len(lons), 6),
        country=members[0].country,
        province=province,
        territory=territory,
        extra={"settlements": str(len(members))},
    )


def _kind_from_pcode(pcode: str) -> str:
    # OCHA P-codes: country (2 letters) then 2 digits per admin level.
    digits = len(pcode) - 2
    return {2: "province", 4: "territory", 6: "health_zone"}.get(digits, "other")


def parse_geojson(text: str, country: str | None = "CD") -> Parsed:
    """Named features of any geometry (COD-AB boundaries, custom layers).

    Polygons keep their geometry (for the map and for locating points in them) and
    are placed at a point inside themselves.
    """
    import shapely  # only needed for polygons

    country = country or "CD"
    out = Parsed([], [])
    seen: dict[str, int] = {}
    for number, where, feature, props in _numbered_features(text, out):
        try:
            name = _text(props, "name", "nom", "NAME", "ADM2_FR", "ADM1_FR", "localite")
            if not name:
                raise ValueError("no name property (name or nom)")
            check_name(name)
            pcode = _text(props, "pcode", "PCODE", "ADM2_PCODE", "ADM1_PCODE").upper() or None
            if pcode:
                check_pcode(pcode)
            population = parse_population(_text(props, "population"))
            ident = _text(props, "id") or str(feature.get("id") or "")
            if not pcode and not ident:
                raise ValueError("neither a pcode nor an id property to recognise it by")
            key = f"pcode:{pcode}" if pcode else f"geojson:{ident}"
            if key in seen:
                raise ValueError(f"{key.split(':', 1)[1]} already appears in feature {seen[key]}")
            geometry = feature.get("geometry")
            if not isinstance(geometry, dict):
                raise ValueError("geometry is missing")
            if geometry.get("type") == "Point":
                lat, lon = _point(feature, country)
                kept_geometry = None
            elif geometry.get("type") in ("Polygon", "MultiPolygon"):
                try:
                    geom = shapely.from_geojson(json.dumps(geometry))
                    if geom.is_empty:
                        raise ValueError("it is empty")
                    inside = geom.representative_point()
                except Exception as exc:  # noqa: BLE001  (shapely fails in many ways on bad input)
                    raise ValueError(f"the {geometry.get('type')} is malformed ({exc})")
                lat, lon = round(inside.y, 6), round(inside.x, 6)
                check_point(lat, lon, country)
                kept_geometry = geometry
            else:
                raise ValueError(f"geometry type {geometry.get('type')!r} is not supported")
            kind = _text(props, "kind").lower() or (_kind_from_pcode(pcode) if pcode else "other")
            if kind not in KINDS:
                raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        except ValueError as exc:
            out.errors.append(RowError(where, str(exc)))
            continue
        seen[key] = number
        parent = _text(props, "parent_pcode").upper() or None
        if parent and parent == pcode:
            out.errors.append(RowError(where, f"parent_pcode {parent} is the place's own P-code"))
            continue
        out.rows.append(
            SourceRow(
                where=where,
                key=key,
                name=name,
                kind=kind,
                lat=lat,
                lon=lon,
                country=country,
                pcode=pcode,
                province=_text(props, "province") if kind != "province" else "",
                territory=_text(props, "territoire", "territory"),
                parent_pcode=parent or (pcode[:-2] if pcode and len(pcode) > 4 else None),
                geometry=kept_geometry,
                population=population,
            )
        )
    return out


# --- CSV with P-codes, and HXL-tagged sheets -----------------------------------

PCODE_CSV_REQUIRED = ("pcode", "name")
PCODE_CSV_OPTIONAL = ("kind", "parent_pcode", "lat", "lon", "population", "alt_names")


def _csv_rows(text: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise SourceError(f"not readable as CSV: {exc}") from exc


def _table_row(
    where: str,
    country: str,
    pcode: str,
    name: str,
    kind: str,
    parent: str,
    lat: str,
    lon: str,
    population: str = "",
    alt_names: str = "",
    province: str = "",
    territory: str = "",
) -> SourceRow:
    pcode = pcode.strip().upper()
    name = name.strip()
    kind = kind.strip().lower() or _kind_from_pcode(pcode)
    if not pcode:
        raise ValueError("the P-code is empty")
    if not name:
        raise ValueError("the name is empty")
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    la = lo = None
    if lat.strip() or lon.strip():
        la = parse_coordinate(lat, "latitude")
        lo = parse_coordinate(lon, "longitude")
        check_point(la, lo, country)
    check_pcode(pcode)
    check_name(name)
    pop = parse_population(population)
    if parent.strip().upper() == pcode:
        raise ValueError(f"parent_pcode {pcode} is the place's own P-code")
    return SourceRow(
        where=where,
        key=f"pcode:{pcode}",
        name=name,
        kind=kind,
        lat=la,
        lon=lo,
        country=country,
        pcode=pcode,
        population=pop,
        alt_names=_latin_names(alt_names.split(";"), name) if alt_names else (),
        parent_pcode=parent.strip().upper() or None,
        province=province,
        territory=territory,
    )


def parse_pcode_csv(text: str, country: str | None = "CD") -> Parsed:
    """A CSV with a header: pcode, name, and optionally kind, parent_pcode, lat, lon,
    population, alt_names (separated by ';')."""
    country = country or "CD"
    table = _csv_rows(text)
    if not table:
        raise SourceError("the file is empty")
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in PCODE_CSV_REQUIRED if c not in header]
    if missing:
        raise SourceError(
            f"line 1: missing column(s) {', '.join(missing)}; the header has "
            f"{', '.join(header) or 'nothing'}. Expected pcode, name and optionally "
            f"{', '.join(PCODE_CSV_OPTIONAL)}"
        )
    index = {
        name: header.index(name)
        for name in (*PCODE_CSV_REQUIRED, *PCODE_CSV_OPTIONAL)
        if name in header
    }
    return _parse_table(
        table[1:],
        2,
        country,
        lambda cells: {k: cells[i] if i < len(cells) else "" for k, i in index.items()},
    )


def _parse_table(rows: list[list[str]], first_line: int, country: str, pick: Any) -> Parsed:
    out = Parsed([], [])
    seen: dict[str, int] = {}
    for offset, cells in enumerate(rows):
        number = first_line + offset
        if not any(c.strip() for c in cells):
            continue
        values = pick(cells)
        try:
            row = _table_row(
                f"line {number}",
                country,
                values.get("pcode", ""),
                values.get("name", ""),
                values.get("kind", ""),
                values.get("parent_pcode", ""),
                values.get("lat", ""),
                values.get("lon", ""),
                values.get("population", ""),
                values.get("alt_names", ""),
                province=values.get("province", ""),
                territory=values.get("territory", ""),
            )
            if row.key in seen:
                raise ValueError(f"P-code {row.pcode} already appears on line {seen[row.key]}")
        except ValueError as exc:
            out.errors.append(RowError(f"line {number}", str(exc)))
            continue
        seen[row.key] = number
        out.rows.append(row)
    return out


def _hashtag(cell: str) -> tuple[str, frozenset[str]] | None:
    parts = cell.strip().lower().replace(" ", "").split("+")
    if not parts[0].startswith("#") or len(parts[0]) < 2:
        return None
    return parts[0], frozenset(parts[1:])


def parse_hxl(text: str, country: str | None = "CD") -> Parsed:
    """A CSV whose hashtag row (HXL) says what each column is.

    Reads ``#adm1+name/+code``, ``#adm2+name/+code``, ``#loc+name/+code``,
    ``#geo+lat``, ``#geo+lon``, ``#population``, ``#loc+name+alt``. Each row is the
    most specific place it describes: a location if ``#loc`` columns are there,
    otherwise its deepest admin level.
    """
    country = country or "CD"
    table = _csv_rows(text)
    tag_line = next(
        (
            i
            for i, cells in enumerate(table[:25])
            if any(c.strip() for c in cells) and all(_hashtag(c) for c in cells if c.strip())
        ),
        None,
    )
    if tag_line is None:
        raise SourceError(
            "no HXL hashtag row (such as #adm1+name,#adm1+code,#geo+lat) in the first 25 lines"
        )
    tags = [_hashtag(c) if c.strip() else None for c in table[tag_line]]

    def column(tag: str, *attrs: str, without: tuple[str, ...] = ()) -> int | None:
        for i, t in enumerate(tags):
            if t and t[0] == tag and set(attrs) <= t[1] and not set(without) & t[1]:
                return i
        return None

    levels = [
        (level, column(f"#{level}", "name", without=("alt",)), column(f"#{level}", "code"))
        for level in ("adm1", "adm2", "adm3", "loc")
    ]
    present = [(lvl, n, c) for lvl, n, c in levels if n is not None and c is not None]
    if not present:
        raise SourceError(
            "the hashtag row needs a name and a code column for at least one level (e.g. #adm2+name and #adm2+code)"
        )
    deepest = present[-1]
    parent = present[-2] if len(present) > 1 else None
    lat_col, lon_col = column("#geo", "lat"), column("#geo", "lon")
    pop_col = column("#population")
    alt_col = column("#loc", "name", "alt") if deepest[0] == "loc" else None
    kind_col = column("#loc", "type")
    adm1_name = next((n for lvl, n, _ in levels if lvl == "adm1"), None)
    adm2_name = next((n for lvl, n, _ in levels if lvl == "adm2"), None)
    level_kind = {"adm1": "province", "adm2": "territory", "adm3": "other", "loc": "village"}

    def cell(cells: list[str], i: int | None) -> str:
        return cells[i] if i is not None and i < len(cells) else ""

    def pick(cells: list[str]) -> dict[str, str]:
        kind = fold(cell(cells, kind_col))
        return {
            "pcode": cell(cells, deepest[2]),
            "name": cell(cells, deepest[1]),
            "kind": GRID3_KINDS.get(
                kind, kind if kind in ("town", "village", "camp") else level_kind[deepest[0]]
            ),
            "parent_pcode": cell(cells, parent[2]) if parent else "",
            "lat": cell(cells, lat_col),
            "lon": cell(cells, lon_col),
            "population": cell(cells, pop_col),
            "alt_names": cell(cells, alt_col).replace(",", ";"),
            "province": cell(cells, adm1_name) if deepest[0] != "adm1" else "",
            "territory": cell(cells, adm2_name) if deepest[0] not in ("adm1", "adm2") else "",
        }

    return _parse_table(table[tag_line + 1 :], tag_line + 2, country, pick)


def parse(path: Path, fmt: str, country: str | None = None) -> Parsed:
    """Read ``path`` in format ``fmt``; see ``FORMATS``."""
    if fmt not in FORMATS:
        raise SourceError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    text = read_text(path)
    if fmt == "geonames":
        return parse_geonames(text, country)
    return {
        "grid3": parse_grid3,
        "geojson": parse_geojson,
        "pcode-csv": parse_pcode_csv,
        "hxl": parse_hxl,
    }[fmt](text, country or "CD")
