"""The ``ulinzi`` console command: batch geocoding, demo setup, command names."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from ulinzi.__main__ import main
from ulinzi.accounts.models import User
from ulinzi.audit.models import AuditEntry
from ulinzi.places.models import Base, Community, Place

pytestmark = pytest.mark.django_db

CANDIDATE_KEYS = {
    "place_id",
    "name",
    "kind",
    "admin_path",
    "pcode",
    "admin_pcode",
    "lat",
    "lon",
    "score",
}


def geocode(lines: str, *args: str) -> list[dict[str, Any]]:
    out = StringIO()
    sys_stdin = sys.stdin
    sys.stdin = StringIO(lines)
    try:
        call_command("geocode", *args, stdout=out)
    finally:
        sys.stdin = sys_stdin
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_geocode_writes_one_json_line_per_input_line(gazetteer: None) -> None:
    results = geocode("mbau centr\nMBAU|Beni\n\n35 km west of Mbau\n", "--limit", "3")
    assert [r["query"] for r in results] == ["mbau centr", "MBAU|Beni", "", "35 km west of Mbau"]
    assert results[0]["candidates"][0]["name"] == "Mbau Centre"
    assert len(results[0]["candidates"]) <= 3
    assert all(set(c) == CANDIDATE_KEYS for r in results for c in r["candidates"])
    assert results[1]["hint"] == "Beni"
    assert results[2]["candidates"] == []
    offset = results[3]["interpretation"]
    assert (offset["kind"], offset["distance_km"], offset["bearing_deg"]) == ("offset", 35.0, 270.0)
    mbau = results[3]["candidates"][0]
    assert offset["lon"] < mbau["lon"] and abs(offset["lat"] - mbau["lat"]) < 0.01


def test_the_console_script_accepts_dashed_command_names(
    gazetteer: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    names = tmp_path / "names.txt"
    names.write_text("Oicha\n")
    main(["ulinzi", "geocode", str(names), "--limit", "1"])
    top = json.loads(capsys.readouterr().out)["candidates"][0]
    # GeoNames calls the town "Hyosha", with Oicha as an alternate name.
    assert (top["name"], top["kind"]) == ("Hyosha", "town")
    assert abs(top["lat"] - 0.69781) < 1e-4 and abs(top["lon"] - 29.51863) < 1e-4


def test_the_installed_command_runs(tmp_path: Path) -> None:
    ulinzi = Path(sys.executable).with_name("ulinzi")
    result = subprocess.run(
        [str(ulinzi), "help", "import-gazetteer"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"ULINZI_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "--format {geonames,grid3,geojson,pcode-csv,hxl}" in result.stdout
    assert "--skip-bad" in result.stdout


def test_demo_setup_loads_everything_and_a_second_run_loses_nothing() -> None:
    call_command("demo_setup", quiet=True, stdout=StringIO())
    assert Place.objects.count() > 18000
    assert Place.objects.filter(kind="province").count() == 26
    assert Place.objects.filter(kind="health_zone").count() > 100
    assert set(Base.objects.values_list("code", flat=True)) >= {
        "goma",
        "beni",
        "bunia",
        "bukavu",
        "uvira",
    }
    roles = set(User.objects.values_list("username", "role"))
    assert {
        (r, r)
        for r in (
            "admin",
            "duty_officer",
            "liaison",
            "analyst",
            "patrol_planner",
            "human_rights",
            "me_officer",
            "public_information",
            "viewer",
        )
    } <= roles
    duty = User.objects.get(username="duty_officer")
    assert Community.objects.filter(duty.scope().place_q("place__")).exists()
    # The demonstration SMS went through intake: six reports, the two of the attack at
    # Mbau in one alert, each alert placed, routed and its reporters answered.
    from ulinzi.alerts.models import Alert, Report

    assert Report.objects.filter(source="sms").count() == 6
    alerts = {a.place.name: a for a in Alert.objects.select_related("place", "base")}
    assert len(alerts) == 5 and alerts["Mbau"].reports.count() == 2
    assert all(a.base is not None for a in alerts.values())
    assert {"Kiwanja", "Komanda", "Mangina"} <= set(alerts)
    # Every base has a unit of each kind to notify and dispatch.
    from ulinzi.alerts.forms import responders_of
    from ulinzi.alerts.models import Responder

    for base in Base.objects.all():
        kinds = set(responders_of(base).values_list("kind", flat=True))
        assert kinds == set(Responder.Kind.values), base.code
    responders_before = Responder.objects.count()

    # Someone changes their password and language; a second run keeps both.
    duty.set_password("changed by the duty officer")
    duty.language = "fr"
    duty.save()
    places_before = dict(Place.objects.values_list("key", "updated_at"))
    call_command("demo_setup", quiet=True, stdout=StringIO())
    duty.refresh_from_db()
    assert duty.check_password("changed by the duty officer") and duty.language == "fr"
    assert dict(Place.objects.values_list("key", "updated_at")) == places_before
    assert (Report.objects.count(), Alert.objects.count()) == (6, 5)  # nothing sent twice
    assert Responder.objects.count() == responders_before
    from ulinzi.messaging.models import Channel

    assert list(Channel.objects.values_list("name", "send_url")) == [
        ("Demo SMS (console)", "console:")
    ]
    second_imports = AuditEntry.objects.filter(action="places.import_gazetteer").order_by("-id")[:6]
    assert all(e.after["created"] == 0 and e.after["updated"] == 0 for e in second_imports)


def test_the_search_page_explains_a_compound_description_in_french(gazetteer: None) -> None:
    from django.test import Client

    from ulinzi.test import make_user

    client = Client()
    client.force_login(make_user("amani", "liaison", whole_mission=True, language="fr"))
    page = client.get("/places/search/", {"q": "10 km north of Mbau"}).content.decode()
    assert "10 km nord de Mbau : le point à cette distance." in page
    assert 'class="candidate point"' in page


def test_geocode_of_a_missing_file_says_so(db: None) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="cannot read /nonexistent/names.txt: No such file"):
        call_command("geocode", "/nonexistent/names.txt")
