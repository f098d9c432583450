"""Readers for conflict-event files (no Django import).

Three formats (``FORMATS``):

``ucdp-ged``
    The UCDP Georeferenced Event Dataset, as its standard CSV (``id, relid, year, …,
    type_of_violence, …, side_a, side_b, …, source_headline, …, where_prec,
    where_description, adm_1, adm_2, latitude, longitude, …, date_prec, date_start,
    date_end, …, best, high, low``) or as a GeoJSON FeatureCollection of Points with
    the same property names. Some GeoJSON files name the id ``event_id`` and give only
    ``year``: such an event runs from 1 January to 31 December, precision ``year``.
    CSV or GeoJSON is told by the content (a first non-blank ``{`` is JSON).
``acled``
    An ACLED export with ACLED's own column names (``event_id_cnty, event_date, …,
    event_type, sub_event_type, actor1, …, civilian_targeting, …, admin1, admin2,
    location, latitude, longitude, geo_precision, …, notes, fatalities, …``).
    ``event_date`` may be ``2021-03-12`` or the older ``12 March 2021``. An HXL
    hashtag row under the header (HDX downloads) is skipped.
``csv``
    A simple sheet anyone can fill in, and the input of ``ulinzi scan``: the columns
    ``date, lat, lon, type`` and optionally ``id`` (without one, an event is known by
    what its row says), ``fatalities`` (empty is 0),
    ``place``, ``admin1``, ``admin2``, ``actors`` and ``notes``, in any order, in any
    case. ``latitude`` and ``longitude`` (or ``lng``) may name the coordinates,
    ``location`` the place, ``threat_type`` the type, ``deaths`` the fatalities.
    ``type`` is one of the threat types of ``ulinzi.alerts.taxonomy`` or one of the
    short aliases of ``CSV_TYPE_ALIASES``.

Every format may be gzipped (told by the content, so ``.csv.gz`` works), must be
UTF-8 (a byte-order mark is fine; a UTF-16 file saved by a spreadsheet is read
too), and may separate its CSV cells with commas, semicolons or tabs (the header
decides).

What comes out
==============

Each data row becomes an ``EventRow`` or a ``RowError`` (the line number as a
spreadsheet shows it, the header being line 1, or the feature number in GeoJSON,
and a reason a person understands). A file that cannot be read at all (not UTF-8,
not the expected columns, not GeoJSON, empty) raises ``SourceError``, the same
exception as the gazetteer readers raise.

Every event carries a stable ``key`` so that importing a file again updates events
instead of duplicating them: ``ucdp:<id>``, ``acled:<event_id_cnty>``, and
``<source>:<id>`` for the simple CSV (``source`` defaults to the file's name without
its extension, lower case: two sheets that both number their events 1, 2, 3 stay
apart). A sheet without an id column gets an id from the date, the point, the type
and the place (not the fatalities, which a later version may correct). A key seen
twice in one file is an error on the later row.

Coordinates are checked for range only (events can be anywhere) and (0, 0), which
is what an empty coordinate becomes in many tools, is refused.

Precision
=========

``date_precision`` is one of ``DATE_PRECISIONS``. UCDP's ``date_prec``:
1 exact day → ``day``; 2 a period of 2-6 days → ``week``; 3 the week → ``week``;
4 a period of 8-30 days or the month → ``month``; 5 more than 30 days or the year
→ ``year``. Any period longer than a year is ``longer``. ACLED's
``time_precision``: 1 → ``day``, 2 → ``week``, 3 → ``month``; an ACLED event ends
on the day it is dated. The simple CSV is always ``day``.

``location_precision`` is the source's own code, kept as a number (see
``UCDP_WHERE_PRECISION`` and ``ACLED_GEO_PRECISION`` for what each means and
``location_precision_label`` to say it in words); ``None`` when the source gives
none and always for the simple CSV.

Threat types
============

``describe_mapping()`` lists the whole table, for the documentation and the page
that explains an import. The choices, and why:

- UCDP state-based (1) and non-state (2) conflict are fighting between armed
  parties: ``armed_clash``. One-sided violence (3) is violence against civilians:
  ``killing`` when its best estimate counts at least one death (UCDP codes only
  events with deaths, so nearly all are), ``attack_on_civilians`` when the best
  estimate is 0 (deaths reported but not confirmed).
- ACLED is mapped by ``sub_event_type`` (``ACLED_SUB_EVENT_TYPES``), or by
  ``event_type`` when a row has no sub-event type or one this table does not know
  (``ACLED_EVENT_TYPES``, which also covers the event types of ACLED files before
  2019). Then three rules:

  1. Explosions/remote violence with ``civilian_targeting`` set is an attack on
     civilians, whatever the weapon (what matters for protection is who was aimed
     at); without it, it is ``explosive_hazard``, as the alert triage types shells,
     grenades and mines.
  2. An attack on civilians with at least one death is a ``killing`` (the same rule
     as for UCDP, and the same order as the triage, where killing comes first).
  3. Looting/property destruction whose notes speak of burning or destroying
     (``ARSON_WORDS``) is ``arson_destruction``; otherwise ``looting_extortion``.

Text fields are cut to what the event table keeps (``MAX_TEXT``) and ``notes`` to
``MAX_NOTES`` characters, at a word.

Reading
=======

``read_events(path_or_file, fmt)`` returns all rows and all errors.
``open_events(path_or_file, fmt)`` checks the file as a whole and returns an
``EventFile``: its ``total`` (also its ``len()``) is the number of items iterating
it yields, one ``EventRow`` or ``RowError`` per data row or feature, so that
``tqdm(open_events(path, fmt))`` shows a true progress bar. ``iter_events`` is
``iter(open_events(...))``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import math
import os
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeAlias

from ulinzi.alerts.taxonomy import THREAT_TYPES
from ulinzi.places.sources import SourceError

__all__ = [
    "ACLED_EVENT_TYPES",
    "dated_to",
    "ACLED_GEO_PRECISION",
    "ACLED_SUB_EVENT_TYPES",
    "ACLED_TIME_PRECISION",
    "CSV_TYPE_ALIASES",
    "DATE_PRECISIONS",
    "DEFAULT_SOURCES",
    "FORMATS",
    "UCDP_DATE_PRECISION",
    "UCDP_VIOLENCE_TYPES",
    "UCDP_WHERE_PRECISION",
    "EventFile",
    "EventRow",
    "RowError",
    "SourceError",
    "describe_mapping",
    "iter_events",
    "location_precision_label",
    "open_events",
    "read_events",
]

FORMATS = ("ucdp-ged", "acled", "csv")
DEFAULT_SOURCES = {"ucdp-ged": "ucdp-ged", "acled": "acled", "csv": "csv"}

DATE_PRECISIONS = ("day", "week", "month", "year", "longer")


def dated_to(unit: str) -> tuple[str, ...]:
    """The date precisions at least as fine as ``unit`` ("month": day, week, month): an
    analysis by ``unit`` counts only events so dated."""
    return DATE_PRECISIONS[: DATE_PRECISIONS.index(unit) + 1]


MIN_YEAR = 1900
MAX_FATALITIES = 1_000_000
MAX_ID = 80
MAX_SOURCE = 40
MAX_NOTES = 500
# What the event table keeps of each text field.
MAX_TEXT = {
    "source_type": 120,
    "place_name": 300,
    "admin1": 120,
    "admin2": 120,
    "actors": 400,
    "country": 120,
}

PathOrFile: TypeAlias = "str | os.PathLike[str] | IO[bytes] | IO[str]"

# --- the tables ---------------------------------------------------------------

#: UCDP ``type_of_violence``: (UCDP's name, threat type). One-sided violence with a
#: best estimate of at least one death becomes ``killing`` (see the module notes).
UCDP_VIOLENCE_TYPES: dict[int, tuple[str, str]] = {
    1: ("state-based conflict", "armed_clash"),
    2: ("non-state conflict", "armed_clash"),
    3: ("one-sided violence", "attack_on_civilians"),
}

#: UCDP ``date_prec`` → date precision.
UCDP_DATE_PRECISION: dict[int, str] = {1: "day", 2: "week", 3: "week", 4: "month", 5: "year"}

#: UCDP ``where_prec``: what the point stands for.
UCDP_WHERE_PRECISION: dict[int, str] = {
    1: "the exact place (a village or town)",
    2: "within about 25 km of the point",
    3: "only the second-level admin area (district, territory) is known: its centre",
    4: "only the first-level admin area (province) is known: its centre",
    5: "only a road, river, border or wider region is known: a point on it",
    6: "only the country is known: its centre",
    7: "international waters or airspace",
}

#: ACLED ``time_precision`` → date precision.
ACLED_TIME_PRECISION: dict[int, str] = {1: "day", 2: "week", 3: "month"}

#: ACLED ``geo_precision``: what the point stands for.
ACLED_GEO_PRECISION: dict[int, str] = {
    1: "the exact place (a town or village)",
    2: "near a place or in part of a region: the nearest town",
    3: "only a larger region is known: its capital or centre",
}

#: ACLED sub-event type → (its event type, threat type), all 25 of ACLED's codebook.
ACLED_SUB_EVENT_TYPES: dict[str, tuple[str, str]] = {
    # Battles: fighting between armed, organised parties.
    "Armed clash": ("Battles", "armed_clash"),
    "Government regains territory": ("Battles", "armed_clash"),
    "Non-state actor overtakes territory": ("Battles", "armed_clash"),
    # Explosions/Remote violence: attack_on_civilians when civilians were targeted.
    "Chemical weapon": ("Explosions/Remote violence", "explosive_hazard"),
    "Air/drone strike": ("Explosions/Remote violence", "explosive_hazard"),
    "Suicide bomb": ("Explosions/Remote violence", "explosive_hazard"),
    "Shelling/artillery/missile attack": ("Explosions/Remote violence", "explosive_hazard"),
    "Remote explosive/landmine/IED": ("Explosions/Remote violence", "explosive_hazard"),
    "Grenade": ("Explosions/Remote violence", "explosive_hazard"),
    # Violence against civilians: killing when someone died.
    "Attack": ("Violence against civilians", "attack_on_civilians"),
    "Abduction/forced disappearance": ("Violence against civilians", "abduction"),
    "Sexual violence": ("Violence against civilians", "sexual_violence"),
    # Protests: only force used against the protesters is a protection concern.
    "Peaceful protest": ("Protests", "other"),
    "Protest with intervention": ("Protests", "other"),
    "Excessive force against protesters": ("Protests", "attack_on_civilians"),
    # Riots: mob violence (lynchings, mob justice, clashes between communities) is
    # tension between communities; a violent demonstration is unrest, not a threat type.
    "Violent demonstration": ("Riots", "other"),
    "Mob violence": ("Riots", "intercommunal_tension"),
    # Strategic developments: mostly context; bases and territory are armed presence,
    # seized or defused weapons are explosive hazards.
    "Agreement": ("Strategic developments", "other"),
    "Arrests": ("Strategic developments", "arbitrary_arrest"),
    "Change to group/activity": ("Strategic developments", "other"),
    "Disrupted weapons use": ("Strategic developments", "explosive_hazard"),
    "Headquarters or base established": ("Strategic developments", "armed_presence"),
    "Looting/property destruction": ("Strategic developments", "looting_extortion"),
    "Non-violent transfer of territory": ("Strategic developments", "armed_presence"),
    "Other": ("Strategic developments", "other"),
}

#: ACLED event type → threat type, for rows without a known sub-event type; the
#: names before 2019 (``Remote violence``, ``Battle-No change of territory``, …) too.
ACLED_EVENT_TYPES: dict[str, str] = {
    "Battles": "armed_clash",
    "Battle-No change of territory": "armed_clash",
    "Battle-Government regains territory": "armed_clash",
    "Battle-Non-state actor overtakes territory": "armed_clash",
    "Explosions/Remote violence": "explosive_hazard",
    "Remote violence": "explosive_hazard",
    "Violence against civilians": "attack_on_civilians",
    "Protests": "other",
    "Riots": "other",
    "Riots/Protests": "other",
    "Strategic developments": "other",
    "Strategic development": "other",
    "Headquarters or base established": "armed_presence",
    "Non-violent transfer of territory": "armed_presence",
}
_ACLED_EXPLOSIONS = {"explosions/remote violence", "remote violence"}
_ATTACK = "attack_on_civilians"
_ARSON = "arson_destruction"
_ACLED_LOOTING = "Looting/property destruction"

#: Words in ACLED notes that make looting/property destruction ``arson_destruction``.
ARSON_WORDS = re.compile(
    r"\b(burn\w*|torch\w*|set (?:on )?fire|set\s+\w+\s+on fire|ablaze|arson\w*|"
    r"destroy\w*|demolish\w*|razed?|incendi\w*|br[uû]l\w*)",
    re.IGNORECASE,
)

#: Short names the simple CSV accepts for a threat type, besides the types themselves.
CSV_TYPE_ALIASES: dict[str, str] = {
    "attack": "attack_on_civilians",
    "murder": "killing",
    "kidnapping": "abduction",
    "sgbv": "sexual_violence",
    "looting": "looting_extortion",
    "extortion": "looting_extortion",
    "arson": "arson_destruction",
    "clash": "armed_clash",
    "presence": "armed_presence",
    "threat": "threat_intimidation",
    "intimidation": "threat_intimidation",
    "recruitment": "child_recruitment",
    "arrest": "arbitrary_arrest",
    "ied": "explosive_hazard",
    "mine": "explosive_hazard",
    "uxo": "explosive_hazard",
    "tension": "intercommunal_tension",
}


def describe_mapping() -> list[tuple[str, str, str]]:
    """The mapping to threat types as (format, source label, threat type) rows."""
    rows: list[tuple[str, str, str]] = []
    for code, (name, threat) in UCDP_VIOLENCE_TYPES.items():
        label = f"type_of_violence {code}: {name}"
        if threat == "attack_on_civilians":
            rows.append(("ucdp-ged", f"{label}, best estimate ≥ 1 death", "killing"))
            rows.append(("ucdp-ged", f"{label}, best estimate 0 deaths", threat))
        else:
            rows.append(("ucdp-ged", label, threat))
    for sub, (event_type, threat) in ACLED_SUB_EVENT_TYPES.items():
        label = f"{event_type} / {sub}"
        if event_type == "Explosions/Remote violence":
            rows.append(("acled", f"{label}, civilian targeting, fatalities > 0", "killing"))
            rows.append(("acled", f"{label}, civilian targeting, no fatalities", _ATTACK))
            rows.append(("acled", f"{label}, no civilian targeting", threat))
        elif threat == _ATTACK:
            rows.append(("acled", f"{label}, fatalities > 0", "killing"))
            rows.append(("acled", f"{label}, no fatalities", threat))
        elif sub == _ACLED_LOOTING:
            rows.append(("acled", f"{label}, notes speak of burning or destroying", _ARSON))
            rows.append(("acled", f"{label}, otherwise", threat))
        else:
            rows.append(("acled", label, threat))
    for event_type, threat in ACLED_EVENT_TYPES.items():
        label = f"{event_type} (no known sub-event type)"
        if event_type.casefold() in _ACLED_EXPLOSIONS:
            rows.append(("acled", f"{label}, civilian targeting, fatalities > 0", "killing"))
            rows.append(("acled", f"{label}, civilian targeting, no fatalities", _ATTACK))
            rows.append(("acled", f"{label}, no civilian targeting", threat))
        elif threat == _ATTACK:
            rows.append(("acled", f"{label}, fatalities > 0", "killing"))
            rows.append(("acled", f"{label}, no fatalities", threat))
        else:
            rows.append(("acled", label, threat))
    rows.extend(("csv", threat, threat) for threat in THREAT_TYPES)
    rows.extend(("csv", alias, threat) for alias, threat in CSV_TYPE_ALIASES.items())
    return rows


def location_precision_label(fmt: str, code: int | None) -> str:
    """What a ``location_precision`` code of format ``fmt`` means, in words."""
    table = {"ucdp-ged": UCDP_WHERE_PRECISION, "acled": ACLED_GEO_PRECISION}.get(fmt, {})
    if code is None:
        return "not given"
    return table.get(code, f"code {code}")


# --- records ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """A row (or GeoJSON feature) that was not read, and why.

    ``where`` and ``str()`` read like the gazetteer's row errors ("line 12: …").
    """

    line: int  # as a spreadsheet numbers it (header = 1), or the feature number
    reason: str
    unit: str = "line"  # "line" or "feature"

    @property
    def where(self) -> str:
        return f"{self.unit} {self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as the file gives it, checked and mapped to a threat type."""

    key: str
    source: str
    source_id: str
    date_start: dt.date
    date_end: dt.date
    date_precision: str  # one of DATE_PRECISIONS
    lat: float
    lon: float
    location_precision: int | None  # the source's code: UCDP where_prec, ACLED geo_precision
    threat_type: str  # one of THREAT_TYPES
    source_type: str  # the source's own label
    fatalities: int
    place_name: str
    admin1: str
    admin2: str
    actors: str
    notes: str
    line: int  # line (header = 1) or feature number
    country: str = ""


