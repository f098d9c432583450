"""Reads of events, always through the user's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from ulinzi.lib.text import record_id
from ulinzi.places.models import Base, Community, Place
from ulinzi.threats import matrix as mx
from ulinzi.threats.models import Event, Hotspot
from ulinzi.threats.sources import DATE_PRECISIONS, dated_to

LEVEL_FIELD = {"province": "province_id", "territory": "territory_id", "community": "community_id"}
DEFAULT_SPAN = {"week": 12, "month": 12, "quarter": 8}


def _area_q(area_ids: list[int]) -> Q:
    return (
        Q(province_id__in=area_ids)
        | Q(territory_id__in=area_ids)
        | Q(place_id__in=area_ids)
        | Q(place__health_zone_id__in=area_ids)
        | Q(place__health_area_id__in=area_ids)
    )


def events_for(user: Any) -> QuerySet[Event]:
    """The events a user may see: all for the whole mission, else those inside the
    user's areas (an event outside the gazetteer is seen only mission-wide)."""
    scope = user.scope()
    if scope.whole_mission:
        return Event.objects.all()
    return Event.objects.filter(_area_q(list(scope.area_ids)))


def hotspots_for(user: Any) -> QuerySet[Hotspot]:
    """The saved hotspots a user may see: all for the whole mission, else those with a
    member event in the user's areas, or (a cluster of alerts only) whose place is."""
    scope = user.scope()
    if scope.whole_mission:
        return Hotspot.objects.all()
    visible = events_for(user).values("pk")
    with_events = Hotspot.objects.filter(events__pk__in=visible).values("pk")
    alerts_only = (
        Hotspot.objects.filter(events__isnull=True).filter(scope.place_q("place__")).values("pk")
    )
    return Hotspot.objects.filter(Q(pk__in=with_events) | Q(pk__in=alerts_only))


def hotspot_named(user: Any, given: str) -> Hotspot | None:
    """The saved hotspot whose id a link gives (``?hotspot=12``), if the user may see it."""
    pk = record_id(given)
    return None if pk is None else hotspots_for(user).filter(pk=pk).first()


NO_AREA = 0  # ``area`` of the events linked to no area at the level chosen


@dataclass(frozen=True)
class Filters:
    level: str = "territory"
    period: str = "month"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    source: str = ""
    threat_type: str = ""
    base: str = ""
    area: int | None = None
    # "week" or "month": only the events dated at least so finely (a matrix cell's)
    dated_to: str = ""

    def apply(self, events: QuerySet[Event]) -> QuerySet[Event]:
        if self.dated_to:
            events = events.filter(date_precision__in=dated_to(self.dated_to))
        if self.date_from:
            events = events.filter(date_start__gte=self.date_from)
        if self.date_to:
            events = events.filter(date_start__lte=self.date_to)
        if self.source:
            events = events.filter(source=self.source)
        if self.threat_type:
            events = events.filter(threat_type=self.threat_type)
        if self.base:
            areas = list(Base.objects.filter(code=self.base).values_list("areas", flat=True))
            events = events.filter(_area_q([a for a in areas if a]))
        if self.area == NO_AREA:  # the matrix's "(no area)" row
            events = events.filter(**{f"{LEVEL_FIELD[self.level]}__isnull": True})
        elif self.area is not None:
            events = events.filter(**{LEVEL_FIELD[self.level]: self.area})
        return events

    def window(self, events: QuerySet[Event]) -> tuple[dt.date, dt.date]:
        """The date range shown: as asked, else the last periods up to the latest event."""
        last = self.date_to
        if last is None:
            latest = events.aggregate(latest=Max("date_start"))["latest"]
            last = latest or timezone.localdate()
        first = self.date_from
        if first is None:
            start = mx.period_start(last, self.period)
            for _ in range(DEFAULT_SPAN[self.period] - 1):
                start = mx.period_start(start - dt.timedelta(days=1), self.period)
            first = start
        return first, last


def area_names(level: str, ids: set[int]) -> dict[int, str]:
    if level == "community":
        return dict(Community.objects.filter(pk__in=ids).values_list("pk", "name"))
    return dict(Place.objects.filter(pk__in=ids).values_list("pk", "name"))


def counted_by(period: str) -> str:
    """The stored column a matrix by ``period`` counts on, which is also how finely an
    event must be dated to be counted: a quarter is made of months."""
    return "week" if period == "week" else "month"


def not_counted(user: Any, filters: Filters, first: dt.date, last: dt.date) -> dict[str, int]:
    """The events of the matrix's dates left out because they are dated too coarsely for
    its period (by week, those known only to the month or the year), by precision."""
    shown = replace(filters, date_from=filters.date_from or first, date_to=last, dated_to="")
    events = shown.apply(events_for(user))
    # Coarser than the month is coarser than the week too: said so, the database reads
    # only the small index of events without a week.
    rows = (
        events.filter(**{"week__isnull": True, f"{counted_by(filters.period)}__isnull": True})
        .values_list("date_precision")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(sorted(rows, key=lambda r: DATE_PRECISIONS.index(r[0])))


def build_matrix(user: Any, filters: Filters) -> tuple[mx.Matrix, dt.date, dt.date]:
    filters = replace(filters, dated_to="")  # the period says which events it counts
    first, last = filters.window(filters.apply(events_for(user)))
    start = mx.periods_between(first, last, filters.period)[0] if first <= last else first
    asked = first
    column = counted_by(filters.period)  # an event dated more coarsely has none
    area = LEVEL_FIELD[filters.level]
    # The window is given on the stored week or month column, not on the date: that lets
    # SQLite read the covering index of the level instead of every row of the date range
    # (about 7 times faster on 100,000 events). A start date inside a period still counts.
    events = replace(filters, date_from=None, date_to=None).apply(events_for(user))
    events = events.filter(**{f"{column}__gte": start}, date_start__lte=last)
    if filters.date_from and filters.date_from > start:
        events = events.filter(date_start__gte=filters.date_from)
    first = start
    counts = list(
        events.values_list(area, "threat_type", column)
        .annotate(n=Count("id"), dead=Sum("fatalities"))
        .order_by()
    )
    names = area_names(filters.level, {c[0] for c in counts if c[0] is not None})
    matrix = mx.build(
        ((a, t, d, n, dead or 0) for a, t, d, n, dead in counts),
        level=filters.level,
        period=filters.period,
        first=first,
        last=last,
        names=names,
        # Without a last day asked for, the matrix runs to its latest event: its last
        # period is cut short only if it is not over yet.
        # Days after today hold no events yet: a period is partial until today at most.
        counted_until=min(filters.date_to or timezone.localdate(), timezone.localdate()),
    )
    if mx.period_start(asked, filters.period) < start:
        matrix.left_out_from = asked
    # Said as counted: from the first day asked for when it falls inside the first period
    # (which otherwise starts the count), from the first period shown when the oldest
    # ones were left out (at most MAX_PERIODS are shown).
    if filters.date_from and filters.date_from > first:
        first = filters.date_from
    return matrix, first, last


def sources(user: Any) -> list[str]:
    return list(events_for(user).values_list("source", flat=True).distinct().order_by("source"))


def latest_day(user: Any) -> dt.date:
    """The day of the latest event the user can see (today when there is none)."""
    return events_for(user).aggregate(latest=Max("date_start"))["latest"] or timezone.localdate()
