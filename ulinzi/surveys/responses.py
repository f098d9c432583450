"""Survey responses exported from KoBoToolbox or ODK Central, read into plain rows.
No Django import: the import command and the upload view share it.

``read_export(path_or_file, form=None)`` reads

* a CSV (comma, semicolon or tab separated; UTF-8 with or without BOM, UTF-16, or
  Windows-1252 as a last resort): one table, no repeat groups;
* a KoBoToolbox XLSX export: the first sheet holds the submissions, each other sheet one
  repeat group (see "Repeat groups" below);
* an ODK Central "CSV (zip)" download: a ZIP (told from an XLSX by the absence of
  ``[Content_Types].xml``) holding ``<form>.csv`` and one ``<form>-<repeat>.csv`` per
  repeat group; other files (media) are not read;

and returns an :class:`Export`:

* one :class:`Row` per submission, with its ``submission_id`` (the first non-empty of
  ``_uuid``, ``meta/instanceID``, ``meta-instanceID``, ``instanceID``, ``KEY``, ``_id``;
  a leading ``uuid:`` is removed, so that KoBo's ``_uuid``, its ``meta/instanceID`` and
  ODK Central's ``KEY`` give the same id), ``submitted_at`` (``_submission_time`` or
  ``SubmissionDate``, timezone-aware, UTC when the export gives no offset; None when
  absent or unreadable), ``values`` keyed by question name (a select_multiple answer
  is a list; without a form, only when the file also has its 0/1 choice columns) and
  ``repeats`` (below);
* one :class:`RowError` per line that could not be taken, with its line in the file
  (the header is line 1; for CSV the physical line where the record starts) and, for a
  line of a repeat table, the sheet or file (``str()`` gives "sheet 'members' line 4:
  ..."; a line of the main table keeps "line 4: ...").

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

Repeat groups
-------------
``Row.repeats`` maps a repeat's name to its instances for that submission, in file
order: ``{"members": [{"name": "Amani", "sex": "female", "missing_reasons": {}}, ...]}``.
Every repeat table of the export linked to the main table has its key, with ``[]`` when
the submission has no instance. An instance is a dict read with the same rules as the
main table (select_multiple lists, 0/1 choice columns, missing codes, geopoint parts,
choices checked against the form): question key -> value, plus two reserved keys:

* ``"missing_reasons"``: question key -> "dk"/"refused", as ``Row.missing_reasons``;
* ``"repeats"``: only on instances of a repeat that has nested repeat tables: nested
  repeat name -> its instances (same structure, recursively).

A question of a repeat whose name is one of those reserved keys is keyed by its path.
Question keys follow the rule of ``values`` within the repeat's own questions. The
repeat's name is the form's repeat name when a form is given (so a sheet name that
Excel cut at 31 characters still gives the full name), otherwise the sheet's name
(KoBo) or the file name after ``<form>-`` (Central). ``Row.values`` holds only the
top-level answers. :attr:`Export.repeat_tables` describes each repeat table read.

Linking (KoBo XLSX): a repeat row goes to the row of sheet ``_parent_table_name`` (the
main sheet when that column is absent or empty) whose ``_index`` is its
``_parent_index``; without ``_parent_index`` it goes to the submission named by
``_submission__uuid`` (or ``_submission__id``), at the top level. A sheet name is
matched as KoBo writes it (characters Excel refuses replaced by "_", names over 31
characters cut and ended with "..."). Linking (Central ZIP): ``PARENT_KEY`` is the
``KEY`` of the parent (``uuid:...`` for the main table, ``uuid:.../members[1]`` for a
nested repeat's parent). The main CSV of the ZIP is the one without ``PARENT_KEY``
(the shortest name if several).

A submission is imported whole or not at all: a repeat line that cannot be read (a bad
choice, more values than columns) or linked (its parent is not in the export, an
unknown ``_parent_table_name``) gives a RowError naming its sheet or file and line,
and the submission it belongs to (when it can be told, also from the
``_submission__uuid`` or the ``uuid:`` part of ``PARENT_KEY`` of an orphan line) is left
out of ``rows``, its RowErrors saying so. Repeat lines whose parent line was itself
rejected are dropped without a further error. A sheet (or CSV in the ZIP) without any
link column (``_parent_index``, ``_submission__uuid``, ``_submission__id``; Central:
``PARENT_KEY``) is not read and is listed in ``Export.ignored`` ("sheet 'Notes' (...)"):
workbooks often carry extra sheets added by hand. With a form, such a sheet named after
one of the form's repeats raises :class:`ExportError` instead (its answers would be
lost), and a linked sheet that is no repeat of the form is listed in ``Export.ignored``.

Size: at most 200 MB (:data:`MAX_EXPORT_BYTES`) read from the file, and for a ZIP or
XLSX at most as much once uncompressed (all entries of an XLSX, the CSV entries of a
ZIP), checked before anything is expanded: a ZIP bomb raises :class:`ExportError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from ulinzi.lib.words import ENGLISH, Refused, Said, Words
from ulinzi.surveys.xlsform import Form, Question

__all__ = [
    "DEFAULT_MISSING_CODES",
    "ID_COLUMNS",
    "MAX_EXPORT_BYTES",
    "TIME_COLUMNS",
    "Export",
    "ExportError",
    "RepeatTable",
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
        "PARENT_KEY",
    )
)
GEOPOINT_PARTS = ("latitude", "longitude", "altitude", "accuracy")
MAX_EXPORT_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
# Keys of a repeat instance that are not questions (see the module docstring).
RESERVED_KEYS = ("missing_reasons", "repeats")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SELECTED = {"1", "1.0", "true", "yes"}
_NOT_SELECTED = {"0", "0.0", "false", "no"}
_SEPARATORS = ("/", ".", "-")
# KoBo's link columns on repeat sheets, and ODK Central's.
_KOBO_LINKS = (
    "_index",
    "_parent_index",
    "_parent_table_name",
    "_submission__uuid",
    "_submission__id",
)
_EXCEL_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
_UNKNOWN = -2
_ELLIPSIS_RE = re.compile(r"\.\.\.(?: \(\d+\))?$")


class ExportError(Refused):
    """The file as a whole cannot be read as a survey export (in English; :meth:`said`
    in the reader's language)."""


@dataclass(frozen=True)
class Row:
    submission_id: str
    submitted_at: dt.datetime | None
    values: dict[str, Value]
    missing_reasons: dict[str, MissingReason]
    line: int
    # repeat name -> instances in file order (see "Repeat groups" in the module docstring)
    repeats: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str
    submission_id: str | None = None
    table: str | None = None  # sheet or CSV file of a repeat table; None: the main table
    table_kind: Literal["sheet", "file"] = "sheet"

    def __str__(self) -> str:
        return self.said(ENGLISH)

    def said(self, w: Words) -> str:
        """Where and why, worded by ``w``."""
        reason = self.reason.said(w) if isinstance(self.reason, Said) else self.reason
        if self.table is None:
            return w.text("line %(line)d: %(reason)s", line=self.line, reason=reason)
        where = {"line": self.line, "reason": reason, "table": repr(self.table)}
        if self.table_kind == "file":
            return w.text("file %(table)s line %(line)d: %(reason)s", **where)
        return w.text("sheet %(table)s line %(line)d: %(reason)s", **where)


@dataclass
class RepeatTable:
    """A repeat table of the export that was read (a sheet, or a CSV of a ZIP)."""

    name: str  # key in Row.repeats (or in an instance's "repeats")
    table: str  # the sheet or file name
    table_kind: Literal["sheet", "file"]
    # name of the parent repeat; None when under the submission itself, or when no line
    # of the table could be linked
    parent: str | None
    columns: dict[str, str]  # header -> key in the instances that the column feeds
    ignored: list[str] = field(default_factory=list)  # headers read as no answer


@dataclass
class Export:
    rows: list[Row]
    errors: list[RowError]
    columns: dict[str, str]  # header -> key in Row.values that the column feeds
    id_columns: list[str] = field(default_factory=list)  # where ids were looked for, in order
    time_column: str | None = None
    # headers of the main table read as no answer at all; then sheets/files not read
    # ("sheet 'Notes' (why)")
    ignored: list[str] = field(default_factory=list)
    format: Literal["csv", "xlsx", "zip"] = "csv"
    repeat_tables: list[RepeatTable] = field(default_factory=list)


@dataclass
class _Target:
    """What a column holds for one key of Row.values."""

    key: str
    question: Question | None
    value_column: int | None = None  # the answer itself (space-separated for selects)
    choice_columns: list[tuple[int, str]] = field(default_factory=list)  # 0/1 per choice
    part_columns: dict[int, int] = field(default_factory=dict)  # geopoint part -> column


@dataclass
class _Table:
    """One table of the export: the CSV, a sheet of an XLSX, or a CSV of a ZIP."""

    title: str  # sheet or file name
    kind: Literal["sheet", "file"]
    records: Iterator[tuple[int, list[str]]]
    repeat: str = ""  # the repeat name the sheet or file name gives

    @property
    def where(self) -> str:
        return f"{self.kind} {self.title!r}"


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
        raise ExportError.worded("The export is larger than %(mb)d MB.", mb=_mb(MAX_EXPORT_BYTES))
    return data


def _mb(size: int) -> int:
    return size // (1024 * 1024)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ExportError.worded("The file says it is UTF-16 text but could not be decoded.")
    if b"\x00" in data[:4096]:
        raise ExportError.worded(
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


def _csv_records(text: str, where: str = "") -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            if where:
                raise ExportError.worded(
                    "%(where)s, line %(line)d: the file could not be read as CSV (%(error)s).",
                    where=f"{where[:1].upper()}{where[1:]}",
                    line=start,
                    error=err,
                )
            raise ExportError.worded(
                "Line %(line)d: the file could not be read as CSV (%(error)s).",
                line=start,
                error=err,
            )
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


def _xlsx_tables(data: bytes) -> list[_Table]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not wb.worksheets:
                raise ExportError.worded("The XLSX file has no sheet.")
            tables = []
            for sheet in wb.worksheets:
                records = [
                    (i, [_cell_text(v) for v in values])
                    for i, values in enumerate(sheet.iter_rows(values_only=True), start=1)
                ]
                title = str(sheet.title)
                tables.append(_Table(title, "sheet", iter(records), repeat=title))
            return tables
        finally:
            wb.close()
    except ExportError:
        raise
    except Exception as err:  # openpyxl raises many kinds on a damaged workbook
        raise ExportError.worded(
            "The XLSX file could not be read (%(error)s). Export it again from KoBoToolbox or "
            "ODK Central, or save it as CSV.",
            error=type(err).__name__,
        ) from err


def _check_expanded(size: int, what: str) -> None:
    if size > MAX_EXPORT_BYTES:
        raise ExportError.worded(
            "The %(what)s would be larger than %(mb)d MB once uncompressed (%(size)d MB); it is "
            "not read. Export less data at a time (a date range, fewer questions).",
            what=what,
            mb=_mb(MAX_EXPORT_BYTES),
            size=_mb(size),
        )


def _first_record(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    for line, record in records:
        if any(c.strip() for c in record):
            return line, record
    return None


def _zip_tables(data: bytes) -> tuple[Literal["xlsx", "zip"], list[_Table], list[str]]:
    """The tables of an XLSX or of an ODK Central ZIP, main table first; and the CSV
    files of the ZIP that are left aside."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as err:  # zipfile raises many kinds on a damaged archive
        raise ExportError.worded(
            "The XLSX or ZIP file could not be read (%(error)s). Export it again from "
            "KoBoToolbox or ODK Central, or save it as CSV.",
            error=type(err).__name__,
        ) from err
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ExportError.worded("The ZIP file holds more than %(n)d files.", n=MAX_ZIP_ENTRIES)
    if any(i.filename == "[Content_Types].xml" for i in infos):
        _check_expanded(sum(i.file_size for i in infos), "XLSX file")
        return "xlsx", _xlsx_tables(data), []

    entries = [
        i
        for i in infos
        if not i.is_dir()
        and i.filename.casefold().endswith(".csv")
        and not i.filename.startswith("__MACOSX/")
    ]
    if not entries:
        raise ExportError.worded(
            'The ZIP file holds no CSV file. Upload ODK Central\'s "CSV (zip)" download as '
            "it is, or an XLSX or CSV export."
        )
    _check_expanded(sum(i.file_size for i in entries), "ZIP file")
    texts: list[tuple[str, str]] = []
    total = 0
    for info in entries:
        name = PurePosixPath(info.filename).name
        try:
            with archive.open(info) as fh:
                raw = fh.read(MAX_EXPORT_BYTES - total + 1)
        except Exception as err:  # encrypted, damaged, unsupported compression...
            raise ExportError.worded(
                "The file %(name)s in the ZIP could not be read (%(error)s).",
                name=repr(name),
                error=type(err).__name__,
            ) from err
        total += len(raw)
        _check_expanded(total, "ZIP file")
        try:
            texts.append((name, _decode(raw)))
        except ExportError as err:
            raise _in_the_zip(name, err) from err

    with_parent: list[bool] = []
    for name, text in texts:
        first = _first_record(_csv_records(text, f"file {name!r}"))
        headers = {h.replace("\ufeff", "").strip().casefold() for h in (first or (0, []))[1]}
        with_parent.append("parent_key" in headers)
    plain = [i for i, linked in enumerate(with_parent) if not linked]
    if not plain:
        raise ExportError.worded(
            "None of the CSV files in the ZIP is the main table (all have a PARENT_KEY "
            'column). Upload ODK Central\'s "CSV (zip)" download as it is.'
        )
    main = min(plain, key=lambda i: (len(texts[i][0]), i))
    main_stem = texts[main][0][:-4]
    tables = [_Table(texts[main][0], "file", _csv_records(texts[main][1]))]
    left_aside: list[str] = []
    for i, (name, text) in enumerate(texts):
        if i == main:
            continue
        stem = name[:-4]
        repeat = stem[len(main_stem) + 1 :] if stem.startswith(main_stem + "-") else stem
        if not with_parent[i]:
            left_aside.append(name)
        tables.append(_Table(name, "file", _csv_records(text, f"file {name!r}"), repeat=repeat))
    return "zip", tables, left_aside


def _in_the_zip(name: str, problem: ExportError) -> ExportError:
    """The ``problem`` of the file ``name`` of a ZIP, naming the file."""

    def say(w: Words) -> str:
        return w.text(
            "The file %(name)s in the ZIP: %(problem)s", name=repr(name), problem=problem.said(w)
        )

    return ExportError(say=say)


def _tables(data: bytes) -> tuple[Literal["csv", "xlsx", "zip"], list[_Table]]:
    if not data.strip():
        raise ExportError.worded("The file is empty.")
    if data.startswith(_ZIP_MAGIC):
        fmt, tables, _ = _zip_tables(data)
        return fmt, tables
    if data.startswith(_OLE_MAGIC):
        raise ExportError.worded(
            "This is an old-style .xls workbook. Export the data as XLSX or CSV instead."
        )
    return "csv", [_Table("", "file", _csv_records(_decode(data)))]


# ---------------------------------------------------------------------------- columns


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


class _FormIndex:
    """Finds the question (and choice) a header names, among some questions of a form:
    the top-level ones, or those of one repeat (``prefix``: the repeat's path, whose
    questions are also found by their path inside it, as ODK Central names them)."""

    def __init__(
        self,
        questions: Sequence[Question],
        prefix: str = "",
        reserved: Sequence[str] = (),
    ) -> None:
        questions = [q for q in questions if q.type not in ("note", "acknowledge")]
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
            unique = names[q.name] == 1
            key = q.name if unique and q.name not in reserved else q.path
            self.keys[key] = q
            paths = [q.path]
            if prefix and q.path.startswith(prefix + "/"):
                paths.append(q.path[len(prefix) + 1 :])
            for path in paths:
                for sep in _SEPARATORS:
                    add(path.replace("/", sep), key)
            if unique:
                add(q.name, key)
            for label in q.labels.values():
                add(label, key)
        self._exact = {t: next(iter(k)) for t, k in exact.items() if len(k) == 1}
        self._folded = {t: next(iter(k)) for t, k in folded.items() if len(k) == 1}

    @classmethod
    def top_level(cls, form: Form) -> _FormIndex:
        return cls([q for q in form.questions if not q.in_repeat])

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
    return central and (folded in CENTRAL_SYSTEM_COLUMNS or folded.startswith("set-of-"))


def _map_with_form(
    headers: list[str], skip: set[int], index: _FormIndex
) -> tuple[dict[str, _Target], list[int]]:
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


def _split_multi(
    text: str, q: Question | None, codes: Mapping[str, MissingReason]
) -> list[str] | None:
    """The choices of a select_multiple cell; None if some part is not a known choice
    (nor a missing code)."""
    tokens = text.split()
    if q is None or not q.choices:
        return tokens
    names = set(q.choice_names())
    if all(t in names or _missing(t, codes) is not None for t in tokens):
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
                        Said(
                            "column %(column)s has %(value)s where 0 or 1 was expected",
                            column=repr(headers[col]),
                            value=repr(cells[col].strip()),
                        )
                    )
            text = " ".join(picked)
        else:
            text = " ".join(cell(c) for _, c in sorted(t.part_columns.items()) if cell(c))
        if not text:
            values[key] = None
            continue
        if multi:
            chosen = _split_multi(text, q, codes)
            if chosen is None:
                assert q is not None
                problems.append(_not_a_choice(key, text, q, several=True))
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
                problems.append(_not_a_choice(key, text, q, several=False))
                continue
            text = matched if matched is not None else text
        reason = _missing(text, codes)
        if reason is not None:
            values[key] = None
            reasons[key] = reason
        else:
            values[key] = text
    return values, reasons, problems


# ---------------------------------------------------------------------------- tables


@dataclass
class _Header:
    line: int
    headers: list[str]
    skip: set[int]  # empty and repeated headers
    duplicates: list[int]
    folded: dict[str, int]  # casefolded header -> its first column (outside skip)

    def col(self, name: str) -> int | None:
        return self.folded.get(name.casefold())


def _header(line: int, raw: list[str]) -> _Header:
    headers = [h.replace("\ufeff", "").strip() for h in raw]
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
    return _Header(line, headers, skip, duplicates, folded)


def _columns(targets: dict[str, _Target], headers: list[str]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for key, t in targets.items():
        if t.value_column is not None:
            columns[headers[t.value_column]] = key
        for col, _ in t.choice_columns:
            columns[headers[col]] = key
        for col in t.part_columns.values():
            columns[headers[col]] = key
    return columns


def _not_a_choice(key: str, text: str, q: Question, *, several: bool) -> Said:
    """The answer ``text`` of question ``key`` is not one of its choices (or, for a
    select_multiple, not a list of them)."""
    said = {
        "question": repr(key),
        "value": repr(text),
        "list": repr(q.list_name),
        "choices": _choices_text(q),
    }
    if several:
        return Said(
            "%(question)s has %(value)s, which is not a list of choices of %(list)s (%(choices)s)",
            **said,
        )
    return Said(
        "%(question)s has %(value)s, which is not a choice of %(list)s (%(choices)s)", **said
    )


def _too_wide(width: int, extra: int) -> Said:
    return Said(
        "this line has %(n)d or more values but the header has %(width)d columns; a value "
        "containing the separator is probably missing its quotes",
        n=width + extra,
        width=width,
    )


def _cell(cells: list[str], col: int | None) -> str:
    return cells[col].strip() if col is not None and col < len(cells) else ""


@dataclass(eq=False)
class _Node:
    """A line of a table: a submission (main table) or a repeat instance."""

    table: int  # -1: the main table, else the index of its _Repeat
    line: int
    sid: str | None = None  # main table: the submission id
    ok: bool = False  # main table: the line gives a Row
    instance: dict[str, Any] = field(default_factory=dict)  # repeat: what Row.repeats lists
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    link: tuple[str, ...] = ()  # how a repeat line names its parent
    hint: str | None = None  # the submission id a repeat line names, if any
    parent: _Node | None = None
    link_error: str | None = None


@dataclass
class _Repeat:
    table: _Table
    header: _Header
    group: str | None  # the repeat's path in the form
    name: str = ""
    targets: dict[str, _Target] = field(default_factory=dict)
    nodes: list[_Node] = field(default_factory=list)
    parent: int = -1  # the parent table: -1 the main one, _UNKNOWN when it is unknown
    ignored: list[str] = field(default_factory=list)


@dataclass
class _Registry:
    """Where repeat lines find their parents."""

    main: _Table
    main_has_index: bool
    by_index: dict[tuple[int, str], _Node] = field(default_factory=dict)  # KoBo _index
    by_key: dict[str, _Node] = field(default_factory=dict)  # Central KEY
    by_sid: dict[str, _Node] = field(default_factory=dict)
    by_id: dict[str, _Node] = field(default_factory=dict)  # KoBo _id


def _repeat_groups(form: Form) -> list[str]:
    """Paths of the groups that hold repeat questions and no top-level question."""
    groups: dict[str, None] = {}
    for q in form.questions:
        if q.in_repeat:
            parts = q.path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                groups.setdefault("/".join(parts[:i]), None)
    plain = {q.path for q in form.questions if not q.in_repeat}
    return [g for g in groups if not any(p.startswith(g + "/") for p in plain)]


def _sheet_is(title: str, name: str) -> bool:
    """Whether KoBo names the sheet of the table ``name`` ``title`` (Excel's forbidden
    characters replaced by "_", a name over 31 characters cut and ended by "...")."""
    want = name.strip().translate(_EXCEL_FORBIDDEN).casefold()
    got = title.strip().casefold()
    if got == want:
        return True
    cut = _ELLIPSIS_RE.search(got)
    return cut is not None and len(want) > 31 and want.startswith(got[: cut.start()])


def _match_group(table: _Table, groups: list[str]) -> str | None:
    wanted = table.repeat.strip().casefold()
    for group in groups:
        last = group.rsplit("/", 1)[-1].casefold()
        if wanted == last or (
            table.kind == "file" and wanted == group.replace("/", "-").casefold()
        ):
            return group
    if table.kind == "sheet":
        for group in groups:
            if _sheet_is(table.title, group.rsplit("/", 1)[-1]):
                return group
    return None


def _link_columns(fmt: str) -> tuple[str, ...]:
    """The columns of which a repeat table needs one to be linked to its parents."""
    if fmt == "zip":
        return ("PARENT_KEY",)
    return ("_parent_index", "_submission__uuid", "_submission__id")


def _prepare_repeats(
    tables: list[_Table], fmt: str, form: Form | None, ignored: list[str]
) -> list[_Repeat]:
    groups = _repeat_groups(form) if form is not None else []
    repeats: list[_Repeat] = []
    for table in tables:
        first = _first_record(table.records)
        if first is None:
            continue  # an empty sheet
        header = _header(*first)
        group = _match_group(table, groups) if form is not None else None
        needed = _link_columns(fmt)
        if not any(header.col(c) is not None for c in needed):
            names = " or ".join(needed)
            if group is not None:
                raise ExportError.worded(
                    "The %(where)s holds the repeat group %(group)s of the form but has no "
                    "%(columns)s column to link its lines to their submissions. Export the data "
                    "again from KoBoToolbox or ODK Central, without removing columns.",
                    where=table.where,
                    group=repr(group),
                    columns=names,
                )
            ignored.append(f"{table.where} (no {names} column to link it to the submissions)")
            continue
        if form is not None and group is None:
            ignored.append(f"{table.where} (the form has no repeat group {table.repeat!r})")
            continue
        repeats.append(_Repeat(table, header, group))

    used: set[str] = set()
    inner = [r.group for r in repeats if r.group is not None]
    for rep in repeats:
        headers = rep.header.headers
        if fmt == "zip":
            links = {rep.header.col("PARENT_KEY"), rep.header.col("KEY")}
        else:
            links = {rep.header.col(c) for c in _KOBO_LINKS}
        reserved = rep.header.skip | {c for c in links if c is not None}
        if form is not None and rep.group is not None:
            group = rep.group
            nested = [g for g in inner if g.startswith(group + "/")]
            questions = [
                q
                for q in form.questions
                if q.in_repeat
                and q.path.startswith(group + "/")
                and not any(q.path.startswith(n + "/") for n in nested)
            ]
            index = _FormIndex(questions, prefix=group, reserved=RESERVED_KEYS)
            targets, ignored_cols = _map_with_form(headers, reserved, index)
            name = group.rsplit("/", 1)[-1]
            parents = [
                j for j, r in enumerate(repeats) if r.group and group.startswith(r.group + "/")
            ]
            if parents:
                rep.parent = max(parents, key=lambda j: len(repeats[j].group or ""))
        else:
            name = rep.table.repeat.strip() or rep.table.title
            targets, ignored_cols = _map_without_form(headers, reserved, central=fmt == "zip")
            renamed: dict[str, _Target] = {}
            for key, target in targets.items():
                if key in RESERVED_KEYS:
                    target.key = f"{name}/{key}"
                renamed[target.key] = target
            targets = renamed
        if name in used:
            name = rep.table.title
        n = 2
        while name in used:
            name, n = f"{rep.table.title} ({n})", n + 1
        used.add(name)
        rep.name, rep.targets = name, targets
        rep.ignored = [headers[c] for c in sorted(set(ignored_cols) | set(rep.header.duplicates))]
    return repeats


def _guess_sid(cells: list[str], registry: _Registry) -> str | None:
    """The submission id found in some cell of a line whose columns are shifted."""
    for text in cells:
        sid = _normalise_id(text.split("/", 1)[0])
        if sid and sid in registry.by_sid:
            return sid
    return None


def _read_repeat_lines(
    tid: int, rep: _Repeat, fmt: str, codes: Mapping[str, MissingReason], registry: _Registry
) -> None:
    header = rep.header
    width = len(header.headers)
    if fmt == "zip":
        link_cols = [header.col("KEY"), header.col("PARENT_KEY")]
    else:
        link_cols = [header.col(c) for c in _KOBO_LINKS]
    for line, cells in rep.table.records:
        if not any(c.strip() for c in cells):
            continue
        node = _Node(tid, line)
        rep.nodes.append(node)
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            node.problems.append(_too_wide(width, len(extra)))
            node.hint = _guess_sid(cells, registry)
            continue
        values, reasons, problems = _row_values(cells, rep.targets, codes, header.headers)
        node.instance = {**values, "missing_reasons": reasons}
        node.problems = problems
        node.link = tuple(_cell(cells, c) for c in link_cols)
        own = node.link[0]
        if fmt == "zip":
            if own:
                registry.by_key.setdefault(own, node)
            parent_key = node.link[1]
            node.hint = _normalise_id(parent_key.split("/", 1)[0]) or None
        else:
            if own:
                registry.by_index.setdefault((tid, own), node)
            uuid, sub_id = node.link[3], node.link[4]
            if uuid:
                node.hint = _normalise_id(uuid) or None
            elif sub_id in registry.by_id:
                node.hint = registry.by_id[sub_id].sid


def _parent_table(
    name: str, registry: _Registry, repeats: list[_Repeat], form: Form | None
) -> int | None:
    """The table ``_parent_table_name`` names: -1 for the main sheet."""
    titles = [(-1, registry.main.title)] + [(i, r.table.title) for i, r in enumerate(repeats)]
    names: list[tuple[int, str]] = [*titles, *((i, r.name) for i, r in enumerate(repeats))]
    if form is not None:
        names += [(-1, form.title), (-1, form.id_string)]
    wanted = name.strip().casefold()
    for tid, candidate in names:
        if candidate.strip().casefold() == wanted:
            return tid
    for tid, title in titles:
        if _sheet_is(title, name):
            return tid
    return None


def _link_kobo(
    node: _Node, registry: _Registry, repeats: list[_Repeat], form: Form | None
) -> tuple[_Node | None, str | None]:
    _, parent_index, parent_table, uuid, sub_id = node.link
    main = registry.main.title
    if parent_index:
        tid = -1
        if parent_table:
            found = _parent_table(parent_table, registry, repeats, form)
            if found is None:
                sheets = ", ".join(repr(t) for t in [main, *(r.table.title for r in repeats)])
                return None, Said(
                    "_parent_table_name %(table)s is not a sheet of this export (%(sheets)s)",
                    table=repr(parent_table),
                    sheets=sheets,
                )
            tid = found
        parent = registry.by_index.get((tid, parent_index))
        if parent is not None:
            return parent, None
        if not (tid == -1 and not registry.main_has_index and (uuid or sub_id)):
            title = main if tid == -1 else repeats[tid].table.title
            return None, Said(
                "its parent line (_index %(index)s of sheet %(sheet)s) is not in the export",
                index=parent_index,
                sheet=repr(title),
            )
    if uuid:
        parent = registry.by_sid.get(_normalise_id(uuid))
        if parent is not None:
            return parent, None
        return None, Said(
            "its submission %(id)s (_submission__uuid) is not in sheet %(sheet)s",
            id=uuid,
            sheet=repr(main),
        )
    if sub_id:
        parent = registry.by_id.get(sub_id)
        if parent is not None:
            return parent, None
        return None, Said(
            "its submission %(id)s (_submission__id) is not in sheet %(sheet)s",
            id=sub_id,
            sheet=repr(main),
        )
    return None, Said(
        "_parent_index and _submission__uuid are empty: the line cannot be linked to a submission"
    )


def _link_central(node: _Node, registry: _Registry) -> tuple[_Node | None, str | None]:
    parent_key = node.link[1]
    if not parent_key:
        return None, Said("PARENT_KEY is empty: the line cannot be linked to a submission")
    parent = registry.by_key.get(parent_key) or registry.by_sid.get(_normalise_id(parent_key))
    if parent is not None:
        return parent, None
    return None, Said("its parent %(key)s (PARENT_KEY) is not in the export", key=parent_key)


def _root(node: _Node) -> _Node | None:
    seen: set[int] = set()
    current: _Node | None = node
    while current is not None and current.table != -1:
        if id(current) in seen:
            return None  # lines that name each other as parents
        seen.add(id(current))
        current = current.parent
    return current


def _link_repeats(
    repeats: list[_Repeat],
    fmt: str,
    registry: _Registry,
    form: Form | None,
    errors: list[RowError],
) -> set[int]:
    """Attach each repeat line to its parent; report the lines that cannot be read or
    linked. Returns the ids of the main-table nodes whose submissions are left out."""
    rejected: set[int] = set()
    first_parent: dict[int, int] = {}
    for tid, rep in enumerate(repeats):
        for node in rep.nodes:
            if not node.link:
                continue  # unreadable line
            if fmt == "zip":
                parent, node.link_error = _link_central(node, registry)
            else:
                parent, node.link_error = _link_kobo(node, registry, repeats, form)
            if parent is not None:
                node.parent = parent
                parent.children.setdefault(rep.name, []).append(node.instance)
                first_parent.setdefault(tid, parent.table)
    for tid, rep in enumerate(repeats):
        if tid in first_parent and first_parent[tid] != tid:
            rep.parent = first_parent[tid]
        elif rep.nodes:
            rep.parent = _UNKNOWN  # no line could be linked: where it belongs is unknown

    for rep in repeats:
        for node in rep.nodes:
            reasons = [*node.problems, *([node.link_error] if node.link_error else [])]
            if not reasons:
                continue
            owner = _root(node)
            if owner is None and node.hint is not None:
                owner = registry.by_sid.get(node.hint)
            sid = owner.sid if owner is not None else node.hint
            if owner is not None and owner.ok:
                rejected.add(id(owner))
                reasons = [
                    Said(
                        "%(reason)s; submission %(id)s (line %(line)d) is left out as a whole",
                        reason=reason,
                        id=owner.sid,
                        line=owner.line,
                    )
                    for reason in reasons
                ]
            errors.extend(
                RowError(node.line, reason, sid, rep.table.title, rep.table.kind)
                for reason in reasons
            )
    return rejected


def _nest(node: _Node, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    nested = {name: node.children.get(name, []) for name in names}
    for name, instances in node.children.items():
        nested.setdefault(name, instances)
    return nested


# ---------------------------------------------------------------------------- entry point


def read_export(
    path_or_file: str | PathLike[str] | bytes | IO[bytes] | IO[str],
    form: Form | None = None,
    *,
    missing_codes: Mapping[str, str] | None = None,
) -> Export:
    """Read a KoBoToolbox or ODK Central export (CSV, XLSX, or Central's ZIP of CSVs).
    See the module docstring.

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
    fmt, tables = _tables(data)
    main_table = tables[0]

    first = _first_record(main_table.records)
    if first is None:
        raise ExportError.worded("The file has no header row (it is empty).")
    main = _header(*first)
    headers, skip, folded = main.headers, main.skip, main.folded

    id_cols = [folded[c.casefold()] for c in ID_COLUMNS if c.casefold() in folded]
    if not id_cols:
        shown = ", ".join(h for h in headers if h)[:300]
        raise ExportError.worded(
            "No submission id column: looked for %(looked)s. The file's columns are: "
            "%(columns)s. Export the data from KoBoToolbox or ODK Central with its metadata "
            "columns.",
            looked=", ".join(ID_COLUMNS),
            columns=shown or "(none)",
        )
    time_col = next((folded[c.casefold()] for c in TIME_COLUMNS if c.casefold() in folded), None)
    central = "key" in folded or "submissiondate" in folded
    reserved = skip | set(id_cols) | ({time_col} if time_col is not None else set())

    if form is not None:
        targets, ignored_cols = _map_with_form(headers, reserved, _FormIndex.top_level(form))
    else:
        targets, ignored_cols = _map_without_form(headers, reserved, central)
    ignored_cols = sorted(set(ignored_cols) | set(main.duplicates))
    ignored = [headers[c] for c in ignored_cols]

    index_col, key_col, kobo_id_col = main.col("_index"), main.col("KEY"), main.col("_id")
    registry = _Registry(main_table, main_has_index=index_col is not None)
    taken: list[tuple[_Node, dict[str, Value], dict[str, MissingReason], dt.datetime | None]]
    taken = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    width = len(headers)
    for line, cells in main_table.records:
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
            errors.append(RowError(line, _too_wide(width, len(extra))))
            continue
        node = _Node(-1, line)
        if _cell(cells, index_col):
            registry.by_index.setdefault((-1, _cell(cells, index_col)), node)
        if _cell(cells, key_col):
            registry.by_key.setdefault(_cell(cells, key_col), node)
        if sid is None:
            errors.append(
                RowError(
                    line,
                    Said(
                        "no submission id (the columns %(columns)s are empty)",
                        columns=", ".join(headers[c] for c in id_cols),
                    ),
                )
            )
            continue
        if sid in first_line:
            errors.append(
                RowError(
                    line,
                    Said(
                        "submission %(id)s already appears on line %(line)d; this line was skipped",
                        id=sid,
                        line=first_line[sid],
                    ),
                    sid,
                )
            )
            continue
        first_line[sid] = line
        node.sid = sid
        registry.by_sid[sid] = node
        if _cell(cells, kobo_id_col):
            registry.by_id.setdefault(_cell(cells, kobo_id_col), node)
        values, reasons, problems = _row_values(cells, targets, codes, headers)
        if problems:
            errors.extend(RowError(line, problem, sid) for problem in problems)
            continue
        submitted_at = (
            _parse_time(cells[time_col]) if time_col is not None and time_col < len(cells) else None
        )
        node.ok = True
        taken.append((node, values, reasons, submitted_at))

    repeats = _prepare_repeats(tables[1:], fmt, form, ignored)
    for tid, rep in enumerate(repeats):
        _read_repeat_lines(tid, rep, fmt, codes, registry)
    rejected = _link_repeats(repeats, fmt, registry, form, errors)

    children: dict[int, list[str]] = {}
    for rep in repeats:
        children.setdefault(rep.parent, []).append(rep.name)
    for tid, rep in enumerate(repeats):
        for node in rep.nodes:
            if tid in children or node.children:
                node.instance["repeats"] = _nest(node, children.get(tid, []))

    rows = [
        Row(
            node.sid or "",
            submitted_at,
            values,
            reasons,
            node.line,
            _nest(node, children.get(-1, [])),
        )
        for node, values, reasons, submitted_at in taken
        if id(node) not in rejected
    ]
    return Export(
        rows=rows,
        errors=errors,
        columns=_columns(targets, headers),
        id_columns=[headers[c] for c in id_cols],
        time_column=headers[time_col] if time_col is not None else None,
        ignored=ignored,
        format=fmt,
        repeat_tables=[
            RepeatTable(
                name=rep.name,
                table=rep.table.title,
                table_kind=rep.table.kind,
                parent=repeats[rep.parent].name if rep.parent >= 0 else None,
                columns=_columns(rep.targets, rep.header.headers),
                ignored=rep.ignored,
            )
            for rep in repeats
        ],
    )
