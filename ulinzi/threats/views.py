from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ulinzi.alerts.models import THREAT_TYPES
from ulinzi.places.models import Base, Community, Place
from ulinzi.threats import exports, queries
from ulinzi.threats.forms import MatrixForm
from ulinzi.threats.matrix import TRENDS, period_end

THREAT_LABELS = dict(THREAT_TYPES)


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
    rows = [
        {
            "row": row,
            "label": THREAT_LABELS.get(row.threat_type, row.threat_type),
            "arrow": TRENDS[row.trend],
            "cells": [
                {"cell": cell, "start": start, "end": period_end(start, filters.period)}
                for cell, start in zip(row.cells, matrix.periods, strict=True)
            ],
        }
        for row in matrix.rows
    ]
    return render(
        request,
        "threats/matrix.html",
        {
            "form": form,
            "matrix": matrix,
            "rows": rows,
            "filters": filters,
            "first": first,
            "last": last,
            "query": query.urlencode(),
            "columns": list(zip(matrix.labels, matrix.column_events, strict=True)),
            "bases": Base.objects.order_by("name"),
            "sources": queries.sources(request.user),
        },
    )


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
        {"form": form, "page": page, "filters": filters, "query": query.urlencode()},
    )


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


def hotspots_page(request: HttpRequest) -> HttpResponse:
    raise Http404


def hotspot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def watch_page(request: HttpRequest) -> HttpResponse:
    raise Http404
