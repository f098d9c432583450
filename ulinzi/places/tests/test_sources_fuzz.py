"""Any file content gets rows, row errors or one clear SourceError: never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ulinzi.places.sources import (
    FORMATS,
    Parsed,
    SourceError,
    parse,
    parse_geojson,
    parse_grid3,
    parse_hxl,
    parse_pcode_csv,
)

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "CD6107", "nan", "inf", "-1e400", "29.5", "0.6", "#adm2+code", "#geo+lat"]
    ),
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(cell, max_size=8), max_size=8))
def test_csv_like_files_never_crash(rows: list[list[str]]) -> None:
    text = "\n".join(",".join(r) for r in rows)
    for parser in (parse_pcode_csv, parse_hxl):
        try:
            parsed = parser(text)
        except SourceError as exc:
            assert str(exc)
            continue
        assert isinstance(parsed, Parsed)
        assert all(e.where.startswith("line ") and e.reason for e in parsed.errors)


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
feature = st.fixed_dictionaries(
    {
        "type": st.just("Feature"),
        "geometry": st.one_of(
            json_value,
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["Point", "Polygon", "MultiPolygon", "Line"]),
                    "coordinates": json_value,
                }
            ),
        ),
        "properties": st.one_of(
            json_value,
            st.fixed_dictionaries(
                {"grid3id": cell, "localite": cell, "nom": cell, "pcode": cell, "kind": cell}
            ),
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(features=st.lists(st.one_of(feature, json_value), max_size=6))
def test_geojson_files_never_crash(features: list[object]) -> None:
    text = json.dumps({"type": "FeatureCollection", "features": features})
    for parser in (parse_grid3, parse_geojson):
        parsed = parser(text)
        assert len(parsed.errors) + len(
            [r for r in parsed.rows if r.key.startswith(("grid3:", "pcode:", "geojson:"))]
        ) == len(features)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_with_a_reason_or_read(
    fmt: str, data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path: Path = tmp_path_factory.mktemp("fuzz") / "file"
    path.write_bytes(data)
    try:
        parse(path, fmt)
    except SourceError as exc:
        assert str(exc)
