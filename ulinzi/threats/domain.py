"""Every change to events and hotspots.

Each function runs in one transaction and writes its audit entry in it. An import
writes one audit entry for the file (with its counts), not one per event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from ulinzi.alerts.models import Alert
from ulinzi.alerts.signals import alert_closed
from ulinzi.audit import domain as audit
from ulinzi.places.domain import ImportRefused
from ulinzi.threats.linking import Link, Linker, grid_cell
from ulinzi.threats.models import Event, Hotspot
from ulinzi.threats.sources import dated_to

if TYPE_CHECKING:
    from ulinzi.threats.sources import EventRow, RowError

# What an import compares to decide that a known event changed.
COMPARED_FIELDS = (
    "source",
    "source_id",
    "date_start",
    "date_end",
    "date_precision",
    "week",
    "month",
    "lat",
    "lon",
    "location_precision",
    "threat_type",
    "source_type",
    "fatalities",
    "place_name",
    "place_id",
    "place_km",
    "province_id",
    "territory_id",
    "community_id",
    "grid_cell",
    "admin1",
    "admin2",
    "actors",
    "notes",
)
BATCH = 1000
# Alerts closed with these outcomes did not happen as reported: they never become events.
NOT_EVENTS = {Alert.Outcome.FALSE_ALARM, Alert.Outcome.DUPLICATE}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_bad: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_bad": self.skipped_bad,
        }


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def periods_of(day: dt.date, precision: str) -> dict[str, dt.date | None]:
    """The week and month an event is counted in: those of its date when it is dated at
    least so finely, else None (see ``Event.week``)."""
    return {
        "week": week_of(day) if precision in dated_to("week") else None,
        "month": month_of(day) if precision in dated_to("month") else None,
    }


def _values(row: EventRow, link: Link) -> dict[str, Any]:
    return {
        "source": row.source[:40],
        "source_id": row.source_id[:80],
        "date_start": row.date_start,
        "date_end": row.date_end,
        "date_precision": row.date_precision,
        **periods_of(row.date_start, row.date_precision),
        "lat": row.lat,
        "lon": row.lon,
        "location_precision": row.location_precision,
        "threat_type": row.threat_type,
        "source_type": row.source_type[:120],
        "fatalities": row.fatalities,
        "place_name": row.place_name[:300],
        "place_id": link.place_id,
        "place_km": link.place_km,
        "province_id": link.province_id,
        "territory_id": link.territory_id,
        "community_id": link.community_id,
        "grid_cell": link.grid_cell,
        "admin1": row.admin1[:120],
        "admin2": row.admin2[:120],
        "actors": row.actors[:400],
        "notes": row.notes,
    }


def import_events(
    path: Path,
    fmt: str,
    *,
    source: str | None = None,
    actor: Any = None,
    skip_bad: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import an event file: create new events, update changed ones in place.

    With bad rows, refuses the whole file (``ImportRefused``, nothing written) unless
    ``skip_bad``. Re-importing the same file changes nothing (events are keyed on the
    source's event id). Each event is linked to the gazetteer as it is written.
    """
    from ulinzi.threats.sources import read_events

    rows, errors = read_events(path, fmt, source=source)
    if errors and not skip_bad:
        raise ImportRefused(errors)  # type: ignore[arg-type]
    result = ImportResult(skipped_bad=len(errors), errors=list(errors))
    linker = Linker.from_database()
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            _write(batch, linker, result)
            if progress:
                progress(len(batch))
        audit.record(
            actor,
            "threats.import_events",
            subject_type="threats.events",
            subject_label=f"{path.name} ({fmt})",
            after={**result.summary(), "source": source or fmt},
        )
    return result


