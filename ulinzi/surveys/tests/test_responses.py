"""Reading KoBoToolbox and ODK Central exports (pure: no database)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from ulinzi.surveys import standard_form
from ulinzi.surveys.responses import Export, ExportError, Value, read_export
from ulinzi.surveys.xlsform import Form, validate

DATA = Path(__file__).resolve().parent / "data"
KOBO_CSV = DATA / "kobo_export.csv"
CENTRAL_CSV = DATA / "odk_central_export.csv"
UTC = dt.UTC


@pytest.fixture(scope="module")
def form() -> Form:
    return validate(standard_form.DEFAULT_PATH)


def by_id(export: Export) -> dict[str, dict[str, Value]]:
    return {row.submission_id: row.values for row in export.rows}


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "Perception of safety"
    for row in rows:
        sheet.append(row)
    wb.create_sheet("safety_repeat").append(["ignored", "sheet"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ KoBo CSV


def test_kobo_fixture_is_what_it_claims() -> None:
    raw = KOBO_CSV.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM
    assert raw.splitlines()[0].count(b";") == 33  # semicolons


def test_kobo_csv_with_form(form: Form) -> None:
    export = read_export(KOBO_CSV, form)
    assert export.format == "csv"
    assert export.id_columns == ["_uuid", "_id"]
    assert export.time_column == "_submission_time"
    assert [r.line for r in export.rows] == [2, 3, 7, 8, 11]
    assert export.columns["safety/safe_day"] == "safe_day"
    assert export.columns["safety/main_threats/killing"] == "main_threats"
    assert "enumerator_remark" in export.ignored  # the odd extra column
    assert "_validation_status" in export.ignored

    first = export.rows[0]
    assert first.submission_id == "5a0f3c2e-1b7d-4c55-9e0f-0c2b1d9a7e01"
    assert first.submitted_at == dt.datetime(2024, 5, 2, 10, 15, 22, tzinfo=UTC)
    assert first.values["safe_day"] == "very_safe"
    assert first.values["main_threats"] == ["killing", "armed_presence"]
    assert first.values["community"] == "Kanyaruchinya; site 2"  # quoted separator
    assert first.missing_reasons == {}
    assert "enumerator_remark" not in first.values

    dk_row = export.rows[1]
    assert dk_row.values["safe_night"] is None
    assert dk_row.values["safe_firewood"] is None
    assert dk_row.values["main_threats"] is None
    assert dk_row.values["trust_police"] is None  # -88
    assert dk_row.values["last_alert_answered"] is None  # not relevant: no reason
    assert dk_row.missing_reasons == {
        "safe_night": "dk",
        "safe_firewood": "refused",
        "main_threats": "dk",
        "trust_police": "dk",
    }

    not_consenting = export.rows[2]
    assert not_consenting.values["consent"] == "no"
    assert not_consenting.values["safe_day"] is None
    assert not_consenting.missing_reasons == {}

    multiline = export.rows[3]
    assert multiline.line == 8
    assert multiline.values["community"] == "Rutshuru\ncentre"

    refused = export.rows[4]
    assert refused.values["community"] == "Goma"
    assert set(refused.missing_reasons.values()) == {"refused"}
    assert len(refused.missing_reasons) == 12


def test_kobo_csv_malformed_rows_have_exact_lines(form: Form) -> None:
    errors = read_export(KOBO_CSV, form).errors
    assert [(e.line, e.submission_id) for e in errors] == [
        (4, "5a0f3c2e-1b7d-4c55-9e0f-0c2b1d9a7e01"),
        (5, None),
        (6, "5a0f3c2e-1b7d-4c55-9e0f-0c2b1d9a7e05"),
        (10, None),  # values shifted by a stray separator: no reliable id
    ]
    assert errors[0].reason == (
        "submission 5a0f3c2e-1b7d-4c55-9e0f-0c2b1d9a7e01 already appears on line 2; "
        "this line was skipped"
    )
    assert errors[1].reason == "no submission id (the columns _uuid, _id are empty)"
    assert errors[2].reason.startswith(
        "'safe_day' has 'vry_safe', which is not a choice of 'safety_scale' (very_safe, "
    )
    assert "missing its quotes" in errors[3].reason
    assert str(errors[1]).startswith("line 5: no submission id")


def test_kobo_csv_without_form() -> None:
    export = read_export(KOBO_CSV)
    assert [r.line for r in export.rows] == [2, 3, 6, 7, 8, 11]
    assert [e.line for e in export.errors] == [4, 5, 10]
    rows = {r.line: r for r in export.rows}
    assert rows[6].values["safe_day"] == "vry_safe"  # nothing to check it against
    assert rows[2].values["main_threats"] == ["killing", "armed_presence"]
    assert rows[3].values["enumerator_remark"] == "asked twice"
    assert rows[3].missing_reasons["trust_police"] == "dk"
    assert "_index" in export.ignored


def test_select_multiple_from_choice_columns_only(form: Form) -> None:
    text = (
        "_uuid,safety/main_threats.killing,safety/main_threats.abduction,"
        "safety/main_threats.dk,safety/safe_day\n"
        "a,1,1,0,very_safe\n"
        "b,0,0,1,fairly_safe\n"
        "c,,,,\n"
        "d,0,yes please,0,very_safe\n"
    )
    export = read_export(text.encode(), form)
    values = by_id(export)
    assert values["a"]["main_threats"] == ["killing", "abduction"]
    assert values["b"]["main_threats"] is None
    assert export.rows[1].missing_reasons == {"main_threats": "dk"}
    assert values["c"]["main_threats"] is None
    assert [(e.line, e.reason) for e in export.errors] == [
        (5, "column 'safety/main_threats.abduction' has 'yes please' where 0 or 1 was expected")
    ]


def test_dk_mixed_with_real_choices_keeps_the_choices(form: Form) -> None:
    export = read_export(CENTRAL_CSV.read_bytes(), form)
    row = by_id(export)["0d8e6f1a-7c3b-4b9e-8a41-5f2d9c0e1b22"]
    assert row["main_threats"] == ["abduction"]


def test_choice_not_in_form_is_a_row_error(form: Form) -> None:
    text = "_uuid;safety/main_threats;profile/sex\nx1;killing ghosts;female\nx2;killing;alien\n"
    export = read_export(text.encode(), form)
    assert export.rows == []
    assert [(e.line, e.submission_id) for e in export.errors] == [(2, "x1"), (3, "x2")]
    assert "'main_threats' has 'killing ghosts'" in export.errors[0].reason
    assert "'sex' has 'alien', which is not a choice of 'sex' (female, male, refused)" in (
        export.errors[1].reason
    )


def test_kobo_labels_export(form: Form) -> None:
    """KoBo "XML values and headers" is the default; "labels" exports are read with a form."""
    consent = form.question("consent").labels["English (en)"]
    text = (
        f'_uuid,"{consent}",'
        "How safe do you feel in your village or neighbourhood at night?,"
        "Safety/What are the main threats to your safety here?/Killings,"
        "Safety/What are the main threats to your safety here?/Presence of armed men,"
        "Sexe\n"
        'u1,"Yes, I agree to answer",Fairly unsafe,1,1,Femme\n'
        'u2,"Yes, I agree to answer",Don\'t know,0,0,Refused to answer\n'
    )
    export = read_export(text.encode(), form)
    assert export.errors == []
    values = by_id(export)
    assert values["u1"] == {
        "consent": "yes",
        "safe_night": "fairly_unsafe",
        "main_threats": ["killing", "armed_presence"],
        "sex": "female",
    }
    assert export.rows[1].missing_reasons == {"safe_night": "dk", "sex": "refused"}


# ------------------------------------------------------------------ ODK Central CSV


def test_odk_central_csv(form: Form) -> None:
    export = read_export(CENTRAL_CSV, form)
    assert export.errors == []
    assert export.id_columns == ["meta-instanceID", "KEY"]
    assert export.time_column == "SubmissionDate"
    assert "ReviewState" in export.ignored
    assert export.columns["safety-safe_day"] == "safe_day"
    first, second, third = export.rows
    assert first.submission_id == "0d8e6f1a-7c3b-4b9e-8a41-5f2d9c0e1b21"  # "uuid:" removed
    assert first.submitted_at == dt.datetime(2024, 6, 1, 8, 30, 12, 345000, tzinfo=UTC)
    assert first.values["main_threats"] == ["armed_clash", "displacement"]
    assert first.values["displacement_status"] == "idp_host_family"
    assert second.missing_reasons == {"trust_police": "dk", "raised_alert": "dk"}
    assert third.values["community"] == "Kibua, quartier 3"
    assert third.missing_reasons["safe_fields_market"] == "dk"
    assert third.missing_reasons["main_threats"] == "refused"


def test_odk_central_without_form_uses_dash_groups() -> None:
    export = read_export(CENTRAL_CSV)
    assert export.errors == []
    row = export.rows[0]
    assert row.values["safe_day"] == "fairly_safe"
    assert row.values["main_threats"] == "armed_clash displacement"  # no form: one string
    assert "SubmitterName" in export.ignored
    assert "SubmitterName" not in row.values


def test_central_geopoint_parts_are_joined() -> None:
    form = validate(
        _form_xlsx([["geopoint", "loc", "Where"], ["text", "note_text", "Remark"]], group="g")
    )
    text = (
        "SubmissionDate,g-loc-Latitude,g-loc-Longitude,g-loc-Altitude,g-loc-Accuracy,"
        "g-note_text,KEY\n"
        "2024-06-01T09:00:00Z,-1.5,29.2,1500,4.5,hi,uuid:k1\n"
    )
    row = read_export(text.encode(), form).rows[0]
    assert row.values == {"loc": "-1.5 29.2 1500 4.5", "note_text": "hi"}
    row = read_export(text.encode()).rows[0]
    assert row.values["loc"] == "-1.5 29.2 1500 4.5"


# ------------------------------------------------------------------ XLSX


def test_kobo_xlsx_export(form: Form) -> None:
    data = xlsx(
        [
            [
                "start",
                "consent",
                "safety/safe_day",
                "safety/main_threats",
                "safety/main_threats/killing",
                "safety/main_threats/dk",
                "trust/trust_police",
                "profile/age_group",
                "_id",
                "_uuid",
                "_submission_time",
            ],
            [
                dt.datetime(2024, 5, 2, 9, 1),
                "yes",
                "very_safe",
                "killing",
                1,
                0,
                "a_lot",
                "age_18_24",
                201,
                "x-1",
                dt.datetime(2024, 5, 2, 10, 0, 5),
            ],
            [None] * 11,
            [None, "yes", "dk", "dk", 0, 1, -99, "age_50_plus", 202, None, None],
            [None, "yes", "unsafe", None, None, None, None, None, 203, "x-3", None],
        ]
    )
    export = read_export(io.BytesIO(data), form)
    assert export.format == "xlsx"
    assert [r.line for r in export.rows] == [2, 4]
    first, second = export.rows
    assert first.submission_id == "x-1"
    assert first.submitted_at == dt.datetime(2024, 5, 2, 10, 0, 5, tzinfo=UTC)
    assert first.values["start"] == "2024-05-02T09:01:00"
    assert first.values["main_threats"] == ["killing"]
    assert second.submission_id == "202"  # falls back on _id
    assert second.submitted_at is None
    assert second.missing_reasons == {
        "safe_day": "dk",
        "main_threats": "dk",
        "trust_police": "refused",
    }
    assert [(e.line, e.submission_id) for e in export.errors] == [(5, "x-3")]
    assert "'safe_day' has 'unsafe'" in export.errors[0].reason


# ------------------------------------------------------------------ encodings, separators


def test_windows_1252_and_tabs() -> None:
    text = "_uuid\tprofile/community\n1\tBéni\n"
    assert read_export(text.encode("cp1252")).rows[0].values["community"] == "Béni"
    assert read_export(text.encode("utf-16")).rows[0].values["community"] == "Béni"


def test_text_file_object_and_path_string(tmp_path: Path) -> None:
    assert read_export(io.StringIO("_uuid,q\na,1\n")).rows[0].values == {"q": "1"}
    path = tmp_path / "export.csv"
    path.write_text("KEY,q\nuuid:a,1\n")
    assert read_export(str(path)).rows[0].submission_id == "a"


def test_custom_missing_codes() -> None:
    text = "_uuid,q\na,98\nb,dk\n"
    export = read_export(text.encode(), missing_codes={"98": "dk", "99": "refused"})
    assert [r.missing_reasons for r in export.rows] == [{"q": "dk"}, {}]
    with pytest.raises(ValueError, match="'dk' or 'refused'"):
        read_export(text.encode(), missing_codes={"98": "unknown"})


def test_same_name_in_two_groups_keys_by_path() -> None:
    export = read_export(b"_uuid,home/safe,market/safe,other\na,yes,no,x\n")
    assert export.rows[0].values == {"home/safe": "yes", "market/safe": "no", "other": "x"}


# ------------------------------------------------------------------ whole-file problems


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty"),
        (b"  \n\n", "The file is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "old-style .xls"),
        (b"PK\x03\x04 broken zip", "The XLSX file could not be read"),
        (b"\x00\x01\x02binary\x00", "neither CSV nor XLSX"),
        (
            b"name,age\nAmani,30\n",
            "No submission id column: looked for _uuid, meta/instanceID, meta-instanceID, "
            "meta.instanceID, instanceID, KEY, _id. The file's columns are: name, age.",
        ),
    ],
)
def test_whole_file_problems(data: bytes, expected: str) -> None:
    with pytest.raises(ExportError) as caught:
        read_export(data)
    assert expected in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="Could not open the export 'nope.csv'"):
        read_export(tmp_path / "nope.csv")


def test_header_only_gives_no_rows() -> None:
    export = read_export(b"_uuid,q\n")
    assert (export.rows, export.errors) == ([], [])


# ------------------------------------------------------------------ fuzz


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_random_text(text: str) -> None:
    try:
        export = read_export(text.encode("utf-8", errors="surrogatepass"))
    except ExportError:
        return
    assert all(r.submission_id for r in export.rows)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data: bytes) -> None:
    try:
        export = read_export(data)
    except ExportError as err:
        assert str(err)
    else:
        assert all(r.submission_id for r in export.rows)


_HEADERS = [
    "_uuid",
    "KEY",
    "safety/safe_day",
    "safety/main_threats",
    "safety/main_threats/killing",
    "safety-main_threats.dk",
    "profile/sex",
    "odd",
    "_submission_time",
]
_CELL = st.one_of(
    st.sampled_from(
        ["", "dk", "refused", "-88", "1", "0", "killing", "very_safe", "female", "2024-01-01"]
    ),
    st.text(max_size=10),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_HEADERS), min_size=1, max_size=7, unique=True),
    st.lists(st.lists(_CELL, max_size=9), max_size=6),
    st.sampled_from([",", ";"]),
)
def test_fuzz_structured_csv(
    form: Form, headers: list[str], rows: list[list[str]], sep: str
) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep)
    writer.writerow(headers)
    writer.writerows(rows)
    try:
        export = read_export(buf.getvalue().encode(), form)
    except ExportError:
        assert not {"_uuid", "KEY"} & set(headers) or any("\x00" in c for r in rows for c in r)
        return
    lines = {r.line for r in export.rows} | {e.line for e in export.errors}
    assert len({r.submission_id for r in export.rows}) == len(export.rows)
    assert all(line >= 2 for line in lines)
    for row in export.rows:
        for key, value in row.values.items():
            assert value is None or isinstance(value, str | list)
            if key in row.missing_reasons:
                assert value is None


def _form_xlsx(rows: list[list[str]], group: str) -> bytes:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    sheet.append(["begin group", group, group])
    for row in rows:
        sheet.append(row)
    sheet.append(["end group", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
