"""An initiative's effect on an indicator: the observations of the covered and the
comparison communities, before and after the start, for the difference-in-differences
estimate (``ulinzi.indicators.did``).

What one observation is depends on the indicator:

* **Counts per person** (``alerts.genuine``, ``events.count``): one per community and
  month, the count per 10,000 people when every community's population is known (so large
  and small communities weigh alike), else the plain count for every community, said so
  (a rate for some and a count for others would mix two units).
* **Shares of records** (alerts addressed or with feedback among those closed, patrol
  requests met among those closed, commitments kept on time among those due): one per
  record of the denominator, 1 when it is also in the numerator, else 0, times the
  indicator's factor (so a share in percent gives an effect in percentage points), in the
  month the record counts in (received, closed, due). The pooled estimate is then the
  difference in differences of the four groups' shares, each record weighing alike.
* **Minutes to dispatch**: one per dispatched alert, its minutes; the estimate is on the
  *mean* minutes (the dashboard shows the median, which has no such estimator).
* **Survey shares** (``survey.share``): one per respondent who answered the question,
  1 when the answer is among the indicator's values, with the respondent's survey weight,
  in the month the round ended. Rounds are rare, so the window is wider
  (``SURVEY_MONTHS`` on each side of the start).

In every case the errors are clustered by community: the records and respondents of
one community are not independent draws.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from ulinzi.alerts.models import Alert
from ulinzi.indicators.engine import ALERT_FILTERS, NOT_GENUINE, month_label
from ulinzi.indicators.models import Indicator
from ulinzi.places.models import Community, Place

COUNT_MEASURES = ("alerts.genuine", "events.count")
MONTHS_BEFORE = 12
MONTHS_AFTER = 12
SURVEY_MONTHS = 36

# Numerator over denominator pairs whose numerator is a subset of the denominator's records.
SHARES = {
    ("alerts.addressed", "alerts.closed"),
    ("alerts.feedback", "alerts.closed"),
    ("alerts.closed", "alerts.genuine"),
    ("alerts.addressed", "alerts.genuine"),
    ("alerts.feedback", "alerts.genuine"),
    ("patrols.requests_met", "patrols.requests_closed"),
    ("commitments.kept_on_time", "commitments.due"),
}


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _local_month(moment: dt.datetime) -> int:
    return month_index(timezone.localtime(moment).date())


def _first_day(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class Observations:
    """Parallel lists, one entry per observation; ``weights`` None when all weigh alike.
    ``level_unit`` is what a mean of the values is in (the before and after figures),
    when it is worth saying."""

    units: list[str]
    periods: list[int]
    values: list[float]
    weights: list[float] | None
    effect_unit: str
    note: str = ""
    level_unit: str = ""

    def only(self, units: Iterable[str]) -> Observations:
        """The observations of some units, in the same order."""
        wanted = set(units)
        keep = [i for i, unit in enumerate(self.units) if unit in wanted]
        return Observations(
            [self.units[i] for i in keep],
            [self.periods[i] for i in keep],
            [self.values[i] for i in keep],
            None if self.weights is None else [self.weights[i] for i in keep],
            self.effect_unit,
            self.note,
            self.level_unit,
        )

    def pre_start_series(self, start: int) -> dict[str, list[float]]:
        """Each unit's mean per period before the start (every unit over the same
        periods, NaN where it has none): what ``did.suggest_controls`` compares."""
        periods = sorted({p for p in self.periods if p < start})
        sums: dict[tuple[str, int], float] = defaultdict(float)
        totals: dict[tuple[str, int], float] = defaultdict(float)
        weights = self.weights or [1.0] * len(self.values)
        for unit, period, value, weight in zip(
            self.units, self.periods, self.values, weights, strict=True
        ):
            if period < start:
                sums[(unit, period)] += value * weight
                totals[(unit, period)] += weight
        return {
            unit: [
                sums[(unit, p)] / totals[(unit, p)] if totals[(unit, p)] else math.nan
                for p in periods
            ]
            for unit in dict.fromkeys(self.units)
        }


def supported(indicator: Indicator) -> bool:
    """Whether the impact page can estimate a difference in differences for it."""
    measure = indicator.numerator
    return (
        measure in COUNT_MEASURES
        or measure in ("alerts.minutes_to_dispatch", "survey.share")
        or (measure, indicator.denominator) in SHARES
    )


def observations(
    indicator: Indicator, communities: Iterable[Community], started: dt.date
) -> Observations:
    """The indicator's observations for ``communities`` around ``started`` (module docstring)."""
    communities = list(communities)
    measure, denominator = indicator.numerator, indicator.denominator
    start = month_index(started)
    if measure in COUNT_MEASURES:
        return _counts(measure, communities, start)
    if measure == "survey.share":
        return _survey(indicator, communities, start)
    first = start - MONTHS_BEFORE
    last = min(start + MONTHS_AFTER - 1, month_index(timezone.localdate()) - 1)
    if measure == "alerts.minutes_to_dispatch":
        rows = _alert_rows(communities, first, last)
        return Observations(
            *_columns(
                (unit, month, (a["dispatched_at"] - a["received_at"]).total_seconds() / 60)
                for unit, month, a in rows
                if a["dispatched_at"] is not None
            ),
            weights=None,
            effect_unit=_("minutes"),
            note=_(
                "The estimate is on the mean minutes of the alerts dispatched; the dashboard "
                "shows the median."
            ),
        )
    if (measure, denominator) not in SHARES:
        raise ValueError(f"no difference in differences for {measure} over {denominator}")
    factor = indicator.factor
    if measure.startswith("alerts."):
        records = (
            (unit, month, factor * float(a["hit"]))
            for unit, month, a in _alert_rows(
                communities, first, last, ALERT_FILTERS[denominator], ALERT_FILTERS[measure]
            )
        )
    elif measure.startswith("patrols."):
        records = _patrol_requests(communities, first, last, factor)
    else:
        records = _commitments(communities, first, last, factor)
    unit = (
        _("percentage points")
        if factor == 100
        else _("(share × %(factor)s)") % {"factor": f"{factor:g}"}
    )
    return Observations(*_columns(records), weights=None, effect_unit=unit)


