"""The forecast and the backtest on the database: commands, the panel built from
events, and the watch list page."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from ulinzi.places.models import Place
from ulinzi.test import make_community, make_user, verified_client
from ulinzi.threats import domain, early_warning
from ulinzi.threats import forecast as fc
from ulinzi.threats.models import Event

pytestmark = pytest.mark.django_db

# Three towns in three territories: Beni, Oïcha (Nord-Kivu), Goma.
TOWNS = {"beni": (0.4911, 29.4731), "oicha": (0.7000, 29.5167), "goma": (-1.6792, 29.2228)}


def monthly(tmp_path: Path) -> tuple[Path, dict[str, list[int]]]:
    """Fatalities per town per month over 2022-2023 (one event per non-zero month):
    Beni violent and rising, Oïcha occasional, Goma quiet."""
    deaths = {
        "beni": [2, 0, 3, 4, 0, 5, 6, 0, 7, 8, 9, 0, 10, 12, 0, 11, 13, 14, 0, 15, 16, 17, 18, 20],
        "oicha": [0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 3, 0, 0, 0, 1, 0, 0, 2, 0, 0, 1],
        "goma": [0] * 24,
    }
    lines = ["id,date,lat,lon,type,fatalities,place"]
    for town, values in deaths.items():
        lat, lon = TOWNS[town]
        for k, dead in enumerate(values):
            if dead:
                day = dt.date(2022 + k // 12, k % 12 + 1, 15)
                lines.append(f"{town}{k},{day},{lat},{lon},killing,{dead},{town}")
    path = tmp_path / "monthly.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, deaths


def test_the_panel_counts_each_territory_month(gazetteer: None, tmp_path: Path) -> None:
    path, deaths = monthly(tmp_path)
    domain.import_events(path, "csv", source="t")
    built = early_warning.build_panel("territory", Event.objects.all(), fc.month_index(2023, 12))
    panel = built.panel
    assert panel.first_month == fc.month_index(2022, 1) and panel.fatalities.shape[1] == 24
    beni = Event.objects.get(key="t:beni0").territory_id
    row = panel.units.index(str(beni))
    assert panel.fatalities[row].tolist() == deaths["beni"]
    assert panel.events[row].tolist() == [1.0 if d else 0.0 for d in deaths["beni"]]
    assert panel.fatalities.sum() == sum(sum(v) for v in deaths.values())
    # An event known only to its year is not put in a month (it would be January's).
    year_only = Event.objects.filter(key__startswith="t:beni").order_by("-date_start").first()
    Event.objects.filter(pk=year_only.pk).update(date_precision="year")
    again = early_warning.build_panel("territory", Event.objects.all(), fc.month_index(2023, 12))
    assert again.panel.first_month == panel.first_month
    month = fc.month_index(year_only.date_start) - panel.first_month
    assert again.panel.fatalities.sum() == panel.fatalities.sum() - year_only.fatalities
    assert again.panel.fatalities[row][month] == panel.fatalities[row][month] - year_only.fatalities
    Event.objects.filter(pk=year_only.pk).update(date_precision="day")
    # Beni and Oïcha territories share a border.
    oicha = Event.objects.get(key="t:oicha2").territory_id
    assert panel.units.index(str(oicha)) in panel.neighbours[row]


def test_backtest_command_scores_the_baselines_as_by_hand(gazetteer: None, tmp_path: Path) -> None:
    path, deaths = monthly(tmp_path)
    domain.import_events(path, "csv", source="t")
    out = StringIO()
    call_command(
        "backtest", "--unit", "territory", "--from", "2023-07", "--to", "2023-12", stdout=out
    )
    result = json.loads(out.getvalue())
    assert (result["unit"], result["from"], result["to"]) == ("territory", "2023-07", "2023-12")
    assert set(result["methods"]) == {"ulinzi", "last_month", "mean_6", "mean_12"}
    for metrics in result["methods"].values():
        assert set(metrics) == {"mse_log1p", "average_precision", "top5_capture"}
    # last_month by hand: every territory forecasts its previous month's fatalities.
    territories = Place.objects.filter(kind="territory").count()
    errors = []
    for town in ("beni", "oicha"):
        values = deaths[town]
        for k in range(18, 24):  # targets 2023-07..2023-12 are columns 18..23
            errors.append((math.log1p(values[k - 1]) - math.log1p(values[k])) ** 2)
    expected = sum(errors) / (territories * 6)  # every other territory: 0 forecast, 0 actual
    assert result["methods"]["last_month"]["mse_log1p"] == pytest.approx(expected)
    with pytest.raises(CommandError, match="after"):
        call_command("backtest", "--from", "2023-12", "--to", "2023-01")
    with pytest.raises(CommandError, match="not a month"):
        call_command("backtest", "--from", "2023-13", "--to", "2023-12")
    # A month that has not ended would be scored against the events it does not have yet.
    this_month = timezone.localdate().strftime("%Y-%m")
    with pytest.raises(CommandError, match=f"--to {this_month} is after .* has ended"):
        call_command("backtest", "--from", "2023-12", "--to", this_month)


def test_forecast_command_ranks_the_violent_territory_first(
    gazetteer: None, tmp_path: Path
) -> None:
    path, _ = monthly(tmp_path)
    domain.import_events(path, "csv", source="t")
    out = StringIO()
    call_command("forecast", "--unit", "territory", "--horizon", "1", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows[0]["name"] == "Beni" and rows[0]["month"] == "2024-01"
    assert rows[0]["probability"] > 0.5 > rows[-1]["probability"]
    assert len(rows[0]["explanation"]) == 3
    assert all(0 <= r["probability"] <= 1 and r["expected_fatalities"] >= 0 for r in rows)
    grid = StringIO()
    call_command("forecast", "--unit", "grid", stdout=grid)
    cells = [json.loads(line) for line in grid.getvalue().splitlines()]
    assert cells[0]["id"] == fc.grid_cell(*TOWNS["beni"])
    with pytest.raises(CommandError, match="horizon"):
        call_command("forecast", "--horizon", "0")
    # Months still to come are not months without violence.
    with pytest.raises(CommandError, match="--origin 2999-01 is after"):
        call_command("forecast", "--origin", "2999-01")


def test_forecast_command_without_events(gazetteer: None) -> None:
    with pytest.raises(CommandError, match="no event yet"):
        call_command("forecast")


def test_the_watch_list_ranks_communities_and_shows_the_backtest(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    path, _ = monthly(tmp_path)
    domain.import_events(path, "csv", source="t")
    make_community("Beni ville", Place.objects.get(pk=Event.objects.get(key="t:beni0").place_id))
    carol = verified_client(personas["carol"])
    page = carol.get("/threats/watch/")
    assert page.status_code == 200
    ranked = page.context["communities"]
    assert ranked[0]["community"].name == "Beni ville"
    assert ranked[0]["forecast"]["name"] == "Beni"
    assert "fatalities" in page.content.decode()
    tested = carol.get("/threats/watch/", {"backtest": "1"})
    methods = tested.context["backtest"]["methods"]
    assert set(methods) == {"ulinzi", "last_month", "mean_6", "mean_12"}
    assert "mean of the last 6 months" in tested.content.decode()
    assert carol.get("/threats/watch/", {"unit": "county"}).status_code == 400
    viewer = verified_client(make_user("vera", "viewer", whole_mission=True))
    assert viewer.get("/threats/watch/").status_code == 403
    # An analyst of Goma's base sees Goma's areas, not Beni's fatalities.
    goma = verified_client(make_user("gina", "analyst", bases=[personas["goma"]]))
    shown = {a["name"] for a in goma.get("/threats/watch/").context["areas"]}
    assert shown == {"Goma", "Nyiragongo"}, shown
    assert "Beni" in {a["name"] for a in carol.get("/threats/watch/").context["areas"]}
    # In French the reasons are in French, with the same figures.
    french = verified_client(make_user("fanny", "analyst", whole_mission=True, language="fr"))
    html = french.get("/threats/watch/").content.decode()
    beni = next(a for a in page.context["areas"] if a["name"] == "Beni")
    for english, row in zip(beni["reasons"], beni["drivers"], strict=True):
        with translation.override("fr"):
            said = early_warning.reasons({"drivers": [row]})[0]
        assert said != english and said in html, (said, english)
    assert "morts le mois dernier" in html and "fatalities last month" not in html
    tested = french.get("/threats/watch/", {"backtest": "1"}).content.decode()
    assert "moyenne des 6 derniers mois" in tested and "mean_6" not in tested


def _row(forecast: fc.Forecast) -> dict[str, Any]:
    return {
        "drivers": [
            {"name": d.name, "values": list(d.values), "contribution": d.contribution}
            for d in forecast.drivers
        ]
    }


def test_the_reasons_shown_say_what_the_forecast_says() -> None:
    # Every kind of driver, from a panel with a violent, a formerly violent and a quiet
    # area: in English the page's words are the forecast's own.
    from ulinzi.threats.tests.test_forecast import T, hand_panel

    forecasts = fc.predict(fc.fit(hand_panel(), T, min_history=1), hand_panel(), T)
    names = set()
    for forecast in forecasts:
        english = [d.text() for d in forecast.drivers]
        with translation.override("fr"):
            french = early_warning.reasons(_row(forecast))
        for said, meant in zip(french, english, strict=True):
            # Every kind of driver is said in French, with the forecast's own figures.
            assert said != meant, said
            numbers = re.findall(r"\d+(?:[.,]\d+)?", said)
            assert [n.replace(",", ".") for n in numbers] == re.findall(r"\d+(?:\.\d+)?", meant)
        names |= {d.name for d in forecast.drivers}
    assert names == set(fc.DRIVER_GROUPS)
    # Branches the panel does not reach, worked out by hand: (English, French).
    said = {
        ("events", (1, 1, 2, 1)): (
            "1 fatal event last month, 1 in the last 3 months, 2 in the last 12 months, "
            "the last one 1 month ago",
            "1 événement meurtrier le mois dernier, 1 dans les 3 derniers mois, 2 dans les "
            "12 derniers mois, le dernier il y a 1 mois",
        ),
        ("events", (0, 0, 0, 14)): (
            "no fatal event in the last 12 months, the last one 14 months ago",
            "aucun événement meurtrier dans les 12 derniers mois, le dernier il y a 14 mois",
        ),
        ("fatalities", (1, 4, 9)): (
            "1 fatality last month, 4 in the last 3 months, 9 in the last 12 months",
            "1 mort le mois dernier, 4 dans les 3 derniers mois, 9 dans les 12 derniers mois",
        ),
        ("long_run", (0.25,)): (
            "long-run average of 0.25 fatalities a month",
            "moyenne à long terme de 0,25 morts par mois",
        ),
    }
    for (name, values), languages in said.items():
        row = {"drivers": [{"name": name, "values": list(values), "contribution": -0.5}]}
        for language, words, decimal in zip(("en", "fr"), languages, ("0.50", "0,50"), strict=True):
            with translation.override(language):
                assert early_warning.reasons(row) == [f"{words} (\u2212{decimal})"]


def test_every_message_of_the_forecast_reasons_has_its_french() -> None:
    from ulinzi.test import untranslated, worded_messages

    texts, counts = worded_messages(fc)
    assert len(texts) >= 6 and len(counts) >= 4  # the parse found them
    assert not untranslated(texts, counts)
