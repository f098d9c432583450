"""XLSForm survey definitions (the spreadsheet format of KoBoToolbox and ODK), read and
checked with pyxform. No Django import: the views and the import commands share it.

``validate(path_or_bytes)`` returns a :class:`Form` listing every question with its path
as KoBo and ODK name export columns (``group/…/name``), its labels in each language and,
for select questions, its choices. A form pyxform refuses gives a :class:`FormError`
whose message says what to fix, with the spreadsheet row when pyxform gives one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import IO, Any

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from ulinzi.lib.words import Refused, Said, Words

__all__ = ["METADATA_TYPES", "Choice", "Form", "FormError", "Question", "validate"]

#: XLSForm's metadata types: what the collecting phone records by itself (when the
#: interview started and ended, the device, the user...), asked of nobody.
METADATA_TYPES = frozenset(
    {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber"}
    | {"username", "email", "audit", "start-geopoint"}
)

Choice = tuple[str, dict[str, str]]
"""A choice of a select question: its name (the value stored) and its labels by language."""

DEFAULT_LANGUAGE = "default"
"""Key of a label written in a plain ``label`` column (no ``::language`` suffix)."""

MAX_FORM_BYTES = 20 * 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
_ROW_RE = re.compile(r"^\[row\s*:\s*(\d+)\]\s*")
_UNKNOWN_TYPE_RE = re.compile(r"Unknown question type '([^']*)'")
_SHEET_RE = re.compile(r"^[Oo]n the '([^']+)' sheet,?\s*")
_HEADERS_RE = re.compile(r"Invalid headers provided for sheet: '([^']+)'.*not found: ([^.]*)\.")

# pyxform's internal type names -> the names written in the XLSForm "type" column.
_TYPE_NAMES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "select one external": "select_one_external",
    "int": "integer",
    "q int": "integer",
    "location": "geopoint",
    "gps": "geopoint",
    "q geopoint": "geopoint",
    "string": "text",
}
_GROUP_TYPES = {"group", "repeat"}
_TRUE = {"yes", "true", "true()", "1"}


class FormError(Refused):
    """The file is not a usable XLSForm. Its message is written for the person who
    uploaded it (in English; :meth:`said` in the reader's language); ``row`` is the row
    of the spreadsheet at fault when known."""

    def __init__(
        self,
        message: str | None = None,
        row: int | None = None,
        sheet: str | None = None,
        *,
        say: Callable[[Words], str] | None = None,
    ) -> None:
        super().__init__(message, say=say)
        self.message = str(self.args[0])
        self.row = row
        self.sheet = sheet

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Question:
    """One question of the form (groups and repeats are not questions; their names are
    in ``path``)."""

    name: str
    path: str  # "group/subgroup/name", as KoBo names export columns
    type: str  # XLSForm type: select_one, select_multiple, integer, text, date, geopoint...
    list_name: str | None  # choice list of select questions
    labels: dict[str, str]  # language -> label; DEFAULT_LANGUAGE for a plain "label" column
    choices: list[Choice]  # (name, labels) in sheet order; empty unless a select
    required: bool  # required is "yes"/"true" (a conditional expression counts as False)
    relevant: str | None  # the question's own relevant expression, as written
    hints: dict[str, str] = field(default_factory=dict)
    in_repeat: bool = False  # inside a repeat: exported on another sheet, one row per repeat

    @property
    def group(self) -> str:
        """The group path ("" for a question at the top level)."""
        return self.path.rpartition("/")[0]

    @property
    def is_select(self) -> bool:
        return self.type in ("select_one", "select_multiple", "rank")

    def choice_names(self) -> list[str]:
        return [name for name, _ in self.choices]


@dataclass(frozen=True)
class Form:
    """A checked XLSForm."""

    id_string: str
    title: str
    version: str | None
    languages: list[str]  # as written after "label::", e.g. "English (en)", in sheet order
    questions: list[Question]
    default_language: str | None = None
    warnings: list[str] = field(default_factory=list)  # pyxform's warnings (form still valid)

    def question(self, name_or_path: str) -> Question:
        """The question with that path, or that name when only one question has it."""
        for q in self.questions:
            if q.path == name_or_path:
                return q
        matches = [q for q in self.questions if q.name == name_or_path]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise KeyError(f"several questions are named {name_or_path!r}; give the path")
        raise KeyError(name_or_path)

    @property
    def language_codes(self) -> dict[str, str]:
        """Language name -> the code in brackets ("English (en)" -> "en"), where given."""
        codes = {}
        for lang in self.languages:
            m = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\)\s*$", lang)
            if m:
                codes[lang] = m.group(1)
        return codes


def _read_bytes(source: str | PathLike[str] | bytes | IO[bytes]) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | PathLike):
        path = Path(source)
        try:
            with path.open("rb") as fh:
                return fh.read(MAX_FORM_BYTES + 1)
        except OSError as err:
            raise FormError(f"Could not open the form file {path.name!r}: {err.strerror}.")
    if hasattr(source, "read"):
        data = source.read(MAX_FORM_BYTES + 1)
        if isinstance(data, str):
            raise FormError("The form must be read as bytes (open the .xlsx file in 'rb' mode).")
        return bytes(data)
    raise FormError("The form must be an .xlsx file (a path, bytes or a binary file).")


def _labels(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        return {DEFAULT_LANGUAGE: value} if value else {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float)}
    return {}


def _type_name(raw: str) -> str:
    raw = raw.strip()
    return _TYPE_NAMES.get(raw, raw.replace(" ", "_"))


def _is_true(value: Any) -> bool:
    return isinstance(value, str | bool) and str(value).strip().lower() in _TRUE


def _walk(
    children: Iterable[Any],
    parents: tuple[str, ...],
    in_repeat: bool,
    lists: Mapping[str, Any],
    out: list[Question],
) -> None:
    for child in children:
        if not isinstance(child, Mapping):
            continue
        name = str(child.get("name", ""))
        ctype = str(child.get("type", ""))
        if ctype in _GROUP_TYPES:
            control = child.get("control") or {}
            if not parents and name == "meta" and control.get("bodyless"):
                continue  # the meta/instanceID pyxform adds itself
            _walk(
                child.get("children") or [],
                (*parents, name),
                in_repeat or ctype == "repeat",
                lists,
                out,
            )
            continue
        qtype = _type_name(ctype)
        list_name = child.get("list_name") or child.get("itemset")
        raw_choices = child.get("choices")
        if raw_choices is None and list_name:
            raw_choices = lists.get(list_name)
        choices: list[Choice] = []
        for choice in raw_choices or []:
            if isinstance(choice, Mapping) and "name" in choice:
                choices.append((str(choice["name"]), _labels(choice.get("label"))))
        bind = child.get("bind") or {}
        relevant = bind.get("relevant")
        out.append(
            Question(
                name=name,
                path="/".join((*parents, name)),
                type=qtype,
                list_name=str(list_name) if list_name else None,
                labels=_labels(child.get("label")),
                choices=choices,
                required=_is_true(bind.get("required")),
                relevant=str(relevant) if relevant else None,
                hints=_labels(child.get("hint")),
                in_repeat=in_repeat,
            )
        )


def _languages(questions: list[Question]) -> list[str]:
    seen: dict[str, None] = {}
    for q in questions:
        for labels in (q.labels, q.hints, *(c[1] for c in q.choices)):
            for lang in labels:
                seen.setdefault(lang, None)
    langs = [lang for lang in seen if lang != DEFAULT_LANGUAGE]
    if DEFAULT_LANGUAGE in seen:
        langs.append(DEFAULT_LANGUAGE)
    return langs


def _pyxform_error(err: Exception, workbook: Any) -> FormError:
    text = str(err).strip() or type(err).__name__
    row: int | None = None
    m = _ROW_RE.match(text)
    if m:
        row = int(m.group(1))
        text = text[m.end() :]
    sheet_match = _SHEET_RE.search(text)
    sheet = sheet_match.group(1) if sheet_match else "survey"
    unknown = _UNKNOWN_TYPE_RE.search(text)
    headers = _HEADERS_RE.search(text)
    # What pyxform said, in words a person uploading a form understands: an English
    # message with its values (None: pyxform's own words, kept as they are).
    known: Said | None = None
    if unknown and row is None and workbook is not None:
        # pyxform names the type but not the row: find it on the survey sheet.
        for i, sheet_row in enumerate(getattr(workbook, "survey", None) or [], start=2):
            if isinstance(sheet_row, Mapping) and str(sheet_row.get("type", "")).strip() == (
                unknown.group(1)
            ):
                row = i
                break
        known = Said(
            "Unknown question type %(type)s. Use an XLSForm type such as text, integer, "
            "decimal, date, select_one <list>, select_multiple <list>, geopoint or note.",
            type=repr(unknown.group(1)),
        )
    elif text.startswith("Argument 'definition' was not recognized"):
        known = Said("The file could not be read as an .xlsx workbook.")
    elif "There should be a choices sheet" in text:
        known = Said(
            "The form has select questions but no 'choices' sheet. Add a 'choices' sheet "
            "with the columns list_name, name and label."
        )
    elif text.startswith("You must have a sheet named 'survey'"):
        known = Said(_NO_SURVEY_SHEET)
    elif "List name not in choices sheet" in text:
        known = Said(
            "The choice list %(list)s used on the 'survey' sheet is not on the 'choices' "
            "sheet (check the list_name column).",
            list=repr(text.rsplit(":", 1)[-1].strip()),
        )
    elif "Question or group with no name" in text:
        known = Said("A question or group has no name (fill in the 'name' column).")
    elif headers:
        known = Said(
            "The %(sheet)s sheet has no %(columns)s column. The first row of each sheet must "
            "hold the column names (type, name, label... on 'survey'; list_name, name, label "
            "on 'choices').",
            sheet=repr(headers.group(1)),
            columns=", ".join(repr(c) for c in re.findall(r"'([^']+)'", headers.group(2))),
        )
    elif row is not None:
        text = _SHEET_RE.sub("", text, count=1).strip()
        text = f"{text[:1].upper()}{text[1:]}"

    def say(w: Words) -> str:
        said = known.said(w) if known is not None else text
        if row is None:
            return said
        return w.text(
            "Row %(row)d of the %(sheet)s sheet: %(problem)s",
            row=row,
            sheet=repr(sheet),
            problem=said,
        )

    return FormError(row=row, sheet=sheet if row is not None else None, say=say)


_NO_SURVEY_SHEET = (
    "The workbook has no 'survey' sheet. An XLSForm needs a sheet named 'survey' (and "
    "'choices' for select questions)."
)


def validate(path_or_bytes: str | PathLike[str] | bytes | IO[bytes]) -> Form:
    """Read and check an XLSForm .xlsx (a path, its bytes or a binary file) with pyxform.

    Raises :class:`FormError` for anything that is not a valid XLSForm, whatever the input.
    """
    data = _read_bytes(path_or_bytes)
    if not data:
        raise FormError.worded("The file is empty: upload the XLSForm as an .xlsx workbook.")
    if len(data) > MAX_FORM_BYTES:
        raise FormError.worded(
            "The file is larger than %(mb)d MB.", mb=MAX_FORM_BYTES // (1024 * 1024)
        )
    if data.startswith(_OLE_MAGIC):
        raise FormError.worded(
            "This is an old-style .xls workbook. Open it in a spreadsheet program and save it "
            "as .xlsx (Excel workbook), then upload it again."
        )
    if not data.startswith(_ZIP_MAGIC):
        raise FormError.worded(
            "This file is not an .xlsx workbook. Upload the XLSForm as it is downloaded from "
            "KoBoToolbox or saved from Excel/LibreOffice (.xlsx)."
        )

    warnings: list[str] = []
    workbook = None
    try:
        workbook = get_xlsform(xlsform=data, file_type=".xlsx")
        if not getattr(workbook, "survey", None):
            header = getattr(workbook, "survey_header", None)
            sheets = getattr(workbook, "sheet_names", None) or []
            if not header and not any(str(s).strip().lower() == "survey" for s in sheets):
                raise FormError.worded(_NO_SURVEY_SHEET)
        pyxform_data = workbook_to_json(
            workbook_dict=workbook,
            form_name=None,
            fallback_form_name=None,
            default_language=None,
            warnings=warnings,
        )
        survey = create_survey_element_from_dict(pyxform_data)
        survey.to_xml(validate=False, pretty_print=False, warnings=warnings)
    except FormError:
        raise
    except PyXFormError as err:
        raise _pyxform_error(err, workbook) from err
    except RecursionError as err:
        raise FormError.worded("The form is nested too deeply to be read.") from err
    except Exception as err:  # pyxform and openpyxl raise many kinds on damaged files
        raise FormError.worded(
            "The form could not be read (%(error)s). Check that it is a valid XLSForm .xlsx file.",
            error=f"{type(err).__name__}: {str(err)[:200]}",
        ) from err

    lists = pyxform_data.get("choices") or {}
    questions: list[Question] = []
    _walk(pyxform_data.get("children") or [], (), False, lists, questions)
    if not questions:
        raise FormError.worded("The 'survey' sheet has no questions.")
    version = pyxform_data.get("version")
    default_language = pyxform_data.get("default_language")
    id_string = str(pyxform_data.get("id_string") or pyxform_data.get("name") or "data")
    return Form(
        id_string=id_string,
        title=str(pyxform_data.get("title") or id_string),
        version=str(version) if version not in (None, "") else None,
        languages=_languages(questions),
        questions=questions,
        default_language=(
            str(default_language)
            if default_language and default_language != DEFAULT_LANGUAGE
            else None
        ),
        warnings=list(warnings),
    )