class EventFile:
    """An event file checked as a whole. Iterating it reads the rows, each time anew;
    ``total`` (and ``len()``) is how many items an iteration yields."""

    def __init__(
        self,
        fmt: str,
        source: str,
        name: str,
        total: int,
        produce: Callable[[], Iterator[EventRow | RowError]],
    ) -> None:
        self.fmt = fmt
        self.source = source
        self.name = name
        self.total = total
        self._produce = produce

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[EventRow | RowError]:
        return self._produce()

    def __repr__(self) -> str:
        return f"<EventFile {self.name} ({self.fmt}, {self.total} rows)>"


# --- reading the file ---------------------------------------------------------


def _file_name(path_or_file: Any) -> str:
    if isinstance(path_or_file, str | os.PathLike):
        return os.path.basename(os.fspath(path_or_file)) or str(path_or_file)
    name = getattr(path_or_file, "name", None)
    return os.path.basename(name) if isinstance(name, str) and name else "the file"


def _read_text(path_or_file: Any, name: str) -> str:
    """The file's text: gunzipped, decoded from UTF-8 (or UTF-16 with its BOM)."""
    try:
        if isinstance(path_or_file, str | os.PathLike):
            with open(path_or_file, "rb") as handle:
                data: bytes | str = handle.read()
        else:
            data = path_or_file.read()
    except OSError as exc:
        raise SourceError(f"cannot read {name}: {exc.strerror or exc}") from exc
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    elif isinstance(data, bytes | bytearray):
        text = _decode(bytes(data), name).removeprefix("\ufeff")
    else:
        raise SourceError(f"cannot read {name}: it gives neither text nor bytes")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SourceError(f"{name} contains a NUL character on line {line}: it is not text")
    if not text.strip():
        raise SourceError(f"{name} is empty")
    return text


