"""Reading conflict-event files: UCDP GED, ACLED and the simple CSV (no database)."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ulinzi.alerts.taxonomy import THREAT_TYPES
from ulinzi.places import sources as place_sources
from ulinzi.threats.sources import (
    ACLED_EVENT_TYPES,
    ACLED_SUB_EVENT_TYPES,
    CSV_TYPE_ALIASES,
    DATE_PRECISIONS,
    FORMATS,
    UCDP_DATE_PRECISION,
    UCDP_VIOLENCE_TYPES,
    EventRow,
    RowError,
    SourceError,
    describe_mapping,
    iter_events,
    location_precision_label,
    open_events,
    read_events,
)

DATA = Path(__file__).parent / "data"


def errors_by_line(errors: list[RowError]) -> dict[int, str]:
    return {e.line: e.reason for e in errors}


def read_bytes(data: bytes, fmt: str, **kwargs: Any) -> tuple[list[EventRow], list[RowError]]:
    return read_events(io.BytesIO(data), fmt, **kwargs)


# --- the real UCDP files ---------------------------------------------------------


def test_the_car_ged_csv_reads_completely(shared_events: Path) -> None:
    rows, errors = read_events(shared_events / "ucdp_ged_car_1989_2019.csv", "ucdp-ged")
    assert errors == []
    assert len(rows) == 1520
    assert sum(r.fatalities for r in rows) == 12_796
    assert len({r.key for r in rows}) == 1520
    first = rows[0]
    assert first.key == "ucdp:22782" and first.source == "ucdp-ged" and first.line == 2
    assert first.date_start == first.date_end == dt.date(1991, 8, 8)
    assert first.date_precision == "day"
    assert first.source_type == "one-sided violence"
    assert first.actors == "Government of Central African Republic; Civilians"
    assert first.place_name == "Bangui city (barricaded road in)"
    assert (first.admin1, first.admin2) == ("Bangui province", "Bangui region")
    # Quoted cells run over several physical lines: the last row is still line 1521.
    assert rows[-1].line == 1521
    assert {r.date_precision for r in rows} <= set(DATE_PRECISIONS)
    assert {r.location_precision for r in rows} <= {1, 2, 3, 4, 5, 6}
    assert all(len(r.notes) <= 500 for r in rows)


def test_the_drc_ged_geojson_has_years_only(shared_events: Path) -> None:
    path = shared_events / "ucdp_ged_drc_east_2023_2025.geojson"
    events = open_events(path, "ucdp-ged")
    assert events.total == len(events) == 1943
    rows, errors = read_events(path, "ucdp-ged")
    assert errors == [] and len(rows) == 1943
    first = rows[0]
    assert first.key == "ucdp:ged_0" and first.line == 1
    assert (first.date_start, first.date_end) == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert first.date_precision == "year"
    assert (first.lat, first.lon) == (0.15, 29.283333)
    assert first.location_precision is None
    assert {r.date_start.year for r in rows} == {2023, 2024, 2025}
    assert {r.threat_type for r in rows} == {"killing", "attack_on_civilians", "armed_clash"}


def test_a_gzipped_file_reads_like_the_plain_one(shared_events: Path, tmp_path: Path) -> None:
    plain = shared_events / "ucdp_ged_car_1989_2019.csv"
    packed = tmp_path / "ged.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert read_events(packed, "ucdp-ged") == read_events(plain, "ucdp-ged")


# --- UCDP excerpt ------------------------------------------------------------------


def test_ucdp_csv_rows_and_their_errors() -> None:
    rows, errors = read_events(DATA / "ucdp_ged_excerpt.csv", "ucdp-ged")
    assert [r.source_id for r in rows] == ["1001", "1002", "1005"]
    killing, clash, attack = rows
    assert killing.threat_type == "killing" and killing.fatalities == 5
    assert killing.notes == "Five civilians killed in Bangui"
    assert clash.threat_type == "armed_clash" and clash.actors.endswith("; UPC")
    assert (clash.date_start, clash.date_end) == (dt.date(2019, 3, 1), dt.date(2019, 3, 20))
    assert clash.date_precision == "month" and clash.location_precision == 2
    assert clash.notes == 'Fighting in Bambari; "heavy losses"'
    # One-sided violence whose best estimate is 0 deaths is an attack, not a killing.
    assert attack.threat_type == "attack_on_civilians" and attack.fatalities == 0
    assert attack.location_precision == 3
    assert location_precision_label("ucdp-ged", 3).startswith("only the second-level")
    assert errors_by_line(errors) == {
        4: "type_of_violence '4' is unknown: use one of 1, 2, 3",
        5: "date_end '2019-05-02T00:00:00' is before date_start '2019-05-10T00:00:00'",
        7: "latitude is missing",
    }
    assert str(errors[0]) == "line 4: type_of_violence '4' is unknown: use one of 1, 2, 3"
    assert errors[0].where == "line 4"


def test_ucdp_geojson_features_and_their_errors() -> None:
    def feature(props: dict[str, Any], geometry: Any = None) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {"type_of_violence": 3, "best": 2, "year": 2024, **props},
            "geometry": geometry or {"type": "Point", "coordinates": [29.28, 0.15]},
        }

    collection = {
        "type": "FeatureCollection",
        "features": [
            feature({"event_id": "ged_1", "where_description": "Butembo"}),
            feature({"id": 77, "date_start": "2024-02-01", "date_end": "2024-02-03"}),
            feature({"event_id": "ged_3"}, {"type": "Polygon", "coordinates": []}),
            feature({"event_id": "ged_1"}),
            "not a feature",
            feature({"event_id": "ged_6", "best": -1}),
            feature({"event_id": "ged_7", "year": 1066}),
            feature({"event_id": "ged_8", "dataset_status": "candidate", "type_of_violence": "2"}),
        ],
    }
    rows, errors = read_bytes(json.dumps(collection).encode(), "ucdp-ged", source="ucdp-candidate")
    assert [r.key for r in rows] == ["ucdp:ged_1", "ucdp:77", "ucdp:ged_8"]
    assert {r.source for r in rows} == {"ucdp-candidate"}
    assert rows[0].place_name == "Butembo" and rows[0].date_precision == "year"
    assert rows[1].date_precision == "week" and rows[1].line == 2
    assert rows[2].threat_type == "armed_clash"
    assert rows[2].notes == "UCDP Candidate event (preliminary)"
    assert errors_by_line(errors) == {
        3: "the geometry is not a Point",
        4: "event id 'ged_1' already appears in feature 1",
        5: "not a GeoJSON Feature",
        6: "best (deaths, best estimate) '-1' must be a whole number ≥ 0",
        7: "year '1066' is before 1900",
    }
    assert all(e.where == f"feature {e.line}" for e in errors)


def test_geojson_without_ucdp_properties_is_refused() -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": "Beni"}, "geometry": None}],
    }
    with pytest.raises(SourceError, match=r"id \(or event_id\), type_of_violence, best"):
        read_bytes(json.dumps(collection).encode(), "ucdp-ged")


# --- ACLED -------------------------------------------------------------------------


def test_acled_rows_types_and_errors() -> None:
    rows, errors = read_events(DATA / "acled_sample.csv", "acled")
    by_id = {r.source_id: r for r in rows}
    assert list(by_id) == [
        "DRC1001",
        "DRC1002",
        "DRC1003",
        "DRC1004",
        "DRC1005",
        "DRC1009",
        "DRC1010",
        "DRC1011",
        "DRC1012",
    ]
    assert {i: r.threat_type for i, r in by_id.items()} == {
        "DRC1001": "armed_clash",
        "DRC1002": "killing",  # an attack with 7 deaths
        "DRC1003": "abduction",
        "DRC1004": "arson_destruction",  # looting whose notes say houses were burned
        "DRC1005": "explosive_hazard",  # an IED, no civilian targeting
        "DRC1009": "sexual_violence",
        "DRC1010": "arbitrary_arrest",
        "DRC1011": "intercommunal_tension",
        "DRC1012": "attack_on_civilians",  # shelling aimed at civilians, no deaths
    }
    attack = by_id["DRC1002"]
    assert attack.key == "acled:DRC1002" and attack.source == "acled"
    assert attack.date_start == attack.date_end == dt.date(2021, 3, 12)  # "12 March 2021"
    assert attack.source_type == "Violence against civilians / Attack"
    assert (
        attack.actors == "ADF: Allied Democratic Forces; Civilians (Democratic Republic of Congo)"
    )
    assert (attack.place_name, attack.admin1, attack.admin2) == ("Idohu", "Ituri", "Irumu")
    assert attack.notes == (
        "On 12 March 2021, ADF attacked the village of Idohu. Seven civilians were killed."
    )
    assert attack.fatalities == 7 and attack.location_precision == 1
    assert by_id["DRC1003"].date_precision == "week"
    assert by_id["DRC1005"].date_start == dt.date(2021, 4, 3)
    assert by_id["DRC1005"].location_precision == 3
    # The notes of DRC1002 span two physical lines; a spreadsheet shows one row.
    assert [r.line for r in rows] == [2, 3, 4, 5, 6, 12, 13, 14, 15]
    assert errors_by_line(errors) == {
        7: "event_date '2021-13-01' is not a date (YYYY-MM-DD or 12 March 2021)",
        8: "latitude 95.2 is out of range (-90 to 90)",
        9: "fatalities '-3' must be a whole number ≥ 0",
        10: "no event id",
        11: "event id 'DRC1002' already appears on line 3",
    }


def test_acled_progress_total_counts_every_item() -> None:
    events = open_events(DATA / "acled_sample.csv", "acled")
    items = list(events)
    assert events.total == len(events) == len(items) == 14
    assert list(iter_events(DATA / "acled_sample.csv", "acled")) == items
    assert list(events) == items  # iterating again reads the rows anew


def acled_csv(*rows: dict[str, str], hxl: bool = False) -> bytes:
    columns = [
        "event_id_cnty",
        "event_date",
        "time_precision",
        "event_type",
        "sub_event_type",
        "civilian_targeting",
        "latitude",
        "longitude",
        "notes",
        "fatalities",
    ]
    defaults = {"event_date": "2022-01-05", "latitude": "1.5", "longitude": "29.1"}
    lines = [",".join(columns)]
    if hxl:
        lines.append("#event+code,#date+occurred,,#event+type,#event+type+sub,,#geo+lat,#geo+lon")
    for n, row in enumerate(rows, start=1):
        values = {"event_id_cnty": f"X{n}", "fatalities": "0", **defaults, **row}
        lines.append(",".join(f'"{values.get(c, "")}"' for c in columns))
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            {"event_type": "Violence against civilians", "sub_event_type": "Attack"},
            "attack_on_civilians",
        ),
        (
            {
                "event_type": "Violence against civilians",
                "sub_event_type": "Attack",
                "fatalities": "2",
            },
            "killing",
        ),
        ({"event_type": "Protests", "sub_event_type": "Peaceful protest"}, "other"),
        (
            {
                "event_type": "Protests",
                "sub_event_type": "Excessive force against protesters",
                "fatalities": "1",
            },
            "killing",
        ),
        (
            {
                "event_type": "Explosions/Remote violence",
                "sub_event_type": "Air/drone strike",
                "fatalities": "3",
            },
            "explosive_hazard",
        ),
        (
            {
                "event_type": "Explosions/Remote violence",
                "sub_event_type": "Grenade",
                "civilian_targeting": "Civilian targeting",
                "fatalities": "3",
            },
            "killing",
        ),
        (
            {
                "event_type": "Strategic developments",
                "sub_event_type": "Looting/property destruction",
                "notes": "Cattle were looted.",
            },
            "looting_extortion",
        ),
        (
            {
                "event_type": "Strategic developments",
                "sub_event_type": "Looting/property destruction",
                "notes": "They set fire to the school.",
            },
            "arson_destruction",
        ),
        (
            {
                "event_type": "Strategic developments",
                "sub_event_type": "Headquarters or base established",
            },
            "armed_presence",
        ),
        (
            {"event_type": "strategic developments", "sub_event_type": "disrupted weapons use"},
            "explosive_hazard",
        ),
        # Files from before 2019 have only event types, some of them since renamed.
        ({"event_type": "Battle-No change of territory"}, "armed_clash"),
        ({"event_type": "Remote violence"}, "explosive_hazard"),
        ({"event_type": "Violence against civilians", "fatalities": "5"}, "killing"),
        # A sub-event type ACLED adds later falls back on its event type.
        ({"event_type": "Battles", "sub_event_type": "Drone swarm"}, "armed_clash"),
    ],
)
def test_acled_types_map_to_threat_types(row: dict[str, str], expected: str) -> None:
    rows, errors = read_bytes(acled_csv(row), "acled")
    assert errors == []
    assert rows[0].threat_type == expected


def test_acled_unknown_types_and_precisions_are_row_errors() -> None:
    rows, errors = read_bytes(
        acled_csv(
            {"event_type": "Parade", "sub_event_type": "Float"},
            {"event_type": "Battles", "sub_event_type": "Armed clash", "time_precision": "7"},
            {"event_type": "", "sub_event_type": ""},
            {"event_type": "Battles", "event_date": "31 Febtember 2021"},
            {"event_type": "Battles", "event_date": "2999-01-01"},
        ),
        "acled",
    )
    assert rows == []
    reasons = errors_by_line(errors)
    assert reasons[2].startswith(
        "sub-event type 'Float' and event type 'Parade' are unknown: use one of ACLED's event "
        "types: Battles, Explosions/Remote violence, Violence against civilians"
    )
    assert reasons[3] == "time_precision '7' is unknown: use one of 1, 2, 3"
    assert reasons[4] == "event_type and sub_event_type are both empty"
    assert reasons[5] == (
        "event_date '31 Febtember 2021' is not a date (YYYY-MM-DD or 12 March 2021)"
    )
    assert reasons[6] == "event_date '2999-01-01' is in the future"


def test_acled_hxl_row_is_skipped_and_lines_still_count_it() -> None:
    rows, errors = read_bytes(
        acled_csv({"event_type": "Battles"}, {"event_type": "Battles", "latitude": "x"}, hxl=True),
        "acled",
    )
    assert [r.line for r in rows] == [3]
    assert errors_by_line(errors) == {4: "latitude 'x' is not a number"}
    assert (
        open_events(io.BytesIO(acled_csv({"event_type": "Battles"}, hxl=True)), "acled").total == 1
    )


# --- the simple CSV ------------------------------------------------------------------


def test_simple_csv_rows_and_errors() -> None:
    rows, errors = read_events(DATA / "simple_events.csv", "csv")
    assert [(r.key, r.threat_type, r.fatalities, r.line) for r in rows] == [
        ("simple_events:K-1", "attack_on_civilians", 3, 2),
        ("simple_events:K-2", "armed_clash", 0, 3),  # "Armed clash", fatalities empty
        ("simple_events:K-8", "explosive_hazard", 0, 10),  # the alias "ied"
    ]
    first = rows[0]
    assert first.place_name == "Kamango" and first.location_precision is None
    assert first.date_start == first.date_end == dt.date(2024, 5, 2)
    # No --source: the file's name, so that another team's K-1 is another event.
    assert first.date_precision == "day" and first.source == "simple_events"
    reasons = errors_by_line(errors)
    assert reasons[4] == f"type 'x' is unknown: use one of {', '.join(THREAT_TYPES)}"
    assert reasons[5] == "date '2019-13-01' is not a date (YYYY-MM-DD)"
    assert reasons[6] == "the point is (0, 0): the coordinates are missing"
    assert reasons[7] == "fatalities '2.5' must be a whole number ≥ 0"
    assert reasons[8] == "longitude 200 is out of range (-180 to 180)"
    assert reasons[9] == "event id 'K-1' already appears on line 2"
    assert set(reasons) == {4, 5, 6, 7, 8, 9}


def test_simple_csv_source_names_the_keys() -> None:
    rows, _ = read_events(DATA / "simple_events.csv", "csv", source="Monusco-JOC")
    assert rows[0].key == "monusco-joc:K-1" and rows[0].source == "monusco-joc"
    with pytest.raises(SourceError, match="source name 'a:b' is not usable"):
        read_events(DATA / "simple_events.csv", "csv", source="a:b")


def test_simple_csv_from_a_french_spreadsheet() -> None:
    """Semicolons between cells, decimal commas, a byte-order mark, Windows lines."""
    text = "\ufeffid;date;lat;lon;type;place\r\n7;2024-01-02;0,6167;29,9333;killing;Kamango\r\n"
    rows, errors = read_bytes(text.encode("utf-8"), "csv")
    assert errors == []
    assert (rows[0].lat, rows[0].lon, rows[0].place_name) == (0.6167, 29.9333, "Kamango")
    utf16 = read_bytes(text.replace(";", "\t").encode("utf-16"), "csv")
    assert utf16 == (rows, [])


def test_text_and_binary_files_are_both_accepted() -> None:
    text = "id,date,lat,lon,type\n1,2024-01-02,1,2,other\n"
    assert read_events(io.StringIO(text), "csv") == read_bytes(text.encode(), "csv")


# --- whole-file errors -----------------------------------------------------------------


def test_missing_columns_are_named() -> None:
    with pytest.raises(SourceError) as caught:
        read_bytes(b"id,when,lat,longitude,kind\n1,2024-01-01,1,2,other\n", "csv")
    message = str(caught.value)
    assert "line 1: missing column(s) date, type (or threat_type)" in message
    assert "The header has id, when, lat, longitude, kind" in message


def test_an_acled_file_read_as_simple_csv_says_so() -> None:
    with pytest.raises(SourceError, match="It looks like an ACLED file: read it as 'acled'"):
        read_events(DATA / "acled_sample.csv", "csv")


def test_ucdp_csv_needs_its_columns() -> None:
    with pytest.raises(SourceError, match=r"missing column\(s\) type_of_violence, best"):
        read_bytes(b"id,latitude,longitude,year\n1,1,2,2020\n", "ucdp-ged")


@pytest.mark.parametrize(
    ("data", "fmt", "reason"),
    [
        (b"id,date\n1,caf\xe9\n", "csv", r"not UTF-8 text: byte 0xe9 on line 2"),
        (b"", "acled", r"is empty"),
        (b"  \n\n", "csv", r"is empty"),
        (b"\xef\xbb\xbf", "ucdp-ged", r"is empty"),
        (b'{"type": "FeatureCollection", "features": [', "ucdp-ged", r"not valid JSON"),
        (b'{"type": "Feature"}', "ucdp-ged", r"not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection"}', "ucdp-ged", r"no list of features"),
        (b"[" * 100_000, "ucdp-ged", r"not (valid|readable) JSON"),
        (b'{"data": []}', "acled", r"looks like JSON; a file of format acled is CSV"),
        (b"\x1f\x8b\x08\x00broken", "csv", r"looks gzipped but is damaged"),
        (b"id,date\x00\n", "csv", r"NUL character on line 1"),
    ],
)
def test_unreadable_files_raise_source_error(data: bytes, fmt: str, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        read_bytes(data, fmt)


def test_unknown_format_and_missing_file() -> None:
    with pytest.raises(SourceError, match="unknown format 'gdelt': use one of ucdp-ged"):
        read_events(DATA / "simple_events.csv", "gdelt")
    with pytest.raises(SourceError, match="cannot read nothing-here.csv"):
        read_events(DATA / "nothing-here.csv", "csv")


def test_source_error_is_the_gazetteer_one() -> None:
    assert SourceError is place_sources.SourceError


# --- the mapping table ---------------------------------------------------------------------


def test_every_mapped_type_is_a_threat_type() -> None:
    mapped = {t for _, _, t in describe_mapping()}
    mapped |= {t for _, t in UCDP_VIOLENCE_TYPES.values()}
    mapped |= {t for _, t in ACLED_SUB_EVENT_TYPES.values()}
    mapped |= set(ACLED_EVENT_TYPES.values()) | set(CSV_TYPE_ALIASES.values())
    assert mapped <= set(THREAT_TYPES)
    assert set(UCDP_DATE_PRECISION.values()) <= set(DATE_PRECISIONS)


def test_describe_mapping_covers_every_source_label() -> None:
    table = describe_mapping()
    assert {fmt for fmt, _, _ in table} == set(FORMATS)
    acled_labels = [label for fmt, label, _ in table if fmt == "acled"]
    assert len(ACLED_SUB_EVENT_TYPES) == 25
    for sub, (event_type, _) in ACLED_SUB_EVENT_TYPES.items():
        assert any(label.startswith(f"{event_type} / {sub}") for label in acled_labels), sub
    for event_type in ACLED_EVENT_TYPES:
        assert any(label.startswith(f"{event_type} (") for label in acled_labels), event_type
    ucdp_labels = " ".join(label for fmt, label, _ in table if fmt == "ucdp-ged")
    assert all(f"type_of_violence {code}" in ucdp_labels for code in UCDP_VIOLENCE_TYPES)
    csv_labels = {label for fmt, label, _ in table if fmt == "csv"}
    assert set(THREAT_TYPES) | set(CSV_TYPE_ALIASES) == csv_labels


# --- never a crash -----------------------------------------------------------------------------


def consume(data: bytes | str, fmt: str) -> None:
    """Read everything; only SourceError may come out, and every item is typed."""
    source: io.BytesIO | io.StringIO = (
        io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data)
    )
    try:
        events = open_events(source, fmt)
    except SourceError as exc:
        assert str(exc)
        return
    items = list(events)
    assert len(items) == events.total
    for item in items:
        assert isinstance(item, EventRow | RowError)
        if isinstance(item, RowError):
            assert item.reason and item.line >= 1
        else:
            assert item.threat_type in THREAT_TYPES
            assert item.date_precision in DATE_PRECISIONS
            assert -90 <= item.lat <= 90 and -180 <= item.lon <= 180
            assert item.fatalities >= 0 and item.date_end >= item.date_start


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_are_read_or_refused_with_a_reason(fmt: str, data: bytes) -> None:
    consume(data, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_text_is_read_or_refused_with_a_reason(fmt: str, text: str) -> None:
    consume(text, fmt)


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "0",
            "-3",
            "1e400",
            "nan",
            "95.2",
            "29,5",
            "2021-02-30",
            "12 March 2021",
            "2024-01-01T00:00:00",
            "3",
            "4",
            "Attack",
            "Battles",
            "Looting/property destruction",
            "killing",
            "Civilian targeting",
            "9" * 30,
        ]
    ),
)
HEADERS = {
    "ucdp-ged": [
        "id",
        "type_of_violence",
        "latitude",
        "longitude",
        "best",
        "date_start",
        "date_end",
        "date_prec",
        "where_prec",
        "year",
    ],
    "acled": [
        "event_id_cnty",
        "event_date",
        "event_type",
        "sub_event_type",
        "latitude",
        "longitude",
        "fatalities",
        "time_precision",
        "geo_precision",
        "civilian_targeting",
    ],
    "csv": ["id", "date", "lat", "lon", "type", "fatalities", "place"],
}


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=120, deadline=None)
@given(rows=st.lists(st.lists(cell, max_size=11), max_size=6))
def test_csv_rows_with_any_cells_never_crash(fmt: str, rows: list[list[str]]) -> None:
    lines = [",".join(HEADERS[fmt])] + [",".join(c.replace(",", " ") for c in r) for r in rows]
    consume("\n".join(lines), fmt)


json_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True),
        st.text(max_size=8),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
props = st.fixed_dictionaries(
    {},
    optional={
        name: st.one_of(json_value, cell)
        for name in (
            "event_id",
            "id",
            "type_of_violence",
            "best",
            "year",
            "date_start",
            "date_end",
            "date_prec",
            "where_prec",
        )
    },
)
feature = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "Point"]),
        "properties": st.one_of(props, json_value),
        "geometry": st.one_of(
            json_value,
            st.fixed_dictionaries(
                {
                    "type": st.just("Point"),
                    "coordinates": st.one_of(json_value, st.lists(json_value, max_size=3)),
                }
            ),
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(features=st.lists(st.one_of(feature, json_value), max_size=6))
def test_geojson_features_of_any_shape_never_crash(features: list[object]) -> None:
    consume(json.dumps({"type": "FeatureCollection", "features": features}), "ucdp-ged")


def test_the_documented_table_of_event_types_is_the_one_applied() -> None:
    from ulinzi.threats.sources import CSV_TYPE_ALIASES, describe_mapping

    page = (Path(__file__).resolve().parents[3] / "docs" / "event-types.md").read_text("utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    expected = [
        f"| `{s}` | {what.replace('|', '/')} | `{t}` |" for s, what, t in describe_mapping()
    ]
    expected += [f"| `{a}` | `{t}` |" for a, t in sorted(CSV_TYPE_ALIASES.items())]
    assert rows == expected


def test_a_simple_sheet_without_ids_is_read_and_read_again_as_the_same_events(
    tmp_path: Path,
) -> None:
    sheet = tmp_path / "no-ids.csv"
    sheet.write_text(
        "date,lat,lon,type,fatalities,place\n"
        "2024-03-02,0.49,29.47,killing,3,Mbau\n"
        "2024-03-02,0.49,29.48,killing,2,Mbau\n"
        "2024-03-05,0.71,29.58,abduction,,Oicha\n"
        "2024-03-02,0.49,29.47,killing,2,mbau\n",
        encoding="utf-8",
    )
    rows, errors = read_events(sheet, "csv")
    assert [r.line for r in rows] == [2, 3, 4]
    assert len({r.key for r in rows}) == 3 and all(r.key.startswith("no-ids:row-") for r in rows)
    assert [str(e) for e in errors] == [
        "line 5: the same event (date, place, type) as line 2: give the rows an "
        "id column to tell them apart"
    ]
    again, _ = read_events(sheet, "csv")
    assert [r.key for r in again] == [r.key for r in rows]
    # The count corrected in a later version of the sheet: the same event, updated.
    sheet.write_text(
        "date,lat,lon,type,fatalities,place\n2024-03-02,0.49,29.47,killing,4,Mbau\n",
        encoding="utf-8",
    )
    [corrected], _ = read_events(sheet, "csv")
    assert corrected.key == rows[0].key and corrected.fatalities == 4
