from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ulinzi.places import importing
from ulinzi.places.domain import ImportRefused, import_gazetteer
from ulinzi.places.sources import FORMATS, SourceError


class Command(BaseCommand):
    help = (
        "Import a gazetteer file. Re-importing the same file changes nothing; a changed "
        "file updates places in place. A file with bad rows is refused as a whole unless "
        "--skip-bad is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument(
            "--country", help="ISO code, e.g. CD (GeoNames: keep only this country)"
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good rows, report the bad ones"
        )
        parser.add_argument(
            "--json", action="store_true", help="print the summary as one JSON line"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        bar = tqdm(
            desc=f"importing {path.name}", unit=" places", disable=None, file=self.stderr._out
        )
        try:
            result = import_gazetteer(
                path,
                options["fmt"],
                country=options["country"],
                skip_bad=options["skip_bad"],
                progress=bar.update,
            )
        except SourceError as exc:
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
                + (
                    f", {result.other_country} rows of other countries left out"
                    if result.other_country
                    else ""
                )
            )
