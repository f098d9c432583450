from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ulinzi.places import queries


class Command(BaseCommand):
    help = (
        "Match place names in batch: one name per line on stdin (or 'name|hint', the hint "
        "being an admin area such as a territory), one JSON line out per input line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="read names from this file instead of stdin")
        parser.add_argument("--country", help="ISO code such as CD")
        parser.add_argument("--limit", type=int, default=5, help="candidates per name (1-50)")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = max(1, min(50, options["limit"]))
        queries.matcher()  # build the index once, before timing-sensitive batch work
        try:
            source = open(options["file"], encoding="utf-8") if options["file"] else sys.stdin  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}")
        try:
            for line in source:
                line = line.rstrip("\r\n").replace("\x00", "")
                name, _, hint = line.partition("|")
                result = queries.search_places(
                    name.strip(), hint=hint.strip() or None, limit=limit, country=options["country"]
                )
                result["query"] = line
                self.stdout.write(json.dumps(result, ensure_ascii=False))
        finally:
            if source is not sys.stdin:
                source.close()
