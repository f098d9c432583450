from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ulinzi.alerts.models import THREAT_TYPES
from ulinzi.alerts.queries import alerts_for
from ulinzi.places.models import Base, Community, Place
from ulinzi.threats import analysis, domain, early_warning, exports, queries
from ulinzi.threats import forecast as fc
from ulinzi.threats.forms import LEVEL_CHOICES, HotspotForm, MatrixForm, ScanForm
from ulinzi.threats.matrix import TRENDS, period_end
from ulinzi.threats.models import Event
from ulinzi.threats.scan import ScanSettings

THREAT_LABELS = dict(THREAT_TYPES)
TREND_WORDS = {
    "up": gettext_lazy("rising"),
    "down": gettext_lazy("falling"),
    "steady": gettext_lazy("steady"),
    "": "",
}


def need(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise PermissionDenied


def area_points(level: str, ids: list[int]) -> dict[int, tuple[float, float]]:
    if level == "community":
        rows = Community.objects.filter(pk__in=ids, place__lat__isnull=False).values_list(
            "pk", "place__lat", "place__lon"
        )
    else:
        rows = Place.objects.filter(pk__in=ids, lat__isnull=False).values_list("pk", "lat", "lon")
    return {pk: (lat, lon) for pk, lat, lon in rows}


@require_GET
def matrix_page(request: HttpRequest) -> HttpResponse:
    """Threat type x place x period, with drill-down to the events and exports."""
    need(request, "analysis.view")
    form = MatrixForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "threats/matrix.html", {"form": form, "matrix": None}, status=400)
    filters = form.filters()
    matrix, first, last = queries.build_matrix(request.user, filters)
    fmt = request.GET.get("format", "")
    name = f"ulinzi-matrix-{filters.level}-{filters.period}-{first}-{last}"
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(matrix), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(
            exports.to_xlsx(matrix),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if fmt == "geojson":
        ids = [r.area_id for r in matrix.rows if r.area_id is not None]
        response = JsonResponse(exports.to_geojson(matrix, area_points(filters.level, ids)))
        response["Content-Disposition"] = f'attachment; filename="{name}.geojson"'
        return response
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "threats/matrix.html",
        {
            "form": form,
            "matrix": matrix,
            "body": matrix_body(matrix, filters),
            "filters": filters,
            "first": first,
            "last": last,
            "query": query.urlencode(),
            "columns": [
                (label, total, start, period_end(start, matrix.period))
                for label, total, start in zip(
                    matrix.labels, matrix.column_events, matrix.periods, strict=True
                )
            ],
            "level_label": dict(LEVEL_CHOICES)[matrix.level],
            "not_counted": [
                (Event.DatePrecision(precision).label, n)
                for precision, n in queries.not_counted(request.user, filters, first, last).items()
            ],
            "bases": Base.objects.order_by("name"),
            "sources": queries.sources(request.user),
        },
    )


def matrix_body(matrix: Any, filters: queries.Filters) -> str:
    """The table's rows as HTML, each cell linking to its events. Built here rather than
    in the template: a six-year quarterly matrix has thousands of cells, and the
    template engine spends about 20 microseconds on each tag of each."""
    events_url = reverse("threats:events")
    # A cell's events are those of its period within the dates asked for: a first or last
    # period cut by them links to its part only.
    spans = [
        f"&amp;date_from={max(start, filters.date_from or start).isoformat()}"
        f"&amp;date_to={min(end, filters.date_to or end).isoformat()}"
        for start in matrix.periods
        for end in [period_end(start, filters.period)]
    ]
    # A cell counts the events dated to its period: so does the list it links to.
    common = escape(
        urlencode(
            {
                "level": filters.level,
                "source": filters.source,
                "base": filters.base,
                "period": filters.period,
                "dated_to": queries.counted_by(filters.period),
            }
        )
    )
    lines = []
    previous_area = None
    for row in matrix.rows:
        head = f"{events_url}?{common}&amp;threat_type={escape(row.threat_type)}"
        head += f"&amp;area={row.area_id if row.area_id is not None else queries.NO_AREA}"
        cells = []
        for cell, span in zip(row.cells, spans, strict=True):
            if cell.events:
                text = f"{cell.events} ({cell.fatalities})" if cell.fatalities else str(cell.events)
                cells.append(f'<td class="num"><a href="{head}{span}">{text}</a></td>')
            else:
                cells.append('<td class="num zero">·</td>')
        area = escape(row.area) if row.area != previous_area else ""
        previous_area = row.area
        total = f"<strong>{row.events}</strong>" + (
            f" ({row.fatalities})" if row.fatalities else ""
        )
        label = escape(THREAT_LABELS.get(row.threat_type, row.threat_type))
        lines.append(
            f'<tr><th scope="row">{area}</th><td>{label}</td>{"".join(cells)}'
            f'<td class="num">{total}</td><td class="trend trend-{row.trend}" '
            f'title="{escape(TREND_WORDS[row.trend])}">{TRENDS[row.trend]}</td></tr>'
        )
    return mark_safe("\n".join(lines))  # noqa: S308  (every value above is escaped or a number)