def _decode(raw: bytes, name: str) -> str:
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{name} looks gzipped but is damaged: {exc}") from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{name} starts as UTF-16 text but is damaged") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            f"{name} is not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line}. "
            "Save the file as UTF-8 and read it again."
        ) from exc


def _looks_like_json(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def _check_source(fmt: str, source: str | None, file_name: str = "") -> str:
    if source is None or not source.strip():
        if fmt == "csv":
            # Two teams' sheets both numbering their events 1, 2, 3 are two sources: the
            # file's name keeps them apart (and the same file imported again updates).
            stem = re.sub(r"[^a-z0-9._-]+", "-", file_name.rsplit(".", 1)[0].lower())
            stem = stem.strip("-._")[:MAX_SOURCE]
            if stem and stem != "the-file":
                return stem
        return DEFAULT_SOURCES[fmt]
    name = source.strip().lower()
    if len(name) > MAX_SOURCE or not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise SourceError(
            f"source name {_show(source)} is not usable: use up to {MAX_SOURCE} letters, "
            "digits, '-', '_' or '.'"
        )
    return name


def open_events(path_or_file: PathOrFile, fmt: str, *, source: str | None = None) -> EventFile:
    """Check an event file as a whole (``SourceError`` if it cannot be read) and
    return it, ready to iterate.

    ``path_or_file`` is a path (``str`` or ``Path``) or an open file giving bytes or
    text. ``source`` names where the events come from (``DEFAULT_SOURCES`` by
    default; for the simple CSV, the file's name); for the simple CSV it is also the key
    prefix.
    """
    if fmt not in FORMATS:
        raise SourceError(f"unknown format {_show(fmt)}: use one of {', '.join(FORMATS)}")
    name = _file_name(path_or_file)
    source_name = _check_source(fmt, source, name)
    text = _read_text(path_or_file, name)
    if fmt == "ucdp-ged" and _looks_like_json(text):
        return _open_ucdp_geojson(text, name, source_name)
    if _looks_like_json(text):
        raise SourceError(
            f"{name} looks like JSON; a file of format {fmt} is CSV (export it as CSV)"
        )
    table = _Table(text, name, fmt)
    spec = _CSV_SPECS[fmt]
    return EventFile(
        fmt,
        source_name,
        name,
        table.total,
        lambda: _iter_table(table, spec.build, source_name),
    )


def iter_events(
    path_or_file: PathOrFile, fmt: str, *, source: str | None = None
) -> Iterator[EventRow | RowError]:
    """The file's rows in order, each an ``EventRow`` or a ``RowError``. The file
    is checked as a whole before this returns (``SourceError``)."""
    return iter(open_events(path_or_file, fmt, source=source))


def read_events(
    path_or_file: PathOrFile, fmt: str, *, source: str | None = None
) -> tuple[list[EventRow], list[RowError]]:
    """All events of the file and all its bad rows."""
    rows: list[EventRow] = []
    errors: list[RowError] = []
    for item in open_events(path_or_file, fmt, source=source):
        if isinstance(item, RowError):
            errors.append(item)
        else:
            rows.append(item)
    return rows, errors


# --- CSV ----------------------------------------------------------------------


def _column_key(name: str) -> str:
    return name.strip().strip('"').strip().lower().replace(" ", "_")


@dataclass(frozen=True, slots=True)
class _Spec:
    """Which columns a CSV format needs: each a tuple of accepted names."""

    label: str
    required: tuple[tuple[str, ...], ...]
    optional: tuple[tuple[str, ...], ...]
    build: Callable[[Callable[[str], str], int, str], EventRow]
    # True: the names of a group are synonyms; False: different columns, one needed.
    synonyms: bool = False


def _choice_names(choices: tuple[str, ...]) -> str:
    return choices[0] + (f" (or {' or '.join(choices[1:])})" if choices[1:] else "")


class _Table:
    """A CSV file: its header checked, its data rows counted."""

    def __init__(self, text: str, name: str, fmt: str) -> None:
        self.text = text
        self.name = name
        first_line = text.lstrip("\r\n").split("\n", 1)[0]
        counts = {d: first_line.count(d) for d in (",", ";", "\t")}
        self.delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        self.header_line = 0
        self.columns: dict[str, int] = {}
        self.total = 0
        spec = _CSV_SPECS[fmt]
        try:
            for line, cells in self._records():
                if not self.header_line:
                    self.header_line = line
                    for index, cell in enumerate(cells):
                        self.columns.setdefault(_column_key(cell), index)
                    self._check_header(spec, fmt, cells)
                else:
                    self.total += 1
        except csv.Error as exc:
            raise SourceError(f"{name} is not readable as CSV: {exc}") from exc
        if not self.header_line:
            raise SourceError(f"{name} is empty")
        # Every known column by its own name and, when the format takes synonyms,
        # by the first name of its group (latitude is read as lat).
        self.index: dict[str, int] = {}
        for choices in (*spec.required, *spec.optional):
            found = [self.columns[c] for c in choices if c in self.columns]
            for c in choices:
                if c in self.columns:
                    self.index[c] = self.columns[c]
            if found and spec.synonyms:
                self.index[choices[0]] = found[0]

    def _check_header(self, spec: _Spec, fmt: str, cells: list[str]) -> None:
        missing = [
            _choice_names(choices)
            for choices in spec.required
            if not any(c in self.columns for c in choices)
        ]
        if not missing:
            return
        shown = ", ".join(c.strip()[:30] for c in cells[:12] if c.strip())
        if len(cells) > 12:
            shown += ", …"
        hint = ""
        for other, other_spec in _CSV_SPECS.items():
            if other != fmt and all(
                any(c in self.columns for c in choices) for choices in other_spec.required
            ):
                hint = f" It looks like {other_spec.label} file: read it as {other!r}."
                break
        expected = ", ".join(_choice_names(choices) for choices in spec.required)
        raise SourceError(
            f"{self.name}, line {self.header_line}: missing column(s) {', '.join(missing)}. "
            f"The header has {shown or 'nothing'}; {spec.label} file needs {expected}.{hint}"
        )

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) of the header and every data row that is not blank."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        header_seen = False
        for line, cells in enumerate(reader, start=1):
            if not any(c.strip() for c in cells):
                continue
            if header_seen and line == self.header_line + 1 and _is_hxl(cells):
                continue
            header_seen = True
            yield line, cells

    def rows(self) -> Iterator[tuple[int, Callable[[str], str]]]:
        index = self.index
        records = self._records()
        next(records)  # the header
        for line, cells in records:

            def get(column: str, cells: list[str] = cells) -> str:
                i = index.get(column)
                return cells[i].strip() if i is not None and i < len(cells) else ""

            yield line, get


