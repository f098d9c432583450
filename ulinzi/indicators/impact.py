"""An initiative's effect on an indicator: the community-month panel and the
difference-in-differences estimate against comparison communities.

Indicators that can be counted per community and month (alerts, events, patrol
requests met, commitments) get a panel: the indicator's numerator per community and
month, per 10,000 people when the community's population is known (so large and small
communities weigh alike), else as a count. Survey indicators have too few rounds for a
panel: the page shows their before/after figures only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q

from ulinzi.alerts.models import Alert
from ulinzi.indicators.engine import NOT_GENUINE, month_label
from ulinzi.places.models import Community, Place

PANEL_MEASURES = ("alerts.genuine", "events.count")
MONTHS_BEFORE = 12
MONTHS_AFTER = 12


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _places(community: Community) -> Q:
    q = Q(place_id=community.place_id)
    for field in Place.ANCESTOR_FIELDS:
        q |= Q(**{f"place__{field}_id": community.place_id})
    return q


def panel(
    measure: str, communities: list[Community], started: dt.date
) -> tuple[list[str], list[int], list[float], dict[str, list[float]]]:
    """(unit, period, value) rows for every community and month from ``MONTHS_BEFORE``
    months before the start to ``MONTHS_AFTER`` after (or to last month), and the
    pre-start series of each community (for suggesting comparisons)."""
    from ulinzi.threats.models import Event

    start = month_index(started)
    last = min(start + MONTHS_AFTER - 1, month_index(dt.date.today()) - 1)
    first = start - MONTHS_BEFORE
    since = dt.date(first // 12, first % 12 + 1, 1)
    counts: dict[tuple[int, int], float] = defaultdict(float)
    for community in communities:
        if measure == "alerts.genuine":
            days = (
                Alert.objects.filter(_places(community), merged_into__isnull=True)
                .exclude(outcome__in=NOT_GENUINE)
                .filter(received_at__date__gte=since)
                .values_list("received_at", flat=True)
            )
            months = [month_index(d.date()) for d in days]
        elif measure == "events.count":
            months = [
                month_index(d)
                for d in Event.objects.filter(
                    community=community, date_start__gte=since
                ).values_list("date_start", flat=True)
            ]
        else:
            raise ValueError(f"{measure} cannot be counted per community and month")
        for m in months:
            counts[(community.pk, m)] += 1
    units, periods, values = [], [], []
    series: dict[str, list[float]] = {}
    for community in communities:
        per = 10_000 / community.population if community.population else 1.0
        row = []
        for m in range(first, last + 1):
            value = counts[(community.pk, m)] * per
            units.append(str(community.pk))
            periods.append(m)
            values.append(value)
            if m < start:
                row.append(value)
        series[str(community.pk)] = row
    return units, periods, values, series


def period_labels(first: int, last: int) -> list[str]:
    return [month_label(dt.date(m // 12, m % 12 + 1, 1)) for m in range(first, last + 1)]