@require_GET
def events_page(request: HttpRequest) -> HttpResponse:
    """The events behind a matrix cell (or any filter), newest first."""
    need(request, "analysis.view")
    form = MatrixForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "threats/events.html", {"form": form, "page": None}, status=400)
    filters = form.filters()
    events = filters.apply(queries.events_for(request.user)).select_related(
        "place", "territory", "community"
    )
    page = Paginator(events.order_by("-date_start", "-id"), 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "threats/events.html",
        {
            "form": form,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "described": _described(filters),
        },
    )


def _described(filters: queries.Filters) -> list[str]:
    """The filters of a list of events, in words: what a matrix cell's list is of."""
    said = []
    if filters.threat_type:
        said.append(str(THREAT_LABELS.get(filters.threat_type, filters.threat_type)))
    if filters.area == queries.NO_AREA:
        said.append(_("no %(level)s") % {"level": dict(LEVEL_CHOICES)[filters.level]})
    elif filters.area is not None:
        name = queries.area_names(filters.level, {filters.area}).get(filters.area)
        said.append(name or "?")
    if filters.date_from or filters.date_to:
        said.append(f"{filters.date_from or '…'} – {filters.date_to or '…'}")
    if filters.source:
        said.append(filters.source)
    if filters.dated_to == "week":  # the day or the week: what a weekly count can place
        said.append(_("dated at least to the week"))
    elif filters.dated_to == "month":
        said.append(_("dated at least to the month"))
    return said


@require_GET
def events_geojson(request: HttpRequest) -> HttpResponse:
    """Events as points for the map (at most 5,000, newest first)."""
    need(request, "analysis.view")
    form = MatrixForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return JsonResponse(
            {"detail": _("The filters are not valid."), "errors": form.errors}, status=400
        )
    events = form.filters().apply(queries.events_for(request.user)).order_by("-date_start")[:5000]
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": e["id"],
            "geometry": {"type": "Point", "coordinates": [round(e["lon"], 5), round(e["lat"], 5)]},
            "properties": {
                "date": e["date_start"].isoformat(),
                "type": e["threat_type"],
                "fatalities": e["fatalities"],
                "source": e["source"],
                "place": e["place_name"],
            },
        }
        for e in events.values(
            "id", "lat", "lon", "date_start", "threat_type", "fatalities", "source", "place_name"
        )
    ]
    return HttpResponse(
        json.dumps({"type": "FeatureCollection", "features": features}),
        content_type="application/geo+json",
    )


SCAN_DEFAULTS = {
    "max_days": 30,
    "max_radius_km": 25.0,
    "replicates": 999,
    "seed": 12345,
    "events": "both",
}
SCAN_YEARS = 1
BACKTEST_HISTORY = 14  # months of data before the backtest's first target month  # the study period the page scans: a year up to the analysis date


def _scan(request: HttpRequest, form: ScanForm) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    data = form.cleaned_data
    date_to = data.get("date_to") or queries.latest_day(request.user)
    date_from = date_to - dt.timedelta(days=365 * SCAN_YEARS)
    settings = ScanSettings(
        max_radius_km=data["max_radius_km"],
        max_days=data["max_days"],
        replicates=data["replicates"],
        seed=data["seed"],
    )
    points = analysis.points_from_database(
        data["events"],
        queries.events_for(request.user).filter(date_start__gte=date_from),
        alerts_for(request.user).filter(received_at__date__gte=date_from),
        data.get("threat_type") or "",
    )
    used = {
        **{k: data[k] for k in SCAN_DEFAULTS},
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "threat_type": data.get("threat_type") or "",
    }
    if not points:
        return None, [], used
    result, clusters = analysis.run_scan(
        points, date_to=date_to, date_from=date_from, settings=settings
    )
    return result, clusters, used


