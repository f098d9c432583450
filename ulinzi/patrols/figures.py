"""Patrol figures per base and month: what was asked, what was done, what was said.

A request counts for the base whose area holds its place (the alert network's
routing), in the month it was received. Team patrols count per base and month of the
patrol: one team outing is one patrol however many requests it visited (it counts
when it went out to at least one of them), and under each kind of request it visited, so
the kinds of an outing that visited a market and a water point add up to more than the
outings; ``day_visits`` and ``night_visits`` count the requests visited. The "incidents before and after" columns
are descriptive: alerts within ``NEAR_KM`` of the requested place in the four weeks
before the first patrol and the four weeks after it, with no claim about cause.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from ulinzi.alerts.models import Alert
from ulinzi.messaging.models import Message
from ulinzi.patrols.models import Patrol, PatrolRequest

NEAR_KM = 5.0
WEEKS = 4
MET = {"done", "partly_done"}


def _near(request: PatrolRequest, start: dt.datetime, end: dt.datetime) -> int:
    place = request.place
    if place.lat is None or place.lon is None:
        return 0
    d = NEAR_KM / 111.0
    return Alert.objects.filter(
        lat__range=(place.lat - d, place.lat + d),
        lon__range=(place.lon - d, place.lon + d),
        received_at__gte=start,
        received_at__lt=end,
        merged_into__isnull=True,
    ).count()


def monthly(requests: QuerySet[PatrolRequest]) -> list[dict[str, Any]]:
    from ulinzi.alerts.domain import route

    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "received": 0,
            "accepted": 0,
            "declined": 0,
            "met_full": 0,
            "met_part": 0,
            "answered": 0,
            "days_to_first": [],
            "before": 0,
            "after": 0,
            "patrols": defaultdict(int),
            "outings": defaultdict(int),
            "visits": defaultdict(int),
        }
    )
    bases: dict[int, str] = {}
    for request in requests.select_related("place").prefetch_related("answers__message"):
        if request.place_id not in bases:
            base, _reason = route(request.place, request.place.lat, request.place.lon)
            bases[request.place_id] = base.name if base else "—"
        # The mission's month: 00:30 on 1 December is December, whatever UTC says.
        month = timezone.localtime(request.received_at).strftime("%Y-%m")
        row = rows[(bases[request.place_id], month)]
        row["received"] += 1
        row["accepted"] += request.accepted_at is not None
        row["declined"] += request.status == PatrolRequest.Status.DECLINED
        row["met_full"] += request.outcome == "done"
        row["met_part"] += request.outcome == "partly_done"
        # Answered: an SMS went (one withheld from a focal point who opted out did not),
        # or the community was told another way.
        row["answered"] += any(
            a.message is not None and a.message.status != Message.Status.SUPPRESSED
            for a in request.answers.all()
        ) or bool(request.informed_at)
        if request.first_patrol_at:
            first = request.first_patrol_at
            row["days_to_first"].append((first - request.received_at).total_seconds() / 86400)
            window = dt.timedelta(weeks=WEEKS)
            row["before"] += _near(request, first - window, first)
            row["after"] += _near(request, first, first + window)
    # An outing's patrols share its base, day and shift: its row and shift are theirs.
    went_out: dict[int, tuple[dict[str, Any], str, set[str]]] = {}
    for patrol in Patrol.objects.filter(request__in=requests).select_related("base"):
        row = rows[(patrol.base.name, patrol.day.strftime("%Y-%m"))]
        if patrol.status == Patrol.Status.CONDUCTED:
            row["visits"][patrol.shift] += 1
            went_out.setdefault(patrol.outing_id, (row, patrol.shift, set()))[2].add(patrol.kind)
    for row, shift, kinds in went_out.values():
        row["outings"][shift] += 1
        for kind in kinds:
            row["patrols"][f"{kind}/{shift}"] += 1
    out = []
    for (base, month), row in sorted(rows.items()):
        days = row.pop("days_to_first")
        kinds = row.pop("patrols")
        teams = row.pop("outings")
        visited = row.pop("visits")
        out.append(
            {
                "base": base,
                "month": month,
                **row,
                "median_days_to_first_patrol": round(statistics.median(days), 1) if days else None,
                "share_answered": round(row["answered"] / row["received"], 3)
                if row["received"]
                else None,
                "patrols_by_kind_and_shift": dict(sorted(kinds.items())),
                "day_patrols": teams["day"],
                "night_patrols": teams["night"],
                "day_visits": visited["day"],
                "night_visits": visited["night"],
            }
        )
    return out
