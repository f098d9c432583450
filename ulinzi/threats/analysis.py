"""Run the scan statistic on what Ulinzi knows: events, alerts, or a file.

The pure scan (``threats.scan``) takes arrays; this module gathers the points
(events of the database, alerts of the network, or rows of an event file), turns
dates into day numbers, and turns the clusters back into dates, places and members.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from ulinzi.alerts.models import Alert
from ulinzi.threats.models import Event
from ulinzi.threats.scan import ScanResult, ScanSettings, scan
from ulinzi.threats.sources import dated_to

EPOCH = dt.date(1970, 1, 1)
USES = ("both", "events", "alerts")
# Alerts that did not happen as reported never count.
NOT_INCIDENTS = (Alert.Outcome.FALSE_ALARM, Alert.Outcome.DUPLICATE)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def from_day_number(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


@dataclass(frozen=True)
class Point:
    ref: str  # "event:<id>", "alert:<id>", or the file's key
    lat: float
    lon: float
    day: dt.date
    label: str


#: The scan counts events by day: an event dated only to its month or year would sit on a
#: made-up first day (every event of 2025 on 1 January), a cluster of nothing.
SCAN_PRECISIONS = dated_to("week")


@dataclass(frozen=True)
class FilePoints:
    points: list[Point]
    errors: list[Any]  # sources.RowError: rows not read, with their line numbers
    coarse: int  # events left out: dated only to the month, the year or longer


def points_from_database(
    use: str, events: QuerySet[Event], alerts: QuerySet[Alert], threat_type: str = ""
) -> list[Point]:
    """Events, alerts, or both. Events made from closed alerts are left out of the
    events when the alerts are scanned too, so that no incident counts twice, and so are
    events not dated to the day or week (:data:`SCAN_PRECISIONS`)."""
    if use not in USES:
        raise ValueError(f"use must be one of {', '.join(USES)}, not {use!r}")
    points: list[Point] = []
    if threat_type:
        events = events.filter(threat_type=threat_type)
        alerts = alerts.filter(threat_type=threat_type)
    if use in ("events", "both"):
        events = events.filter(date_precision__in=SCAN_PRECISIONS)
        if use == "both":
            events = events.filter(alert__isnull=True)
        for pk, lat, lon, day, place, kind in events.values_list(
            "pk", "lat", "lon", "date_start", "place_name", "threat_type"
        ):
            points.append(Point(f"event:{pk}", lat, lon, day, place or kind))
    if use in ("alerts", "both"):
        rows = (
            alerts.filter(lat__isnull=False, lon__isnull=False, merged_into__isnull=True)
            .exclude(outcome__in=NOT_INCIDENTS)
            .values_list("pk", "lat", "lon", "received_at", "summary")
        )
        for pk, lat, lon, at, summary in rows:
            points.append(Point(f"alert:{pk}", lat, lon, timezone.localdate(at), summary[:80]))
    return points


def points_from_file(path: Path, fmt: str, threat_type: str = "") -> FilePoints:
    """The rows of an event file dated to the day or week (of ``threat_type`` when
    given), the rows that could not be read, and how many were dated too coarsely to
    scan (the caller reports both)."""
    from ulinzi.threats.sources import read_events

    rows, errors = read_events(path, fmt)
    if threat_type:
        rows = [r for r in rows if r.threat_type == threat_type]
    kept = [r for r in rows if r.date_precision in SCAN_PRECISIONS]
    return FilePoints(
        [Point(r.key, r.lat, r.lon, r.date_start, r.place_name) for r in kept],
        list(errors),
        len(rows) - len(kept),
    )


def run_scan(
    points: list[Point],
    *,
    date_to: dt.date | None,
    date_from: dt.date | None,
    settings: ScanSettings,
) -> tuple[ScanResult, list[dict[str, Any]]]:
    """Scan the points; each cluster comes back as a plain dict with dates and members."""
    if date_to is None:
        date_to = max((p.day for p in points), default=timezone.localdate())
    lat = np.array([p.lat for p in points], dtype=float)
    lon = np.array([p.lon for p in points], dtype=float)
    day = np.array([day_number(p.day) for p in points], dtype=np.int64)
    result = scan(
        lat,
        lon,
        day,
        end_day=day_number(date_to),
        start_day=day_number(date_from) if date_from else None,
        settings=settings,
    )
    clusters = []
    for rank, c in enumerate(result.clusters):
        members = [points[i] for i in c.members]
        clusters.append(
            {
                "rank": rank,
                "lat": round(c.lat, 5),
                "lon": round(c.lon, 5),
                "radius_km": round(c.radius_km, 3),
                "start": from_day_number(c.start_day),
                "end": from_day_number(c.end_day),
                "days": c.days,
                "observed": c.observed,
                "expected": round(c.expected, 4),
                "ratio": round(c.ratio, 3) if np.isfinite(c.ratio) else None,
                "llr": round(c.llr, 6),
                "p_value": c.p_value,
                "recurrence_days": round(c.recurrence_days, 1),
                "members": [m.ref for m in members],
                "member_points": members,
            }
        )
    return result, clusters


def jsonable(cluster: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in cluster.items() if k != "member_points"}
    out["start"] = cluster["start"].isoformat()
    out["end"] = cluster["end"].isoformat()
    # No p-value without replicates, no recurrence without a p-value: null, not NaN.
    return finite(out)  # type: ignore[no-any-return]


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities as null, in dicts and lists too: JSON has no NaN
    (a metric with nothing to measure, a p-value without replicates)."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    return value
