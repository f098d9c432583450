"""XLSForm reading and checking (pure: no database), and the shipped questionnaire."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from ulinzi.alerts.taxonomy import THREAT_TYPES
from ulinzi.surveys import standard_form
from ulinzi.surveys.xlsform import DEFAULT_LANGUAGE, Form, FormError, validate

SHIPPED = Path(standard_form.__file__).resolve().parent / "data" / "perception_of_safety.xlsx"
LANGS = ["English (en)", "French (fr)", "Swahili (sw)"]

QUESTION_PATHS = [
    "start",
    "end",
    "today",
    "consent",
    "safety/safe_day",
    "safety/safe_night",
    "safety/safe_fields_market",
    "safety/safe_firewood",
    "safety/main_threats",
    "trust/trust_mission",
    "trust/trust_police",
    "alerts/knows_alert",
    "alerts/raised_alert",
    "alerts/last_alert_answered",
    "profile/sex",
    "profile/age_group",
    "profile/displacement_status",
    "profile/community",
]


def xlsx(sheets: Mapping[str, Sequence[Sequence[object]]]) -> bytes:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for name, rows in sheets.items():
        sheet = wb.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SURVEY_HEADER: list[object] = ["type", "name", "label"]
YES_NO: list[list[object]] = [
    ["list_name", "name", "label"],
    ["yn", "yes", "Yes"],
    ["yn", "no", "No"],
]


# ------------------------------------------------------------------ the shipped form


@pytest.fixture(scope="module")
def shipped() -> Form:
    return validate(SHIPPED)


def test_shipped_form_validates_with_three_languages(shipped: Form) -> None:
    assert shipped.id_string == standard_form.FORM_ID
    assert shipped.version == standard_form.FORM_VERSION
    assert shipped.languages == LANGS
    assert shipped.language_codes == {
        "English (en)": "en",
        "French (fr)": "fr",
        "Swahili (sw)": "sw",
    }
    assert shipped.default_language == "English (en)"
    assert [q.path for q in shipped.questions] == QUESTION_PATHS
    for q in shipped.questions:
        if q.type in ("start", "end", "today"):
            continue
        assert set(q.labels) == set(LANGS), q.name
        assert all(label.strip() for label in q.labels.values()), q.name
        assert q.required, q.name
        for name, labels in q.choices:
            assert set(labels) == set(LANGS), (q.name, name)


def test_shipped_form_questions(shipped: Form) -> None:
    q = shipped.question("safe_night")
    assert (q.path, q.group, q.type, q.list_name) == (
        "safety/safe_night",
        "safety",
        "select_one",
        "safety_scale",
    )
    assert q.choice_names() == [
        "very_safe",
        "fairly_safe",
        "fairly_unsafe",
        "very_unsafe",
        "dk",
        "refused",
    ]
    assert q.labels["French (fr)"].startswith("Comment vous sentez-vous")

    threats = shipped.question("safety/main_threats")
    assert threats.type == "select_multiple"
    assert threats.choice_names() == [*THREAT_TYPES, "dk", "refused"]
    assert set(threats.hints) == set(LANGS)

    answered = shipped.question("last_alert_answered")
    assert answered.relevant == "${raised_alert} = 'yes'"
    assert shipped.question("consent").relevant is None

    assert shipped.question("age_group").choice_names() == [
        "age_18_24",
        "age_25_34",
        "age_35_49",
        "age_50_plus",
        "refused",
    ]
    assert shipped.question("displacement_status").choice_names() == [
        "resident",
        "idp_camp",
        "idp_host_family",
        "returnee",
        "refugee",
        "refused",
    ]
    assert shipped.question("community").type == "text"
    with pytest.raises(KeyError):
        shipped.question("nope")


def test_dk_and_refused_codes_everywhere(shipped: Form) -> None:
    for q in shipped.questions:
        if q.list_name in ("safety_scale", "trust_scale", "yes_no_dk", "threats"):
            assert q.choice_names()[-2:] == ["dk", "refused"], q.name


def test_shipped_file_matches_the_builder(tmp_path: Path, shipped: Form) -> None:
    """The committed .xlsx is what ``python -m ulinzi.surveys.standard_form`` writes."""
    rebuilt = validate(standard_form.build(tmp_path / "form.xlsx"))
    assert rebuilt == shipped


def test_build_refuses_a_threat_without_labels(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(standard_form, "THREAT_TYPES", (*THREAT_TYPES, "new_threat"))
    with pytest.raises(ValueError, match="new_threat"):
        standard_form.build(tmp_path / "form.xlsx")


def test_validate_reads_bytes_and_file_objects() -> None:
    data = SHIPPED.read_bytes()
    assert validate(data).id_string == standard_form.FORM_ID
    assert validate(io.BytesIO(data)).id_string == standard_form.FORM_ID


# ------------------------------------------------------------------ small valid forms


def test_plain_label_column_and_groups() -> None:
    form = validate(
        xlsx(
            {
                "survey": [
                    ["type", "name", "label", "required", "relevant"],
                    ["begin group", "g", "G", None, None],
                    ["begin group", "inner", "Inner", None, None],
                    ["select_one yn", "q1", "Q1", "yes", None],
                    ["end group", None, None, None, None],
                    ["integer", "n", "N", "true()", "${q1} = 'yes'"],
                    ["end group", None, None, None, None],
                    ["begin repeat", "r", "R", None, None],
                    ["geopoint", "loc", "Where", None, None],
                    ["end repeat", None, None, None, None],
                    ["note", "hello", "Hello", None, None],
                ],
                "choices": YES_NO,
                "settings": [["form_id", "form_title"], ["tiny", "Tiny form"]],
            }
        )
    )
    assert (form.id_string, form.title, form.version) == ("tiny", "Tiny form", None)
    assert form.languages == [DEFAULT_LANGUAGE]
    by_path = {q.path: q for q in form.questions}
    assert list(by_path) == ["g/inner/q1", "g/n", "r/loc", "hello"]
    assert by_path["g/inner/q1"].choices == [
        ("yes", {DEFAULT_LANGUAGE: "Yes"}),
        ("no", {DEFAULT_LANGUAGE: "No"}),
    ]
    assert by_path["g/inner/q1"].required
    assert by_path["g/n"].type == "integer"
    assert by_path["g/n"].required
    assert by_path["g/n"].relevant == "${q1} = 'yes'"
    assert by_path["r/loc"].in_repeat
    assert by_path["r/loc"].type == "geopoint"


# ------------------------------------------------------------------ broken forms


@pytest.mark.parametrize(
    ("sheets", "expected", "row"),
    [
        pytest.param(
            {"choices": YES_NO, "settings": [["form_id"], ["x"]]},
            "no 'survey' sheet",
            None,
            id="no-survey-sheet",
        ),
        pytest.param(
            {"survey": [["name", "label"], ["q1", "Q1"]]},
            "The 'survey' sheet has no 'type' column",
            None,
            id="no-type-column",
        ),
        pytest.param(
            {"survey": [["type", "label"], ["text", "Q1"]]},
            "has no name (fill in the 'name' column)",
            2,
            id="no-name-column",
        ),
        pytest.param(
            {"survey": [SURVEY_HEADER, ["text", "a", "A"], ["text_box", "q1", "Q1"]]},
            "Unknown question type 'text_box'",
            3,
            id="unknown-type",
        ),
        pytest.param(
            {"survey": [SURVEY_HEADER, ["select_one colours", "q1", "Q1"]], "choices": YES_NO},
            "The choice list 'colours' used on the 'survey' sheet is not on the 'choices' sheet",
            2,
            id="list-missing-in-choices",
        ),
        pytest.param(
            {"survey": [SURVEY_HEADER, ["select_one yn", "q1", "Q1"]]},
            "no 'choices' sheet",
            None,
            id="no-choices-sheet",
        ),
        pytest.param(
            {"survey": [SURVEY_HEADER, ["text", "q1", "Q1"], ["integer", "q1", "Q1 again"]]},
            "'name' value 'q1' is invalid",
            3,
            id="duplicate-names",
        ),
        pytest.param(
            {
                "survey": [SURVEY_HEADER, ["select_one yn", "q1", "Q1"]],
                "choices": [*YES_NO, ["yn", "yes", "Yes again"]],
            },
            "Choice names must be unique",
            4,
            id="duplicate-choice",
        ),
        pytest.param(
            {"survey": [SURVEY_HEADER, ["begin group", "g", "G"], ["text", "q1", "Q1"]]},
            "No matching 'end_group'",
            2,
            id="unclosed-group",
        ),
        pytest.param(
            {"survey": [SURVEY_HEADER, ["text", "q 1", "Q1"]]},
            "Names must begin with a letter or underscore",
            2,
            id="bad-name",
        ),
        pytest.param(
            {"survey": [SURVEY_HEADER]},
            "The 'survey' sheet has no questions",
            None,
            id="no-questions",
        ),
    ],
)
def test_broken_forms_give_clear_messages(
    sheets: dict[str, list[list[object]]], expected: str, row: int | None
) -> None:
    with pytest.raises(FormError) as caught:
        validate(xlsx(sheets))
    assert expected in caught.value.message
    assert caught.value.row == row
    if row is not None:
        assert caught.value.message.startswith(f"Row {row} of the ")
    assert "pyxform" not in caught.value.message.lower()


def test_duplicate_choice_names_the_choices_sheet() -> None:
    with pytest.raises(FormError) as caught:
        validate(
            xlsx(
                {
                    "survey": [SURVEY_HEADER, ["select_one yn", "q1", "Q1"]],
                    "choices": [*YES_NO, ["yn", "yes", "Yes again"]],
                }
            )
        )
    assert caught.value.sheet == "choices"
    assert caught.value.message.startswith("Row 4 of the 'choices' sheet: ")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty"),
        (b"type,name,label\ntext,q1,Q1\n", "not an .xlsx workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old-style .xls"),
        (b"PK\x03\x04 not really a zip", "could not be read as an .xlsx workbook"),
    ],
)
def test_not_an_xlsx(data: bytes, expected: str) -> None:
    with pytest.raises(FormError, match=expected):
        validate(data)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormError, match="Could not open the form file 'absent.xlsx'"):
        validate(tmp_path / "absent.xlsx")


# ------------------------------------------------------------------ fuzz


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes_give_form_error(data: bytes) -> None:
    with pytest.raises(FormError):
        validate(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 40_000), st.integers(0, 255)), min_size=1, max_size=8))
def test_fuzz_damaged_workbook(flips: list[tuple[int, int]]) -> None:
    data = bytearray(SHIPPED.read_bytes())
    for pos, byte in flips:
        data[pos % len(data)] = byte
    try:
        validate(bytes(data))
    except FormError as err:
        assert err.message


_CELLS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "text",
            "integer",
            "select_one yn",
            "select_multiple yn",
            "select_one nolist",
            "begin group",
            "end group",
            "begin repeat",
            "end repeat",
            "calculate",
            "note",
            "q1",
            "q2",
            "g",
            "${q1} = 'yes'",
            "${nope}",
            "yes",
            "Label",
        ]
    ),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
    st.integers(-5, 5),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_CELLS, min_size=5, max_size=5), max_size=8),
    st.booleans(),
)
def test_fuzz_random_survey_sheets(rows: list[list[object]], with_choices: bool) -> None:
    sheets: dict[str, list[list[object]]] = {
        "survey": [["type", "name", "label", "relevant", "calculation"], *rows]
    }
    if with_choices:
        sheets["choices"] = YES_NO
    try:
        form = validate(xlsx(sheets))
    except FormError as err:
        assert err.message
    else:
        assert form.questions
        assert all(q.path.endswith(q.name) for q in form.questions)
