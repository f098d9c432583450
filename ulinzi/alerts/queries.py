"""Reads of alerts, always through the user's scope."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ulinzi.alerts import texts
from ulinzi.alerts.models import Alert, Clarification, Report
from ulinzi.lib.text import record_id
from ulinzi.places.models import Place


def alerts_for(user: Any) -> QuerySet[Alert]:
    """The alerts a user may see: the whole mission, or those routed to one of their
    bases or located in their areas."""
    alerts = Alert.objects.select_related("place", "base").annotate(
        report_count=Count("reports", distinct=True)
    )
    scope = user.scope()
    if scope.whole_mission:
        return alerts
    return alerts.filter(Q(base__users=user) | scope.place_q("place__")).distinct()


def get_alert_for_user(user: Any, pk: int) -> Alert:
    """The alert, or 404 when it does not exist or is outside the user's scope."""
    alert = alerts_for(user).filter(pk=pk).first()
    if alert is None:
        raise Http404("No such alert in your area.")
    return alert


def filter_alerts(
    alerts: QuerySet[Alert],
    *,
    status: str | None = None,
    base: str | None = None,
    threat_type: str | None = None,
    since: datetime | None = None,
    open_only: bool = False,
) -> QuerySet[Alert]:
    if status:
        alerts = alerts.filter(status=status)
    if open_only:
        alerts = alerts.exclude(status=Alert.Status.CLOSED)
    if base:
        alerts = alerts.filter(base__code=base)
    if threat_type:
        alerts = alerts.filter(threat_type=threat_type)
    if since:
        alerts = alerts.filter(received_at__gte=since)
    return alerts


def reports_of(alert: Alert) -> QuerySet[Report]:
    return alert.reports.select_related("reporter", "place").order_by("received_at", "id")


def places_asked_about(alert: Alert) -> list[dict[str, Any]]:
    """The questions "which place?" sent about the alert's reports and not answered yet,
    oldest first: when each was asked and the places it offered (each with its
    territory, which tells namesakes apart)."""
    asked = list(
        Clarification.objects.filter(report__alert=alert, answered_at__isnull=True).order_by(
            "asked_at", "id"
        )
    )
    ids = {pk for question in asked for pk in question.options}
    places = Place.objects.filter(pk__in=ids).select_related("territory")
    by_id = {p.pk: p for p in places.only("id", "name", "territory__name")}
    return [
        {"asked_at": q.asked_at, "options": [by_id[i] for i in q.options if i in by_id]}
        for q in asked
    ]


def alert_times(user: Any) -> list[Any]:
    """The timestamps the response figures are computed from, for the user's alerts."""
    from django.utils import timezone

    from ulinzi.alerts.figures import AlertTimes

    local = timezone.get_current_timezone()
    rows = (
        alerts_for(user)
        .filter(merged_into__isnull=True)
        .values_list(
            "base__code",
            "threat_type",
            "status",
            "outcome",
            "received_at",
            "acknowledged_at",
            "dispatched_at",
            "on_site_at",
            "feedback_sent_at",
        )
    )
    return [
        AlertTimes(
            base=base or "-",
            month=received.astimezone(local).strftime("%Y-%m"),
            threat_type=threat,
            status=status,
            outcome=outcome,
            received_at=received,
            acknowledged_at=ack,
            dispatched_at=dispatched,
            on_site_at=on_site,
            feedback_sent_at=feedback,
        )
        for base, threat, status, outcome, received, ack, dispatched, on_site, feedback in rows
    ]


def callbacks_for(user: Any) -> QuerySet[Any]:
    """Missed calls a user may call back: the whole mission's for whole-mission users;
    otherwise those of reporters whose community, or one of whose alerts, is in the
    user's area. Callers never heard from before go to whole-mission users (the
    headquarters call centre), since nothing yet says where they are."""
    from ulinzi.alerts.models import CallbackTask

    tasks = CallbackTask.objects.select_related("reporter")
    scope = user.scope()
    if scope.whole_mission:
        return tasks
    visible = alerts_for(user).values("pk")
    return tasks.filter(
        Q(reporter__reports__alert__in=visible) | scope.place_q("reporter__community__place__")
    ).distinct()


_REFERENCE_SEPARATORS = re.compile(r"[\s,;]+")


def alerts_named(text: str, visible: QuerySet[Alert]) -> tuple[list[Alert], list[str]]:
    """The alerts a person named by reference in a form ("A-12, a40 7"), each one of
    ``visible`` (those the user may see), in the order given; and, for the form, what is
    wrong with each reference that names none of them."""
    found: list[Alert] = []
    errors: list[str] = []
    for part in _REFERENCE_SEPARATORS.split(text.strip()):
        if not part:
            continue
        pk = record_id(part.upper().removeprefix("A").removeprefix("-"))
        alert = None if pk is None else visible.filter(pk=pk).first()
        if alert is None:
            errors.append(_("%(ref)s is not an alert you can see.") % {"ref": part[:20]})
        elif alert not in found:
            found.append(alert)
    return found, errors


def reply_language(report: Report) -> str:
    """The language the reporter of ``report`` is answered in about it: the report's,
    else the reporter's own, else the default (:func:`texts.reply_language`)."""
    return texts.reply_language(
        report.language, report.reporter.language if report.reporter is not None else None
    )


def reporters_to_answer(alert: Alert) -> Iterator[Report]:
    """The first report of each of the alert's reporters, with its reporter and channel:
    the one each is answered about (in its language, through the channel it came by)."""
    seen: set[int] = set()
    for report in alert.reports.filter(reporter__isnull=False).select_related(
        "reporter", "message__channel"
    ):
        if report.reporter_id not in seen:
            seen.add(report.reporter_id)  # type: ignore[arg-type]
            yield report


def feedback_languages(alert: Alert) -> list[tuple[str, int]]:
    """The languages the alert's reporters will be told of its closing in, each with how
    many reporters, most first."""
    return Counter(reply_language(r) for r in reporters_to_answer(alert)).most_common()
