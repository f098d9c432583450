from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ulinzi.places import importing
from ulinzi.places.domain import ImportRefused
from ulinzi.threats.domain import import_events
from ulinzi.threats.sources import FORMATS, SourceError


class Command(BaseCommand):
    help = (
        "Import conflict events (UCDP GED CSV or GeoJSON, ACLED CSV, or a simple CSV of "
        "id,date,lat,lon,type,fatalities,place). Re-importing a file changes nothing; a "
        "changed row updates its event. A file with bad rows is refused as a whole unless "
        "--skip-bad is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument(
            "--source", help="name of the source (default: the format; keys events as NAME:id)"
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good rows, report the bad ones"
        )
        parser.add_argument(
            "--json", action="store_true", help="print the summary as one JSON line"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        source = options["source"]
        if source is not None and (not source.strip() or len(source) > 40 or "\x00" in source):
            raise CommandError("--source must be a name of 1 to 40 characters")
        bar = tqdm(
            desc=f"importing {path.name}", unit=" events", disable=None, file=self.stderr._out
        )
        try:
            result = import_events(
                path,
                options["fmt"],
                source=source,
                skip_bad=options["skip_bad"],
                progress=bar.update,
            )
        except (SourceError, OSError) as exc:
            raise CommandError(f"{path}: {exc}")
        except ImportRefused as exc:
            raise importing.refused(self.stderr, path, exc.errors)
        finally:
            bar.close()
        importing.skipped(self.stderr, path, result.errors)
        summary = {"file": str(path), **result.summary()}
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"{path.name}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged"
                + (f", {result.skipped_bad} bad rows skipped" if result.skipped_bad else "")
            )
