from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ulinzi.alerts.models import CallbackTask
from ulinzi.alerts.queries import alerts_for, callbacks_for
from ulinzi.lib.text import record_id
from ulinzi.patrols import domain, figures, forms
from ulinzi.patrols.models import (
    SHIFTS,
    WEEKDAYS,
    Outing,
    Patrol,
    PatrolRequest,
    WeeklyPlan,
)
from ulinzi.patrols.queries import requests_for
from ulinzi.places.models import Base, Community
from ulinzi.places.queries import bases_for, communities_for
from ulinzi.threats.queries import hotspot_named, hotspots_for


def need(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise PermissionDenied


def get_request(user: Any, pk: int) -> PatrolRequest:
    found = requests_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such request in your area.")
    return found


@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    need(request, "patrols.view")
    status = request.GET.get("status", "")
    found = requests_for(request.user)
    if status in PatrolRequest.Status.values:
        found = found.filter(status=status)
    return render(
        request,
        "patrols/requests.html",
        {
            "requests": found[:300],
            "status": status,
            "statuses": PatrolRequest.Status.choices,
            "week": domain.week_of(timezone.localdate() + dt.timedelta(days=7)),
        },
    )


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """Record a request. Opened from an alert (``?alert=``), a saved hotspot
    (``?hotspot=``) or a request by SMS waiting for its call-back (``?callback=``), the
    form starts from what that one says."""
    need(request, "patrols.request")
    communities = communities_for(request.user)
    form = forms.RequestForm(
        request.POST or None,
        initial=_starting_point(request, communities) if request.method == "GET" else None,
        communities=communities,
        alerts=alerts_for(request.user),
        hotspots=hotspots_for(request.user).order_by("-saved_at", "-id"),
        callbacks=_callbacks(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = domain.create_request(
                actor=request.user,
                community=data["community"],
                kind=data["kind"],
                place=data["place"],
                route=data["route_places"],
                weekdays=data["weekdays"],
                shift=data["shift"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                per_week=data["per_week"],
                priority=data["priority"],
                beneficiaries=data["beneficiaries"],
                group=data["group"],
                reason=data["reason"],
                alerts=data["alert_list"],
                hotspots=data["hotspots"],
                phone=data["phone"] or None,
                language=data["language"],
                callback=data["callback_task"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Request %(ref)s recorded.") % {"ref": created.reference})
            return redirect("patrols:request", pk=created.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "patrols/request_form.html", {"form": form}, status=status)


def _starting_point(request: HttpRequest, communities: QuerySet[Community]) -> dict[str, Any]:
    """What the request form starts from: the place, reasons and nearest community of
    an alert, a hotspot or a request by SMS the user may see (nothing for one they may
    not)."""
    initial: dict[str, Any] = {"valid_from": domain.today()}
    given = {k: request.GET.get(k, "") for k in ("alert", "hotspot", "callback")}
    alert_id, callback_id = record_id(given["alert"]), record_id(given["callback"])
    if alert_id is not None:
        alert = alerts_for(request.user).filter(pk=alert_id).first()
        if alert is not None:
            initial["alerts"] = alert.reference
            initial["reason"] = _("Alert %(ref)s: %(what)s, %(day)s") % {
                "ref": alert.reference,
                "what": alert.get_threat_type_display(),
                "day": timezone.localtime(alert.received_at).date().isoformat(),
            }
            _place_and_community(initial, alert.place, alert.lat, alert.lon, communities)
    elif given["hotspot"]:
        hotspot = hotspot_named(request.user, given["hotspot"])
        if hotspot is not None:
            initial["hotspots"] = [hotspot.pk]
            initial["reason"] = _("Hotspot %(name)s: %(n)s events %(start)s – %(end)s") % {
                "name": hotspot.name,
                "n": hotspot.observed,
                "start": hotspot.start.isoformat(),
                "end": hotspot.end.isoformat(),
            }
            _place_and_community(initial, hotspot.place, hotspot.lat, hotspot.lon, communities)
    elif callback_id is not None:
        task = _callbacks(request).filter(pk=callback_id).first()
        if task is not None and task.done_at is None:
            initial["callback"] = task.pk
            initial["reason"] = task.note
            community = task.reporter.community
            if community is not None and communities.filter(pk=community.pk).exists():
                initial["community"] = community.pk
    return initial


def _callbacks(request: HttpRequest) -> QuerySet[CallbackTask]:
    """The call-backs the user handles (those who may call a reporter back)."""
    if request.user.can("reporter.reveal_phone"):  # type: ignore[union-attr]
        return callbacks_for(request.user)
    return CallbackTask.objects.none()


def _place_and_community(
    initial: dict[str, Any],
    place: Any,
    lat: float | None,
    lon: float | None,
    communities: QuerySet[Community],
) -> None:
    if place is not None:
        initial["place"], initial["place_id"] = place.name, place.pk
    if lat is None or lon is None:
        return
    nearest = domain.nearest_community(communities, lat, lon)
    if nearest is not None:
        initial["community"] = nearest.pk


@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need(request, "patrols.view")
    found = get_request(request.user, pk)
    return render(
        request,
        "patrols/request.html",
        {
            "req": found,
            "patrols": found.patrols.select_related("base", "outing").order_by("day"),
            "answers": found.answers.all(),
            "decline_form": forms.DeclineForm(),
            "informed_form": forms.InformedForm(),
            "can_decide": request.user.can("patrols.plan"),  # type: ignore[union-attr]
            "today": domain.today(),
            "weekdays": [str(dict(WEEKDAYS)[d]) for d in found.weekdays],
            # The alerts given as its reason, those the user may see.
            "alerts": alerts_for(request.user).filter(pk__in=found.alerts.values("pk")),
            "hotspots": hotspots_for(request.user).filter(pk__in=found.hotspots.values("pk")),
        },
    )


@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    found = get_request(request.user, pk)
    need(request, "patrols.plan" if action in ("accept", "decline", "close") else "patrols.request")
    try:
        if action == "accept":
            domain.accept_request(actor=request.user, request=found)
        elif action == "decline":
            form = forms.DeclineForm(request.POST)
            if not form.is_valid():
                raise domain.TransitionRefused(
                    _("Give the community a reason (a few words at least).")
                )
            domain.decline_request(
                actor=request.user, request=found, reason=form.cleaned_data["reason"]
            )
        elif action == "close":
            domain.close_request(actor=request.user, request=found)
        elif action == "informed":
            form = forms.InformedForm(request.POST)
            if not form.is_valid():
                raise domain.TransitionRefused(_("Say how the community was told."))
            domain.mark_informed(actor=request.user, request=found, how=form.cleaned_data["how"])
        else:
            raise Http404("No such action.")
    except domain.TransitionRefused as exc:
        messages.error(request, str(exc))
    return redirect("patrols:request", pk=found.pk)


def _week(request: HttpRequest) -> dt.date:
    text = request.GET.get("week") or request.POST.get("week") or ""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = timezone.localdate() + dt.timedelta(days=7)
    # Year 1 or 9999 has no week around it to show: the nearest that has one.
    return domain.week_of(min(max(day, dt.date(1970, 1, 5)), dt.date(9998, 12, 25)))


@require_http_methods(["GET", "POST"])
def plan_page(request: HttpRequest) -> HttpResponse:
    """Next week's plan: run the planner, fix or remove patrols, approve."""
    need(request, "patrols.view")
    week = _week(request)
    if request.method == "POST":
        need(request, "patrols.plan")
        action = request.POST.get("action", "")
        try:
            if action in ("run", "approve", "fix") and not request.user.scope().whole_mission:  # type: ignore[union-attr]
                # One plan shares the mission's teams out: planning and approving it
                # (which tells every community its dates) is for a mission-wide planner.
                raise domain.TransitionRefused(
                    _(
                        "The week's plan covers the whole mission: a planner of the whole mission runs and approves it."
                    )
                )
            if action == "run":
                domain.plan_week(actor=request.user, week_start=week)
                messages.success(request, _("Plan proposed."))
            elif action == "approve":
                plan = WeeklyPlan.objects.filter(week_start=week).first()
                if plan is None:
                    raise domain.TransitionRefused(_("Run the plan first."))
                domain.approve_plan(actor=request.user, plan=plan)
                messages.success(request, _("Plan approved; the communities are told the dates."))
            elif action == "fix":
                form = forms.FixForm(
                    request.POST,
                    requests=requests_for(request.user),
                    bases=bases_for(request.user),
                )
                if not form.is_valid():
                    raise domain.TransitionRefused(
                        _("Choose a request, a base, a day and a shift.")
                    )
                data = form.cleaned_data
                with transaction.atomic():  # a fix the plan cannot keep is not kept
                    domain.fix_patrol(
                        actor=request.user,
                        request=data["request"],
                        base=data["base"],
                        day=data["day"],
                        shift=data["shift"],
                    )
                    domain.plan_week(actor=request.user, week_start=week)
                messages.success(request, _("Patrol fixed; the plan was run again around it."))
            elif action == "remove":
                raw = str(request.POST.get("patrol", ""))
                pk = record_id(raw)
                if pk is None:
                    raise Http404("No such patrol.")
                patrol = _patrol_for(request.user, pk)
                domain.unfix_patrol(actor=request.user, patrol=patrol)
            else:
                raise Http404("No such action.")
        except (domain.TransitionRefused, ValueError) as exc:
            messages.error(request, str(exc))
        return redirect(f"{request.path}?week={week.isoformat()}")
    plan = WeeklyPlan.objects.filter(week_start=week).first()
    days = [week + dt.timedelta(days=i) for i in range(7)]
    # The plan is the mission's; each user sees the patrols of their bases and the
    # requests of their areas.
    mine = bases_for(request.user)
    rows = plan_rows(week, days, mine)
    visible = set(requests_for(request.user).values_list("pk", flat=True))
    considered = [r for r in domain.requests_for_week(week) if r.pk in visible]
    unmet = []
    if plan:
        # In the reader's language (a plan made before it was said in it: in English).
        said = plan.said.get(translation.get_language(), plan.explanations)
        for req in considered:
            reasons = said.get(str(req.pk))
            if reasons:
                unmet.append({"req": req, "reasons": reasons})
    return render(
        request,
        "patrols/plan.html",
        {
            "week": week,
            "previous": week - dt.timedelta(days=7),
            "next": week + dt.timedelta(days=7),
            "days": days,
            "plan": plan,
            "rows": rows,
            "unmet": unmet,
            "considered": considered,
            "bases": mine.order_by("name"),
            "whole_mission": request.user.scope().whole_mission,  # type: ignore[union-attr]
            "can_plan": request.user.can("patrols.plan"),  # type: ignore[union-attr]
        },
    )


def plan_rows(week: dt.date, days: list[dt.date], bases: QuerySet[Base]) -> list[dict[str, Any]]:
    """The plan as a table: a row per base (of ``bases``), a cell per day holding its day
    then night outings (one per team out), each with its requests in the order visited
    and the base's teams for that shift."""
    outings = (
        Outing.objects.filter(
            day__gte=week, day__lt=week + dt.timedelta(days=7), base__in=bases.values("pk")
        )
        .select_related("base__capacity")
        .prefetch_related(
            Prefetch(
                "patrols",
                queryset=Patrol.objects.select_related("request__community").order_by("stop", "pk"),
                to_attr="stops",
            )
        )
        .order_by("day", "shift", "pk")
    )
    grid: dict[str, dict[str, Any]] = {}
    for outing in outings:
        row = grid.setdefault(outing.base.name, {"base": outing.base, "cells": {}})
        row["cells"].setdefault((outing.day, outing.shift), []).append(outing)
    out = []
    for _name, row in sorted(grid.items()):
        declared = domain.capacity_of(row["base"])
        teams = {shift: declared[f"{shift}_teams"] for shift in ("day", "night")}
        out.append(
            {
                "base": row["base"],
                "cells": [
                    [
                        {
                            "shift": shift,
                            "outings": row["cells"].get((d, shift), []),
                            "teams": teams[shift],
                        }
                        for shift in ("day", "night")
                    ]
                    for d in days
                ],
            }
        )
    return out


def _as_recorded(patrol: Patrol) -> dict[str, Any]:
    """What the patrol's record says, to show in its form (nothing before it is recorded)."""
    if patrol.status == Patrol.Status.PLANNED:
        return {}
    return {
        "conducted": "1" if patrol.status == Patrol.Status.CONDUCTED else "0",
        "not_conducted_reason": patrol.not_conducted_reason,
        **{name: getattr(patrol, name) for name in domain.RECORD_FIELDS},
    }


def _patrol_for(user: Any, pk: int) -> Patrol:
    patrol = (
        Patrol.objects.select_related("base", "outing", "request__place", "request__community")
        .filter(pk=pk)
        .first()
    )
    if patrol is None:
        raise Http404("No such patrol.")
    if not bases_for(user).filter(pk=patrol.base_id).exists():
        raise Http404("No such patrol at your bases.")
    return patrol


@require_http_methods(["GET", "POST"])
def record_patrol(request: HttpRequest, pk: int) -> HttpResponse:
    need(request, "patrols.record")
    patrol = _patrol_for(request.user, pk)
    form = forms.RecordForm(request.POST or None, initial=_as_recorded(patrol))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        conducted = data.pop("conducted")
        reason = data.pop("not_conducted_reason")
        try:
            domain.record_patrol(
                actor=request.user,
                patrol=patrol,
                conducted=conducted,
                not_conducted_reason=reason,
                **data,  # a time left empty clears the one recorded before
            )
        except domain.TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Patrol recorded."))
            return redirect("patrols:record", pk=patrol.pk)
    status = 400 if request.method == "POST" else 200
    stops = patrol.outing.patrols.select_related("request__community").order_by("stop", "pk")
    return render(
        request,
        "patrols/record.html",
        {
            "patrol": patrol,
            "outing": patrol.outing,
            "stops": stops,
            "form": form,
            "ahead": patrol.day > domain.today(),
            # What the record says was seen, ready to be reported (not twice).
            "incident_form": forms.IncidentForm(
                initial={"text": patrol.incidents[: forms.INCIDENT_MAX]}
            ),
        },
        status=status,
    )


@require_POST
def patrol_incident(request: HttpRequest, pk: int) -> HttpResponse:
    need(request, "patrols.record")
    patrol = _patrol_for(request.user, pk)
    form = forms.IncidentForm(request.POST)
    if not form.is_valid() or "\x00" in form.cleaned_data["text"]:
        messages.error(request, _("Describe the incident."))
        return redirect("patrols:record", pk=patrol.pk)
    try:
        report = domain.report_incident(
            actor=request.user, patrol=patrol, text=form.cleaned_data["text"]
        )
    except (ValueError, domain.TransitionRefused) as exc:
        messages.error(request, str(exc))
        return redirect("patrols:record", pk=patrol.pk)
    messages.success(request, _("Reported as %(ref)s.") % {"ref": report.alert.reference})
    return redirect("alerts:detail", pk=report.alert.pk)


@require_http_methods(["GET", "POST"])
def capacity_page(request: HttpRequest) -> HttpResponse:
    """Each base's capacity: a form per base (its fields prefixed with the base's code) for
    a planner, the values as text for the others."""
    need(request, "patrols.view")
    can_plan = request.user.can("patrols.plan")  # type: ignore[union-attr]
    bases = list(bases_for(request.user).select_related("capacity"))
    if request.method == "POST":
        need(request, "patrols.plan")
        base = next((b for b in bases if b.code == request.POST.get("base")), None)
        if base is None:
            raise Http404("No such base.")
        form = forms.CapacityForm(request.POST, prefix=base.code)
        if form.is_valid():
            try:
                domain.save_capacity(actor=request.user, base=base, **form.cleaned_data)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Capacity of %(base)s saved.") % {"base": base.name})
                return redirect("patrols:capacity")
        said = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(
            request, _("%(base)s not saved: %(errors)s") % {"base": base.name, "errors": said}
        )
        posted = {base.pk: form}  # shown as it was typed, beside its errors
    else:
        posted = {}
    rows = []
    for base in bases:
        initial = domain.capacity_of(base)
        initial["unavailable_days"] = ", ".join(initial["unavailable_days"])
        saved = getattr(base, "capacity", None) is not None
        shown = posted.get(base.pk) or forms.CapacityForm(initial=initial, prefix=base.code)
        rows.append({"base": base, "form": shown, "capacity": initial, "saved": saved})
    return render(
        request,
        "patrols/capacity.html",
        {"rows": rows, "can_plan": can_plan},
        status=400 if posted else 200,
    )


@require_GET
def figures_page(request: HttpRequest) -> HttpResponse:
    need(request, "patrols.view")
    rows = figures.monthly(requests_for(request.user))
    kinds, shifts = dict(PatrolRequest.Kind.choices), dict(SHIFTS)
    for row in rows:  # "night (night) 3 · market (day) 1", in the user's language
        row["by_type"] = [
            (f"{kinds.get(kind, kind)} ({shifts.get(shift, shift)})", n)
            for key, n in row["patrols_by_kind_and_shift"].items()
            for kind, _sep, shift in [key.partition("/")]
        ]
    return render(request, "patrols/figures.html", {"rows": rows})
