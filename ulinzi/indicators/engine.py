"""The indicator engine: each indicator is a numerator over a denominator (or a median),
times a factor, per month, in the user's area.

Measures (the names an ``Indicator`` uses)
    ``alerts.genuine``        alerts received, false alarms, duplicates and merged ones left out
    ``alerts.addressed``      of those, closed as prevented, mitigated or too late
    ``alerts.closed``         closed (genuine)
    ``alerts.feedback``       closed with feedback sent to the reporters
    ``alerts.minutes_to_dispatch``  median minutes from the first report to the dispatch
    ``patrols.requests_closed``  patrol requests closed (done, partly done, not done)
    ``patrols.requests_met``  closed as done or partly done
    ``events.count``          events in the area
    ``population``            people in the communities of the area (constant)
    ``commitments.due``       commitments due that month that are closed or overdue
    ``commitments.kept_on_time``  kept, and closed by their date
    ``survey.share``          a survey answer's share (``params``: question, values), design-
                              based (weights, strata, clusters), per survey round

Alerts, patrol requests and commitments count in the month they were received, closed
or due; a survey round counts in the month it ended. Each value links back to the
records behind it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse

from ulinzi.alerts.models import Alert
from ulinzi.indicators.models import Indicator

ADDRESSED = ("prevented", "mitigated", "response_too_late")
NOT_GENUINE = ("false_alarm", "duplicate")
COUNTS = (
    "alerts.genuine",
    "alerts.addressed",
    "alerts.closed",
    "alerts.feedback",
    "patrols.requests_closed",
    "patrols.requests_met",
    "events.count",
    "population",
    "commitments.due",
    "commitments.kept_on_time",
)
STATISTICS = ("alerts.minutes_to_dispatch", "survey.share")
MEASURES = COUNTS + STATISTICS
ANY_MONTH = "*"


@dataclass
class Value:
    period: str  # YYYY-MM, or the survey round's name
    group: str  # "" for everyone, else the disaggregation's value
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    ci: tuple[float, float] | None = None
    n: int | None = None
    flagged: bool = False
    suppressed: bool = False
    link: str = ""


def month_label(day: dt.date | dt.datetime) -> str:
    return f"{day.year}-{day.month:02d}"


def scoped_alerts(user: Any) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(merged_into__isnull=True)
    scope = user.scope()
    if scope.whole_mission:
        return alerts
    visible = Alert.objects.filter(Q(base__users=user) | scope.place_q("place__")).values("pk")
    return alerts.filter(pk__in=visible)


def _by_month(queryset: QuerySet[Any], field: str) -> dict[str, float]:
    rows = (
        queryset.annotate(m=TruncMonth(field))
        .values("m")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("m", "n")
    )
    return {month_label(m): float(n) for m, n in rows if m is not None}


def count(measure: str, user: Any, since: dt.date) -> dict[str, float]:
    """A count measure per month (``population``: one number, under ``ANY_MONTH``)."""
    from ulinzi.engagement.models import Commitment
    from ulinzi.engagement.queries import communities_for
    from ulinzi.patrols.models import PatrolRequest
    from ulinzi.threats.queries import events_for

    if measure.startswith("alerts."):
        alerts = scoped_alerts(user).exclude(outcome__in=NOT_GENUINE)
        if measure == "alerts.genuine":
            return _by_month(alerts.filter(received_at__date__gte=since), "received_at")
        closed = alerts.filter(status=Alert.Status.CLOSED, received_at__date__gte=since)
        if measure == "alerts.addressed":
            closed = closed.filter(outcome__in=ADDRESSED)
        elif measure == "alerts.feedback":
            closed = closed.filter(feedback_sent_at__isnull=False)
        return _by_month(closed, "received_at")
    if measure.startswith("patrols."):
        scope = user.scope()
        requests = PatrolRequest.objects.filter(closed_at__isnull=False, closed_at__date__gte=since)
        if not scope.whole_mission:
            requests = requests.filter(scope.place_q("community__place__"))
        if measure == "patrols.requests_met":
            requests = requests.filter(outcome__in=["done", "partly_done"])
        return _by_month(requests, "closed_at")
    if measure == "events.count":
        return _by_month(events_for(user).filter(date_start__gte=since), "date_start")
    if measure == "population":
        total = communities_for(user).aggregate(p=Sum("population"))["p"] or 0
        return {ANY_MONTH: float(total)}
    if measure.startswith("commitments."):
        today = dt.date.today()
        due = Commitment.objects.filter(
            community__in=communities_for(user), due__gte=since, due__lt=today
        ).exclude(status=Commitment.Status.OPEN, due__gte=today)
        if measure == "commitments.kept_on_time":
            rows = due.filter(status=Commitment.Status.KEPT).values_list("due", "closed_at")
            out: dict[str, float] = defaultdict(float)
            for day, closed in rows:
                if closed is not None and closed.date() <= day:
                    out[month_label(day)] += 1
            return dict(out)
        return _by_month(due, "due")
    raise ValueError(f"unknown measure {measure!r}")


def minutes_to_dispatch(user: Any, since: dt.date) -> dict[str, float]:
    rows = (
        scoped_alerts(user)
        .exclude(outcome__in=NOT_GENUINE)
        .filter(received_at__date__gte=since, dispatched_at__isnull=False)
        .values_list("received_at", "dispatched_at")
    )
    minutes: dict[str, list[float]] = defaultdict(list)
    for received, dispatched in rows:
        minutes[month_label(received)].append((dispatched - received).total_seconds() / 60)
    return {m: statistics.median(v) for m, v in minutes.items()}


LINKS = {
    "alerts": "alerts:board",
    "patrols": "patrols:requests",
    "events": "threats:events",
    "commitments": "engagement:commitments",
    "survey": "surveys:index",
}


def _link(measure: str, month: str) -> str:
    name = LINKS.get(measure.split(".")[0], "")
    if not name:
        return ""
    url = reverse(name)
    if measure.startswith("alerts."):
        return f"{url}?status=closed"
    if measure.startswith("events.") and len(month) == 7:
        start = dt.date(int(month[:4]), int(month[5:]), 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return f"{url}?date_from={start}&date_to={end}"
    return url


def compute(indicator: Indicator, user: Any, months: list[str]) -> list[Value]:
    """The indicator for each month (or survey round) in the user's area."""
    since = dt.date(int(months[0][:4]), int(months[0][5:]), 1)
    if indicator.numerator == "survey.share":
        return survey_values(indicator, user)
    if indicator.numerator == "alerts.minutes_to_dispatch":
        medians = minutes_to_dispatch(user, since)
        return [
            Value(m, "", round(medians[m], 1) if m in medians else None, link=_link("alerts.", m))
            for m in months
        ]
    top = count(indicator.numerator, user, since)
    bottom = count(indicator.denominator, user, since) if indicator.denominator else None
    values = []
    for m in months:
        n = top.get(m, top.get(ANY_MONTH, 0.0))
        d = bottom.get(m, bottom.get(ANY_MONTH, 0.0)) if bottom is not None else 1.0
        value = n / d * indicator.factor if d else None
        values.append(
            Value(
                m,
                "",
                round(value, 2) if value is not None else None,
                n,
                d if bottom is not None else None,
                link=_link(indicator.numerator, m),
            )
        )
    return values


