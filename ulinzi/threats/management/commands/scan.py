from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ulinzi.alerts import taxonomy
from ulinzi.alerts.models import Alert
from ulinzi.threats import analysis
from ulinzi.threats.models import Event
from ulinzi.threats.scan import ScanSettings
from ulinzi.threats.sources import FORMATS, SourceError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD)")


MAX_DAYS = 365  # the longest time window, as on the hotspots page


class Command(BaseCommand):
    help = (
        "Find space-time clusters of events with Kulldorff's prospective space-time "
        "permutation scan statistic; prints one JSON line per cluster, most likely first. "
        "Without FILE, scans the database's events and alerts (--use)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="an event file to scan instead")
        parser.add_argument(
            "--format", choices=FORMATS, default="csv", dest="fmt", help="the file's format"
        )
        parser.add_argument("--from", dest="date_from", help="first day of the study period")
        parser.add_argument(
            "--to", dest="date_to", help="analysis date (default: the latest event)"
        )
        parser.add_argument("--max-radius-km", type=float, default=25.0)
        parser.add_argument("--max-share", type=float, default=0.5)
        parser.add_argument("--max-days", type=int, default=30, help="1 to 365")
        parser.add_argument("--replicates", type=int, default=999)
        parser.add_argument("--seed", type=int, default=12345)
        parser.add_argument("--max-clusters", type=int, default=10)
        parser.add_argument("--use", choices=analysis.USES, default="both")
        parser.add_argument("--threat-type", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["max_days"] <= MAX_DAYS:
            # A window of years asks for memory by the gigabyte, and says nothing of now.
            raise CommandError(f"--max-days must be between 1 and {MAX_DAYS}")
        kind = options["threat_type"].strip()
        if kind and kind not in taxonomy.THREAT_TYPES:
            raise CommandError(
                f"--threat-type {kind!r} is not a threat type: use one of "
                + ", ".join(taxonomy.THREAT_TYPES)
            )
        try:
            settings = ScanSettings(
                max_radius_km=options["max_radius_km"],
                max_share=options["max_share"],
                max_days=options["max_days"],
                replicates=options["replicates"],
                seed=options["seed"],
                max_clusters=options["max_clusters"],
            )
        except ValueError as exc:
            raise CommandError(str(exc))
        date_from = _date(options["date_from"]) if options["date_from"] else None
        date_to = _date(options["date_to"]) if options["date_to"] else None
        if date_from and date_to and date_from > date_to:
            raise CommandError("--from is after --to")
        if options["file"]:
            try:
                read = analysis.points_from_file(options["file"], options["fmt"], kind)
            except (SourceError, OSError) as exc:
                raise CommandError(f"{options['file']}: {exc}")
            for error in read.errors[:20]:
                self.stderr.write(f"{options['file']}: {error} (left out)")
            if len(read.errors) > 20:
                self.stderr.write(f"... and {len(read.errors) - 20} more rows left out")
            if read.coarse:
                self.stderr.write(
                    f"{read.coarse} events dated only to the month or year left out "
                    "(the scan counts events by day)"
                )
            points = read.points
        else:
            points = analysis.points_from_database(
                options["use"], Event.objects.all(), Alert.objects.all(), kind
            )
        if not points:
            raise CommandError("no event dated to the day or week to scan")
        result, clusters = analysis.run_scan(
            points, date_to=date_to, date_from=date_from, settings=settings
        )
        self.stderr.write(
            f"scanned {result.events} events at {result.locations} locations, "
            f"{result.zones} circles x {result.windows} windows, {result.replicates} replicates"
        )
        for cluster in clusters:
            self.stdout.write(json.dumps(analysis.jsonable(cluster)))