def _is_hxl(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def _iter_table(
    table: _Table, build: Callable[[Callable[[str], str], int, str], EventRow], source: str
) -> Iterator[EventRow | RowError]:
    seen: dict[str, int] = {}
    for line, get in table.rows():
        try:
            row = build(get, line, source)
            if row.key in seen and row.source_id.startswith(_DERIVED_ID):
                raise ValueError(
                    f"the same event (date, place, type) as line {seen[row.key]}: "
                    "give the rows an id column to tell them apart"
                )
            if row.key in seen:
                raise ValueError(
                    f"event id {_show(row.source_id)} already appears on line {seen[row.key]}"
                )
        except ValueError as exc:
            yield RowError(line, str(exc))
            continue
        seen[row.key] = line
        yield row


# --- values -------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)
_WHOLE = re.compile(r"\+?\d+(?:\.0*)?", re.ASCII)
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)
_WORD_DATE = re.compile(r"(\d{1,2})[ -]([A-Za-z]+)\.?[ -](\d{4})", re.ASCII)
_MONTHS = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in (full, full[:3], "sept" if number == 9 else full)
}


def _show(value: Any) -> str:
    """A value as it appears in a reason: quoted, short, control characters escaped."""
    text = value if isinstance(value, str) else _plain(value)
    if len(text) > 40:
        text = text[:40] + "…"
    shown = repr(text)
    return shown if shown.startswith("'") else "'" + shown[1:-1].replace("'", "\\'") + "'"