def _columns(rows: Iterable[tuple[str, int, float]]) -> tuple[list[str], list[int], list[float]]:
    units: list[str] = []
    periods: list[int] = []
    values: list[float] = []
    for unit, period, value in rows:
        units.append(unit)
        periods.append(period)
        values.append(value)
    return units, periods, values


def _places(community: Community) -> Q:
    q = Q(place_id=community.place_id)
    for field in Place.ANCESTOR_FIELDS:
        q |= Q(**{f"place__{field}_id": community.place_id})
    return q


def _window(first: int, last: int, moment_field: str) -> Q:
    since = timezone.make_aware(dt.datetime.combine(_first_day(first), dt.time()))
    until = timezone.make_aware(dt.datetime.combine(_first_day(last + 1), dt.time()))
    return Q(**{f"{moment_field}__gte": since, f"{moment_field}__lt": until})


def _alert_rows(
    communities: list[Community],
    first: int,
    last: int,
    keep: Q | None = None,
    hit: Q | None = None,
) -> list[tuple[str, int, dict[str, Any]]]:
    """Every genuine alert at each community's place (or below it) in the window that
    ``keep`` selects; with ``hit``, each row says whether the alert also matches it."""
    fields = ["received_at", "dispatched_at"]
    out = []
    for community in communities:
        alerts = (
            Alert.objects.filter(_places(community), _window(first, last, "received_at"))
            .filter(merged_into__isnull=True)
            .exclude(outcome__in=NOT_GENUINE)
        )
        if keep:
            alerts = alerts.filter(keep)
        if hit is not None:
            alerts = alerts.annotate(
                hit=Case(
                    When(hit, then=Value(True)), default=Value(False), output_field=BooleanField()
                )
            )
        rows = alerts.values(*fields, *(["hit"] if hit is not None else []))
        out.extend((str(community.pk), _local_month(a["received_at"]), a) for a in rows)
    return out


