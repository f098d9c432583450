"""Importing events, linking them to the gazetteer, the matrix against direct counts,
its exports and API, scope, and verified alerts becoming events."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from ulinzi.alerts import domain as alerts
from ulinzi.audit.models import AuditEntry
from ulinzi.messaging import domain as messaging
from ulinzi.places.domain import ImportRefused
from ulinzi.places.models import Place
from ulinzi.test import make_user, verified_client
from ulinzi.threats import domain
from ulinzi.threats.linking import grid_cell
from ulinzi.threats.models import Event

pytestmark = pytest.mark.django_db

# Real towns: Beni and Oicha (Beni territory), Goma (Nyiragongo / Goma), Bangui (CAR,
# outside the gazetteer).
BENI = (0.4911, 29.4731)
OICHA = (0.7000, 29.5167)
GOMA = (-1.6792, 29.2228)
BANGUI = (4.3612, 18.5550)
HEADER = "id,date,lat,lon,type,fatalities,place\n"


def write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def four_events(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        HEADER
        + f"e1,2024-03-02,{BENI[0]},{BENI[1]},killing,4,Beni ville\n"
        + f"e2,2024-03-20,{OICHA[0]},{OICHA[1]},abduction,0,Oicha\n"
        + f"e3,2024-04-05,{GOMA[0]},{GOMA[1]},armed_clash,2,Goma\n"
        + f"e4,2024-04-06,{BANGUI[0]},{BANGUI[1]},attack_on_civilians,1,Bangui\n",
    )


def territory_of(event: Event) -> str | None:
    return event.territory.name if event.territory else None


def test_import_links_each_event_and_is_idempotent(
    personas: dict[str, Any], four_events: Path
) -> None:
    result = domain.import_events(four_events, "csv", source="test")
    assert result.summary() == {"created": 4, "updated": 0, "unchanged": 0, "skipped_bad": 0}
    e1 = Event.objects.get(key="test:e1")
    assert (e1.fatalities, e1.threat_type, e1.date_start) == (4, "killing", dt.date(2024, 3, 2))
    assert (e1.week, e1.month) == (dt.date(2024, 2, 26), dt.date(2024, 3, 1))
    assert e1.province is not None and e1.province.name == "Nord-Kivu"
    assert territory_of(e1) == "Beni"
    assert e1.place is not None and e1.place_km is not None and e1.place_km < 5
    assert e1.grid_cell == grid_cell(*BENI) == 180 * 720 + 418 + 1
    bangui = Event.objects.get(key="test:e4")
    assert (bangui.place, bangui.province, bangui.territory) == (None, None, None)
    assert AuditEntry.objects.filter(action="threats.import_events").count() == 1

    again = domain.import_events(four_events, "csv", source="test")
    assert again.summary() == {"created": 0, "updated": 0, "unchanged": 4, "skipped_bad": 0}
    changed = write(
        four_events.parent,
        four_events.read_text().replace("killing,4,", "killing,6,"),
        "changed.csv",
    )
    third = domain.import_events(changed, "csv", source="test")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 3)
    assert Event.objects.get(key="test:e1").fatalities == 6
    assert Event.objects.count() == 4


def test_a_file_with_bad_rows_writes_nothing_unless_told_to_skip(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        HEADER
        + f"ok1,2024-03-02,{BENI[0]},{BENI[1]},killing,1,Beni\n"
        + f"bad,2024-13-02,{BENI[0]},{BENI[1]},killing,1,Beni\n"
        + f"ok2,2024-03-03,{GOMA[0]},{GOMA[1]},abduction,0,Goma\n",
    )
    with pytest.raises(ImportRefused) as refused:
        domain.import_events(path, "csv", source="test")
    assert [e.line for e in refused.value.errors] == [3]
    assert Event.objects.count() == 0
    result = domain.import_events(path, "csv", source="test", skip_bad=True)
    assert (result.created, result.skipped_bad) == (2, 1)


def test_the_command_prints_a_summary_and_refuses_bad_files(
    personas: dict[str, Any], four_events: Path, tmp_path: Path
) -> None:
    out = StringIO()
    call_command("import_events", str(four_events), "--format", "csv", "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 4
    out = StringIO()
    call_command("import_events", str(four_events), "--format", "csv", stdout=out)
    assert "0 created, 0 updated, 4 unchanged" in out.getvalue()
    broken = write(tmp_path, "when,where\n2024-01-01,x\n", "broken.csv")
    with pytest.raises(CommandError, match="missing"):
        call_command("import_events", str(broken), "--format", "csv")
    bad_row = write(tmp_path, HEADER + "x,2024-01-01,95,29,killing,1,\n", "bad.csv")
    err = StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_events", str(bad_row), "--format", "csv", stderr=err)
    assert "line 2" in err.getvalue()


def random_events(tmp_path: Path, n: int, seed: int) -> Path:
    """``n`` events at real settlements of the test gazetteer, over 2023-2024."""
    rng = random.Random(seed)
    spots = list(
        Place.objects.filter(kind__in=["town", "village"], lat__isnull=False).values_list(
            "lat", "lon"
        )
    )
    types = ["killing", "abduction", "armed_clash", "looting_extortion"]
    lines = [HEADER.strip()]
    for i in range(n):
        lat, lon = rng.choice(spots)
        day = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(730))
        lines.append(f"r{i},{day},{lat},{lon},{rng.choice(types)},{rng.choice([0, 0, 1, 3])},")
    return write(tmp_path, "\n".join(lines) + "\n", "random.csv")


def test_the_matrix_says_when_it_leaves_out_its_oldest_periods(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    """Two years by week are 105 weeks: the latest 60 are shown, and the page and the API
    say which days are left out and how to see them; by month nothing is."""
    from django.template.defaultfilters import date

    domain.import_events(random_events(tmp_path, 200, seed=11), "csv", source="rnd")
    carol = verified_client(personas["carol"])
    dates = {"date_from": "2023-01-01", "date_to": "2024-12-31"}
    page = carol.get("/threats/", {**dates, "period": "week"})
    shown = page.context["matrix"]
    assert len(shown.periods) == 60 and shown.periods[0] > dt.date(2023, 1, 1)
    first = shown.periods[0]
    assert (
        f"Only the latest 60 periods are shown, from {date(first)}: the events from "
        f"{date(dt.date(2023, 1, 1))} until then are left out."
        in " ".join(page.content.decode().split())
    )
    api = carol.get("/api/v1/threats/matrix", {**dates, "period": "week"}).json()
    assert api["left_out_from"] == "2023-01-01" and api["date_from"] == first.isoformat()
    assert (
        sum(r["events"] for r in api["rows"]) == Event.objects.filter(date_start__gte=first).count()
    )
    monthly = carol.get("/threats/", {**dates, "period": "month"})
    assert "Only the latest" not in monthly.content.decode()
    by_month = carol.get("/api/v1/threats/matrix", {**dates, "period": "month"}).json()
    assert by_month["left_out_from"] is None and by_month["date_from"] == "2023-01-01"


def test_matrix_totals_equal_direct_counts(personas: dict[str, Any], tmp_path: Path) -> None:
    domain.import_events(random_events(tmp_path, 400, seed=7), "csv", source="rnd")
    carol = verified_client(personas["carol"])
    query = {
        "level": "territory",
        "period": "quarter",
        "date_from": "2023-01-01",
        "date_to": "2024-12-31",
    }
    response = carol.get("/threats/", query)
    assert response.status_code == 200
    matrix = response.context["matrix"]
    assert matrix.labels[0] == "2023-Q1" and len(matrix.labels) == 8
    assert matrix.events == 400
    assert matrix.fatalities == sum(Event.objects.values_list("fatalities", flat=True))
    checked = 0
    for row in matrix.rows:
        for start, cell in zip(matrix.periods, row.cells, strict=True):
            end = dt.date(start.year + (start.month + 2) // 12, (start.month + 2) % 12 + 1, 1)
            direct = Event.objects.filter(
                territory_id=row.area_id,
                threat_type=row.threat_type,
                date_start__gte=start,
                date_start__lt=end,
            )
            assert cell.events == direct.count()
            checked += cell.events
    assert checked == 400

    # The drill-down shows exactly the events of one cell.
    row = max(matrix.rows, key=lambda r: r.events)
    i = max(range(len(row.cells)), key=lambda k: row.cells[k].events)
    start = matrix.periods[i]
    listing = carol.get(
        "/threats/events/",
        {
            "level": "territory",
            "area": row.area_id,
            "threat_type": row.threat_type,
            "date_from": start.isoformat(),
            "date_to": (start + dt.timedelta(days=91)).replace(day=1) - dt.timedelta(days=1),
        },
    )
    assert listing.status_code == 200
    assert listing.context["page"].paginator.count == row.cells[i].events


def test_every_cell_links_to_exactly_its_events(personas: dict[str, Any], tmp_path: Path) -> None:
    """Followed from the page itself: the "(no area)" row, and periods cut by the dates."""
    import html
    import re

    domain.import_events(random_events(tmp_path, 400, seed=2), "csv", source="rnd")
    carol = verified_client(personas["carol"])
    query = {
        "level": "community",
        "period": "month",
        "date_from": "2023-01-15",
        "date_to": "2023-06-10",
    }
    page = carol.get("/threats/", query).content.decode()
    links = re.findall(r'<a href="(/threats/events/\?[^"]+)">(\d+)', page)
    assert len(links) > 5 and any("area=0" in href for href, _n in links)
    for href, shown in links:
        listing = carol.get(html.unescape(href))
        assert listing.context["page"].paginator.count == int(shown), href


def test_events_dated_too_coarsely_are_not_counted_in_a_period(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    """An event known only to the year is not January's; one known only to the month is
    in no week. The page and the API say how many were left out, and a cell's link
    lists exactly its events."""
    import html
    import re

    def feature(event_id: str, violence: int, **dates: str) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {"event_id": event_id, "type_of_violence": violence, "best": 1, **dates},
            "geometry": {"type": "Point", "coordinates": [BENI[1], BENI[0]]},
        }

    features = [
        feature("d1", 3, date_start="2024-01-15", date_end="2024-01-15"),
        feature("m1", 3, date_start="2024-01-01", date_end="2024-01-25"),
        feature("y1", 3, year="2024"),
        feature("y2", 1, year="2024"),
    ]
    path = write(tmp_path, json.dumps({"type": "FeatureCollection", "features": features}))
    domain.import_events(path, "ucdp-ged")
    assert dict(Event.objects.values_list("source_id", "date_precision")) == {
        "d1": "day",
        "m1": "month",
        "y1": "year",
        "y2": "year",
    }
    carol = verified_client(personas["carol"])
    dates = {"level": "territory", "date_from": "2024-01-01", "date_to": "2024-03-31"}
    expected = {
        "week": (1, {"month": 1, "year": 2}),
        "month": (2, {"year": 2}),
        "quarter": (2, {"year": 2}),
    }
    for period, (counted, left_out) in expected.items():
        response = carol.get("/threats/", {**dates, "period": period})
        matrix = response.context["matrix"]
        assert matrix.events == counted, period
        assert len(matrix.rows) == 1, period  # the armed clash is dated only to the year
        page = response.content.decode()
        assert "Not counted, their date being too coarse for this period:" in page
        assert "2 events dated within a year" in page
        assert ("1 event dated within a month" in page) == (period == "week")
        api = carol.get("/api/v1/threats/matrix", {**dates, "period": period}).json()
        assert api["events"] == counted and api["not_counted"] == left_out, period
        links = re.findall(r'<a href="(/threats/events/\?[^"]+)">(\d+)', page)
        assert sum(int(n) for _href, n in links) == counted
        for href, shown in links:
            cell = carol.get(html.unescape(href))
            listing = cell.context["page"]
            assert listing.paginator.count == int(shown), href
            # The list says what it is of.
            heading = cell.content.decode().split("<h1>")[1].split("</h1>")[0]
            assert heading.startswith("Events: killing · Beni · 2024-"), heading
            dated = "week" if period == "week" else "month"
            assert heading.endswith(f"dated at least to the {dated}"), heading
            assert {e.date_precision for e in listing.object_list} <= {"day", "month"}
            # Back from the list, the matrix is the one the cell was in.
            back = carol.get("/threats/?" + html.unescape(href).split("?", 1)[1])
            assert back.context["matrix"].period == period
            assert back.context["matrix"].events == int(shown), period
    # In French, with the space French puts before a colon.
    personas["carol"].language = "fr"
    personas["carol"].save(update_fields=["language"])
    french = carol.get(html.unescape(links[0][0])).content.decode()
    heading = french.split("<h1>")[1].split("</h1>")[0]
    assert heading.startswith("Événements : ") and "datés au moins au mois" in heading, heading
    personas["carol"].language = "en"
    personas["carol"].save(update_fields=["language"])
    # From a day inside the first month: what lies before it is neither counted nor
    # said to be left out.
    late = carol.get("/threats/", {**dates, "period": "month", "date_from": "2024-01-10"})
    assert late.context["matrix"].events == 1 and late.context["not_counted"] == []
    # Without a period, the list of events still shows every one of them.
    listing = carol.get("/threats/events/", dates).context["page"]
    assert listing.paginator.count == 4


def test_the_migration_takes_week_and_month_from_coarse_events(
    live_db: None, personas: dict[str, Any]
) -> None:
    """Migrations change the schema: they run on a transactional database (``live_db``)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("threats", "0001_initial")]
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("threats")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("threats", "Event")
        for key, precision in (("d", "day"), ("w", "week"), ("m", "month"), ("y", "year")):
            old.objects.create(
                key=f"s:{key}",
                source="s",
                source_id=key,
                date_start=dt.date(2024, 1, 3),
                date_end=dt.date(2024, 1, 3),
                date_precision=precision,
                week=dt.date(2024, 1, 1),
                month=dt.date(2024, 1, 1),
                lat=BENI[0],
                lon=BENI[1],
                threat_type="killing",
                grid_cell=grid_cell(*BENI),
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    periods = {e.source_id: (e.week, e.month) for e in Event.objects.all()}
    january = dt.date(2024, 1, 1)
    assert periods == {
        "d": (january, january),
        "w": (january, january),
        "m": (None, january),
        "y": (None, None),
    }


def test_exports_carry_the_same_figures(personas: dict[str, Any], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    domain.import_events(random_events(tmp_path, 120, seed=3), "csv", source="rnd")
    carol = verified_client(personas["carol"])
    query = {
        "level": "province",
        "period": "month",
        "date_from": "2023-01-01",
        "date_to": "2024-12-31",
    }
    rows = list(
        csv.reader(io.StringIO(carol.get("/threats/", {**query, "format": "csv"}).content.decode()))
    )
    assert rows[0][:2] == ["area", "threat_type"]
    assert rows[1][0] == "#adm1+name" and rows[1][5] == "#indicator+events+num"
    assert sum(int(r[5]) for r in rows[2:]) == 120
    assert sum(int(r[6]) for r in rows[2:]) == sum(
        Event.objects.values_list("fatalities", flat=True)
    )

    book = load_workbook(io.BytesIO(carol.get("/threats/", {**query, "format": "xlsx"}).content))
    wide = list(book["matrix"].iter_rows(values_only=True))
    assert wide[-1][0] == "total" and wide[-1][-3] == 120
    assert len(list(book["data"].iter_rows())) == len(rows)

    geo = json.loads(carol.get("/threats/", {**query, "format": "geojson"}).content)
    assert geo["type"] == "FeatureCollection"
    assert (
        sum(f["properties"]["events"] for f in geo["features"])
        == Event.objects.exclude(province=None).count()
    )


def test_the_csv_and_xlsx_exports_are_hxl_that_the_reference_library_reads(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    """libhxl (the HXL standard's own library, which HXL Proxy runs on) finds the
    hashtags, reads the figures by them, and the data passes a schema of what each
    column must hold; the same data with a word for a number does not."""
    import hxl

    domain.import_events(random_events(tmp_path, 120, seed=5), "csv", source="rnd")
    carol = verified_client(personas["carol"])
    query = {"level": "territory", "date_from": "2023-01-01", "date_to": "2024-12-31"}
    exported = carol.get("/threats/", {**query, "format": "csv"}).content
    rules = hxl.schema(
        [
            ["#valid_tag", "#valid_required", "#valid_datatype", "#valid_value+min"],
            ["#adm2+name", "true", "", ""],
            ["#event+type", "true", "", ""],
            ["#date+start", "true", "date", ""],
            ["#date+end", "true", "date", ""],
            ["#indicator+events+num", "true", "number", "1"],
            ["#affected+killed+num", "true", "number", "0"],
        ]
    )
    for name, content in (
        ("csv", exported),
        ("xlsx", carol.get("/threats/", {**query, "format": "xlsx"}).content),
    ):
        path = tmp_path / f"matrix.{name}"
        path.write_bytes(content)
        data = hxl.data(str(path), hxl.InputOptions(allow_local=True, sheet_index=1))
        rows = list(data)
        assert sum(int(r.get("#indicator+events")) for r in rows) == 120, name
        # (libhxl reads a number 0 in a spreadsheet as empty)
        assert sum(int(r.get("#affected+killed") or 0) for r in rows) == sum(
            Event.objects.values_list("fatalities", flat=True)
        )
        territories = set(Event.objects.values_list("territory__name", flat=True))
        assert {r.get("#adm2+name") for r in rows} == (territories - {None}) | (
            {"(no area)"} if None in territories else set()
        ), name
        assert rules.validate(
            hxl.data(str(path), hxl.InputOptions(allow_local=True, sheet_index=1))
        ), name
    lines = exported.decode().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",several"  # the first row's people killed
    (tmp_path / "broken.csv").write_text("\n".join(lines) + "\n")
    assert not rules.validate(
        hxl.data(str(tmp_path / "broken.csv"), hxl.InputOptions(allow_local=True))
    )


def test_scope_and_roles(personas: dict[str, Any], four_events: Path) -> None:
    domain.import_events(four_events, "csv", source="test")
    query = {"level": "territory", "date_from": "2024-01-01", "date_to": "2024-12-31"}
    alice = verified_client(personas["alice"])  # Beni base: Beni and Oïcha territories
    seen = alice.get("/threats/", query).context["matrix"]
    assert seen.events == 2 and {r.area for r in seen.rows} == {"Beni", "Oïcha"}
    carol = verified_client(personas["carol"])
    assert carol.get("/threats/", query).context["matrix"].events == 4
    viewer = verified_client(make_user("vera", "viewer", whole_mission=True))
    assert viewer.get("/threats/").status_code == 403
    assert viewer.get("/threats/events/").status_code == 403
    bad = carol.get("/threats/", {"date_from": "2024-05-01", "date_to": "2024-01-01"})
    assert bad.status_code == 400
    assert "The end date is before the start date." in bad.content.decode()
    assert carol.get("/threats/", {"period": "fortnight"}).status_code == 400


def test_the_api_answers_the_matrix_and_the_events(
    personas: dict[str, Any], four_events: Path
) -> None:
    domain.import_events(four_events, "csv", source="test")
    out = StringIO()
    call_command("api_token", "alice", stdout=out)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    body = api.get(
        "/api/v1/threats/matrix", {"date_from": "2024-01-01", "date_to": "2024-06-30"}
    ).json()
    assert [p["label"] for p in body["periods"]] == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
    ]
    assert body["periods"][1]["end"] == "2024-02-29"
    assert body["events"] == 2
    killing = next(r for r in body["rows"] if r["threat_type"] == "killing")
    assert killing["area"] == "Beni"
    assert killing["period_events"] == [0, 0, 1, 0, 0, 0]
    assert killing["period_fatalities"] == [0, 0, 4, 0, 0, 0]
    events = api.get("/api/v1/events", {"threat_type": "abduction"}).json()
    assert events["count"] == 1 and events["events"][0]["source_id"] == "e2"
    refused = api.get(
        "/api/v1/threats/matrix", {"date_from": "2024-05-01", "date_to": "2024-01-01"}
    )
    assert refused.status_code == 200 and refused.json()["events"] == 0
    assert api.get("/api/v1/threats/matrix", {"period": "fortnight"}).status_code == 422


def _closed_alert(
    personas: dict[str, Any], *, verified: bool, outcome: str, dead: int | None
) -> Any:
    messaging.create_channel(actor="test", name="gateway", send_url="console:")
    with transaction.atomic():
        reporter = messaging.reporter_for_number("+243971234567")
    report = alerts.receive_report(
        source="sms",
        text="Watu wenye silaha wameua watu Mbau usiku huu",
        reporter=reporter,
        place=Place.objects.get(kind="health_area", name="Mbau"),
    )
    alice = personas["alice"]
    alert = report.alert
    alerts.acknowledge_alert(actor=alice, alert=alert)
    if verified:
        alerts.verify_alert(actor=alice, alert=alert, result="verified")
    return alerts.close_alert(actor=alice, alert=alert, outcome=outcome, fatalities=dead)


def test_a_verified_closed_alert_becomes_an_event(personas: dict[str, Any]) -> None:
    alert = _closed_alert(personas, verified=True, outcome="no_response_possible", dead=3)
    event = Event.objects.get(key=f"alert:{alert.pk}")
    assert (event.source, event.source_id, event.fatalities) == ("ulinzi", alert.reference, 3)
    assert event.threat_type == alert.threat_type
    assert event.alert_id == alert.pk and territory_of(event) == "Oïcha"
    assert AuditEntry.objects.filter(action="threats.event_from_alert").count() == 1


def test_false_alarms_and_unverified_alerts_do_not(personas: dict[str, Any]) -> None:
    _closed_alert(personas, verified=True, outcome="false_alarm", dead=None)
    assert not Event.objects.exists()


def test_an_unverified_alert_does_not(personas: dict[str, Any]) -> None:
    _closed_alert(personas, verified=False, outcome="no_response_possible", dead=None)
    assert not Event.objects.exists()


def test_a_start_date_inside_a_period_leaves_out_the_days_before_it(
    personas: dict[str, Any], four_events: Path
) -> None:
    domain.import_events(four_events, "csv", source="test")
    carol = verified_client(personas["carol"])
    whole = carol.get("/threats/", {"date_from": "2024-03-01", "date_to": "2024-04-30"})
    assert whole.context["matrix"].events == 4
    # e1 (2 March) is before the start; e2 (20 March) is after it, in the same month.
    part = carol.get("/threats/", {"date_from": "2024-03-10", "date_to": "2024-04-30"})
    matrix = part.context["matrix"]
    assert matrix.labels == ["2024-03", "2024-04"]
    assert matrix.column_events == [1, 2]
    # The page and the file name say from when the events are counted.
    assert part.context["first"] == dt.date(2024, 3, 10)
    assert "3 events from March 10, 2024 to April 30, 2024" in part.content.decode()
    weekly = carol.get(
        "/threats/", {"period": "week", "date_from": "2024-03-20", "date_to": "2024-04-05"}
    )
    assert weekly.context["matrix"].events == 2  # e2 on 20 March and e3 on 5 April


def test_closing_through_the_api_carries_the_fatalities_to_the_event(
    personas: dict[str, Any],
) -> None:
    messaging.create_channel(actor="test", name="gateway", send_url="console:")
    with transaction.atomic():
        reporter = messaging.reporter_for_number("+243971234568")
    alert = alerts.receive_report(
        source="sms",
        text="Watu wenye silaha wameua watu Mbau usiku huu",
        reporter=reporter,
        place=Place.objects.get(kind="health_area", name="Mbau"),
    ).alert
    alerts.acknowledge_alert(actor=personas["alice"], alert=alert)
    alerts.verify_alert(actor=personas["alice"], alert=alert, result="verified")
    out = StringIO()
    call_command("api_token", "alice", stdout=out)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    url = f"/api/v1/alerts/{alert.pk}/close"
    refused = api.post(
        url, {"outcome": "no_response_possible", "fatalities": -1}, content_type="application/json"
    )
    assert refused.status_code == 422 and not Event.objects.exists()
    # No responder was notified: the mission cannot say it mitigated anything.
    unanswered = api.post(url, {"outcome": "mitigated"}, content_type="application/json")
    assert (
        unanswered.status_code == 409 and "no responder was notified" in unanswered.json()["detail"]
    )
    closed = api.post(
        url, {"outcome": "no_response_possible", "fatalities": 2}, content_type="application/json"
    )
    assert closed.status_code == 200
    assert Event.objects.get(alert=alert).fatalities == 2