def _plain(value: Any) -> str:
    """A JSON or CSV value as text ("" for nothing, lists and objects)."""
    if value is None or isinstance(value, bool | dict | list):
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Any, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = _plain(value)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    else:
        text = _plain(value)
        if not text:
            raise ValueError(f"{what} is missing")
        if _DECIMAL_COMMA.fullmatch(text):
            text = text.replace(",", ".")
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"{what} {_show(value)} is not a number")
        number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{what} {_show(text)} is not a number")
    return number


def _point(lat_value: Any, lon_value: Any) -> tuple[float, float]:
    lat = _number(lat_value, "latitude")
    lon = _number(lon_value, "longitude")
    if not -90 <= lat <= 90:
        raise ValueError(f"latitude {_plain(lat_value) or lat} is out of range (-90 to 90)")
    if not -180 <= lon <= 180:
        raise ValueError(f"longitude {_plain(lon_value) or lon} is out of range (-180 to 180)")
    if lat == 0 and lon == 0:
        raise ValueError("the point is (0, 0): the coordinates are missing")
    return lat, lon


def _whole(value: Any, what: str, *, empty: int | None = None) -> int:
    """A count ≥ 0; ``empty`` is what an empty value means (None: it is an error)."""
    text = _plain(value)
    if not text and not isinstance(value, bool | dict | list):
        if empty is None:
            raise ValueError(f"{what} is missing")
        return empty
    if (
        isinstance(value, bool)
        or not _WHOLE.fullmatch(text)
        or (isinstance(value, float) and not value.is_integer())
    ):
        raise ValueError(f"{what} {_show(value)} must be a whole number ≥ 0")
    digits = text.split(".")[0].lstrip("+")
    if len(digits.lstrip("0")) > len(str(MAX_FATALITIES)):
        raise ValueError(f"{what} {_show(text)} is more than {MAX_FATALITIES:,}")
    number = int(digits)
    if number > MAX_FATALITIES:
        raise ValueError(f"{what} {_show(text)} is more than {MAX_FATALITIES:,}")
    return number