def _write(rows: list[EventRow], linker: Linker, result: ImportResult) -> None:
    links = linker.link([(r.lat, r.lon) for r in rows])
    existing = {e.key: e for e in Event.objects.filter(key__in=[r.key for r in rows])}
    new: list[Event] = []
    changed: list[Event] = []
    for row, link in zip(rows, links, strict=True):
        values = _values(row, link)
        event = existing.get(row.key)
        if event is None:
            new.append(Event(key=row.key, **values))
        elif any(getattr(event, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(event, k, v)
            changed.append(event)
        else:
            result.unchanged += 1
    Event.objects.bulk_create(new, batch_size=500)
    if changed:
        Event.objects.bulk_update(changed, list(COMPARED_FIELDS), batch_size=500)
    result.created += len(new)
    result.updated += len(changed)


def relink_events(events: Iterable[Event] | None = None) -> int:
    """Link events again after the gazetteer or the communities changed."""
    linker = Linker.from_database()
    todo = list(events if events is not None else Event.objects.all())
    with transaction.atomic():
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            for event, link in zip(
                batch, linker.link([(e.lat, e.lon) for e in batch]), strict=True
            ):
                event.place_id, event.place_km = link.place_id, link.place_km
                event.province_id, event.territory_id = link.province_id, link.territory_id
                event.community_id, event.grid_cell = link.community_id, link.grid_cell
            Event.objects.bulk_update(
                batch,
                [
                    "place_id",
                    "place_km",
                    "province_id",
                    "territory_id",
                    "community_id",
                    "grid_cell",
                ],
                batch_size=500,
            )
        audit.record(
            None,
            "threats.relink_events",
            subject_type="threats.events",
            after={"events": len(todo)},
        )
    return len(todo)


@receiver(alert_closed)
def event_from_alert(sender: Any, alert: Alert, actor: Any = None, **kwargs: Any) -> Event | None:
    """A verified alert, closed as something that happened, becomes an event of the
    source ``ulinzi`` (in the transaction that closes it). Unverified alerts, false
    alarms, duplicates and alerts with no coordinates do not."""
    if (
        alert.verified_at is None
        or alert.outcome in NOT_EVENTS
        or alert.lat is None
        or alert.lon is None
    ):
        return None
    day = timezone.localdate(alert.received_at)  # the mission's day, not UTC's
    link = Linker.cached().link([(alert.lat, alert.lon)])[0]
    place = alert.place
    event, created = Event.objects.update_or_create(
        key=f"alert:{alert.pk}",
        defaults={
            "source": "ulinzi",
            "source_id": alert.reference,
            "date_start": day,
            "date_end": timezone.localdate(alert.closed_at or alert.received_at),
            "date_precision": Event.DatePrecision.DAY,
            **periods_of(day, Event.DatePrecision.DAY),
            "lat": alert.lat,
            "lon": alert.lon,
            "threat_type": alert.threat_type,
            "source_type": alert.get_threat_type_display(),
            "fatalities": alert.fatalities or 0,
            "place_name": place.name if place else "",
            "place_id": alert.place_id or link.place_id,
            "place_km": 0.0 if alert.place_id else link.place_km,
            "province_id": (place.province_id if place else None) or link.province_id,
            "territory_id": (place.territory_id if place else None) or link.territory_id,
            "community_id": link.community_id,
            "grid_cell": grid_cell(alert.lat, alert.lon),
            "notes": alert.summary,
            "alert": alert,
        },
    )
    audit.record(
        actor,
        "threats.event_from_alert",
        event,
        after={"alert": alert.reference, "created": created, "fatalities": event.fatalities},
    )
    return event


def save_hotspot(
    *,
    actor: Any,
    name: str,
    cluster: dict[str, Any],
    scan_settings: dict[str, Any],
    note: str = "",
) -> Hotspot:
    """Keep a cluster found by the scan, with its member events, as a hotspot, at the
    gazetteer place nearest its centre unless the cluster names one."""
    place_id = cluster.get("place_id") or (
        Linker.cached().link([(cluster["lat"], cluster["lon"])])[0].place_id
    )
    with transaction.atomic():
        hotspot = Hotspot.objects.create(
            name=name[:160],
            lat=cluster["lat"],
            lon=cluster["lon"],
            radius_km=cluster["radius_km"],
            start=cluster["start"],
            end=cluster["end"],
            observed=cluster["observed"],
            expected=cluster["expected"],
            llr=cluster["llr"],
            p_value=cluster["p_value"],
            recurrence_days=cluster["recurrence_days"],
            scan_settings=scan_settings,
            place_id=place_id,
            note=note,
            saved_by=actor,
        )
        hotspot.events.set(Event.objects.filter(pk__in=cluster.get("event_ids", [])))
        audit.record(
            actor,
            "threats.save_hotspot",
            hotspot,
            after={
                "centre": [hotspot.lat, hotspot.lon],
                "radius_km": hotspot.radius_km,
                "events": len(cluster.get("event_ids", [])),
                "p_value": hotspot.p_value,
            },
        )
    return hotspot
