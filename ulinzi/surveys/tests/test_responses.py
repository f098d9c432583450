"""Reading KoBoToolbox and ODK Central exports (pure: no database)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from ulinzi.surveys import responses, standard_form
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

    assert all(row.repeats == {} for row in export.rows)

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
    # Other sheets without KoBo's link columns are not read, and are said so.
    assert export.ignored[-1] == (
        "sheet 'safety_repeat' (no _parent_index or _submission__uuid or _submission__id "
        "column to link it to the submissions)"
    )
    assert export.repeat_tables == []
    assert all(row.repeats == {} for row in export.rows)


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
        (b"PK\x03\x04 broken zip", "The XLSX or ZIP file could not be read"),
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


# ------------------------------------------------------------------ repeat groups
#
# The fixtures are generated here (openpyxl, zipfile) with the column names that
# KoBoToolbox's XLSX export and ODK Central's "CSV (zip)" download use.

LONG = "incidents_reported_by_the_member"  # 32 characters: KoBo cuts its sheet name
LONG_SHEET = LONG[:28] + "..."  # as KoBo names the sheet (Excel allows 31 characters)
MAIN_SHEET = "Household roster"
KOBO_SUBMISSION = [
    "_submission__id",
    "_submission__uuid",
    "_submission__submission_time",
    "_submission__validation_status",
]
KOBO_MEMBERS = [
    "household/members/member_name",
    "household/members/member_sex",
    "household/members/member_threats",
    "household/members/member_threats/killing",
    "household/members/member_threats/abduction",
    "household/members/member_threats/dk",
    "household/members/member_home",
    "_household/members/member_home_latitude",
    "_index",
    "_parent_table_name",
    "_parent_index",
    *KOBO_SUBMISSION,
]
T1 = "2024-07-01T10:00:00"


@pytest.fixture(scope="module")
def roster() -> Form:
    return validate(roster_xlsform())


def roster_xlsform() -> bytes:
    """A household roster: a ``members`` repeat inside a group, and a repeat inside it."""
    wb = Workbook()
    survey = wb.active
    assert survey is not None
    survey.title = "survey"
    for row in [
        ["type", "name", "label"],
        ["select_one yn", "consent", "Consent"],
        ["begin group", "household", "Household"],
        ["integer", "size", "Household size"],
        ["begin repeat", "members", "Members"],
        ["text", "member_name", "Name"],
        ["select_one sex", "member_sex", "Sex"],
        ["select_multiple threats", "member_threats", "Threats faced"],
        ["geopoint", "member_home", "Home"],
        ["begin repeat", LONG, "Incidents"],
        ["select_one yn", "reported", "Reported to the mission?"],
        ["end repeat", "", ""],
        ["end repeat", "", ""],
        ["end group", "", ""],
        ["text", "community", "Community"],
    ]:
        survey.append(row)
    choices = wb.create_sheet("choices")
    for row in [
        ["list_name", "name", "label"],
        *(["yn", c, c] for c in ("yes", "no", "dk", "refused")),
        *(["sex", c, c] for c in ("female", "male", "refused")),
        *(["threats", c, c] for c in ("killing", "abduction", "looting", "dk", "refused")),
    ]:
        choices.append(row)
    settings_sheet = wb.create_sheet("settings")
    settings_sheet.append(["form_title", "form_id"])
    settings_sheet.append([MAIN_SHEET, "hh_roster"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def kobo_sheets() -> dict[str, list[list[object]]]:
    """A KoBo XLSX export of the roster: main sheet, ``members``, nested incidents."""
    sub = {  # _submission__id, _submission__uuid, time, validation status
        1: [301, "u-1", T1, ""],
        2: [302, "u-2", T1, ""],
    }
    return {
        MAIN_SHEET: [
            [
                "consent",
                "household/size",
                "community",
                "_id",
                "_uuid",
                "_submission_time",
                "_validation_status",
                "_index",
            ],
            ["yes", 4, "Kibumba", 301, "u-1", dt.datetime(2024, 7, 1, 10), "", 1],
            ["yes", 2, "Rugari", 302, "u-2", dt.datetime(2024, 7, 1, 11), "", 2],
            ["no", None, "Goma", 303, "u-3", dt.datetime(2024, 7, 1, 12), "", 3],
        ],
        "members": [
            KOBO_MEMBERS,
            ["Amani", "female", "killing abduction", 1, 1, 0, "-1.5 29.2 1500 5", -1.5]
            + [1, MAIN_SHEET, 1, *sub[1]],
            ["Baraka", "male", None, 0, 0, 0, None, None, 2, MAIN_SHEET, 1, *sub[1]],
            ["Chance", "refused", "dk", 0, 0, 1, None, None, 3, MAIN_SHEET, 2, *sub[2]],
        ],
        LONG_SHEET: [
            [
                f"household/members/{LONG}/reported",
                "_index",
                "_parent_table_name",
                "_parent_index",
                *KOBO_SUBMISSION,
            ],
            ["yes", 1, "members", 1, *sub[1]],
            ["dk", 2, "members", 1, *sub[1]],
            ["no", 3, "members", 3, *sub[2]],
        ],
    }


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for title, rows in sheets.items():
        sheet = wb.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_kobo_xlsx_repeats_with_form(roster: Form) -> None:
    export = read_export(workbook(kobo_sheets()), roster)
    assert export.errors == []
    assert [r.submission_id for r in export.rows] == ["u-1", "u-2", "u-3"]
    first, second, third = export.rows
    assert first.values == {"consent": "yes", "size": "4", "community": "Kibumba"}
    assert first.repeats == {
        "members": [
            {
                "member_name": "Amani",
                "member_sex": "female",
                "member_threats": ["killing", "abduction"],
                "member_home": "-1.5 29.2 1500 5",
                "missing_reasons": {},
                "repeats": {
                    LONG: [  # the full name, though the sheet's is cut
                        {"reported": "yes", "missing_reasons": {}},
                        {"reported": None, "missing_reasons": {"reported": "dk"}},
                    ]
                },
            },
            {
                "member_name": "Baraka",
                "member_sex": "male",
                "member_threats": None,
                "member_home": None,
                "missing_reasons": {},
                "repeats": {LONG: []},
            },
        ]
    }
    chance = second.repeats["members"][0]
    assert chance["member_sex"] is None
    assert chance["member_threats"] is None
    assert chance["missing_reasons"] == {"member_sex": "refused", "member_threats": "dk"}
    assert chance["repeats"] == {LONG: [{"reported": "no", "missing_reasons": {}}]}
    assert third.repeats == {"members": []}  # no member: the key is still there

    members, incidents = export.repeat_tables
    assert (members.name, members.table, members.table_kind, members.parent) == (
        "members",
        "members",
        "sheet",
        None,
    )
    assert members.columns["household/members/member_threats/killing"] == "member_threats"
    assert "_submission__submission_time" in members.ignored
    assert (incidents.name, incidents.table, incidents.parent) == (LONG, LONG_SHEET, "members")


def test_kobo_xlsx_repeats_without_form() -> None:
    export = read_export(workbook(kobo_sheets()))
    assert export.errors == []
    amani = export.rows[0].repeats["members"][0]
    assert amani["member_threats"] == ["killing", "abduction"]  # from the 0/1 columns
    assert amani["member_home"] == "-1.5 29.2 1500 5"
    assert amani["repeats"] == {
        LONG_SHEET: [  # without a form: the sheet's name
            {"reported": "yes", "missing_reasons": {}},
            {"reported": None, "missing_reasons": {"reported": "dk"}},
        ]
    }
    assert export.rows[1].repeats["members"][0]["missing_reasons"] == {
        "member_sex": "refused",
        "member_threats": "dk",
    }


def test_bad_choice_in_a_repeat_rejects_its_submission(roster: Form) -> None:
    sheets = kobo_sheets()
    sheets["members"][3][1] = "alien"  # Chance, of u-2, on line 4 of the sheet
    sheets[LONG_SHEET][2][0] = "maybe"  # an incident of Amani, of u-1
    export = read_export(workbook(sheets), roster)
    assert [r.submission_id for r in export.rows] == ["u-3"]
    assert [(e.table, e.line, e.submission_id) for e in export.errors] == [
        ("members", 4, "u-2"),
        (LONG_SHEET, 3, "u-1"),
    ]
    assert str(export.errors[0]) == (
        "sheet 'members' line 4: 'member_sex' has 'alien', which is not a choice of 'sex' "
        "(female, male, refused); submission u-2 (line 3) is left out as a whole"
    )
    assert str(export.errors[1]).startswith(
        f"sheet '{LONG_SHEET}' line 3: 'reported' has 'maybe', which is not a choice of 'yn'"
    )
    assert export.errors[1].reason.endswith("submission u-1 (line 2) is left out as a whole")


def test_orphan_repeat_lines_are_reported(roster: Form) -> None:
    sheets = kobo_sheets()
    orphan = ["Dunia", "female", None, 0, 0, 0, None, None, 4, MAIN_SHEET, 9, None, None, T1, ""]
    sheets["members"].append(orphan)  # line 5: _parent_index 9 is no _index
    # line 5: an unknown parent sheet; its _submission__uuid tells whose it is
    sheets[LONG_SHEET].append(["yes", 4, "visits", 1, 303, "u-3", T1, ""])
    export = read_export(workbook(sheets), roster)
    assert [r.submission_id for r in export.rows] == ["u-1", "u-2"]  # u-3 left out
    assert [str(e) for e in export.errors] == [
        "sheet 'members' line 5: its parent line (_index 9 of sheet 'Household roster') "
        "is not in the export",
        f"sheet '{LONG_SHEET}' line 5: _parent_table_name 'visits' is not a sheet of this "
        f"export ('Household roster', 'members', '{LONG_SHEET}'); submission u-3 (line 4) "
        "is left out as a whole",
    ]
    assert [e.submission_id for e in export.errors] == [None, "u-3"]
    assert len(export.rows[0].repeats["members"]) == 2  # the others are untouched


def test_repeat_lines_of_a_rejected_submission_add_no_error(roster: Form) -> None:
    sheets = kobo_sheets()
    sheets[MAIN_SHEET][1][0] = "perhaps"  # u-1 itself is bad
    export = read_export(workbook(sheets), roster)
    assert [(e.line, e.table, e.submission_id) for e in export.errors] == [(2, None, "u-1")]
    assert [r.submission_id for r in export.rows] == ["u-2", "u-3"]


def test_kobo_links_by_submission_uuid_without_parent_index() -> None:
    sheets = {
        MAIN_SHEET: [["consent", "_uuid", "_id"], ["yes", "u-1", 1], ["yes", "u-2", 2]],
        "members": [
            ["household/members/member_name", "_submission__uuid"],
            ["Amani", "u-2"],
            ["Baraka", "u-1"],
            ["Chance", "u-2"],
        ],
    }
    export = read_export(workbook(sheets))
    assert export.errors == []
    names = {r.submission_id: [m["member_name"] for m in r.repeats["members"]] for r in export.rows}
    assert names == {"u-1": ["Baraka"], "u-2": ["Amani", "Chance"]}


def test_repeat_sheet_that_cannot_be_linked(roster: Form) -> None:
    sheets = kobo_sheets()
    sheets["members"] = [[h for h in KOBO_MEMBERS if not h.startswith("_")], ["Amani"]]
    with pytest.raises(ExportError) as caught:
        read_export(workbook(sheets), roster)
    assert str(caught.value) == (
        "The sheet 'members' holds the repeat group 'household/members' of the form but has "
        "no _parent_index or _submission__uuid or _submission__id column to link its lines "
        "to their submissions. Export the data again from KoBoToolbox or ODK Central, "
        "without removing columns."
    )
    # Without a form nothing says it is a repeat: the sheet is left aside, and said so.
    export = read_export(workbook(sheets))
    assert "sheet 'members' (no _parent_index or _submission__uuid" in export.ignored[-1]
    # Its nested sheet's lines name a parent sheet that is not read: each is an error,
    # and the submissions they belong to (by _submission__uuid) are left out.
    assert [(e.table, e.submission_id) for e in export.errors] == [
        (LONG_SHEET, "u-1"),
        (LONG_SHEET, "u-1"),
        (LONG_SHEET, "u-2"),
    ]
    assert export.errors[0].reason.startswith(
        "_parent_table_name 'members' is not a sheet of this export"
    )
    assert [(r.submission_id, r.repeats) for r in export.rows] == [("u-3", {})]


# ODK Central's "CSV (zip)": <form>.csv, <form>-<repeat>.csv, media/.
CENTRAL_MAIN = (
    "SubmissionDate,consent,household-size,community,meta-instanceID,KEY,SubmitterID,"
    "SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,"
    "FormVersion\n"
    "2024-07-02T08:00:00.000Z,yes,3,Walikale,uuid:c-1,uuid:c-1,14,Enumerator,0,0,,approved,"
    "collect:x,0,1\n"
    "2024-07-02T09:00:00.000Z,yes,1,Mpofi,uuid:c-2,uuid:c-2,14,Enumerator,0,0,,,collect:x,0,1\n"
)
CENTRAL_MEMBERS = (
    "member_name,member_sex,member_threats,member_home-Latitude,member_home-Longitude,"
    "member_home-Altitude,member_home-Accuracy,PARENT_KEY,KEY\n"
    "Amani,female,killing abduction,-1.5,29.2,1500,5,uuid:c-1,uuid:c-1/members[1]\n"
    "Baraka,male,,,,,,uuid:c-1,uuid:c-1/members[2]\n"
    "Chance,-99,-88,,,,,uuid:c-2,uuid:c-2/members[1]\n"
)
CENTRAL_INCIDENTS = (
    "reported,PARENT_KEY,KEY\n"
    f"yes,uuid:c-1/members[2],uuid:c-1/members[2]/{LONG}[1]\n"
    f"no,uuid:c-1/members[2],uuid:c-1/members[2]/{LONG}[2]\n"
)


def central_zip(members: str = CENTRAL_MEMBERS) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("hh_roster.csv", CENTRAL_MAIN)
        archive.writestr("hh_roster-members.csv", members)
        archive.writestr(f"hh_roster-{LONG}.csv", CENTRAL_INCIDENTS)
        archive.writestr("media/1719900000000.jpg", b"\xff\xd8\xff\xe0 not read")
    return buf.getvalue()


def test_odk_central_zip_with_repeats(roster: Form) -> None:
    export = read_export(io.BytesIO(central_zip()), roster)
    assert export.format == "zip"
    assert export.errors == []
    assert export.id_columns == ["meta-instanceID", "KEY"]
    first, second = export.rows
    assert first.submission_id == "c-1"
    assert first.values == {"consent": "yes", "size": "3", "community": "Walikale"}
    amani, baraka = first.repeats["members"]
    assert amani == {
        "member_name": "Amani",
        "member_sex": "female",
        "member_threats": ["killing", "abduction"],
        "member_home": "-1.5 29.2 1500 5",  # Central's -Latitude... columns joined
        "missing_reasons": {},
        "repeats": {LONG: []},
    }
    assert [i["reported"] for i in baraka["repeats"][LONG]] == ["yes", "no"]
    chance = second.repeats["members"][0]
    assert chance["missing_reasons"] == {"member_sex": "refused", "member_threats": "dk"}
    assert [(t.name, t.table, t.table_kind, t.parent) for t in export.repeat_tables] == [
        ("members", "hh_roster-members.csv", "file", None),
        (LONG, f"hh_roster-{LONG}.csv", "file", "members"),
    ]
    assert export.repeat_tables[0].columns["member_home-Latitude"] == "member_home"

    plain = read_export(central_zip())  # without a form
    assert plain.errors == []
    assert plain.rows[0].repeats["members"][0]["member_home"] == "-1.5 29.2 1500 5"
    assert plain.rows[0].repeats["members"][1]["repeats"][LONG][0]["reported"] == "yes"


def test_odk_central_zip_bad_and_orphan_lines(roster: Form) -> None:
    members = (
        CENTRAL_MEMBERS
        + "Dunia,alien,,,,,,uuid:c-2,uuid:c-2/members[2]\n"  # line 5
        + "Eli,male,,,,,,uuid:c-9,uuid:c-9/members[1]\n"  # line 6: no such submission
    )
    export = read_export(central_zip(members), roster)
    assert [r.submission_id for r in export.rows] == ["c-1"]
    assert [str(e) for e in export.errors] == [
        "file 'hh_roster-members.csv' line 5: 'member_sex' has 'alien', which is not a "
        "choice of 'sex' (female, male, refused); submission c-2 (line 3) is left out as a "
        "whole",
        "file 'hh_roster-members.csv' line 6: its parent uuid:c-9 (PARENT_KEY) is not in "
        "the export",
    ]
    assert [e.submission_id for e in export.errors] == ["c-2", "c-9"]


def test_zip_without_csv_or_main_table() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("media/a.jpg", b"jpeg")
    with pytest.raises(ExportError, match="The ZIP file holds no CSV file"):
        read_export(buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("form-members.csv", CENTRAL_MEMBERS)
    with pytest.raises(ExportError, match="None of the CSV files in the ZIP is the main"):
        read_export(buf.getvalue())


def test_zip_bomb_is_refused_before_expanding() -> None:
    """The sizes the ZIP declares are checked first; zipfile never expands an entry
    beyond its declared size, so a lying header cannot get more through."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("form.csv", "KEY,q\n" + "uuid:a,1\n" * 1000)
    data = bytearray(buf.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = (3 * 1024**3).to_bytes(4, "little")  # 3 GB
    with pytest.raises(ExportError) as caught:
        read_export(bytes(data))
    assert str(caught.value).startswith(
        "The ZIP file would be larger than 200 MB once uncompressed (3072 MB); it is not read."
    )


def test_over_limit_zip_and_xlsx_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(responses, "MAX_EXPORT_BYTES", 64 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("form.csv", "KEY,q\n" + "uuid:a,1\n" * 10_000)  # 90 kB of text
    assert len(buf.getvalue()) < 64 * 1024
    with pytest.raises(ExportError, match="The ZIP file would be larger than"):
        read_export(buf.getvalue())
    rows: list[list[object]] = [["_uuid", "q"], *([f"id-{i}", "x" * 50] for i in range(2000))]
    with pytest.raises(ExportError, match="The XLSX file would be larger than"):
        read_export(workbook({"main": rows}))
