"""``ulinzi train-triage FILE.csv --text COL --labels COL,COL... --model PATH [--where COL=VALUE]``.

Trains the triage classifier (:class:`ulinzi.alerts.triage.Model`) on a CSV
file: one text column and one 0/1 column per label (any value other than
empty, "0", "false" or "no" counts as positive). Progress goes to stderr.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ulinzi.alerts.triage import Model

NEGATIVE = {"", "0", "0.0", "false", "no", "non", "hapana"}


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # no database, no settings beyond the defaults
    help = (
        "Train the triage classifier on a CSV file (one text column, one 0/1 column per label) "
        "and save it to --model. The model file is trusted input: keep it with the data it was "
        "trained on, under the same licence."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file with a header row")
        parser.add_argument("--text", required=True, help="name of the text column")
        parser.add_argument(
            "--labels", required=True, help="comma-separated names of the 0/1 label columns"
        )
        parser.add_argument("--model", required=True, help="where to write the model file")
        parser.add_argument(
            "--where",
            action="append",
            default=[],
            metavar="COL=VALUE",
            help="only rows whose column COL equals VALUE (repeatable), e.g. split=train",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        labels = [name.strip() for name in options["labels"].split(",") if name.strip()]
        if not labels:
            raise CommandError("--labels needs at least one column name")
        conditions: list[tuple[str, str]] = []
        for condition in options["where"]:
            column, sep, value = condition.partition("=")
            if not sep or not column:
                raise CommandError(f"--where {condition!r}: write it as COLUMN=VALUE")
            conditions.append((column, value))

        texts, rows_labels = self._read(Path(options["file"]), options["text"], labels, conditions)
        say = self._progress
        say(f"{len(texts)} texts, labels: " + ", ".join(labels))
        start = time.perf_counter()
        try:
            model = Model.train(texts, rows_labels, labels, progress=say)
        except ValueError as exc:
            raise CommandError(f"cannot train on {options['file']}: {exc}") from exc
        try:
            model.save(options["model"])
        except OSError as exc:
            raise CommandError(f"cannot write the model to {options['model']}: {exc}") from exc
        say(f"model written to {options['model']} in {time.perf_counter() - start:.1f} s")

    def _progress(self, message: str) -> None:
        sys.stderr.write(f"train-triage: {message}\n")
        sys.stderr.flush()

    def _read(
        self, path: Path, text_column: str, labels: list[str], conditions: list[tuple[str, str]]
    ) -> tuple[list[str], list[list[str]]]:
        texts: list[str] = []
        rows_labels: list[list[str]] = []
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                columns = reader.fieldnames
                if not columns:
                    raise CommandError(f"{path} is empty: a header row and data rows are needed")
                wanted = [text_column, *labels, *(c for c, _ in conditions)]
                missing = [c for c in dict.fromkeys(wanted) if c not in columns]
                if missing:
                    raise CommandError(
                        f"{path} has no column {', '.join(repr(c) for c in missing)}; "
                        f"its columns are: {', '.join(columns)}"
                    )
                for row in reader:
                    if any((row.get(c) or "") != v for c, v in conditions):
                        continue
                    texts.append(row.get(text_column) or "")
                    rows_labels.append(
                        [n for n in labels if (row.get(n) or "").strip().lower() not in NEGATIVE]
                    )
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such file") from exc
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"cannot read {path} as a UTF-8 CSV file: {exc}") from exc
        if not texts:
            where = " matching " + " and ".join(f"{c}={v}" for c, v in conditions)
            raise CommandError(f"{path} has no data rows{where if conditions else ''}")
        return texts, rows_labels