def survey_values(indicator: Indicator, user: Any) -> list[Value]:
    """A design-based share for every survey round with the question, overall and by the
    indicator's disaggregation; cells under 5 respondents are never shown."""
    from ulinzi.surveys.models import SurveyRound

    rounds = list(SurveyRound.objects.order_by("end"))
    if not rounds:
        return []
    import numpy as np

    from ulinzi.surveys import estimators

    question = indicator.params.get("question", "")
    wanted = set(indicator.params.get("values", []))
    by = indicator.disaggregation
    scope = user.scope()
    out = []
    for survey in rounds:
        responses = survey.responses.all()
        if not scope.whole_mission:
            responses = responses.filter(scope.place_q("community__place__"))
        rows = list(responses.values_list("values", "weight", "stratum", "cluster"))
        answered = [r for r in rows if r[0].get(question) not in (None, "", [])]
        if not answered:
            continue
        y = np.array([1.0 if _answer_in(r[0].get(question), wanted) else 0.0 for r in answered])
        design = estimators.Design(
            weights=np.array([r[1] for r in answered]),
            strata=np.array([r[2] or "all" for r in answered]) if survey.stratum_question else None,
            psu=np.array([r[3] or str(i) for i, r in enumerate(answered)])
            if survey.cluster_question
            else None,
            lonely_psu="adjust",
        )
        groups = {"": None}
        if by:
            labels = np.array([str(r[0].get(by) or "") for r in answered])
            groups.update({g: labels == g for g in sorted(set(labels)) if g})
        for group, mask in groups.items():
            estimate = estimators.proportion(y, design, domain=mask, min_n=survey.min_respondents)
            shown = None if estimate.suppressed or estimate.estimate is None else estimate.estimate
            out.append(
                Value(
                    survey.name,
                    group,
                    round(shown * indicator.factor, 1) if shown is not None else None,
                    ci=(
                        (
                            round(estimate.ci_low * indicator.factor, 1),
                            round(estimate.ci_high * indicator.factor, 1),
                        )
                        if shown is not None
                        else None
                    ),
                    n=estimate.n,
                    flagged=estimate.flagged,
                    suppressed=estimate.suppressed,
                    link=reverse("surveys:round", args=[survey.pk]),
                )
            )
    return out


def _answer_in(answer: Any, wanted: set[str]) -> bool:
    if isinstance(answer, list):
        return bool(wanted.intersection(answer))
    return str(answer) in wanted


def trend(values: list[Value], polarity: str) -> str:
    """``better``, ``worse`` or ``steady``: the last value against the one before."""
    shown = [v.value for v in values if v.value is not None and not v.group]
    if len(shown) < 2 or shown[-1] == shown[-2]:
        return "steady"
    rising = shown[-1] > shown[-2]
    return "better" if rising == (polarity == Indicator.Polarity.HIGHER) else "worse"
