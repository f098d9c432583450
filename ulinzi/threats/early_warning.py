"""The early-warning forecast on the database's events, per territory or grid cell.

Builds the monthly panel that ``threats.forecast`` (pure) fits and explains: the
units are the gazetteer's territories (neighbours: territories whose boundaries
touch) or the 0.5-degree cells that had an event and the cells around them; the
counts are the events' fatalities (events made from verified alerts included).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from ulinzi.lib.wording import Translated
from ulinzi.places.models import Place
from ulinzi.places.queries import gazetteer_version
from ulinzi.threats import forecast as fc
from ulinzi.threats.models import Event
from ulinzi.threats.sources import dated_to

UNITS = ("territory", "grid")
HISTORY_MONTHS = 120  # the panel reaches back at most ten years before its last month
_lock = threading.Lock()
_neighbours: dict[str, Any] = {"version": None, "map": {}}


def territory_neighbours() -> dict[str, list[str]]:
    """Territories whose boundaries touch (or come within about 100 m), by id."""
    version = gazetteer_version()
    with _lock:
        if _neighbours["version"] == version:
            return dict(_neighbours["map"])
    import shapely
    from shapely import STRtree

    rows = list(
        Place.objects.filter(kind="territory", geometry__isnull=False).values_list("pk", "geometry")
    )
    shapes = [shapely.from_geojson(json.dumps(g)).buffer(0.001) for _, g in rows]
    tree = STRtree(shapes)
    found: dict[str, list[str]] = {str(pk): [] for pk, _ in rows}
    for i, shape in enumerate(shapes):
        for j in tree.query(shape, predicate="intersects"):
            if int(j) != i:
                found[str(rows[i][0])].append(str(rows[int(j)][0]))
    with _lock:
        _neighbours.update(version=version, map=found)
    return found


@dataclass(frozen=True)
class UnitPanel:
    unit: str
    panel: fc.Panel
    names: dict[str, str]


#: The forecast counts events by month: one dated only to its year would be counted in
#: January (every event of 2025 in 2025-01).
MONTH_PRECISIONS = dated_to("month")


def _dated_to_the_month(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.filter(date_precision__in=MONTH_PRECISIONS)


def latest_origin(events: QuerySet[Event], today: dt.date | None = None) -> int | None:
    """The last complete month with data: last month, or the month of the latest event
    when the data stop earlier (a historical file)."""
    events = _dated_to_the_month(events)
    latest = events.order_by("-date_start").values_list("date_start", flat=True).first()
    if latest is None:
        return None
    today = today or timezone.localdate()
    return min(fc.month_index(latest), fc.month_index(today) - 1)


def build_panel(unit: str, events: QuerySet[Event], last_month: int) -> UnitPanel:
    """The monthly panel of ``unit`` from the first month with an event (at most
    ``HISTORY_MONTHS`` back) to ``last_month``, of the events dated to the month at least
    (:data:`MONTH_PRECISIONS`)."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    events = _dated_to_the_month(events)  # see MONTH_PRECISIONS
    first_day = events.order_by("date_start").values_list("date_start", flat=True).first()
    first = max(
        fc.month_index(first_day) if first_day else last_month, last_month - HISTORY_MONTHS + 1
    )
    months = range(first, last_month + 1)
    start = dt.date(first // 12, first % 12 + 1, 1)
    window = events.filter(date_start__gte=start)
    if unit == "territory":
        names = {
            str(pk): name
            for pk, name in Place.objects.filter(kind="territory").values_list("pk", "name")
        }
        records = [
            (str(t), day, dead)
            for t, day, dead in window.filter(territory__isnull=False).values_list(
                "territory_id", "date_start", "fatalities"
            )
        ]
        neighbours = territory_neighbours()
        units = sorted(names, key=int)
        neighbours = {
            u: [v for v in vs if v in names] for u, vs in neighbours.items() if u in names
        }
    else:
        records = [
            (str(g), day, dead)
            for g, day, dead in window.values_list("grid_cell", "date_start", "fatalities")
        ]
        seen = {r[0] for r in records}
        ring = set(seen)
        for cell in seen:
            row, col = divmod(int(cell) - 1, 720)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    if 0 <= row + dr < 360:
                        ring.add(str((row + dr) * 720 + (col + dc) % 720 + 1))
        units = sorted(ring, key=int)
        names = {u: _cell_name(u) for u in units}
        adjacency = fc.grid_neighbours(units)
        neighbours = {u: [units[j] for j in adjacency[i]] for i, u in enumerate(units)}
    if not units:
        raise ValueError("no area to forecast: the gazetteer has no territory")
    panel = fc.panel_from_events(
        [(u, d, f) for u, d, f in records if u in names], units, months, neighbours
    )
    return UnitPanel(unit, panel, names)


def _cell_name(cell: str) -> str:
    lat, lon = fc.cell_centre(cell)
    return f"{abs(lat):.2f}°{'N' if lat >= 0 else 'S'} {abs(lon):.2f}°{'E' if lon >= 0 else 'W'}"


def forecast_rows(
    unit: str, events: QuerySet[Event], *, horizon: int = 1, origin: int | None = None
) -> list[dict[str, Any]]:
    """One forecast per area for month ``origin + horizon``, riskiest first (by the
    ranking score the backtest's top 5% use, then by probability)."""
    origin = origin if origin is not None else latest_origin(events)
    if origin is None:
        return []
    built = build_panel(unit, events, origin)
    model = fc.fit(built.panel, origin, horizon)
    rows = []
    for f in fc.predict(model, built.panel, origin):
        rows.append(
            {
                "unit": unit,
                "id": f.unit,
                "name": built.names.get(f.unit, f.unit),
                "origin": fc.month_label(f.origin),
                "month": fc.month_label(f.target),
                "expected_fatalities": round(f.expected_fatalities, 3),
                "expected_fatal_events": round(f.expected_events, 3),
                "probability": round(f.probability, 4),
                # The benchmarked top-5% ranking: expected fatal events from persistence.
                "rank_score": round(f.rank_score, 4),
                "drivers": [
                    {
                        "name": d.name,
                        "label": d.label,
                        "values": list(d.values),
                        "contribution": round(d.contribution, 4),
                    }
                    for d in f.drivers[:3]
                ],
                "explanation": f.explanation(3),
            }
        )
    rows.sort(key=lambda r: (-r["rank_score"], -r["probability"], r["name"]))
    return rows


def reasons(row: dict[str, Any]) -> list[str]:
    """A forecast row's main drivers in the user's language, as the watch list shows them
    (the row's ``explanation`` is the same in English, for the command line)."""
    words = Translated()
    return [
        fc.driver_text(d["name"], d["values"], d["contribution"], words) for d in row["drivers"]
    ]


def run_backtest(
    unit: str, events: QuerySet[Event], date_from: dt.date, date_to: dt.date, horizon: int = 1
) -> dict[str, Any]:
    """Rolling-origin backtest of target months ``date_from .. date_to`` against the
    three baselines, in the shape ``ulinzi backtest`` prints."""
    first, last = fc.month_index(date_from), fc.month_index(date_to)
    if first > last:
        raise ValueError("the first month is after the last")
    built = build_panel(unit, events, last)
    if first - horizon < built.panel.first_month:
        raise ValueError(
            f"no data before {fc.month_label(built.panel.first_month)}: start the backtest later"
        )
    result = fc.backtest(built.panel, first, last, horizon)
    return {
        "unit": unit,
        "from": fc.month_label(first),
        "to": fc.month_label(last),
        "horizon": horizon,
        "areas": len(built.panel.units),
        "methods": result["methods"],
    }


def cached_forecast(unit: str = "territory") -> list[dict[str, Any]]:
    """The latest forecast of every area, computed once per state of the events and the
    gazetteer (the watch list and the patrol planner share it). Empty without events."""
    from django.core.cache import cache
    from django.db.models import Count, Max

    events = Event.objects.all()
    stamp = events.aggregate(n=Count("id"), last=Max("id"), day=Max("date_start"))
    if not stamp["n"]:
        return []
    key = f"forecast:2:{unit}:{stamp['n']}:{stamp['last']}:{stamp['day']}:{gazetteer_version()}"
    rows = cache.get(key)
    if rows is None:
        rows = forecast_rows(unit, events)
        cache.set(key, rows, 3600)
    return list(rows)