def _fingerprint(cluster: dict[str, Any]) -> str:
    """What a cluster is, in a few characters: its window and its members."""
    said = f"{cluster['start']}|{cluster['end']}|{'|'.join(sorted(cluster['members']))}"
    return hashlib.sha256(said.encode()).hexdigest()[:20]


@require_http_methods(["GET", "POST"])
def hotspots_page(request: HttpRequest) -> HttpResponse:
    """Run the scan on the user's events and alerts; show the clusters on a map; save
    one as a hotspot (the scan is run again with the same seed: the same clusters)."""
    need(request, "analysis.view")
    params = request.POST if request.method == "POST" else request.GET
    form = ScanForm({**SCAN_DEFAULTS, **params.dict()} if params else SCAN_DEFAULTS)
    saved_form = HotspotForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "hotspots": queries.hotspots_for(request.user)[:50]}
    if not form.is_valid():
        return render(request, "threats/hotspots.html", context, status=400)
    result, clusters, used = _scan(request, form)
    if request.method == "POST":
        need(request, "events.manage")
        # The cluster the analyst looked at, found again by what it holds: new events or
        # alerts since then may have reordered the clusters or changed them.
        wanted = saved_form.cleaned_data["fingerprint"] if saved_form.is_valid() else None
        cluster = next((c for c in clusters if _fingerprint(c) == wanted), None)
        if cluster is not None:
            ids = [int(r.split(":")[1]) for r in cluster["members"] if r.startswith("event:")]
            alert_ids = [int(r.split(":")[1]) for r in cluster["members"] if r.startswith("alert:")]
            ids += list(Event.objects.filter(alert_id__in=alert_ids).values_list("pk", flat=True))
            hotspot = domain.save_hotspot(
                actor=request.user,
                name=saved_form.cleaned_data["name"],
                note=saved_form.cleaned_data["note"],
                cluster={**cluster, "event_ids": ids},
                scan_settings={**used, "members": cluster["members"]},
            )
            messages.success(request, _("Hotspot saved."))
            return redirect("threats:hotspot", pk=hotspot.pk)
        context["save_errors"] = saved_form.errors or {
            "cluster": [
                _(
                    "The clusters have changed since the page was shown (new events or "
                    "alerts): here they are now; save the one you want again."
                )
            ]
        }
    shown = [
        {
            **analysis.jsonable(c),
            "significant": c["p_value"] < 0.05,
            "points": c["member_points"],
            "fingerprint": _fingerprint(c),
        }
        for c in clusters
    ]
    context.update(
        {
            "result": result,
            "clusters": shown,
            "used": used,
            "can_save": request.user.can("events.manage"),  # type: ignore[union-attr]
            "map_data": {
                "clusters": [
                    {
                        "rank": c["rank"],
                        "lat": c["lat"],
                        "lon": c["lon"],
                        "radius_km": c["radius_km"],
                        "p_value": c["p_value"],
                        "observed": c["observed"],
                        "expected": c["expected"],
                        "points": [[p.lat, p.lon, p.label, p.day.isoformat()] for p in c["points"]],
                    }
                    for c in shown
                ]
            },
        }
    )
    return render(request, "threats/hotspots.html", context)


@require_GET
def hotspot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need(request, "analysis.view")
    visible = queries.events_for(request.user)
    hotspot = queries.hotspots_for(request.user).filter(pk=pk).first()
    if hotspot is None:
        raise Http404("No such hotspot in your area.")
    members = hotspot.events.filter(pk__in=visible.values("pk")).select_related("territory")
    context: dict[str, Any] = {"hotspot": hotspot, "members": members}
    if request.user.can("patrols.view"):  # type: ignore[union-attr]
        from ulinzi.patrols.queries import requests_for

        # The patrol requests that give it as their reason, those the user may see.
        context["requests"] = requests_for(request.user).filter(hotspots=hotspot)
    return render(request, "threats/hotspot.html", context)


