"""Importing a gazetteer: all or nothing by default, idempotent, updates in place."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ulinzi.audit.models import AuditEntry
from ulinzi.places.domain import ImportRefused, import_gazetteer
from ulinzi.places.gazetteer import BUNDLED_DIR
from ulinzi.places.models import Place
from ulinzi.places.sources import SourceError

pytestmark = pytest.mark.django_db


def grid3_features(path: Path) -> list[dict]:
    return json.loads(path.read_text())["features"]


def write_features(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_the_real_slice_links_villages_to_their_areas(gazetteer: None) -> None:
    mbau = Place.objects.get(kind="health_area", name="Mbau")
    assert mbau.territory.pcode == "CD6107"  # Oïcha, the former Beni territory
    assert mbau.province.pcode == "CD61"
    village = Place.objects.get(kind="village", name="Mbau Centre")
    assert village.health_area == mbau
    assert village.health_zone.name == "Oicha"
    assert village.admin_path() == "Nord-Kivu › Oïcha › Oicha › Mbau"
    # GeoNames towns carry no admin names: they are located inside the polygons.
    goma = Place.objects.get(key="geonames:216281")
    assert (goma.province.name, goma.territory.pcode) == ("Nord-Kivu", "CD6101")


def test_reimporting_the_same_file_changes_nothing(gazetteer: None, grid3_slice: Path) -> None:
    before = dict(Place.objects.values_list("key", "updated_at"))
    result = import_gazetteer(grid3_slice, "grid3", actor="test")
    assert (result.created, result.updated) == (0, 0)
    assert (
        result.unchanged
        == len(grid3_features(grid3_slice)) + Place.objects.filter(key__startswith="grid3-").count()
    )
    assert dict(Place.objects.values_list("key", "updated_at")) == before
    entry = AuditEntry.objects.filter(action="places.import_gazetteer").first()
    assert entry.after["unchanged"] == result.unchanged and entry.after["created"] == 0


def test_a_changed_file_updates_places_in_place(
    gazetteer: None, grid3_slice: Path, tmp_path: Path
) -> None:
    features = grid3_features(grid3_slice)
    target = next(f for f in features if f["properties"]["localite"] == "Mbau Centre")
    place = Place.objects.get(key=f"grid3:{target['properties']['grid3id']}")
    target["properties"]["localite"] = "Mbau Centre-ville"
    target["geometry"]["coordinates"] = [29.5, 0.65]
    result = import_gazetteer(write_features(tmp_path / "changed.geojson", features), "grid3")
    assert result.created == 0
    assert result.updated >= 1
    before = place.updated_at
    place.refresh_from_db()
    assert (place.name, place.lat, place.lon) == ("Mbau Centre-ville", 0.65, 29.5)
    assert place.updated_at > before


def test_bad_rows_refuse_the_whole_file_with_line_numbers(gazetteer: None, tmp_path: Path) -> None:
    count = Place.objects.count()
    entries = AuditEntry.objects.count()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [29.4, 0.6]},
            "properties": {
                "grid3id": "t-1",
                "localite": "Nouveau village",
                "province": "Nord-Kivu",
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [0.6, 29.4]},
            "properties": {"grid3id": "t-2", "localite": "Swapped"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [29.4, 0.7]},
            "properties": {"grid3id": "t-1", "localite": "Twice"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": ["x", 0.7]},
            "properties": {"grid3id": "t-4", "localite": "Not a number"},
        },
    ]
    path = write_features(tmp_path / "bad.geojson", features)
    with pytest.raises(ImportRefused) as refused:
        import_gazetteer(path, "grid3")
    assert [str(e) for e in refused.value.errors] == [
        "feature 2: point (lat 29.4, lon 0.6) is outside CD; are latitude and longitude swapped?",
        "feature 3: grid3id t-1 already appears in feature 1",
        "feature 4: longitude 'x' is not a number",
    ]
    assert Place.objects.count() == count
    assert AuditEntry.objects.count() == entries


def test_skip_bad_imports_the_good_rows_and_says_how_many(gazetteer: None, tmp_path: Path) -> None:
    path = tmp_path / "towns.tsv"
    good = "\t".join(
        [
            "999001",
            "Lubero",
            "Lubero",
            "",
            "-0.15872",
            "29.24091",
            "P",
            "PPL",
            "CD",
            "",
            "11",
            "",
            "",
            "",
            "12000",
            "",
            "",
            "Africa/Lubumbashi",
            "",
        ]
    )
    bad = good.replace("999001", "999002").replace("-0.15872", "north")
    path.write_text(good + "\n" + bad + "\n")
    result = import_gazetteer(path, "geonames", skip_bad=True)
    assert (result.created, result.skipped_bad) == (1, 1)
    assert [str(e) for e in result.errors] == ["line 2: latitude 'north' is not a number"]
    town = Place.objects.get(key="geonames:999001")
    assert (town.kind, town.population, town.territory.pcode) == ("town", 12000, "CD6105")


def test_the_command_reports_bad_rows_and_writes_nothing(
    gazetteer: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "areas.csv"
    path.write_text(
        "pcode,name,kind,parent_pcode,lat,lon\nCD6107XX,Mbau-Kamango,other,CD6107,0.65,29.5\n,Sans code,other,,,\n"
    )
    with pytest.raises(CommandError, match=r"1 bad row\(s\) in areas.csv; nothing was imported"):
        call_command("import_gazetteer", str(path), fmt="pcode-csv")
    assert "areas.csv: line 3: the P-code is empty" in capsys.readouterr().err
    assert not Place.objects.filter(pcode="CD6107XX").exists()
    call_command("import_gazetteer", str(path), fmt="pcode-csv", skip_bad=True)
    assert "1 created, 0 updated, 0 unchanged, 1 bad rows skipped" in capsys.readouterr().out
    assert Place.objects.get(pcode="CD6107XX").territory.pcode == "CD6107"


def test_wrong_columns_and_bad_encoding_are_refused_with_a_reason(db: None, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("code,label\nCD61,Nord-Kivu\n")
    with pytest.raises(SourceError, match="line 1: missing column\\(s\\) pcode, name"):
        import_gazetteer(wrong, "pcode-csv")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("pcode,name\nCD6107,Oïcha\n".encode("latin-1"))
    with pytest.raises(SourceError, match="not UTF-8 text: byte 0xef on line 2"):
        import_gazetteer(latin, "pcode-csv")
    geonames = tmp_path / "not-geonames.tsv"
    geonames.write_text("a,b,c\n")
    with pytest.raises(SourceError, match="line 1 has 1 tab-separated columns"):
        import_gazetteer(geonames, "geonames")
    with pytest.raises(SourceError, match="not valid JSON"):
        import_gazetteer(wrong, "grid3")
    assert not Place.objects.exists()


def test_hxl_sheets_are_read_by_their_hashtags(gazetteer: None, tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "Province,Territoire,Site,Code site,Lat,Lon,Population\n"
        "#adm1+name,#adm2+name,#loc+name,#loc+code,#geo+lat,#geo+lon,#population\n"
        "Nord-Kivu,Goma,Site de Bulengo,CD6101S01,-1.6208,29.1497,54000\n"
    )
    result = import_gazetteer(path, "hxl")
    assert result.created == 1
    site = Place.objects.get(pcode="CD6101S01")
    assert (site.name, site.kind, site.population) == ("Site de Bulengo", "village", 54000)
    assert site.territory.pcode == "CD6101"


def test_geonames_keeps_only_the_country_asked_for(db: None, tmp_path: Path) -> None:
    path = tmp_path / "towns.tsv"
    with gzip.open(BUNDLED_DIR / "geonames_cd_towns.tsv.gz", "rt") as handle:
        cd_rows = handle.read().splitlines()[:3]
    other = cd_rows[0].replace("\tCD\t", "\tCF\t").replace(cd_rows[0].split("\t")[0], "1", 1)
    path.write_text("\n".join([*cd_rows, other]) + "\n")
    result = import_gazetteer(path, "geonames", country="CD")
    assert (result.created, result.other_country) == (3, 1)


def test_a_file_that_lacks_fields_does_not_wipe_them(gazetteer: None, tmp_path: Path) -> None:
    nord_kivu = Place.objects.get(pcode="CD61")
    path = tmp_path / "names.csv"
    path.write_text("pcode,name\nCD61,Nord Kivu\n")  # a renaming list: no coordinates, no boundary
    result = import_gazetteer(path, "pcode-csv")
    assert result.updated == 1
    renamed = Place.objects.get(pcode="CD61")
    assert renamed.name == "Nord Kivu"
    assert (renamed.kind, renamed.lat, renamed.lon) == ("province", nord_kivu.lat, nord_kivu.lon)
    assert renamed.geometry == nord_kivu.geometry
    assert renamed.updated_at > nord_kivu.updated_at


def test_an_area_cannot_silently_become_something_else(gazetteer: None, tmp_path: Path) -> None:
    path = tmp_path / "wrong-kind.csv"
    path.write_text("pcode,name,kind\nCD61,Nord-Kivu,village\n")
    with pytest.raises(ImportRefused) as refused:
        import_gazetteer(path, "pcode-csv")
    assert [str(e) for e in refused.value.errors] == [
        "line 2: Nord-Kivu is a province in the gazetteer; this file would make it a village "
        "(fix the kind, or give the place another code)"
    ]
    assert Place.objects.get(pcode="CD61").kind == "province"


def test_impossible_values_are_row_errors_not_crashes(db: None, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "pcode,name,kind,parent_pcode,population\n"
        "CD6101,Goma,territory,CD6101,\n"
        "CD6102,Nyiragongo,territory,CD61,-5\n"
        "CD6103,Masisi,territory,CD61,1e30\n"
        f"CD6104,{'W' * 201},territory,CD61,\n"
        "CD 61/05,Lubero,territory,CD61,\n"
    )
    with pytest.raises(ImportRefused) as refused:
        import_gazetteer(path, "pcode-csv")
    assert [str(e) for e in refused.value.errors] == [
        "line 2: parent_pcode CD6101 is the place's own P-code",
        "line 3: population '-5' is not between 0 and 2,000,000,000",
        "line 4: population '1e30' is not between 0 and 2,000,000,000",
        "line 5: the name is longer than 200 characters",
        "line 6: P-code 'CD 61/05' is not a P-code (letters, digits, up to 20)",
    ]
    assert not Place.objects.exists()


def test_a_matched_place_is_read_once_per_gazetteer_version(
    gazetteer: None, grid3_slice: Path, tmp_path: Path, django_assert_num_queries: Any
) -> None:
    """Reports keep naming the same places: the worker reads each once, until an import
    changes the gazetteer (then it reads it as changed)."""
    from ulinzi.places import queries

    queries.matcher()  # the search of the report that named it
    place_id = Place.objects.get(name="Mbau Centre", kind="village").pk
    first = queries.matched_place(place_id)
    assert first is not None and first.name == "Mbau Centre"
    with django_assert_num_queries(0):
        assert queries.matched_place(place_id) is first
    features = grid3_features(grid3_slice)
    target = next(f for f in features if f["properties"]["localite"] == "Mbau Centre")
    target["properties"]["localite"] = "Mbau Centre-ville"
    import_gazetteer(write_features(tmp_path / "changed.geojson", features), "grid3")
    queries.matcher()  # the next report's search sees the new version
    renamed = queries.matched_place(place_id)
    assert renamed is not None and renamed.name == "Mbau Centre-ville"