def _code(value: Any, what: str, table: dict[int, Any]) -> int | None:
    """A numbered code of the source (None when empty)."""
    text = _plain(value)
    if not text and not isinstance(value, bool | dict | list):
        return None
    if not isinstance(value, bool) and _WHOLE.fullmatch(text) and len(text) < 20:
        number = int(text.split(".")[0])
        if number in table:
            return number
    choices = ", ".join(str(k) for k in table)
    raise ValueError(f"{what} {_show(value)} is unknown: use one of {choices}")


def _date(value: Any, what: str, *, words: bool = False) -> dt.date:
    text = _plain(value)
    expected = "YYYY-MM-DD or 12 March 2021" if words else "YYYY-MM-DD"
    if not text:
        raise ValueError(f"{what} is missing")
    day: dt.date | None = None
    try:
        if match := _ISO_DATE.fullmatch(text):
            year, month, number = (int(g) for g in match.groups())
            day = dt.date(year, month, number)
        elif words and (match := _WORD_DATE.fullmatch(text)):
            month_number = _MONTHS.get(match.group(2).lower())
            if month_number:
                day = dt.date(int(match.group(3)), month_number, int(match.group(1)))
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"{what} {_show(value)} is not a date ({expected})")
    _check_year(day, what, text)
    return day


def _check_year(day: dt.date, what: str, text: str) -> None:
    if day.year < MIN_YEAR:
        raise ValueError(f"{what} {_show(text)} is before {MIN_YEAR}")
    if day > dt.date.today() + dt.timedelta(days=1):
        raise ValueError(f"{what} {_show(text)} is in the future")


def _precision_of_span(start: dt.date, end: dt.date) -> str:
    days = (end - start).days
    if days == 0:
        return "day"
    if days <= 7:
        return "week"
    if days <= 31:
        return "month"
    return "year" if days <= 366 else "longer"


def _event_id(value: Any) -> str:
    text = _plain(value)
    if not text:
        raise ValueError("no event id")
    if len(text) > MAX_ID:
        raise ValueError(f"event id {_show(text)} is longer than {MAX_ID} characters")
    if any(unicodedata.category(c)[0] == "C" for c in text):
        raise ValueError(f"event id {_show(text)} contains control characters")
    return text


def _text(value: Any, limit: int) -> str:
    return _clip(_plain(value), limit)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit - 40:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def _actors(*names: Any) -> str:
    kept: list[str] = []
    for name in names:
        text = " ".join(_plain(name).split())
        if text and text not in kept:
            kept.append(text)
    return _clip("; ".join(kept), MAX_TEXT["actors"])


def _label_key(label: str) -> str:
    return " ".join(label.casefold().split())


def _threat_rules(base: str, fatalities: int) -> str:
    return "killing" if base == _ATTACK and fatalities > 0 else base


# --- UCDP GED -----------------------------------------------------------------


