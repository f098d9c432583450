from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ulinzi.threats import analysis, early_warning
from ulinzi.threats.management.commands.forecast import last_month, month_arg
from ulinzi.threats.models import Event


class Command(BaseCommand):
    help = (
        "Rolling-origin backtest of the forecast for the target months --from..--to "
        "against last month's value and the 6- and 12-month means; prints one JSON object "
        "with mse_log1p, average_precision and top5_capture per method."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", choices=early_warning.UNITS, default="territory")
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM")
        parser.add_argument("--horizon", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        ended = last_month()  # a month still running has not all its events yet
        first = month_arg(options["date_from"], latest=ended, what="--from")
        last = month_arg(options["date_to"], latest=ended, what="--to")
        if first > last:
            raise CommandError("--from is after --to")
        if not 1 <= options["horizon"] <= 12:
            raise CommandError("--horizon must be between 1 and 12 months")
        import datetime as dt

        try:
            result = early_warning.run_backtest(
                options["unit"],
                Event.objects.all(),
                dt.date(first // 12, first % 12 + 1, 1),
                dt.date(last // 12, last % 12 + 1, 1),
                options["horizon"],
            )
        except ValueError as exc:
            raise CommandError(str(exc))
        self.stdout.write(json.dumps(analysis.finite(result)))