def _cached(key: str, build: Any) -> Any:
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, 3600)
    return value


@require_GET
def watch_page(request: HttpRequest) -> HttpResponse:
    """Communities ranked by next month's forecast risk of their area, with the reasons;
    and, on request, the backtest of the forecast against the baselines."""
    need(request, "analysis.view")
    unit = request.GET.get("unit", "territory")
    if unit not in early_warning.UNITS:
        return render(
            request,
            "threats/watch.html",
            {"error": _("Unknown area unit."), "unit": "territory"},
            status=400,
        )
    events = Event.objects.all()
    context: dict[str, Any] = {"unit": unit, "units": early_warning.UNITS}
    try:
        areas = early_warning.cached_forecast(unit)
    except ValueError as exc:
        return render(request, "threats/watch.html", {**context, "error": str(exc)}, status=400)
    if not areas:
        return render(request, "threats/watch.html", {**context, "areas": []})
    by_id = {a["id"]: a for a in areas}
    scope = request.user.scope()  # type: ignore[union-attr]
    communities = []
    for community in Community.objects.select_related("place").filter(
        place__in=Place.objects.filter(scope.place_q())
    ):
        place = community.place
        if unit == "territory":
            key = str(place.territory_id or "")
        else:
            key = fc.grid_cell(place.lat, place.lon) if place.lat is not None else ""
        if key in by_id:
            communities.append({"community": community, "forecast": by_id[key]})
    communities.sort(key=lambda c: (-c["forecast"]["rank_score"], c["community"].name))
    if not scope.whole_mission:  # the areas of the user's own: others' are not theirs to see
        mine = {c["forecast"]["id"] for c in communities}
        if unit == "territory":
            inside = Place.objects.filter(scope.place_q())
            territories = inside.values_list("territory_id", flat=True).order_by().distinct()
            mine |= {str(t) for t in territories if t}
            mine |= {str(t) for t in inside.filter(kind="territory").values_list("pk", flat=True)}
        areas = [a for a in areas if a["id"] in mine]
    # The reasons in the user's language (the rows' explanations are in English), worded
    # once per area however many communities share it.
    said: dict[str, dict[str, Any]] = {}

    def with_reasons(row: dict[str, Any]) -> dict[str, Any]:
        if row["id"] not in said:
            said[row["id"]] = {**row, "reasons": early_warning.reasons(row)}
        return said[row["id"]]

    for c in communities:
        c["forecast"] = with_reasons(c["forecast"])
    context.update(
        {
            "areas": [with_reasons(a) for a in areas[:20]],
            "communities": communities,
            "month": areas[0]["month"] if areas else "",
            "origin": areas[0]["origin"] if areas else "",
        }
    )
    if request.GET.get("backtest") == "1" and areas:
        last = fc.month_index(int(areas[0]["origin"][:4]), int(areas[0]["origin"][5:]))
        oldest = events.aggregate(day=Min("date_start"))["day"]
        # The last 12 months, or fewer when the history is short: the first fit needs
        # a year of data before its origin.
        first = max(last - 11, fc.month_index(oldest) + BACKTEST_HISTORY)
        try:
            stamp = events.aggregate(n=Count("id"), last=Max("id"))
            context["backtest"] = _cached(
                f"backtest:{unit}:{stamp['n']}:{stamp['last']}:{first}:{last}",
                lambda: early_warning.run_backtest(
                    unit,
                    events,
                    dt.date(first // 12, first % 12 + 1, 1),
                    dt.date(last // 12, last % 12 + 1, 1),
                ),
            )
        except ValueError as exc:
            context["backtest_error"] = str(exc)
        else:
            context["backtest_rows"] = [
                (str(BACKTEST_METHODS.get(name, name)), metrics)
                for name, metrics in context["backtest"]["methods"].items()
            ]
    return render(request, "threats/watch.html", context)


#: The methods of a backtest (``forecast.backtest``), in words.
BACKTEST_METHODS = {
    "ulinzi": gettext_lazy("Ulinzi's forecast"),
    "last_month": gettext_lazy("last month's value"),
    "mean_6": gettext_lazy("mean of the last 6 months"),
    "mean_12": gettext_lazy("mean of the last 12 months"),
}