def _ucdp_event(
    get: Callable[[str], Any],
    line: int,
    source: str,
    point: tuple[float, float] | None = None,
) -> EventRow:
    """One UCDP event; ``get(column)`` gives a cell or a GeoJSON property."""
    ident = _event_id(_plain(get("id")) or _plain(get("event_id")))
    code = _code(get("type_of_violence"), "type_of_violence", UCDP_VIOLENCE_TYPES)
    if code is None:
        raise ValueError("type_of_violence is missing (1, 2 or 3)")
    label, base = UCDP_VIOLENCE_TYPES[code]
    lat, lon = point if point is not None else _point(get("latitude"), get("longitude"))
    best = _whole(get("best"), "best (deaths, best estimate)")
    if _plain(get("date_start")):
        start = _date(get("date_start"), "date_start")
        end = _date(get("date_end"), "date_end") if _plain(get("date_end")) else start
        if end < start:
            raise ValueError(
                f"date_end {_show(get('date_end'))} is before date_start {_show(get('date_start'))}"
            )
        prec = _code(get("date_prec"), "date_prec", UCDP_DATE_PRECISION)
        precision = UCDP_DATE_PRECISION[prec] if prec else _precision_of_span(start, end)
        if (end - start).days > 366:
            precision = "longer"
    elif _plain(get("year")):
        year_text = _plain(get("year"))
        if not re.fullmatch(r"\d{4}", year_text, re.ASCII):
            raise ValueError(f"year {_show(get('year'))} is not a year")
        start = dt.date(int(year_text), 1, 1)
        _check_year(start, "year", year_text)
        end = dt.date(start.year, 12, 31)
        precision = "year"
    else:
        raise ValueError("no date: date_start and year are both empty")
    notes = _plain(get("source_headline"))
    if not notes and _plain(get("dataset_status")).lower() == "candidate":
        notes = "UCDP Candidate event (preliminary)"
    return EventRow(
        key=f"ucdp:{ident}",
        source=source,
        source_id=ident,
        date_start=start,
        date_end=end,
        date_precision=precision,
        lat=lat,
        lon=lon,
        location_precision=_code(get("where_prec"), "where_prec", UCDP_WHERE_PRECISION),
        threat_type=_threat_rules(base, best),
        source_type=label,
        fatalities=best,
        place_name=_text(get("where_description"), MAX_TEXT["place_name"]),
        admin1=_text(get("adm_1"), MAX_TEXT["admin1"]),
        admin2=_text(get("adm_2"), MAX_TEXT["admin2"]),
        actors=_actors(get("side_a"), get("side_b")),
        notes=_clip(notes, MAX_NOTES),
        line=line,
        country=_text(get("country"), MAX_TEXT["country"]),
    )


_UCDP_REQUIRED = (
    ("id", "event_id"),
    ("type_of_violence",),
    ("latitude",),
    ("longitude",),
    ("best",),
    ("date_start", "year"),
)
_UCDP_OPTIONAL = tuple(
    (c,)
    for c in (
        "date_end",
        "date_prec",
        "where_prec",
        "where_description",
        "adm_1",
        "adm_2",
        "side_a",
        "side_b",
        "source_headline",
        "country",
        "dataset_status",
    )
)


