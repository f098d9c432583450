"""``ulinzi triage [--model PATH] [FILE] < texts.jsonl``: triage report texts in batch.

Reads JSON lines ``{"id": ..., "text": "..."}`` and writes one JSON line per
input line: ``{"id", "language", "labels", "predicted", "threat_type",
"severity", "because"}``, or ``{"id", "error"}`` for a line that cannot be
read (the batch goes on). Blank lines are skipped.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ulinzi.alerts.triage import Model, triage


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # no database, no settings beyond the defaults
    help = (
        'Triage report texts: JSON lines {"id", "text"} on stdin (or FILE) in, one JSON line out '
        "each with language, threat type, severity, labels and the words that decided."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="read JSON lines from this file, not stdin")
        parser.add_argument("--model", help="a model file written by `ulinzi train-triage`")

    def handle(self, *args: Any, **options: Any) -> None:
        model = None
        if options["model"]:
            try:
                model = Model.load(options["model"])
            except FileNotFoundError as exc:
                raise CommandError(f"{options['model']}: no such model file") from exc
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        try:
            source: IO[Any] = (
                open(options["file"], "rb")  # noqa: SIM115
                if options["file"]
                else getattr(sys.stdin, "buffer", sys.stdin)
            )
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        try:
            for number, raw in enumerate(source, start=1):
                # Bad bytes become U+FFFD: one broken line never stops the batch.
                line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
                if line.strip():
                    result = json.dumps(self._one(line, number, model), ensure_ascii=False)
                    self.stdout.write(result.encode("utf-8", "replace").decode("utf-8"))
        finally:
            if options["file"]:
                source.close()

    def _one(self, line: str, number: int, model: Model | None) -> dict[str, Any]:
        try:
            item = json.loads(line)
        except ValueError as exc:
            return {"id": None, "error": f"line {number}: not valid JSON ({exc})"}
        if not isinstance(item, dict):
            return {"id": None, "error": f'line {number}: expected an object {{"id", "text"}}'}
        ident = item.get("id")
        text = item.get("text")
        if not isinstance(text, str):
            problem = "has no text" if text is None else '"text" is not a string'
            return {"id": ident, "error": f"line {number}: {problem}"}
        return {"id": ident, **triage(text, model).as_dict()}
