"""The reporting matrix: threat type x place x period (no Django import).

The database returns counts already grouped by area, threat type and week or month
(``Event.week`` and ``Event.month`` are stored columns); this module lays them out as
a matrix with a column per period, totals, and a trend arrow per row.

Periods
    ``week`` starts on Monday (ISO weeks, labelled ``2024-W03``), ``month`` on the 1st
    (``2024-01``), ``quarter`` on the 1st of January, April, July or October
    (``2024-Q1``). Quarters are folded from months. Every period between the first and
    the last asked for gets a column, even when it has no event: a quiet month is
    information.

Trend
    The last period's count ``c`` against the mean ``m`` of the (up to) three periods
    before it: **up** when ``c >= m + 2 * sqrt(max(m, 1))``, **down** when
    ``c <= m - 2 * sqrt(max(m, 1))``, otherwise **steady** - about two standard
    deviations of a Poisson count, so that a row going from 1 to 2 events is not
    flagged while one going from 2 to 9 is. A row with fewer than two periods has
    no trend. A last period cut short by the last day counted (this week, on its
    Tuesday; or the last day asked for) is weighed for the part of it counted: ``m``
    is scaled by that share of its days, so that a week two days old is not "down"
    for having two days' events.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

PERIODS = ("week", "month", "quarter")
LEVELS = ("province", "territory", "community")
TRENDS = {"up": "↑", "down": "↓", "steady": "→", "": ""}
MAX_PERIODS = 60


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")


def next_period(start: dt.date, period: str) -> dt.date:
    if period == "week":
        return start + dt.timedelta(days=7)
    months = 1 if period == "month" else 3
    total = start.year * 12 + start.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def period_end(start: dt.date, period: str) -> dt.date:
    return next_period(start, period) - dt.timedelta(days=1)


def shown_share(start: dt.date, period: str, last: dt.date) -> float:
    """The share of the days of the period starting ``start`` up to ``last``."""
    days = (period_end(start, period) - start).days + 1
    return min(max((last - start).days + 1, 0), days) / days


def period_label(start: dt.date, period: str) -> str:
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def periods_between(first: dt.date, last: dt.date, period: str) -> list[dt.date]:
    """The starts of every period from the one holding ``first`` to the one holding
    ``last`` (at most ``MAX_PERIODS``: the most recent ones)."""
    if last < first:
        return []
    starts = [period_start(last, period)]
    begin = period_start(first, period)
    while starts[-1] > begin and len(starts) < MAX_PERIODS:
        starts.append(period_start(starts[-1] - dt.timedelta(days=1), period))
    return starts[::-1]


def trend(counts: list[int], last_share: float = 1.0) -> str:
    """``up``, ``down`` or ``steady`` (see the module's docstring); ``last_share``: the
    share of the last period's days the last count covers."""
    if len(counts) < 2:
        return ""
    last, before = counts[-1], counts[-4:-1]
    mean = sum(before) / len(before) * min(max(last_share, 0.0), 1.0)
    band = 2.0 * math.sqrt(max(mean, 1.0))
    if last >= mean + band:
        return "up"
    if last <= mean - band:
        return "down"
    return "steady"


@dataclass(slots=True)
class Cell:
    events: int = 0
    fatalities: int = 0


@dataclass(slots=True)
class Row:
    area_id: int | None
    area: str
    threat_type: str
    cells: list[Cell]
    events: int = 0
    fatalities: int = 0
    trend: str = ""


@dataclass
class Matrix:
    level: str
    period: str
    periods: list[dt.date]
    rows: list[Row] = field(default_factory=list)
    column_events: list[int] = field(default_factory=list)
    column_fatalities: list[int] = field(default_factory=list)
    events: int = 0
    fatalities: int = 0
    # The first day asked for, when the periods before the first shown were left out
    # (at most MAX_PERIODS are shown); None when none were.
    left_out_from: dt.date | None = None

    @property
    def labels(self) -> list[str]:
        return [period_label(p, self.period) for p in self.periods]


def build(
    counts: Iterable[tuple[int | None, str, dt.date, int, int]],
    *,
    level: str,
    period: str,
    first: dt.date,
    last: dt.date,
    names: dict[int, str],
    unknown_area: str = "(no area)",
    counted_until: dt.date | None = None,
) -> Matrix:
    """Lay out ``(area_id, threat_type, day, events, fatalities)`` counts, where
    ``day`` is any day of the period (a week's Monday, a month's 1st).
    ``counted_until``: the last day the counts can cover (the last day asked for, or
    today); a last period it cuts short is weighed for its days (see Trend)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    periods = periods_between(first, last, period)
    column = {p: i for i, p in enumerate(periods)}
    matrix = Matrix(level, period, periods, [], [0] * len(periods), [0] * len(periods))
    rows: dict[tuple[int | None, str], Row] = {}
    for area_id, threat_type, day, events, fatalities in counts:
        i = column.get(period_start(day, period))
        if i is None:
            continue
        row = rows.get((area_id, threat_type))
        if row is None:
            area = names.get(area_id, unknown_area) if area_id is not None else unknown_area
            row = Row(area_id, area, threat_type, [Cell() for _ in periods])
            rows[(area_id, threat_type)] = row
        row.cells[i].events += events
        row.cells[i].fatalities += fatalities
        row.events += events
        row.fatalities += fatalities
        matrix.column_events[i] += events
        matrix.column_fatalities[i] += fatalities
        matrix.events += events
        matrix.fatalities += fatalities
    shown = shown_share(periods[-1], period, counted_until) if periods and counted_until else 1.0
    for row in rows.values():
        row.trend = trend([c.events for c in row.cells], shown)
    matrix.rows = sorted(
        rows.values(), key=lambda r: (r.area_id is None, r.area, -r.events, r.threat_type)
    )
    return matrix