def _patrol_requests(
    communities: list[Community], first: int, last: int, factor: float
) -> Iterable[tuple[str, int, float]]:
    from ulinzi.patrols.models import PatrolRequest

    met = ("done", "partly_done")  # as the dashboard's patrols.requests_met
    rows = PatrolRequest.objects.filter(
        _window(first, last, "closed_at"), community__in=communities
    ).values_list("community_id", "closed_at", "outcome")
    for community_id, closed_at, outcome in rows:
        yield str(community_id), _local_month(closed_at), factor * float(outcome in met)


def _commitments(
    communities: list[Community], first: int, last: int, factor: float
) -> Iterable[tuple[str, int, float]]:
    from ulinzi.engagement.models import Commitment

    today = timezone.localdate()
    rows = Commitment.objects.filter(
        community__in=communities,
        due__gte=_first_day(first),
        due__lt=min(_first_day(last + 1), today),
    ).values_list("community_id", "due", "status", "closed_at")
    for community_id, due, status, closed_at in rows:
        kept = (
            status == Commitment.Status.KEPT
            and closed_at is not None
            and timezone.localtime(closed_at).date() <= due
        )
        yield str(community_id), month_index(due), factor * float(kept)


def _counts(measure: str, communities: list[Community], start: int) -> Observations:
    """One observation per community and month: the count per 10,000 people when every
    community's population is known, else the count itself, with a note saying so."""
    from ulinzi.threats.models import Event

    first = start - MONTHS_BEFORE
    last = min(start + MONTHS_AFTER - 1, month_index(timezone.localdate()) - 1)
    counts: dict[tuple[str, int], float] = defaultdict(float)
    if measure == "alerts.genuine":
        for unit, month, _a in _alert_rows(communities, first, last):
            counts[(unit, month)] += 1
    else:
        for community in communities:
            days = Event.objects.filter(
                community=community,
                date_start__gte=_first_day(first),
                date_start__lt=_first_day(last + 1),
            ).values_list("date_start", flat=True)
            for day in days:
                counts[(str(community.pk), month_index(day))] += 1
    unknown = [c.name for c in communities if not c.population]
    rows = []
    for community in communities:
        per = 10_000 / community.population if not unknown else 1.0
        unit = str(community.pk)
        rows.extend((unit, m, counts[(unit, m)] * per) for m in range(first, last + 1))
    if not unknown:
        rate = _("per 10,000 people a month")
        return Observations(*_columns(rows), weights=None, effect_unit=rate, level_unit=rate)
    if measure == "events.count":
        counted = _("events per community a month")
    else:
        counted = _("alerts per community a month")
    note = _(
        "No population is recorded for %(names)s: the figures are counts (%(unit)s), "
        "not rates per 10,000 people."
    ) % {"names": ", ".join(sorted(unknown)), "unit": counted}
    return Observations(
        *_columns(rows), weights=None, effect_unit=counted, note=note, level_unit=counted
    )


def _survey(indicator: Indicator, communities: list[Community], start: int) -> Observations:
    """One observation per respondent who answered the indicator's question."""
    from ulinzi.indicators.engine import answer_in
    from ulinzi.surveys.models import Response

    question = indicator.params.get("question", "")
    wanted = set(indicator.params.get("values", []))
    rows = Response.objects.filter(
        community__in=communities,
        round__end__gte=_first_day(start - SURVEY_MONTHS),
        round__end__lt=_first_day(start + SURVEY_MONTHS),
    ).values_list("community_id", "round__end", "values", "weight")
    units, periods, values, weights = [], [], [], []
    for community_id, end, answers, weight in rows:
        answer = answers.get(question)
        if answer in (None, "", []):
            continue
        units.append(str(community_id))
        periods.append(month_index(end))
        values.append(indicator.factor * float(answer_in(answer, wanted)))
        weights.append(weight)
    unit = _("percentage points") if indicator.factor == 100 else ""
    return Observations(units, periods, values, weights, effect_unit=unit)


def period_labels(periods: Iterable[int]) -> list[str]:
    return [month_label(_first_day(m)) for m in periods]
