"""Every change to patrol requests, base capacity, weekly plans and patrol records.

Each function runs in one transaction and writes its audit entry in it; answers to the
requesting community go through the outbox in that transaction.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ulinzi.alerts.models import Alert, CallbackTask
from ulinzi.alerts.signals import patrol_keyword
from ulinzi.audit import domain as audit
from ulinzi.messaging import domain as messaging
from ulinzi.patrols import texts
from ulinzi.patrols.models import (
    ROUTE_PLACES,
    Answer,
    Capacity,
    Outing,
    Patrol,
    PatrolRequest,
    RoutePoint,
    WeeklyPlan,
)
from ulinzi.places.matching import haversine_km
from ulinzi.places.models import Base, Community, Place

S = PatrolRequest.Status
DEFAULT_CAPACITY = {"day_teams": 2, "night_teams": 1, "vehicles": 2, "max_km": 40.0}
RISK_KM = 10.0  # alerts and events this close to a requested place count as its risk
RISK_DAYS = 90


class TransitionRefused(Exception):
    """The request or patrol is not in a state that allows this step."""


def _state(request: PatrolRequest) -> dict[str, Any]:
    return {"status": request.status, "outcome": request.outcome}


def _answer(request: PatrolRequest, step: str, actor: Any, **values: Any) -> Answer:
    """Tell the requesting community (its focal point, by SMS in its language) and keep
    what was said."""
    text = texts.answer(
        step,
        request.language,
        ref=request.reference,
        kind=request.kind,
        place=request.place.name,
        **{k: str(v) for k, v in values.items()},
    )
    message = None
    if request.focal_point is not None:
        message = messaging.queue_message(
            request.focal_point, text, purpose="patrol_answer", actor=actor
        )
    return Answer.objects.create(
        request=request, status=step, text=text[:480], message=message, at=timezone.now()
    )


def _sent(answer: Answer) -> bool:
    return answer.message is not None and answer.message.status == "queued"


@receiver(patrol_keyword)
def request_by_sms(
    sender: Any, message: Any, place: str | None, what: str, language: str = "", **kwargs: Any
) -> None:
    """A patrol request by SMS ("DORIA Mbau, usiku"): a call-back task for a liaison
    assistant, who confirms it by phone and records it; the sender is told so."""
    reporter = message.reporter
    where = place or _("(place not given)")
    CallbackTask.objects.create(
        reporter=reporter,
        note=(_("Patrol request by SMS: %(where)s — %(what)s") % {"where": where, "what": what})[
            :300
        ],
    )
    language = texts.language_of(language or reporter.language or "")
    messaging.queue_message(
        reporter,
        texts.ANSWERS["received" if place else "received_no_place"][language].format(
            place=place or ""
        )[:300],
        purpose="patrol_answer",
        channel=message.channel,
        actor=message.channel.name,
    )
    audit.record(
        message.channel.name,
        "patrols.request_by_sms",
        subject_type="messaging.message",
        subject_id=str(message.pk),
        after={"place": place, "reporter": reporter.pseudonym},
    )


def save_capacity(
    *,
    actor: Any,
    base: Base,
    day_teams: int,
    night_teams: int,
    vehicles: int,
    max_km: float,
    unavailable_days: Sequence[dt.date] = (),
) -> Capacity:
    if min(day_teams, night_teams, vehicles) < 0 or not 0 < max_km <= 500:
        raise ValueError(_("Teams and vehicles cannot be negative; the reach must be 1-500 km."))
    with transaction.atomic():
        capacity, _created = Capacity.objects.select_for_update().get_or_create(base=base)
        before = {
            "day_teams": capacity.day_teams,
            "night_teams": capacity.night_teams,
            "vehicles": capacity.vehicles,
            "max_km": capacity.max_km,
            "unavailable_days": capacity.unavailable_days,
        }
        capacity.day_teams, capacity.night_teams = day_teams, night_teams
        capacity.vehicles, capacity.max_km = vehicles, max_km
        capacity.unavailable_days = sorted({d.isoformat() for d in unavailable_days})
        capacity.save()
        audit.record(
            actor,
            "patrols.save_capacity",
            capacity,
            before=before,
            after={
                "day_teams": day_teams,
                "night_teams": night_teams,
                "vehicles": vehicles,
                "max_km": max_km,
                "unavailable_days": capacity.unavailable_days,
            },
        )
    return capacity


def create_request(
    *,
    actor: Any,
    community: Community,
    kind: str,
    place: Place,
    weekdays: Sequence[int],
    shift: str,
    start_time: dt.time,
    end_time: dt.time,
    valid_from: dt.date,
    valid_until: dt.date,
    per_week: int,
    priority: int,
    beneficiaries: int = 0,
    group: str = "",
    reason: str = "",
    route: Sequence[Place] = (),
    alerts: Sequence[Alert] = (),
    hotspots: Sequence[Any] = (),
    phone: str | None = None,
    language: str = "",
    callback: CallbackTask | None = None,
) -> PatrolRequest:
    """Record a community's request (status ``received``). Its answers go by SMS to
    ``phone``, else to whoever sent it by SMS (``callback``: the call-back task of a
    request by SMS, done with this), else to the community's registered focal point
    (the first registered of those active), in that person's language unless
    ``language`` is given. ``alerts`` and ``hotspots``: the reasons behind it."""
    days = sorted(set(weekdays))
    if not days or any(d not in range(7) for d in days):
        raise ValueError(_("Choose at least one day of the week."))
    if valid_until < valid_from:
        raise ValueError(_("The last day is before the first day."))
    if not 1 <= priority <= 5:
        raise ValueError(_("The priority must be between 1 and 5."))
    if not 1 <= per_week <= 14:
        raise ValueError(_("Ask for 1 to 14 patrols a week."))
    with transaction.atomic():
        if phone:
            reporter = messaging.reporter_for_number(phone)
            messaging.in_contact(reporter)  # the number was given now: it is in use
        elif callback is not None:
            reporter = callback.reporter
        else:
            reporter = _focal_point(community)
        request = PatrolRequest.objects.create(
            community=community,
            group=group,
            kind=kind,
            place=place,
            weekdays=days,
            shift=shift,
            start_time=start_time,
            end_time=end_time,
            valid_from=valid_from,
            valid_until=valid_until,
            per_week=per_week,
            priority=priority,
            beneficiaries=beneficiaries,
            reason=reason,
            focal_point=reporter,
            language=language
            or (reporter.language if reporter and reporter.language else "")
            or (community.languages[0] if community.languages else texts.DEFAULT_LANGUAGE),
            received_at=timezone.now(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        for position, point in enumerate(route):
            RoutePoint.objects.create(request=request, place=point, position=position)
        request.alerts.set(alerts)
        request.hotspots.set(hotspots)
        audit.record(
            actor,
            "patrols.create_request",
            request,
            after={
                "community": community.name,
                "kind": kind,
                "place": place.name,
                "days": days,
                "shift": shift,
                "per_week": per_week,
                "priority": priority,
                "alerts": [a.pk for a in alerts],
                "hotspots": [h.pk for h in hotspots],
            },
        )
        if callback is not None:
            from ulinzi.alerts import domain as alerts_domain

            try:  # done by someone else a moment ago: nothing is recorded twice
                alerts_domain.complete_callback(
                    actor=actor,
                    task=callback,
                    note=_("recorded as patrol request %(ref)s") % {"ref": request.reference},
                )
            except alerts_domain.TransitionRefused as exc:
                raise ValueError(str(exc)) from exc
    return request


def nearest_community(communities: Any, lat: float, lon: float) -> Community | None:
    """Of ``communities``, the one whose place is nearest the point, if one is within
    ``COMMUNITY_KM`` (as for an event's community); else None."""
    from ulinzi.threats.linking import COMMUNITY_KM

    located = [
        (km, pk)
        for pk, c_lat, c_lon in communities.values_list("pk", "place__lat", "place__lon")
        if c_lat is not None and c_lon is not None
        for km in [haversine_km(lat, lon, c_lat, c_lon)]
        if km <= COMMUNITY_KM
    ]
    return communities.filter(pk=min(located)[1]).first() if located else None


def _focal_point(community: Community) -> Any:
    """The reporter who speaks for ``community`` in the alert network, if it has one."""
    from ulinzi.engagement.models import FocalPoint

    chosen = (
        FocalPoint.objects.filter(community=community, active=True)
        .select_related("reporter")
        .order_by("registered_at", "pk")
        .first()
    )
    return chosen.reporter if chosen is not None else None


def _locked(request: PatrolRequest, allowed: Sequence[str], step: str) -> PatrolRequest:
    locked = PatrolRequest.objects.select_for_update().select_related("place").get(pk=request.pk)
    if locked.status not in allowed:
        raise TransitionRefused(
            _("%(ref)s is %(status)s: it cannot be %(step)s")
            % {"ref": locked.reference, "status": locked.get_status_display(), "step": step}
        )
    return locked


def accept_request(*, actor: Any, request: PatrolRequest) -> PatrolRequest:
    with transaction.atomic():
        locked = _locked(request, [S.RECEIVED], _("accepted"))
        before = _state(locked)
        locked.status, locked.accepted_at = S.ACCEPTED, timezone.now()
        locked.save(update_fields=["status", "accepted_at"])
        _answer(locked, "accepted", actor)
        audit.record(actor, "patrols.accept_request", locked, before=before, after=_state(locked))
    return locked


def decline_request(*, actor: Any, request: PatrolRequest, reason: str) -> PatrolRequest:
    """Decline with a reason a person understands; it is sent to the community whole
    (a long one takes more than one SMS)."""
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise TransitionRefused(_("Give the community a reason (a few words at least)."))
    if len(reason) > 300:
        raise TransitionRefused(_("Say the reason in at most 300 characters."))
    with transaction.atomic():
        locked = _locked(request, [S.RECEIVED, S.ACCEPTED], _("declined"))
        before = _state(locked)
        locked.status, locked.declined_at = S.DECLINED, timezone.now()
        locked.decline_reason = reason
        locked.save(update_fields=["status", "declined_at", "decline_reason"])
        # No team goes for a declined request: its planned patrols leave the plan.
        for patrol in locked.patrols.filter(status=Patrol.Status.PLANNED):
            _remove_patrol(patrol)
        answer = _answer(locked, "declined", actor, reason=reason)
        if _sent(answer):
            locked.informed_at = answer.at
            locked.save(update_fields=["informed_at"])
        audit.record(
            actor,
            "patrols.decline_request",
            locked,
            before=before,
            after={**_state(locked), "reason": locked.decline_reason},
        )
    return locked


# --- The weekly plan ---------------------------------------------------------


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def forecast_risk() -> dict[int, float]:
    """Next month's probability of a fatal event per territory, from the threat
    analysis forecast (empty when there are no events to forecast from)."""
    from ulinzi.threats.early_warning import cached_forecast

    try:
        return {int(row["id"]): row["probability"] for row in cached_forecast("territory")}
    except ValueError:
        return {}


def _risk(place: Place, now: dt.datetime, forecast: dict[int, float]) -> float:
    """The forecast probability of a fatal event in the place's territory when there is
    one; otherwise recent alerts and events near the place, as a share in [0, 1):
    1 - exp(-n / 5) for n of them within ``RISK_KM`` in ``RISK_DAYS`` days (a box of
    ``RISK_KM`` each way)."""
    return _risks([place], now, forecast)[place.pk]


def _risks(
    places: Sequence[Place], now: dt.datetime, forecast: dict[int, float]
) -> dict[int, float]:
    """:func:`_risk` of each place, by place id, with one query for the alerts and one for
    the events near all of them."""
    out: dict[int, float] = {}
    near: list[Place] = []
    for place in places:
        if place.territory_id in forecast:
            out[place.pk] = forecast[place.territory_id]  # type: ignore[index]
        elif place.lat is None or place.lon is None:
            out[place.pk] = 0.0
        else:
            near.append(place)
    if not near:
        return out
    lat = np.array([p.lat for p in near], dtype=float)
    lon = np.array([p.lon for p in near], dtype=float)
    dlat = RISK_KM / 111.0
    dlon = RISK_KM / (111.0 * np.maximum(0.2, np.cos(np.radians(lat))))
    box = Q(lat__range=(lat.min() - dlat, lat.max() + dlat)) & Q(
        lon__range=(float((lon - dlon).min()), float((lon + dlon).max()))
    )
    since = now - dt.timedelta(days=RISK_DAYS)
    from ulinzi.threats.models import Event

    seen = list(
        Alert.objects.filter(box, received_at__gte=since, merged_into__isnull=True).values_list(
            "lat", "lon"
        )
    )
    seen += Event.objects.filter(box, date_start__gte=since.date(), alert__isnull=True).values_list(
        "lat", "lon"
    )
    points = np.array([pt for pt in seen if None not in pt], dtype=float).reshape(-1, 2)
    inside = (np.abs(points[None, :, 0] - lat[:, None]) <= dlat) & (
        np.abs(points[None, :, 1] - lon[:, None]) <= dlon[:, None]
    )
    for place, n in zip(near, inside.sum(axis=1), strict=True):
        out[place.pk] = 1.0 - math.exp(-int(n) / 5.0)
    return out


def capacity_of(base: Base) -> dict[str, Any]:
    """The base's declared capacity (teams, vehicles, reach, days off as ISO dates), or the
    default for a base that declared none."""
    capacity: Capacity | None = getattr(base, "capacity", None)
    if capacity is None:
        return {**DEFAULT_CAPACITY, "unavailable_days": []}
    return {
        "day_teams": capacity.day_teams,
        "night_teams": capacity.night_teams,
        "vehicles": capacity.vehicles,
        "max_km": capacity.max_km,
        "unavailable_days": list(capacity.unavailable_days),
    }


def _capacities(week_start: dt.date, settled: Sequence[Patrol] = ()) -> list[Any]:
    """Each base's capacity for the week, less the teams (and vehicles) of the ``settled``
    patrols' outings: one team per outing, whether it went out or not."""
    from ulinzi.patrols import planner

    outings: dict[tuple[int, int, str], dict[int, bool]] = {}
    for patrol in settled:
        cell = (patrol.base_id, (patrol.day - week_start).days, patrol.shift)
        outings.setdefault(cell, {})[patrol.outing_id] = patrol.outing.by_vehicle
    spent: dict[int, list[tuple[int, str, int, int]]] = {}
    for (base_id, day, shift), used in outings.items():
        spent.setdefault(base_id, []).append((day, shift, len(used), sum(used.values())))
    out = []
    for base in Base.objects.select_related("capacity").order_by("code"):
        values = capacity_of(base)
        off = {(dt.date.fromisoformat(d) - week_start).days for d in values["unavailable_days"]}
        out.append(
            planner.BaseCapacity(
                id=base.code,
                name=base.name,
                lat=base.lat,
                lon=base.lon,
                day_teams=values["day_teams"],
                night_teams=values["night_teams"],
                max_km=values["max_km"],
                unavailable_days=frozenset(d for d in off if 0 <= d < 7),
                vehicles=int(values["vehicles"]),
                spent=tuple(sorted(spent.get(base.pk, []))),
            )
        )
    return out


def requests_for_week(week_start: dt.date) -> list[PatrolRequest]:
    week_end = week_start + dt.timedelta(days=6)
    return list(
        PatrolRequest.objects.filter(
            status__in=[S.ACCEPTED, S.SCHEDULED],
            valid_from__lte=week_end,
            valid_until__gte=week_start,
        )
        .select_related("place", "community")
        .prefetch_related(ROUTE_PLACES)
        .order_by("pk")
    )


def _points(request: PatrolRequest) -> tuple[tuple[float, float], ...]:
    """The request's place then its route's places (lat, lon), those with coordinates."""
    places = [request.place, *request.route_places()]
    return tuple(
        (float(p.lat), float(p.lon)) for p in places if p.lat is not None and p.lon is not None
    )


def _planner_request(
    request: PatrolRequest,
    week_start: dt.date,
    fixed: list[Patrol],
    now: dt.datetime,
    forecast: dict[int, float],
    settled: Sequence[Patrol] = (),
    first_day: int = 0,
    risk: float | None = None,
) -> Any:
    """The request as the planner sees it, offered the days of the week from
    ``first_day`` (0: Monday; the days before it are past). Its ``settled`` patrols of
    the week (in an outing already recorded, or on a day past) are done with: their
    slots are not offered again, and all but those recorded as not conducted count
    towards the patrols the community asked for."""
    from ulinzi.patrols import planner

    taken = {(p.day, p.shift) for p in settled}
    went = sum(p.status != Patrol.Status.NOT_CONDUCTED for p in settled)
    slots = []
    for day in range(first_day, 7):
        date = week_start + dt.timedelta(days=day)
        if (
            day in request.weekdays
            and request.valid_from <= date <= request.valid_until
            and (date, request.shift) not in taken
        ):
            slots.append(planner.Slot(day, request.shift))
    # A patrol stays its kind's usual time with the community, never longer than the hours
    # the community asked for (a window past midnight wraps round), and within those hours
    # when its team visits other requests too.
    start = request.start_time.hour + request.start_time.minute / 60
    end = request.end_time.hour + request.end_time.minute / 60
    window = (end - start) % 24 or 24.0
    stay = min(planner.STAY_HOURS.get(request.kind, planner.DEFAULT_STAY_HOURS), window)
    return planner.Request(
        id=str(request.pk),
        label=request.reference,
        community=request.community.name,
        kind=request.kind,
        points=_points(request),
        slots=tuple(slots),
        wanted=max(0, min(request.per_week - went, len(slots))),
        done=min(went, request.per_week),
        priority=request.priority,
        risk=_risk(request.place, now, forecast) if risk is None else risk,
        beneficiaries=request.beneficiaries,
        weeks_unmet=request.weeks_unmet,
        fixed=tuple((planner.Slot((p.day - week_start).days, p.shift), p.base.code) for p in fixed),
        hours=stay,
        window=(start, end),
    )


def _explanations_in_other_languages(result: Any) -> dict[str, dict[str, list[str]]]:
    """A plan's explanations in each language of the interface but English (the
    explanations' own), read by whoever opens the plan in theirs."""
    from ulinzi.patrols.wording import Translated

    said = {}
    for language, _name in settings.LANGUAGES:
        if language != "en":
            with translation.override(language):
                said[language] = {k: list(v) for k, v in result.explain(Translated()).items()}
    return said


def plan_week(
    *,
    actor: Any,
    week_start: dt.date,
    time_limit_s: float = 5.0,
    today: dt.date | None = None,
) -> WeeklyPlan:
    """Propose the week's patrols: the planner chooses which requested slots each base
    covers and which of them one team visits in one outing (in order, on foot or by
    vehicle); patrols the officer fixed stay, each leading its outing (others may join
    it). A new run replaces the proposed patrols that are neither fixed nor in an outing
    already recorded or of a day past (``today``, the mission's date by default: a week
    planned again mid-week is planned from today on; the approved or fixed patrols of the
    days before await their record, the others are dropped), and the outings left
    empty."""
    from ulinzi.patrols import planner

    if week_start.weekday() != 0:
        raise ValueError(_("A plan starts on a Monday."))
    today = today or timezone.localdate()
    if week_over(week_start, today):
        raise ValueError(
            _("The week of %(week)s is over: plan this week or a later one.")
            % {"week": week_start.isoformat()}
        )
    first_day = max(0, (today - week_start).days)
    now = timezone.now()
    with transaction.atomic():
        plan, _created = WeeklyPlan.objects.select_for_update().get_or_create(
            week_start=week_start, defaults={"planned_at": now}
        )
        week = Patrol.objects.filter(day__gte=week_start, day__lt=week_start + dt.timedelta(7))
        # An outing with a recorded stop happened (or was called off) as it was, all its
        # stops, and so did (or does) one of a day past or of today that was approved or
        # fixed, whose record is awaited: the plan works around them with the teams left.
        # A proposal of a day past that nobody approved did not happen: it goes.
        happened = week.filter(day__lte=today).filter(
            Q(outing__approved_at__isnull=False) | Q(fixed=True)
        )
        recorded_outings = (week.exclude(status=Patrol.Status.PLANNED) | happened).values(
            "outing_id"
        )
        open_week = week.exclude(outing__in=recorded_outings)
        open_week.filter(status=Patrol.Status.PLANNED, fixed=False, request__isnull=False).delete()
        fixed_by_request: dict[int, list[Patrol]] = {}
        fixed_at: dict[tuple[int, dt.date, str], Patrol] = {}
        for patrol in open_week.filter(fixed=True, request__isnull=False).select_related(
            "base", "outing__base"
        ):
            fixed_by_request.setdefault(patrol.request_id, []).append(patrol)  # type: ignore[arg-type]
            fixed_at[(patrol.request_id, patrol.day, patrol.shift)] = patrol  # type: ignore[index]
        settled = list(week.filter(outing__in=recorded_outings).select_related("outing"))
        settled_by_request: dict[int, list[Patrol]] = {}
        for patrol in settled:
            if patrol.request_id is not None:
                settled_by_request.setdefault(patrol.request_id, []).append(patrol)
        requests = requests_for_week(week_start)
        forecast = forecast_risk()
        risks = _risks([r.place for r in requests], now, forecast)
        inputs = [
            _planner_request(
                r,
                week_start,
                fixed_by_request.get(r.pk, []),
                now,
                forecast,
                settled_by_request.get(r.pk, ()),
                first_day,
                risks[r.place_id],
            )
            for r in requests
        ]
        inputs = [i for i in inputs if (i.slots and i.wanted) or i.fixed]
        bases = _capacities(week_start, settled)
        try:
            result = planner.plan_week(bases, inputs, time_limit_s=time_limit_s)
        except planner.Refused as exc:  # a fixed patrol it cannot keep: said in the user's words
            from ulinzi.patrols.wording import Translated

            raise ValueError(exc.said(Translated())) from exc
        _store_outings(plan, week_start, requests, result, fixed_at)
        week.filter(fixed=True).update(plan=plan)
        plan.status = WeeklyPlan.Status.PROPOSED
        plan.value, plan.greedy_value = result.value, result.greedy_value
        plan.solver_status, plan.solve_s = result.status, result.solve_s
        plan.explanations = {k: list(v) for k, v in result.explanations.items()}
        plan.said = _explanations_in_other_languages(result)
        plan.planned_at, plan.planned_by = now, actor if getattr(actor, "pk", None) else None
        plan.approved_at = None
        plan.save()
        audit.record(
            actor,
            "patrols.plan_week",
            plan,
            after={
                "week": week_start.isoformat(),
                "requests": len(inputs),
                "patrols": len(result.assignments),
                "outings": len(result.routes),
                "value": round(result.value, 2),
                "greedy_value": round(result.greedy_value, 2),
                "status": result.status,
            },
        )
    return plan


def _drop_empty_outings(week_start: dt.date) -> None:
    Outing.objects.filter(
        day__gte=week_start, day__lt=week_start + dt.timedelta(7), patrols__isnull=True
    ).delete()


def _store_outings(
    plan: WeeklyPlan,
    week_start: dt.date,
    requests: list[PatrolRequest],
    result: Any,
    fixed_at: dict[tuple[int, dt.date, str], Patrol],
) -> None:
    """One outing per planned route, its patrols numbered in the order visited. A route
    that holds a fixed patrol keeps that patrol's outing (the officer's decision), which
    the requests joining it share; the others get a new outing each. Outings left empty
    (those of the proposed patrols just replaced, or of a fixed patrol that joined another
    outing) are deleted."""
    by_code = {b.code: b for b in Base.objects.all()}
    by_pk = {str(r.pk): r for r in requests}
    stops: dict[int, list[Any]] = {}
    for a in result.assignments:
        stops.setdefault(a.patrol, []).append(a)
    claimed: set[int] = set()
    for k, route in enumerate(result.routes):
        base = by_code[route.base]
        day = week_start + dt.timedelta(days=route.slot.day)
        shift = route.slot.shift
        visits = sorted(stops.get(k, []), key=lambda a: route.requests.index(a.request))
        kept = [
            fixed_at[(int(a.request), day, shift)]
            for a in visits
            if a.fixed and (int(a.request), day, shift) in fixed_at
        ]
        outing = next(
            (p.outing for p in kept if p.outing_id not in claimed),
            None,
        )
        if outing is None:
            outing = Outing(base=base, day=day, shift=shift)
        outing.plan, outing.by_vehicle = plan, route.vehicle
        outing.km, outing.hours = round(route.km, 1), round(route.hours, 1)
        outing.save()
        claimed.add(outing.pk)
        for stop, a in enumerate(visits):
            due = _clock_time(route.starts[stop]) if route.starts else None
            patrol = fixed_at.get((int(a.request), day, shift)) if a.fixed else None
            if patrol is not None:
                patrol.outing, patrol.stop, patrol.km = outing, stop, round(a.km, 1)
                patrol.due_at = due
                patrol.save(update_fields=["outing", "stop", "km", "due_at"])
                continue
            _new_patrol(by_pk[a.request], outing, a.km, plan=plan, stop=stop, due_at=due)
    _drop_empty_outings(week_start)


def _clock_time(hours: float) -> dt.time:
    """A clock hour (0-24) as a time of day, to the minute."""
    minutes = round(hours * 60) % (24 * 60)
    return dt.time(minutes // 60, minutes % 60)


def _new_patrol(request: PatrolRequest, outing: Outing, km: float, **values: Any) -> Patrol:
    """A patrol of ``outing`` (its base, day and shift) to ``request``."""
    return Patrol.objects.create(
        base=outing.base,
        request=request,
        outing=outing,
        day=outing.day,
        shift=outing.shift,
        kind=request.kind,
        km=round(km, 1),
        **values,
    )


def fix_patrol(
    *, actor: Any, request: PatrolRequest, base: Base, day: dt.date, shift: str
) -> Patrol:
    """A patrol the officer decided: the planner keeps it and plans around it. A new one
    is a team outing of its own until the plan is run again (others may then join it)."""
    from ulinzi.patrols import planner

    if shift not in ("day", "night"):
        raise ValueError(_("The shift is day or night."))
    if day < timezone.localdate():
        raise ValueError(
            _("%(day)s is past: a plan is for today and the days ahead.") % {"day": day.isoformat()}
        )
    with transaction.atomic():
        patrol = Patrol.objects.filter(base=base, request=request, day=day, shift=shift).first()
        if patrol is None:
            # The planner's distance: base to the request's farthest point.
            km = max(
                (planner.haversine_km(base.lat, base.lon, *pt) for pt in _points(request)),
                default=0.0,
            )
            outing = Outing.objects.create(
                base=base, day=day, shift=shift, by_vehicle=km > planner.FOOT_KM
            )
            patrol = _new_patrol(request, outing, km, fixed=True)
        elif not patrol.fixed:
            patrol.fixed = True
            patrol.save(update_fields=["fixed"])
        audit.record(
            actor,
            "patrols.fix_patrol",
            patrol,
            after={"request": request.reference, "day": day.isoformat(), "shift": shift},
        )
    return patrol


def unfix_patrol(*, actor: Any, patrol: Patrol) -> None:
    """Remove a planned patrol from the plan; its outing goes too when it was the last
    request the outing visited."""
    with transaction.atomic():
        if patrol.status != Patrol.Status.PLANNED:
            raise TransitionRefused(_("A recorded patrol cannot be removed from the plan."))
        audit.record(actor, "patrols.unfix_patrol", patrol, before={"fixed": patrol.fixed})
        _remove_patrol(patrol)


def week_over(week_start: dt.date, today: dt.date | None = None) -> bool:
    """The week that starts on ``week_start`` has ended (by the mission's calendar)."""
    return week_start + dt.timedelta(days=7) <= (today or timezone.localdate())


def _remove_patrol(patrol: Patrol) -> None:
    """A planned patrol leaves the plan (its outing too, when it was the outing's last).
    An approved week is approved again before it holds: that tells the community what
    changed."""
    outing_id = patrol.outing_id
    patrol.delete()
    Outing.objects.filter(pk=outing_id, patrols__isnull=True).delete()
    week = week_of(patrol.day)
    if not week_over(week):  # a week over stays as it was
        WeeklyPlan.objects.filter(week_start=week, status=WeeklyPlan.Status.APPROVED).update(
            status=WeeklyPlan.Status.PROPOSED
        )


def approve_plan(*, actor: Any, plan: WeeklyPlan) -> WeeklyPlan:
    """Approve the week: each request with patrols is scheduled and its community told
    the dates; a request left out has one more week unmet (the planner raises its
    priority next time). A week approved again after a re-plan counts each request's
    week once, and tells a community only what changed: new dates, or that the dates it
    was given no longer hold."""
    with transaction.atomic():
        locked = WeeklyPlan.objects.select_for_update().get(pk=plan.pk)
        now = timezone.localdate()
        if week_over(locked.week_start, now):
            raise TransitionRefused(
                _("The week of %(day)s is over: plan the days ahead.")
                % {"day": locked.week_start.isoformat()}
            )
        patrols = list(
            locked.patrols.filter(request__isnull=False).select_related("outing").order_by("day")
        )
        days_by_request: dict[int, set[dt.date]] = {}
        for patrol in patrols:
            # A day already past counts only if a team was sent (approved before) or the
            # patrol is recorded: a late approval sends no team to the past.
            sent = patrol.outing.approved_at is not None or patrol.status != Patrol.Status.PLANNED
            if patrol.day >= now or sent:
                days_by_request.setdefault(patrol.request_id, set()).add(patrol.day)  # type: ignore[arg-type]
        told: dict[str, list[str]] = {}
        for request in requests_for_week(locked.week_start):
            days = sorted(days_by_request.get(request.pk, ()))
            told[str(request.pk)] = [d.isoformat() for d in days]
            before = locked.told.get(str(request.pk))  # None: not in an approval before
            if before == told[str(request.pk)]:
                continue  # nothing new for this community, and this week already counted
            request.weeks_unmet = 0 if days else request.weeks_unmet + 1
            # The community hears of the days from today on: the dates as they are now
            # when any is new or one it was given is gone, else that none holds any more.
            given = {dt.date.fromisoformat(d) for d in before or ()}
            ahead = [d for d in days if d >= now]
            gone = sorted(d for d in given - set(days) if d >= now)
            if ahead and (set(ahead) - given or gone):
                _schedule(request, ahead, actor)
                continue
            request.save(update_fields=["weeks_unmet"])
            if gone:  # the dates it was given from today on no longer hold
                cancelled = ", ".join(d.strftime("%d/%m") for d in gone)
                _answer(request, "cancelled", actor, days=cancelled)
        locked.told = told
        locked.status, locked.approved_at = WeeklyPlan.Status.APPROVED, timezone.now()
        locked.save(update_fields=["status", "approved_at", "told"])
        # Teams are told to go from today on: a proposal's days already past stay unapproved.
        locked.outings.filter(approved_at__isnull=True, day__gte=now).update(
            approved_at=locked.approved_at
        )
        audit.record(
            actor,
            "patrols.approve_plan",
            locked,
            after={"patrols": len(patrols), "outings": locked.outings.count()},
        )
    return locked


def _schedule(request: PatrolRequest, days: list[dt.date], actor: Any) -> None:
    """The request has patrols on ``days``: scheduled, and its community told the dates."""
    before = _state(request)
    if request.status == S.ACCEPTED:
        request.status, request.scheduled_at = S.SCHEDULED, timezone.now()
    request.save(update_fields=["weeks_unmet", "status", "scheduled_at"])
    _answer(request, "scheduled", actor, days=", ".join(d.strftime("%d/%m") for d in days))
    audit.record(actor, "patrols.schedule_request", request, before=before, after=_state(request))


# --- After the patrol --------------------------------------------------------

RECORD_FIELDS = (
    "started_at",
    "ended_at",
    "route_taken",
    "met_women",
    "met_men",
    "met_girls",
    "met_boys",
    "authorities_met",
    "observations",
    "concerns",
    "incidents",
)


def record_patrol(
    *, actor: Any, patrol: Patrol, conducted: bool, not_conducted_reason: str = "", **record: Any
) -> Patrol:
    unknown = set(record) - set(RECORD_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    if not conducted and len(not_conducted_reason.strip()) < 3:
        raise TransitionRefused(_("Say why the patrol did not go out."))
    with transaction.atomic():
        locked = (
            Patrol.objects.select_for_update(of=("self",))
            .select_related("request")
            .get(pk=patrol.pk)
        )
        if conducted and locked.day > today():
            raise TransitionRefused(
                _("The patrol of %(day)s has not gone out yet.") % {"day": locked.day.isoformat()}
            )
        if conducted and locked.day == timezone.localdate():
            # Today's patrol (tonight's, recorded in the small hours of its own day) has
            # gone out only once it left: when the record says, else when it was due.
            leaves = _went_out(
                Patrol(
                    day=locked.day,
                    shift=locked.shift,
                    started_at=record.get("started_at") or locked.started_at,
                    due_at=locked.due_at,
                    request=locked.request,
                )
            )
            if leaves > timezone.now():
                raise TransitionRefused(
                    _("The patrol of %(day)s has not gone out yet: it leaves at %(time)s.")
                    % {
                        "day": locked.day.isoformat(),
                        "time": timezone.localtime(leaves).strftime("%H:%M"),
                    }
                )
        if locked.request is not None and locked.request.status in CLOSED_STATUSES:
            raise TransitionRefused(
                _("%(ref)s is closed: its patrols' records can no longer change.")
                % {"ref": locked.request.reference}
            )
        locked.status = Patrol.Status.CONDUCTED if conducted else Patrol.Status.NOT_CONDUCTED
        locked.not_conducted_reason = "" if conducted else not_conducted_reason.strip()[:300]
        for name, value in record.items():
            setattr(locked, name, value)
        locked.recorded_at = timezone.now()
        locked.recorded_by = actor if getattr(actor, "pk", None) else None
        locked.save()
        if locked.request_id:
            # The first patrol is the earliest that went out, whenever recorded; a record
            # corrected to "did not go out" is no first patrol any more.
            went = [
                _went_out(p)
                for p in Patrol.objects.filter(
                    request_id=locked.request_id, status=Patrol.Status.CONDUCTED
                ).select_related("request")
            ]
            PatrolRequest.objects.filter(pk=locked.request_id).update(
                first_patrol_at=min(went, default=None)
            )
        audit.record(
            actor,
            "patrols.record_patrol",
            locked,
            after={
                "status": locked.status,
                "met": [locked.met_women, locked.met_men, locked.met_girls, locked.met_boys],
            },
        )
    return locked


def today() -> dt.date:
    """The mission's date, when a patrol is recorded (the tests set their own clock)."""
    return timezone.localdate()


CLOSED_STATUSES = (S.DONE, S.PARTLY_DONE, S.NOT_DONE, S.INFORMED, S.DECLINED)


def _went_out(patrol: Patrol) -> dt.datetime:
    """When the patrol went out: its day at the time it left (else the time it was due,
    else the start of the hours asked for); a night's small hours are the morning after."""
    request = patrol.request
    clock = patrol.started_at or patrol.due_at or (request.start_time if request else None)
    day = patrol.day
    if clock is None:
        clock = dt.time(0)
    elif patrol.shift == "night" and clock < dt.time(12):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, clock, tzinfo=timezone.get_current_timezone())


def report_incident(*, actor: Any, patrol: Patrol, text: str) -> Any:
    """An incident seen on patrol becomes a report of the alert network (at the
    patrol's place), linked to the patrol."""
    from ulinzi.alerts import domain as alerts

    text = text.strip()
    if len(text) < 3:
        raise ValueError(_("Describe the incident."))
    with transaction.atomic():
        locked = Patrol.objects.select_for_update().get(pk=patrol.pk)
        if locked.incident_alert_id is not None:
            raise TransitionRefused(
                _("This patrol's incident was reported already (alert A-%(n)s).")
                % {"n": locked.incident_alert_id}
            )
        place = patrol.request.place if patrol.request else None
        report = alerts.receive_report(source="patrol", text=text, actor=actor, place=place)
        patrol.incident_alert = report.alert
        patrol.save(update_fields=["incident_alert"])
        audit.record(
            actor, "patrols.report_incident", patrol, after={"alert": report.alert.reference}
        )
    return report


def asked_for(request: PatrolRequest, until: dt.date) -> int:
    """How many patrols the community asked for from its first day to ``until`` (its
    last day at most): each week, ``per_week``, or fewer when fewer of its days fall in
    the period."""
    end = min(request.valid_until, until)
    asked, week = 0, week_of(request.valid_from)
    while week <= end:
        days = [
            week + dt.timedelta(days=d)
            for d in request.weekdays
            if request.valid_from <= week + dt.timedelta(days=d) <= end
        ]
        asked += min(request.per_week, len(days))
        week += dt.timedelta(days=7)
    return asked


def close_request(*, actor: Any, request: PatrolRequest) -> PatrolRequest:
    """Done, partly done or not done, from the patrols that went out against those the
    community asked for up to today (its last day at most); the community is told (and
    the request is ``community informed`` when the SMS went). A request accepted and
    never scheduled is closed as not done once its last day has passed."""
    with transaction.atomic():
        locked = _locked(request, [S.SCHEDULED, S.ACCEPTED], _("closed"))
        if locked.status == S.ACCEPTED and locked.valid_until >= today():
            raise TransitionRefused(
                _("%(ref)s has no patrol yet and runs until %(day)s: plan it, or decline it.")
                % {"ref": locked.reference, "day": locked.valid_until.isoformat()}
            )
        patrols = list(locked.patrols.all())
        if any(p.status == Patrol.Status.PLANNED for p in patrols):
            raise TransitionRefused(_("Record every patrol of this request first."))
        done = sum(p.status == Patrol.Status.CONDUCTED for p in patrols)
        # What the community asked for up to its last patrol planned (or today), not the
        # patrols planned: one that did not go out and was made up for counts once.
        until = max([today(), *(p.day for p in patrols)])
        asked = max(asked_for(locked, until) or len(patrols), done, 1)
        outcome = S.DONE if done >= asked else S.PARTLY_DONE if done else S.NOT_DONE
        before = _state(locked)
        locked.status = locked.outcome = outcome
        locked.closed_at = timezone.now()
        answer = _answer(locked, "done" if done else "not_done", actor, done=done, planned=asked)
        if _sent(answer):
            locked.status, locked.informed_at = S.INFORMED, answer.at
        locked.save(update_fields=["status", "outcome", "closed_at", "informed_at"])
        audit.record(
            actor,
            "patrols.close_request",
            locked,
            before=before,
            after={**_state(locked), "done": done, "asked": asked},
        )
    return locked


def mark_informed(*, actor: Any, request: PatrolRequest, how: str) -> PatrolRequest:
    """The community was told another way (a meeting, a call): say how."""
    if len(how.strip()) < 3:
        raise TransitionRefused(_("Say how the community was told."))
    with transaction.atomic():
        locked = _locked(request, [S.DONE, S.PARTLY_DONE, S.NOT_DONE, S.DECLINED], _("informed"))
        before = _state(locked)
        locked.informed_at = timezone.now()
        if locked.status != S.DECLINED:
            locked.status = S.INFORMED
        locked.save(update_fields=["status", "informed_at"])
        Answer.objects.create(request=locked, status="informed", text=how[:480], at=timezone.now())
        audit.record(actor, "patrols.mark_informed", locked, before=before, after=_state(locked))
    return locked
