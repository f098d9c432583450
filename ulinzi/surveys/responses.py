"""Survey responses exported from KoBoToolbox or ODK Central, read into plain rows.
No Django import: the import command and the upload view share it.

``read_export(path_or_file, form=None)`` reads a CSV (comma, semicolon or tab separated;
UTF-8 with or without BOM, UTF-16, or Windows-1252 as a last resort) or an XLSX export
(first sheet: KoBo puts repeat groups on the others) and returns an :class:`Export`:

* one :class:`Row` per submission, with its ``submission_id`` (the first non-empty of
  ``_uuid``, ``meta/instanceID``, ``meta-instanceID``, ``instanceID``, ``KEY``, ``_id``;
  a leading ``uuid:`` is removed, so that KoBo's ``_uuid``, its ``meta/instanceID`` and
  ODK Central's ``KEY`` give the same id), ``submitted_at`` (``_submission_time`` or
  ``SubmissionDate``, timezone-aware, UTC when the export gives no offset; None when
  absent or unreadable) and ``values`` keyed by question name (a select_multiple answer
  is a list; without a form, only when the file also has its 0/1 choice columns);
* one :class:`RowError` per line that could not be taken, with its line in the file
  (the header is line 1; for CSV the physical line where the record starts).

Column names: KoBo ``group/question`` (or ``group-question``, ``group.question``, or the
bare name), ODK Central ``group-question``, KoBo "labels" headers (with a form), and
select_multiple answers either as one space-separated column or as one 0/1 column per
choice (``question/choice``, ``question.choice``). When both exist the space-separated
column wins. ODK Central geopoints split into ``-Latitude``/``-Longitude``/... columns are
joined back into "lat lon alt accuracy".

Keys of ``values``: the question's name; if two questions (or, without a form, two
columns) share a name, their group paths (``group/name``) instead. Without a form the
group separator is "/" if any column name has one, otherwise "-".

Missing answers: "don't know" and "refused" are the codes ``dk`` and ``refused`` in
Ulinzi's forms (``-88`` and ``-99`` are read the same way; pass ``missing_codes`` to
change this). Such an answer becomes ``None`` in ``values`` and its reason ("dk" or
"refused") goes in ``missing_reasons``. In a select_multiple answer that also has real
choices, the codes are dropped and the real choices kept.

With a form, a select answer that is not one of its list's choices (by name, or by
label in any language of the form) rejects the line with a :class:`RowError`. Lines
without a submission id, repeated ids (after the first), a choice column holding
something else than 0/1, or more values than the header has columns (a separator inside
an unquoted value) are rejected too. Whole-file
problems raise :class:`ExportError`. Keeping imports idempotent on ``submission_id`` is
for the caller.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import IO, Any, Literal

from ulinzi.surveys.xlsform import Form, Question

__all__ = [
    "DEFAULT_MISSING_CODES",
    "ID_COLUMNS",
    "TIME_COLUMNS",
    "Export",
    "ExportError",
    "Row",
    "RowError",
    "Value",
    "read_export",
]

Value = str | list[str] | None
MissingReason = Literal["dk", "refused"]

DEFAULT_MISSING_CODES: Mapping[str, MissingReason] = {
    "dk": "dk",
    "refused": "refused",
    "-88": "dk",
    "-99": "refused",
}
ID_COLUMNS: tuple[str, ...] = (
    "_uuid",
    "meta/instanceID",
    "meta-instanceID",
    "meta.instanceID",
    "instanceID",
    "KEY",
    "_id",
)
TIME_COLUMNS: tuple[str, ...] = ("_submission_time", "SubmissionDate")
# ODK Central's own columns (next to KEY and SubmissionDate), never answers.
CENTRAL_SYSTEM_COLUMNS = frozenset(
    c.casefold()
    for c in (
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
    )
)
GEOPOINT_PARTS = ("latitude", "longitude", "altitude", "accuracy")
MAX_EXPORT_BYTES = 200 * 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SELECTED = {"1", "1.0", "true", "yes"}
_NOT_SELECTED = {"0", "0.0", "false", "no"}
_SEPARATORS = ("/", ".", "-")


class ExportError(ValueError):
    """The file as a whole cannot be read as a survey export."""


@dataclass(frozen=True)
class Row:
    submission_id: str
    submitted_at: dt.datetime | None
    values: dict[str, Value]
    missing_reasons: dict[str, MissingReason]
    line: int


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str
    submission_id: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Export:
    rows: list[Row]
    errors: list[RowError]
    columns: dict[str, str]  # header -> key in Row.values that the column feeds
    id_columns: list[str] = field(default_factory=list)  # where ids were looked for, in order
    time_column: str | None = None
    ignored: list[str] = field(default_factory=list)  # headers read as no answer at all
    format: Literal["csv", "xlsx"] = "csv"


@dataclass
class _Target:
    """What a column holds for one key of Row.values."""

    key: str
    question: Question | None
    value_column: int | None = None  # the answer itself (space-separated for selects)
    choice_columns: list[tuple[int, str]] = field(default_factory=list)  # 0/1 per choice
    part_columns: dict[int, int] = field(default_factory=dict)  # geopoint part -> column


# ---------------------------------------------------------------------------- reading


def _read_bytes(source: str | PathLike[str] | bytes | IO[bytes] | IO[str]) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | PathLike):
        path = Path(source)
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_EXPORT_BYTES + 1)
        except OSError as err:
            raise ExportError(f"Could not open the export {path.name!r}: {err.strerror}.")
    elif hasattr(source, "read"):
        raw = source.read(MAX_EXPORT_BYTES + 1)
        data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    else:
        raise ExportError("The export must be a CSV or XLSX file (a path, bytes or a file).")
    if len(data) > MAX_EXPORT_BYTES:
        raise ExportError(f"The export is larger than {MAX_EXPORT_BYTES // (1024 * 1024)} MB.")
    return data


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ExportError("The file says it is UTF-16 text but could not be decoded.")
    if b"\x00" in data[:4096]:
        raise ExportError(
            "This file is neither CSV nor XLSX. Export the data from KoBoToolbox or "
            "ODK Central as CSV or XLSX."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a French-language Windows saves CSV in Windows-1252.
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    sample = text[:65536]
    best, best_count = ",", 0
    for delimiter in (",", ";", "\t"):
        try:
            first = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(first) > best_count:
            best, best_count = delimiter, len(first)
    return best


def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise ExportError(f"Line {start}: the file could not be read as CSV ({err}).")
        yield start, record


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _xlsx_records(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not wb.worksheets:
                raise ExportError("The XLSX file has no sheet.")
            sheet = wb.worksheets[0]
            return [
                (i, [_cell_text(v) for v in values])
                for i, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
        finally:
            wb.close()
    except ExportError:
        raise
    except Exception as err:  # openpyxl raises many kinds on a damaged workbook
        raise ExportError(
            f"The XLSX file could not be read ({type(err).__name__}). Export it again from "
            "KoBoToolbox or ODK Central, or save it as CSV."
        ) from err


def _records(data: bytes) -> tuple[Literal["csv", "xlsx"], Iterator[tuple[int, list[str]]]]:
    if not data.strip():
        raise ExportError("The file is empty.")
    if data.startswith(_ZIP_MAGIC):
        return "xlsx", iter(_xlsx_records(data))
    if data.startswith(_OLE_MAGIC):
        raise ExportError(
            "This is an old-style .xls workbook. Export the data as XLSX or CSV instead."
        )
    return "csv", _csv_records(_decode(data))


# ---------------------------------------------------------------------------- columns


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


class _FormIndex:
    """Finds the question (and choice) a header names, for one form."""

    def __init__(self, form: Form) -> None:
        questions = [
            q for q in form.questions if not q.in_repeat and q.type not in ("note", "acknowledge")
        ]
        names: dict[str, int] = {}
        for q in questions:
            names[q.name] = names.get(q.name, 0) + 1
        self.keys: dict[str, Question] = {}
        exact: dict[str, set[str]] = {}
        folded: dict[str, set[str]] = {}

        def add(text: str, key: str) -> None:
            if text:
                exact.setdefault(text.strip(), set()).add(key)
                folded.setdefault(_fold(text), set()).add(key)

        for q in questions:
            key = q.name if names[q.name] == 1 else q.path
            self.keys[key] = q
            for sep in _SEPARATORS:
                add(q.path.replace("/", sep), key)
            if names[q.name] == 1:
                add(q.name, key)
            for label in q.labels.values():
                add(label, key)
        self._exact = {t: next(iter(k)) for t, k in exact.items() if len(k) == 1}
        self._folded = {t: next(iter(k)) for t, k in folded.items() if len(k) == 1}

    def question(self, header: str, loose: bool = False) -> str | None:
        key = self._exact.get(header) or self._folded.get(_fold(header))
        if key is None and loose and "/" in header:
            # KoBo "labels" exports prefix group labels: try the last part alone.
            key = self._folded.get(_fold(header.rsplit("/", 1)[1]))
        return key


def _choice_name(q: Question, text: str) -> str | None:
    """The choice a value or a dummy-column suffix names (by name, then by label)."""
    for name, _ in q.choices:
        if name == text:
            return name
    wanted = _fold(text)
    for name, labels in q.choices:
        if _fold(name) == wanted or any(_fold(label) == wanted for label in labels.values()):
            return name
    return None


_KNOWN_META = frozenset(c.casefold() for c in (*ID_COLUMNS, *TIME_COLUMNS))


def _is_meta(header: str, central: bool) -> bool:
    folded = header.casefold()
    if header.startswith("_") or folded.startswith(("meta/", "meta-", "meta.")):
        return True
    if folded in _KNOWN_META:
        return True
    return central and folded in CENTRAL_SYSTEM_COLUMNS


def _map_with_form(
    headers: list[str], skip: set[int], form: Form
) -> tuple[dict[str, _Target], list[int]]:
    index = _FormIndex(form)
    targets: dict[str, _Target] = {}
    ignored: list[int] = []

    def target(key: str) -> _Target:
        if key not in targets:
            targets[key] = _Target(key=key, question=index.keys[key])
        return targets[key]

    for col, header in enumerate(headers):
        if col in skip:
            continue
        key = index.question(header)
        if key is None:
            placed = False
            for sep in _SEPARATORS:
                if sep not in header:
                    continue
                head, tail = header.rsplit(sep, 1)
                head_key = index.question(head, loose=True)
                if head_key is None:
                    continue
                q = index.keys[head_key]
                if q.type == "select_multiple":
                    choice = _choice_name(q, tail)
                    if choice is not None:
                        target(head_key).choice_columns.append((col, choice))
                        placed = True
                        break
                if q.type == "geopoint" and tail.strip().casefold() in GEOPOINT_PARTS:
                    part = GEOPOINT_PARTS.index(tail.strip().casefold())
                    target(head_key).part_columns.setdefault(part, col)
                    placed = True
                    break
            if placed:
                continue
            key = index.question(header, loose=True)
        if key is not None and target(key).value_column is None:
            target(key).value_column = col
            continue
        ignored.append(col)
    return targets, ignored


def _map_without_form(
    headers: list[str], skip: set[int], central: bool
) -> tuple[dict[str, _Target], list[int]]:
    ignored: list[int] = []
    data_cols = [c for c in range(len(headers)) if c not in skip]
    meta = {c for c in data_cols if _is_meta(headers[c], central)}
    ignored.extend(sorted(meta))
    data_cols = [c for c in data_cols if c not in meta]
    by_header = {headers[c]: c for c in data_cols}
    group_sep = "/" if any("/" in h for h in headers) else "-"

    dummies: dict[int, list[tuple[int, str]]] = {}
    parts: dict[str, dict[int, int]] = {}
    plain: list[int] = []
    for col in data_cols:
        header = headers[col]
        placed = False
        for sep in _SEPARATORS:
            if sep not in header:
                continue
            head, tail = header.rsplit(sep, 1)
            if head in by_header and by_header[head] != col and tail:
                dummies.setdefault(by_header[head], []).append((col, tail))
                placed = True
                break
            if sep == "-" and tail.casefold() in GEOPOINT_PARTS and head:
                parts.setdefault(head, {})[GEOPOINT_PARTS.index(tail.casefold())] = col
                placed = True
                break
        if not placed:
            plain.append(col)

    paths: dict[int, str] = {}
    for col in plain:
        paths[col] = "/".join(p for p in headers[col].split(group_sep) if p) or headers[col]
    part_paths = {head: "/".join(p for p in head.split(group_sep) if p) for head in parts}
    last_counts: dict[str, int] = {}
    for path in (*paths.values(), *part_paths.values()):
        last = path.rsplit("/", 1)[-1]
        last_counts[last] = last_counts.get(last, 0) + 1

    def key_of(path: str) -> str:
        last = path.rsplit("/", 1)[-1]
        return last if last_counts[last] == 1 else path

    targets: dict[str, _Target] = {}
    for col in plain:
        key = key_of(paths[col])
        if key in targets:
            ignored.append(col)
            continue
        targets[key] = _Target(key=key, question=None, value_column=col)
        targets[key].choice_columns = dummies.get(col, [])
    for head, cols in parts.items():
        key = key_of(part_paths[head])
        if key in targets:
            ignored.extend(cols.values())
            continue
        targets[key] = _Target(key=key, question=None, part_columns=cols)
    return targets, sorted(ignored)


# ---------------------------------------------------------------------------- values


def _missing(text: str, codes: Mapping[str, MissingReason]) -> MissingReason | None:
    return codes.get(text) or codes.get(text.casefold())


def _split_multi(text: str, q: Question | None) -> list[str] | None:
    """The choices of a select_multiple cell; None if some part is not a known choice."""
    tokens = text.split()
    if q is None or not q.choices:
        return tokens
    names = set(q.choice_names())
    if all(t in names for t in tokens):
        return tokens
    whole = _choice_name(q, text)
    if whole is not None:
        return [whole]
    for sep in (";", ",", "|"):
        if sep in text:
            found = [_choice_name(q, part) for part in text.split(sep) if part.strip()]
            if found and all(f is not None for f in found):
                return [f for f in found if f is not None]
    return None


def _choices_text(q: Question) -> str:
    names = q.choice_names()
    shown = ", ".join(names[:12])
    return shown + (", ..." if len(names) > 12 else "")


def _parse_time(text: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _normalise_id(text: str) -> str:
    text = text.strip()
    if text[:5].casefold() == "uuid:":
        text = text[5:].strip()
    return text


def _row_values(
    cells: list[str],
    targets: dict[str, _Target],
    codes: Mapping[str, MissingReason],
    headers: list[str],
) -> tuple[dict[str, Value], dict[str, MissingReason], list[str]]:
    values: dict[str, Value] = {}
    reasons: dict[str, MissingReason] = {}
    problems: list[str] = []

    def cell(col: int) -> str:
        return cells[col].strip() if col < len(cells) else ""

    for key, t in targets.items():
        q = t.question
        multi = (q.type == "select_multiple") if q is not None else bool(t.choice_columns)
        if t.value_column is not None:
            text = cell(t.value_column)
        elif t.choice_columns:
            picked: list[str] = []
            for col, choice in t.choice_columns:
                flag = cell(col).casefold()
                if flag in _SELECTED:
                    picked.append(choice)
                elif flag and flag not in _NOT_SELECTED:
                    problems.append(
                        f"column {headers[col]!r} has {cells[col].strip()!r} where 0 or 1 "
                        "was expected"
                    )
            text = " ".join(picked)
        else:
            text = " ".join(cell(c) for _, c in sorted(t.part_columns.items()) if cell(c))
        if not text:
            values[key] = None
            continue
        if multi:
            chosen = _split_multi(text, q)
            if chosen is None:
                assert q is not None
                problems.append(
                    f"{key!r} has {text!r}, which is not a list of choices of {q.list_name!r} "
                    f"({_choices_text(q)})"
                )
                continue
            real = [c for c in chosen if _missing(c, codes) is None]
            if real:
                values[key] = real
                continue
            reason = _missing(chosen[0], codes) if chosen else None
            values[key] = None
            if reason is not None:
                reasons[key] = reason
            continue
        if q is not None and q.type in ("select_one", "rank") and q.choices:
            matched = _choice_name(q, text)
            if matched is None and _missing(text, codes) is None:
                problems.append(
                    f"{key!r} has {text!r}, which is not a choice of {q.list_name!r} "
                    f"({_choices_text(q)})"
                )
                continue
            text = matched if matched is not None else text
        reason = _missing(text, codes)
        if reason is not None:
            values[key] = None
            reasons[key] = reason
        else:
            values[key] = text
    return values, reasons, problems


# ---------------------------------------------------------------------------- entry point


def read_export(
    path_or_file: str | PathLike[str] | bytes | IO[bytes] | IO[str],
    form: Form | None = None,
    *,
    missing_codes: Mapping[str, str] | None = None,
) -> Export:
    """Read a KoBoToolbox or ODK Central export (CSV or XLSX). See the module docstring.

    ``missing_codes`` maps an answer code to "dk" or "refused" (default
    :data:`DEFAULT_MISSING_CODES`). Raises :class:`ExportError` for a file that cannot be
    read as an export at all; problems with single lines go to ``Export.errors``.
    """
    codes: dict[str, MissingReason] = {}
    given = DEFAULT_MISSING_CODES if missing_codes is None else missing_codes
    for code, reason in given.items():
        if reason == "dk":
            codes[str(code)] = "dk"
        elif reason == "refused":
            codes[str(code)] = "refused"
        else:
            raise ValueError(f"missing code {code!r}: the reason must be 'dk' or 'refused'")
        codes.setdefault(str(code).casefold(), codes[str(code)])

    data = _read_bytes(path_or_file)
    fmt, records = _records(data)

    header_line = 0
    raw_headers: list[str] = []
    for line, record in records:
        if any(c.strip() for c in record):
            header_line, raw_headers = line, record
            break
    if not header_line:
        raise ExportError("The file has no header row (it is empty).")
    headers = [h.replace("\ufeff", "").strip() for h in raw_headers]

    skip: set[int] = set()
    seen_headers: set[str] = set()
    duplicates: list[int] = []
    for col, header in enumerate(headers):
        if not header:
            skip.add(col)
        elif header in seen_headers:
            skip.add(col)
            duplicates.append(col)
        seen_headers.add(header)

    folded = {h.casefold(): col for col, h in reversed(list(enumerate(headers))) if col not in skip}
    id_cols = [folded[c.casefold()] for c in ID_COLUMNS if c.casefold() in folded]
    if not id_cols:
        shown = ", ".join(h for h in headers if h)[:300]
        raise ExportError(
            "No submission id column: looked for "
            + ", ".join(ID_COLUMNS)
            + f". The file's columns are: {shown or '(none)'}. Export the data from "
            "KoBoToolbox or ODK Central with its metadata columns."
        )
    time_col = next((folded[c.casefold()] for c in TIME_COLUMNS if c.casefold() in folded), None)
    central = "key" in folded or "submissiondate" in folded
    reserved = skip | set(id_cols) | ({time_col} if time_col is not None else set())

    if form is not None:
        targets, ignored_cols = _map_with_form(headers, reserved, form)
    else:
        targets, ignored_cols = _map_without_form(headers, reserved, central)
    ignored_cols = sorted(set(ignored_cols) | set(duplicates))

    columns: dict[str, str] = {}
    for key, t in targets.items():
        if t.value_column is not None:
            columns[headers[t.value_column]] = key
        for col, _ in t.choice_columns:
            columns[headers[col]] = key
        for col in t.part_columns.values():
            columns[headers[col]] = key

    rows: list[Row] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    width = len(headers)
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        submission_id = ""
        for col in id_cols:
            if col < len(cells) and cells[col].strip():
                submission_id = _normalise_id(cells[col])
                if submission_id:
                    break
        sid = submission_id or None
        extra = [c for c in cells[width:] if c.strip()]
        if extra:  # the id may have shifted to another column: do not report one
            errors.append(
                RowError(
                    line,
                    f"this line has {width + len(extra)} or more values but the header has "
                    f"{width} columns; a value containing the separator is probably missing "
                    "its quotes",
                )
            )
            continue
        if sid is None:
            errors.append(
                RowError(
                    line,
                    "no submission id (the columns "
                    + ", ".join(headers[c] for c in id_cols)
                    + " are empty)",
                )
            )
            continue
        if sid in first_line:
            errors.append(
                RowError(
                    line,
                    f"submission {sid} already appears on line {first_line[sid]}; "
                    "this line was skipped",
                    sid,
                )
            )
            continue
        first_line[sid] = line
        values, reasons, problems = _row_values(cells, targets, codes, headers)
        if problems:
            errors.extend(RowError(line, problem, sid) for problem in problems)
            continue
        submitted_at = (
            _parse_time(cells[time_col]) if time_col is not None and time_col < len(cells) else None
        )
        rows.append(Row(sid, submitted_at, values, reasons, line))

    return Export(
        rows=rows,
        errors=errors,
        columns=columns,
        id_columns=[headers[c] for c in id_cols],
        time_column=headers[time_col] if time_col is not None else None,
        ignored=[headers[c] for c in ignored_cols],
        format=fmt,
    )
