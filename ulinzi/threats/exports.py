"""The reporting matrix as files: CSV with an HXL hashtag row, XLSX, GeoJSON.

The CSV and the XLSX "data" sheet are long (one line per place, threat type and
period, only the cells with events), which is what a spreadsheet pivot or HXL
Proxy wants; the XLSX "matrix" sheet is the page's wide table.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ulinzi.threats.matrix import Matrix, period_end, period_label

AREA_TAG = {"province": "#adm1+name", "territory": "#adm2+name", "community": "#loc+name"}
HEADER = ["area", "threat_type", "period", "period_start", "period_end", "events", "fatalities"]


def hxl_tags(level: str) -> list[str]:
    return [
        AREA_TAG[level],
        "#event+type",
        "#date+period",
        "#date+start",
        "#date+end",
        "#indicator+events+num",
        "#affected+killed+num",
    ]


def long_rows(matrix: Matrix) -> list[list[Any]]:
    rows = []
    for row in matrix.rows:
        for start, cell in zip(matrix.periods, row.cells, strict=True):
            if cell.events:
                rows.append(
                    [
                        row.area,
                        row.threat_type,
                        period_label(start, matrix.period),
                        start.isoformat(),
                        period_end(start, matrix.period).isoformat(),
                        cell.events,
                        cell.fatalities,
                    ]
                )
    return rows


def to_csv(matrix: Matrix) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerow(hxl_tags(matrix.level))
    writer.writerows(long_rows(matrix))
    return out.getvalue()


def to_xlsx(matrix: Matrix) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    wide = book.active
    wide.title = "matrix"
    wide.append([matrix.level, "threat_type", *matrix.labels, "events", "fatalities", "trend"])
    for cell in wide[1]:
        cell.font = Font(bold=True)
    for row in matrix.rows:
        wide.append(
            [
                row.area,
                row.threat_type,
                *(c.events for c in row.cells),
                row.events,
                row.fatalities,
                row.trend,
            ]
        )
    wide.append(["total", "", *matrix.column_events, matrix.events, matrix.fatalities, ""])
    wide.freeze_panes = "C2"
    data = book.create_sheet("data")
    data.append(HEADER)
    data.append(hxl_tags(matrix.level))
    for line in long_rows(matrix):
        data.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_geojson(matrix: Matrix, points: dict[int, tuple[float, float]]) -> dict[str, Any]:
    """One point feature per area with a position (its centre), its totals per threat
    type and per period."""
    by_area: dict[int, dict[str, Any]] = {}
    for row in matrix.rows:
        if row.area_id is None or row.area_id not in points:
            continue
        area = by_area.setdefault(
            row.area_id,
            {
                "area": row.area,
                "level": matrix.level,
                "events": 0,
                "fatalities": 0,
                "by_threat_type": {},
                "by_period": dict.fromkeys(matrix.labels, 0),
            },
        )
        area["events"] += row.events
        area["fatalities"] += row.fatalities
        area["by_threat_type"][row.threat_type] = row.events
        for label, cell in zip(matrix.labels, row.cells, strict=True):
            area["by_period"][label] += cell.events
    features = []
    for area_id, properties in by_area.items():
        lat, lon = points[area_id]
        features.append(
            {
                "type": "Feature",
                "id": area_id,
                "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}
