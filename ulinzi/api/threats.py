from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from ulinzi.alerts.models import THREAT_TYPES
from ulinzi.api.places import ERRORS, NO_NUL, Message, NoNul
from ulinzi.threats import queries
from ulinzi.threats.matrix import MAX_PERIODS, period_end

router = Router(tags=["threats"])
ThreatType = Literal[tuple(t for t, _ in THREAT_TYPES)]  # type: ignore[valid-type]
READ_ERRORS = {**ERRORS, 403: Message}


def _need(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise HttpError(403, "Your role may not do this.")


class EventFilters(Schema):
    """Filters of events. A date_to before date_from matches nothing."""

    date_from: dt.date | None = Field(None, description="first day (kept within 1900-2100)")
    date_to: dt.date | None = Field(None, description="last day (kept within 1900-2100)")
    source: NoNul | None = Field(None, max_length=40, json_schema_extra=NO_NUL)
    threat_type: ThreatType | None = None  # type: ignore[valid-type]
    base: NoNul | None = Field(None, max_length=40, json_schema_extra=NO_NUL)


class MatrixFilters(EventFilters):
    level: Literal["province", "territory", "community"] = "territory"
    period: Literal["week", "month", "quarter"] = "month"


EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def _within(day: dt.date | None) -> dt.date | None:
    """No event is dated outside 1900-2100: a date beyond is the same as its bound."""
    return None if day is None else min(max(day, EARLIEST), LATEST)


def _filters(
    data: EventFilters, level: str = "territory", period: str = "month"
) -> queries.Filters:
    return queries.Filters(
        level=level,
        period=period,
        date_from=_within(data.date_from),
        date_to=_within(data.date_to),
        source=data.source or "",
        threat_type=data.threat_type or "",
        base=data.base or "",
    )


class PeriodOut(Schema):
    label: str
    start: dt.date
    end: dt.date


class RowOut(Schema):
    area_id: int | None
    area: str
    threat_type: str
    events: int
    fatalities: int
    trend: str = Field(description="up, down, steady, or empty with fewer than two periods")
    period_events: list[int] = Field(description="events in each period, in the order of periods")
    period_fatalities: list[int] = Field(description="people killed in each period")


class MatrixOut(Schema):
    level: str
    period: str
    date_from: dt.date
    date_to: dt.date
    periods: list[PeriodOut]
    events: int
    fatalities: int
    rows: list[RowOut]
    left_out_from: dt.date | None = Field(
        description=(
            f"At most {MAX_PERIODS} periods are given, the latest: when older ones were left "
            "out, the first day asked for (ask by a longer period, or from a later day, for "
            "them)"
        )
    )
    not_counted: dict[str, int] = Field(
        description=(
            "Events of these dates left out, by date precision, their date being too "
            "coarse for the period (by week: those known only to the month or the year)"
        )
    )


@router.get(
    "/threats/matrix",
    response={200: MatrixOut, **READ_ERRORS},
    summary="Events by threat type x place x period",
)
def matrix(request: HttpRequest, filters: Query[MatrixFilters]) -> dict[str, Any]:
    _need(request, "analysis.view")
    chosen = _filters(filters, filters.level, filters.period)
    built, first, last = queries.build_matrix(request.user, chosen)
    return {
        "not_counted": queries.not_counted(request.user, chosen, first, last),
        "left_out_from": built.left_out_from,
        "level": built.level,
        "period": built.period,
        "date_from": first,
        "date_to": last,
        "periods": [
            {"label": label, "start": start, "end": period_end(start, built.period)}
            for label, start in zip(built.labels, built.periods, strict=True)
        ],
        "events": built.events,
        "fatalities": built.fatalities,
        "rows": [
            {
                "area_id": row.area_id,
                "area": row.area,
                "threat_type": row.threat_type,
                "events": row.events,
                "fatalities": row.fatalities,
                "trend": row.trend,
                "period_events": [c.events for c in row.cells],
                "period_fatalities": [c.fatalities for c in row.cells],
            }
            for row in built.rows
        ],
    }


class EventOut(Schema):
    id: int
    source: str
    source_id: str
    date_start: dt.date
    date_end: dt.date
    date_precision: str
    lat: float
    lon: float
    threat_type: str
    source_type: str
    fatalities: int
    place_name: str
    place_id: int | None
    province_id: int | None
    territory_id: int | None
    community_id: int | None
    grid_cell: int


class EventPageFilters(EventFilters):
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(200, ge=1, le=1000)


class EventPage(Schema):
    count: int
    offset: int
    events: list[EventOut]


@router.get("/events", response={200: EventPage, **READ_ERRORS}, summary="Events in your area")
def list_events(request: HttpRequest, filters: Query[EventPageFilters]) -> dict[str, Any]:
    _need(request, "analysis.view")
    events = (
        _filters(filters).apply(queries.events_for(request.user)).order_by("-date_start", "-id")
    )
    start, end = filters.offset, filters.offset + filters.limit
    return {
        "count": events.count(),
        "offset": filters.offset,
        "events": list(events[start:end].values(*EventOut.model_fields)),
    }


class HotspotOut(Schema):
    id: int
    name: str
    lat: float
    lon: float
    radius_km: float
    start: dt.date
    end: dt.date
    observed: int
    expected: float
    llr: float
    p_value: float
    recurrence_days: float
    note: str
    event_ids: list[int]


@router.get(
    "/threats/hotspots", response={200: list[HotspotOut], **READ_ERRORS}, summary="Saved hotspots"
)
def hotspots(request: HttpRequest) -> list[dict[str, Any]]:
    _need(request, "analysis.view")
    visible = queries.events_for(request.user)
    out = []
    for h in queries.hotspots_for(request.user)[:500]:
        row = {f: getattr(h, f) for f in HotspotOut.model_fields if f != "event_ids"}
        members = list(h.events.filter(pk__in=visible.values("pk")).values_list("pk", flat=True))
        out.append({**row, "event_ids": members})
    return out
