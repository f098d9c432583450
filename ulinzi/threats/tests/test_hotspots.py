"""The scan on the database and on files: the command, the hotspot page, saving a
cluster, and the map in a browser."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from ulinzi.accounts.domain import issue_api_token
from ulinzi.audit.models import AuditEntry
from ulinzi.places.models import Place
from ulinzi.test import log_in_browser, make_user, verified_client
from ulinzi.threats import domain
from ulinzi.threats.models import Event, Hotspot
from ulinzi.threats.scan import haversine_km

pytestmark = pytest.mark.django_db
END = dt.date(2024, 6, 30)


def planted(tmp_path: Path, seed: int = 5) -> tuple[Path, tuple[float, float]]:
    """A year of 300 background events at the test gazetteer's settlements, spread
    evenly in time, and 14 more at one village in the last 8 days."""
    rng = random.Random(seed)
    spots = list(
        Place.objects.filter(kind__in=["town", "village"], lat__isnull=False)
        .order_by("pk")
        .values_list("lat", "lon")
    )
    hot = spots[len(spots) // 2]
    lines = ["id,date,lat,lon,type,fatalities,place"]
    for i in range(300):
        lat, lon = rng.choice(spots)
        day = END - dt.timedelta(days=rng.randrange(365))
        lines.append(f"bg{i},{day},{lat},{lon},killing,1,")
    for i in range(14):
        day = END - dt.timedelta(days=rng.randrange(8))
        lines.append(f"hot{i},{day},{hot[0]},{hot[1]},abduction,0,Hot")
    path = tmp_path / "planted.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, hot


def covers(cluster: dict[str, Any], point: tuple[float, float]) -> bool:
    """The cluster's circle holds the point (it may be centred on a neighbour)."""
    km = float(haversine_km(cluster["lat"], cluster["lon"], point[0], point[1]))
    return km <= cluster["radius_km"] + 0.01  # coordinates are rounded to about 1 m


def test_scan_command_on_a_file_finds_the_planted_cluster(gazetteer: None, tmp_path: Path) -> None:
    path, hot = planted(tmp_path)
    out, err = StringIO(), StringIO()
    call_command(
        "scan",
        str(path),
        "--to",
        END.isoformat(),
        "--replicates",
        "99",
        "--seed",
        "3",
        stdout=out,
        stderr=err,
    )
    clusters = [json.loads(line) for line in out.getvalue().splitlines()]
    top = clusters[0]
    assert top["p_value"] <= 0.05
    assert covers(top, hot)
    assert sum(m.startswith("planted:hot") for m in top["members"]) >= 12
    assert top["end"] == END.isoformat() and top["observed"] == len(top["members"])
    assert top["expected"] < top["observed"]
    assert "scanned 314 events" in err.getvalue()
    # The same seed gives the same answer.
    again = StringIO()
    call_command(
        "scan",
        str(path),
        "--to",
        END.isoformat(),
        "--replicates",
        "99",
        "--seed",
        "3",
        stdout=again,
        stderr=StringIO(),
    )
    assert again.getvalue() == out.getvalue()


def test_scan_command_says_which_rows_it_left_out(
    gazetteer: None, tmp_path: Path, shared_events: Path
) -> None:
    path, _hot = planted(tmp_path)
    with path.open("a", encoding="utf-8") as f:
        f.write("bad1,2024-13-40,0.5,29.4,killing,1,Nowhere\n")
    lines = len(path.read_text(encoding="utf-8").splitlines())
    err = StringIO()
    call_command(
        "scan",
        str(path),
        "--to",
        END.isoformat(),
        "--replicates",
        "9",
        stdout=StringIO(),
        stderr=err,
    )
    assert f"line {lines}: " in err.getvalue() and "(left out)" in err.getvalue()
    assert "scanned 314 events" in err.getvalue()
    # UCDP's events of eastern DRC are dated to the year only: none can be scanned by day.
    err = StringIO()
    with pytest.raises(CommandError, match="no event dated to the day or week"):
        call_command(
            "scan",
            str(shared_events / "ucdp_ged_drc_east_2023_2025.geojson"),
            "--format",
            "ucdp-ged",
            stdout=StringIO(),
            stderr=err,
        )
    assert "1943 events dated only to the month or year left out" in err.getvalue()


def test_scan_command_refuses_bad_settings(gazetteer: None, tmp_path: Path) -> None:
    path, _ = planted(tmp_path)
    with pytest.raises(CommandError, match="max_share"):
        call_command("scan", str(path), "--max-share", "2", stdout=StringIO())
    with pytest.raises(CommandError, match="not a date"):
        call_command("scan", str(path), "--to", "2024-02-30", stdout=StringIO())
    with pytest.raises(CommandError, match="no event dated to the day or week to scan"):
        call_command("scan", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="--max-days must be between 1 and 365"):
        call_command("scan", str(path), "--max-days", "3650", stdout=StringIO())
    with pytest.raises(
        CommandError,
        match="'Killing' is not a threat type: use one of attack_on_civilians, killing",
    ):
        call_command("scan", str(path), "--threat-type", "Killing", stdout=StringIO())