def _geojson_features(text: str, name: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{name} is not valid JSON: {exc.msg} on line {exc.lineno}") from exc
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"{name} is not readable JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise SourceError(f"{name} is JSON but not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise SourceError(f"{name}: the FeatureCollection has no list of features")
    return features


def _open_ucdp_geojson(text: str, name: str, source: str) -> EventFile:
    features = _geojson_features(text, name)
    present: set[str] = set()
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(props, dict):
            present.update(props)
    required = [c for c in _UCDP_REQUIRED if c[0] not in ("latitude", "longitude")]
    missing = [_choice_names(c) for c in required if not any(n in present for n in c)]
    if features and missing:
        raise SourceError(
            f"{name}: no feature has the propert{'y' if len(missing) == 1 else 'ies'} "
            f"{', '.join(missing)}; a UCDP GED GeoJSON file needs "
            f"{', '.join(_choice_names(c) for c in required)}"
        )
    return EventFile(
        "ucdp-ged", source, name, len(features), lambda: _iter_features(features, source)
    )


def _feature_point(feature: dict[str, Any], props: dict[str, Any]) -> tuple[float, float]:
    geometry = feature.get("geometry")
    if geometry is None and ("latitude" in props or "longitude" in props):
        return _point(props.get("latitude"), props.get("longitude"))
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise ValueError("the geometry is not a Point")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise ValueError("the Point has no [longitude, latitude] coordinates")
    return _point(coords[1], coords[0])


def _iter_features(features: list[Any], source: str) -> Iterator[EventRow | RowError]:
    seen: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise ValueError("not a GeoJSON Feature")
            props = feature.get("properties")
            if not isinstance(props, dict):
                raise ValueError("the feature has no properties")
            point = _feature_point(feature, props)
            row = _ucdp_event(props.get, number, source, point)
            if row.key in seen:
                raise ValueError(
                    f"event id {_show(row.source_id)} already appears in feature {seen[row.key]}"
                )
        except ValueError as exc:
            yield RowError(number, str(exc), "feature")
            continue
        seen[row.key] = number
        yield row


# --- ACLED --------------------------------------------------------------------

_ACLED_SUBS = {_label_key(k): k for k in ACLED_SUB_EVENT_TYPES}
_ACLED_EVENTS = {_label_key(k): k for k in ACLED_EVENT_TYPES}


def _acled_threat(
    event_type: str, sub: str, fatalities: int, civilian_targeting: str, notes: str
) -> str:
    known_sub = _ACLED_SUBS.get(_label_key(sub))
    if known_sub is not None:
        family, base = ACLED_SUB_EVENT_TYPES[known_sub]
    else:
        known_event = _ACLED_EVENTS.get(_label_key(event_type))
        if known_event is None:
            if not sub and not event_type:
                raise ValueError("event_type and sub_event_type are both empty")
            families = dict.fromkeys(f for f, _ in ACLED_SUB_EVENT_TYPES.values())
            given = f"event type {_show(event_type)} is"
            if sub:
                given = f"sub-event type {_show(sub)} and {given[:-3]} are"
            raise ValueError(
                f"{given} unknown: use one of ACLED's event types: {', '.join(families)}"
            )
        family, base = known_event, ACLED_EVENT_TYPES[known_event]
    if _label_key(family) in _ACLED_EXPLOSIONS and civilian_targeting:
        base = _ATTACK
    if known_sub == _ACLED_LOOTING and ARSON_WORDS.search(notes):
        base = _ARSON
    return _threat_rules(base, fatalities)


def _acled_row(get: Callable[[str], str], line: int, source: str) -> EventRow:
    ident = _event_id(get("event_id_cnty"))
    day = _date(get("event_date"), "event_date", words=True)
    lat, lon = _point(get("latitude"), get("longitude"))
    fatalities = _whole(get("fatalities"), "fatalities", empty=0)
    time_code = _code(get("time_precision"), "time_precision", ACLED_TIME_PRECISION)
    geo_code = _code(get("geo_precision"), "geo_precision", ACLED_GEO_PRECISION)
    event_type, sub = get("event_type"), get("sub_event_type")
    notes = get("notes")
    threat = _acled_threat(event_type, sub, fatalities, get("civilian_targeting"), notes)
    return EventRow(
        key=f"acled:{ident}",
        source=source,
        source_id=ident,
        date_start=day,
        date_end=day,
        date_precision=ACLED_TIME_PRECISION[time_code] if time_code else "day",
        lat=lat,
        lon=lon,
        location_precision=geo_code,
        threat_type=threat,
        source_type=_text(" / ".join(t for t in (event_type, sub) if t), MAX_TEXT["source_type"]),
        fatalities=fatalities,
        place_name=_text(get("location"), MAX_TEXT["place_name"]),
        admin1=_text(get("admin1"), MAX_TEXT["admin1"]),
        admin2=_text(get("admin2"), MAX_TEXT["admin2"]),
        actors=_actors(get("actor1"), get("actor2")),
        notes=_clip(notes, MAX_NOTES),
        line=line,
        country=_text(get("country"), MAX_TEXT["country"]),
    )


_ACLED_REQUIRED = (
    ("event_id_cnty",),
    ("event_date",),
    ("event_type",),
    ("latitude",),
    ("longitude",),
    ("fatalities",),
)
_ACLED_OPTIONAL = tuple(
    (c,)
    for c in (
        "sub_event_type",
        "time_precision",
        "geo_precision",
        "civilian_targeting",
        "actor1",
        "actor2",
        "location",
        "admin1",
        "admin2",
        "country",
        "notes",
    )
)


# --- the simple CSV -------------------------------------------------------------

_THREATS_BY_KEY = {t: t for t in THREAT_TYPES} | CSV_TYPE_ALIASES
_DERIVED_ID = "row-"  # the id of a simple CSV's event when the sheet has no id column


def _csv_threat(value: str) -> str:
    key = re.sub(r"[\s-]+", "_", value.strip().casefold())
    if not key:
        raise ValueError("type is missing")
    threat = _THREATS_BY_KEY.get(key)
    if threat is None:
        raise ValueError(f"type {_show(value)} is unknown: use one of {', '.join(THREAT_TYPES)}")
    return threat


def _simple_row(get: Callable[[str], str], line: int, source: str) -> EventRow:
    day = _date(get("date"), "date")
    lat, lon = _point(get("lat"), get("lon"))
    threat = _csv_threat(get("type"))
    if _plain(get("id")):
        ident = _event_id(get("id"))
    else:
        # A sheet without ids: the event is what it says (the same row imported again is
        # the same event, not a second one); two rows that say the same are refused.
        # Not the fatalities: a count corrected later ("2", then "3") is the same event.
        said = "|".join(
            [day.isoformat(), f"{lat:.5f}", f"{lon:.5f}", threat]
            + [" ".join(get("place").casefold().split())]
        )
        ident = _DERIVED_ID + hashlib.sha1(said.encode("utf-8")).hexdigest()[:16]  # noqa: S324
    return EventRow(
        key=f"{source}:{ident}",
        source=source,
        source_id=ident,
        date_start=day,
        date_end=day,
        date_precision="day",
        lat=lat,
        lon=lon,
        location_precision=None,
        threat_type=threat,
        source_type=_text(get("type"), MAX_TEXT["source_type"]),
        fatalities=_whole(get("fatalities"), "fatalities", empty=0),
        place_name=_text(get("place"), MAX_TEXT["place_name"]),
        admin1=_text(get("admin1"), MAX_TEXT["admin1"]),
        admin2=_text(get("admin2"), MAX_TEXT["admin2"]),
        actors=_text(get("actors"), MAX_TEXT["actors"]),
        notes=_clip(get("notes"), MAX_NOTES),
        line=line,
    )


_CSV_SPECS: dict[str, _Spec] = {
    "ucdp-ged": _Spec("a UCDP GED", _UCDP_REQUIRED, _UCDP_OPTIONAL, _ucdp_event),
    "acled": _Spec("an ACLED", _ACLED_REQUIRED, _ACLED_OPTIONAL, _acled_row),
    "csv": _Spec(
        "a simple event CSV",
        (
            ("date",),
            ("lat", "latitude"),
            ("lon", "longitude", "lng"),
            ("type", "threat_type"),
        ),
        (
            ("id",),
            ("fatalities", "deaths"),
            ("place", "location"),
            ("admin1",),
            ("admin2",),
            ("actors",),
            ("notes",),
        ),
        _simple_row,
        synonyms=True,
    ),
}
