from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ulinzi.threats import early_warning
from ulinzi.threats import forecast as fc
from ulinzi.threats.models import Event


def month_arg(text: str, *, latest: int | None = None, what: str = "") -> int:
    """``YYYY-MM`` as a month index, refused after the month ``latest`` (months that
    have not happened would count as months without violence)."""
    try:
        year, month = (int(p) for p in text.split("-"))
        index = fc.month_index(year, month)
    except ValueError:
        raise CommandError(f"{text!r} is not a month (YYYY-MM)")
    if latest is not None and index > latest:
        raise CommandError(
            f"{what} {text} is after {fc.month_label(latest)}: {what} must be a month that has ended"
        )
    return index


def last_month() -> int:
    """The month index of the last month that has ended."""
    today = timezone.localdate()
    return fc.month_index(today.year, today.month) - 1


class Command(BaseCommand):
    help = (
        "Forecast next month's fatal violence per area (expected fatalities and fatal "
        "events, probability of at least one fatal event) with its main drivers; prints "
        "one JSON line per area, riskiest first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", choices=early_warning.UNITS, default="territory")
        parser.add_argument("--horizon", type=int, default=1, help="months ahead (1-12)")
        parser.add_argument(
            "--origin", help="the last month of data used, YYYY-MM (default: the latest)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        horizon = options["horizon"]
        if not 1 <= horizon <= 12:
            raise CommandError("--horizon must be between 1 and 12 months")
        origin = (
            month_arg(options["origin"], latest=last_month(), what="--origin")
            if options["origin"]
            else None
        )
        events = Event.objects.all()
        if not events.exists():
            raise CommandError("no event yet: import some with `ulinzi import-events`")
        try:
            rows = early_warning.forecast_rows(
                options["unit"], events, horizon=horizon, origin=origin
            )
        except ValueError as exc:
            raise CommandError(str(exc))
        if not rows:
            raise CommandError(
                "nothing to forecast from: no event is dated to the month or better "
                "(the forecast counts events month by month)"
            )
        for row in rows:
            self.stdout.write(json.dumps(row, ensure_ascii=False))