def test_the_page_scans_the_database_and_an_analyst_saves_a_hotspot(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    path, hot = planted(tmp_path)
    domain.import_events(path, "csv", source="t")
    carol = verified_client(personas["carol"])
    params = {
        "date_to": END.isoformat(),
        "replicates": "99",
        "seed": "3",
        "max_days": "30",
        "max_radius_km": "25",
        "events": "events",
    }
    page = carol.get("/threats/hotspots/", params)
    assert page.status_code == 200
    assert "<summary>How to read this table</summary>" in page.content.decode()
    top = page.context["clusters"][0]
    assert top["significant"] and top["p_value"] <= 0.05
    assert covers(top, hot)
    assert b'id="hotspot-data"' in page.content

    # A cluster the page no longer holds (new events moved them): nothing is saved.
    stale = carol.post("/threats/hotspots/", {**params, "fingerprint": "0" * 20, "name": "x"})
    assert "The clusters have changed since the page was shown" in stale.content.decode()
    assert not Hotspot.objects.exists()
    saved = carol.post(
        "/threats/hotspots/",
        {**params, "fingerprint": top["fingerprint"], "name": "Planted village"},
    )
    assert saved.status_code == 302
    hotspot = Hotspot.objects.get()
    assert hotspot.place is not None  # the settlement nearest its centre
    assert hotspot.name == "Planted village" and hotspot.p_value == top["p_value"]
    assert hotspot.events.count() == top["observed"]
    assert set(hotspot.events.values_list("source_id", flat=True)) >= {f"hot{i}" for i in range(12)}
    assert AuditEntry.objects.filter(action="threats.save_hotspot").count() == 1
    assert carol.get(saved["Location"]).status_code == 200
    # Seen only where its events are: from a base whose area holds none of them, the
    # hotspot is neither listed, nor shown, nor in the API.
    members = hotspot.events.values("pk")
    away = next(
        b
        for b in (personas["beni"], personas["goma"])
        if not Event.objects.filter(pk__in=members)
        .filter(make_user(f"a-{b.code}", "analyst", bases=[b]).scope().place_q("place__"))
        .exists()
    )
    stranger = make_user(f"s-{away.code}", "analyst", bases=[away])
    elsewhere = verified_client(stranger)
    assert "Planted village" not in elsewhere.get("/threats/hotspots/").content.decode()
    assert elsewhere.get(saved["Location"]).status_code == 404
    token = issue_api_token(actor="t", user=stranger)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/threats/hotspots")
    assert api.status_code == 200 and api.json() == []
    assert [h["name"] for h in carol.get("/api/v1/threats/hotspots").json()] == ["Planted village"]

    # A duty officer sees the clusters of the area but may not save one.
    alice = verified_client(personas["alice"])
    assert alice.get("/threats/hotspots/", params).status_code == 200
    assert (
        alice.post(
            "/threats/hotspots/",
            {**params, "fingerprint": top["fingerprint"], "name": "x"},
        ).status_code
        == 403
    )
    viewer = verified_client(make_user("vera", "viewer", whole_mission=True))
    assert viewer.get("/threats/hotspots/").status_code == 403
    bad = carol.get("/threats/hotspots/", {**params, "replicates": "5"})
    assert bad.status_code == 400
    # Named by the field's label, not its code name.
    assert "<p>Replicates: Ensure this value is greater than or equal to 9.</p>" in (
        bad.content.decode()
    )
    assert Event.objects.count() == 314


@pytest.mark.browser
def test_the_hotspot_map_draws_the_clusters(
    page: Any, live_server: Any, personas: dict[str, Any], tmp_path: Path
) -> None:
    path, _ = planted(tmp_path)
    domain.import_events(path, "csv", source="t")
    log_in_browser(page, live_server.url, "carol")
    page.goto(
        f"{live_server.url}/threats/hotspots/?date_to={END}&replicates=99&seed=3&max_days=30"
        "&max_radius_km=25&events=events"
    )
    page.wait_for_selector("#hotspot-map[data-clusters]")
    assert int(page.get_attribute("#hotspot-map", "data-clusters")) >= 1
    assert page.locator("#hotspot-map path.leaflet-interactive").count() > 10
    assert page.locator("tr.significant").count() >= 1


def test_a_french_analyst_saves_a_hotspot_with_the_form_the_page_gives(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    """The save form carries the scan's settings as the page wrote them: in French a
    decimal comma must not turn 25.0 km into a number the form refuses."""
    path, _hot = planted(tmp_path)
    domain.import_events(path, "csv", source="t")
    claire = verified_client(make_user("claire", "analyst", whole_mission=True, language="fr"))
    params = {"date_to": END.isoformat(), "replicates": "99", "seed": "3", "max_radius_km": "25.5"}
    html = claire.get("/threats/hotspots/", params).content.decode()
    form = re.search(r'<form method="post">(.*?)</form>', html, re.S)
    assert form is not None, "no save form on the page"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form[1]))
    assert fields["max_radius_km"] == "25.5", fields
    saved = claire.post("/threats/hotspots/", {**fields, "name": "Village planté"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Hotspot.objects.get().name == "Village planté"
