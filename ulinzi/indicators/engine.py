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

from django.db import NotSupportedError
from django.db.models import (
    Case,
    CharField,
    Count,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models import Value as Constant
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone, translation

from ulinzi.alerts.models import Alert
from ulinzi.indicators.models import Indicator
from ulinzi.places.models import Base

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
    group_label: str = ""  # the group as the survey's form says it in the reader's language


def month_label(day: dt.date | dt.datetime) -> str:
    return f"{day.year}-{day.month:02d}"


def scoped_alerts(user: Any) -> QuerySet[Alert]:
    """The user's alerts (those of their bases or in their areas), merged ones left out.

    Both conditions are on the alert's own row (its base's id, its place's ancestors), so
    no join can repeat an alert and no ``pk IN (...)`` subquery over every alert is needed.
    """
    alerts = Alert.objects.filter(merged_into__isnull=True)
    scope = user.scope()
    if scope.whole_mission:
        return alerts
    bases = Base.users.through.objects.filter(user_id=user.pk).values("base_id")
    return alerts.filter(Q(base_id__in=bases) | scope.place_q("place__"))


def local_midnight(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in the current time zone: ``received_at >= this`` is
    ``received_at__date >= day`` in a form the database answers from its index."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _month_starts(since: dt.date) -> list[tuple[str, dt.datetime]]:
    """Each month from ``since``'s to the current one, with the instant it ends."""
    last = timezone.localdate()
    year, month = since.year, since.month
    out = []
    while (year, month) <= (last.year, last.month):
        label = f"{year}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        out.append((label, local_midnight(dt.date(year, month, 1))))
    return out


LATER = "later"  # the label of rows received after the current month (a clock ahead)


def _month_of(field: str, since: dt.date) -> tuple[Case, dt.datetime]:
    """A YYYY-MM label of ``field`` (local time) for the rows at or after ``since``, as
    plain comparisons against the month boundaries (no per-row date function, so the
    database can use its index); rows after the current month get ``LATER``. Also
    returns where that range starts."""
    months = _month_starts(since)
    whens = [When(**{f"{field}__lt": end}, then=Constant(label)) for label, end in months]
    later = months[-1][1] if months else local_midnight(since)
    return Case(*whens, default=Constant(LATER), output_field=CharField()), later


class MinutesBetween(Func):
    """Minutes from the first datetime to the second, as a float computed by the database
    (``dispatched - received`` alone becomes a Python function per row on SQLite)."""

    arity = 2
    output_field = FloatField()

    def _operands(self, compiler: Any, connection: Any) -> tuple[str, str, list[Any]]:
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        return start, end, [*end_params, *start_params]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError(f"minutes between datetimes on {connection.vendor}")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        start, end, params = self._operands(compiler, connection)
        return f"((julianday({end}) - julianday({start})) * 1440.0)", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        start, end, params = self._operands(compiler, connection)
        return f"(EXTRACT(EPOCH FROM ({end} - {start}))::double precision / 60.0)", params


# Which genuine alerts each alert measure counts: the dashboard's counts and the impact
# page's per-alert observations both read these.
ALERT_FILTERS = {
    "alerts.genuine": Q(),
    "alerts.closed": Q(status=Alert.Status.CLOSED),
    "alerts.addressed": Q(status=Alert.Status.CLOSED, outcome__in=ADDRESSED),
    "alerts.feedback": Q(status=Alert.Status.CLOSED, feedback_sent_at__isnull=False),
}
ALERT_COUNTS = {
    measure: Count("pk", filter=q) if q else Count("pk") for measure, q in ALERT_FILTERS.items()
}


def alert_counts(user: Any, since: dt.date) -> dict[str, dict[str, float]]:
    """Every ``alerts.*`` count per month received, in one grouped query (conditional
    aggregation), false alarms, duplicates and merged alerts left out."""
    alerts = scoped_alerts(user).exclude(outcome__in=NOT_GENUINE)
    alerts = alerts.filter(received_at__gte=local_midnight(since))
    month, later = _month_of("received_at", since)
    rows = alerts.annotate(m=month).values("m").order_by().annotate(**ALERT_COUNTS)
    out: dict[str, dict[str, float]] = {measure: {} for measure in ALERT_COUNTS}
    ahead = False
    for row in rows:
        if row["m"] == LATER:
            ahead = True
            continue
        for measure in ALERT_COUNTS:
            if row[measure]:
                out[measure][row["m"]] = float(row[measure])
    if ahead:
        for measure in ALERT_COUNTS:
            out[measure].update(_alert_months(alerts.filter(received_at__gte=later), measure))
    return out


def _alert_months(alerts: QuerySet[Alert], measure: str) -> dict[str, float]:
    return _by_month(alerts.filter(ALERT_FILTERS[measure]), "received_at")


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
    from ulinzi.patrols.models import PatrolRequest
    from ulinzi.places.queries import communities_for
    from ulinzi.threats.queries import events_for

    if measure in ALERT_COUNTS:
        return alert_counts(user, since)[measure]
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
        today = timezone.localdate()
        due = Commitment.objects.filter(
            community__in=communities_for(user), due__gte=since, due__lt=today
        ).exclude(status=Commitment.Status.OPEN, due__gte=today)
        if measure == "commitments.kept_on_time":
            rows = due.filter(status=Commitment.Status.KEPT).values_list("due", "closed_at")
            out: dict[str, float] = defaultdict(float)
            for day, closed in rows:
                # Kept by its date in the mission's time: closed at 00:30 the day after
                # is late, though it is still the day before in UTC.
                if closed is not None and timezone.localtime(closed).date() <= day:
                    out[month_label(day)] += 1
            return dict(out)
        return _by_month(due, "due")
    raise ValueError(f"unknown measure {measure!r}")


def minutes_to_dispatch(user: Any, since: dt.date) -> dict[str, float]:
    """The median minutes from the first report to the dispatch, per month received
    (local time, as the counts). The database gives each alert's month and delay, so no
    timestamp is parsed in Python."""
    alerts = (
        scoped_alerts(user)
        .exclude(outcome__in=NOT_GENUINE)
        .filter(received_at__gte=local_midnight(since), dispatched_at__isnull=False)
    )
    month, later = _month_of("received_at", since)
    rows = alerts.annotate(m=month, d=MinutesBetween("received_at", "dispatched_at"))
    minutes: dict[str, list[float]] = defaultdict(list)
    for label, delay in rows.values_list("m", "d").order_by():
        minutes[label].append(delay)
    if minutes.pop(LATER, None) is not None:
        local = timezone.get_current_timezone()
        for received, dispatched in alerts.filter(received_at__gte=later).values_list(
            "received_at", "dispatched_at"
        ):
            label = month_label(received.astimezone(local))
            minutes[label].append((dispatched - received).total_seconds() / 60)
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
    bottom: dict[str, float] | None
    if indicator.numerator in ALERT_COUNTS and indicator.denominator in ALERT_COUNTS:
        alert_months = alert_counts(user, since)  # both from one query
        top, bottom = alert_months[indicator.numerator], alert_months[indicator.denominator]
    else:
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

    # With each round's form, for the answers' labels (not its file).
    rounds = list(SurveyRound.objects.select_related("form").defer("form__xlsform").order_by("end"))
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
        y = np.array([1.0 if answer_in(r[0].get(question), wanted) else 0.0 for r in answered])
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
        language = translation.get_language() or "en"
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
                    group_label=survey.form.choice_label(by, group, language) if group else "",
                )
            )
    return out


def answer_in(answer: Any, wanted: set[str]) -> bool:
    if isinstance(answer, list):
        return bool(wanted.intersection(answer))
    return str(answer) in wanted


def trend(values: list[Value], polarity: str) -> str:
    """``better``, ``worse`` or ``steady``: the last value against the one before; ``""``
    (no trend at all) with fewer than two values."""
    shown = [v.value for v in values if v.value is not None and not v.group]
    if len(shown) < 2:
        return ""
    if shown[-1] == shown[-2]:
        return "steady"
    rising = shown[-1] > shown[-2]
    return "better" if rising == (polarity == Indicator.Polarity.HIGHER) else "worse"
