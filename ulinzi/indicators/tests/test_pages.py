"""What the indicator pages say and to whom: no trend without two values, counts said to
be counts when no population is recorded, and initiatives seen only within the reader's
area."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from ulinzi.indicators import engine, impact, views
from ulinzi.indicators.models import Indicator, Initiative, InitiativeIndicator
from ulinzi.indicators.tests.test_impact import far_apart
from ulinzi.places.models import Community
from ulinzi.test import make_community, make_user, verified_client
from ulinzi.threats import domain as threats

pytestmark = pytest.mark.django_db


def test_a_trend_needs_two_values() -> None:
    def values(*numbers: float | None) -> list[engine.Value]:
        return [engine.Value(f"2026-{i + 1:02d}", "", n) for i, n in enumerate(numbers)]

    higher = Indicator.Polarity.HIGHER
    assert engine.trend([], higher) == ""
    assert engine.trend(values(None, None), higher) == ""
    assert engine.trend(values(None, 40.0, None), higher) == ""
    assert engine.trend(values(40.0, 40.0), higher) == "steady"
    assert engine.trend(values(40.0, 50.0), higher) == "better"
    assert engine.trend(values(40.0, 50.0), Indicator.Polarity.LOWER) == "worse"


def test_the_dashboard_says_no_trend_without_data(personas: dict[str, Any]) -> None:
    for language, steady in (("en", "steady"), ("fr", "stable")):
        user = make_user(f"meo-{language}", "me_officer", whole_mission=True, language=language)
        page = verified_client(user).get("/indicators/")
        assert all(r["latest"] is None for r in page.context["rows"])  # nothing recorded yet
        assert all(r["trend"] == "" for r in page.context["rows"])
        html = page.content.decode()
        assert 'class="trend-' not in html and f"· {steady}" not in html


def test_the_dashboard_says_one_value_has_no_trend_yet(
    personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = engine.Value(engine.month_label(timezone.localdate()), "", 42.0)
    monkeypatch.setattr(views.engine, "compute", lambda indicator, user, months: [one])
    for language, said in (
        ("en", "one value so far: no trend yet"),
        ("fr", "une seule valeur pour l'instant : pas encore de tendance"),
    ):
        user = make_user(f"meo-{language}", "me_officer", whole_mission=True, language=language)
        html = verified_client(user).get("/indicators/").content.decode()
        assert html.count(said) == Indicator.objects.filter(active=True).count()
        assert 'class="trend-' not in html


def events_initiative(
    tmp_path: Path, populations: list[int | None]
) -> tuple[Initiative, list[Community], int]:
    """Covered and comparison communities far apart, with events before and after a start
    six months ago; the number of events in the window."""
    places = far_apart(len(populations))
    communities = [make_community(f"C{i}", p) for i, p in enumerate(places)]
    for community, population in zip(communities, populations, strict=True):
        Community.objects.filter(pk=community.pk).update(population=population)
        community.population = population
    today = timezone.localdate()
    start = today.year * 12 + today.month - 1 - 6
    started = dt.date(start // 12, start % 12 + 1, 1)
    rng = random.Random(7)
    lines = ["id,date,lat,lon,type,fatalities,place"]
    for m in range(start - 12, start + 6):
        for community in communities:
            for _ in range(rng.choice([1, 2, 3])):
                day = dt.date(m // 12, m % 12 + 1, rng.randrange(1, 28))
                place = community.place
                lines.append(f"x{len(lines)},{day},{place.lat},{place.lon},killing,0,")
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    threats.import_events(path, "csv", source="t")
    half = len(communities) // 2
    initiative = Initiative.objects.create(name="Patrols", objectives="-", started=started)
    initiative.communities.set(communities[:half])
    initiative.comparison.set(communities[half:])
    InitiativeIndicator.objects.create(
        initiative=initiative, indicator=Indicator.objects.get(code="events-per-10000")
    )
    return initiative, communities, len(lines) - 1


@pytest.mark.parametrize("populations", [[None] * 4, [20_000, None, None, None]])
def test_without_every_population_the_impact_is_in_counts_and_says_so(
    gazetteer: None, tmp_path: Path, populations: list[int | None]
) -> None:
    initiative, communities, n = events_initiative(tmp_path, populations)
    data = impact.observations(
        Indicator.objects.get(code="events-per-10000"), communities, initiative.started
    )
    assert sum(data.values) == n  # the counts themselves, for every community alike
    unknown = ", ".join(c.name for c in communities if not c.population)
    pages = {}
    for language in ("en", "fr"):
        user = make_user(f"meo-{language}", "me_officer", whole_mission=True, language=language)
        page = verified_client(user).get(f"/indicators/initiatives/{initiative.pk}/")
        entry = page.context["results"][0]
        assert "result" in entry and "before_after" in entry
        pages[language] = (entry, page.content.decode())
    entry, html = pages["en"]
    assert entry["effect_unit"] == entry["level_unit"] == "events per community a month"
    assert entry["what"] == (
        f"No population is recorded for {unknown}: the figures are counts "
        "(events per community a month), not rates per 10,000 people."
    )
    assert "after. (events per community a month)" in html
    assert "events per community a month (95% interval" in html
    assert "per 10,000 people a month" not in html
    entry, html = pages["fr"]
    assert entry["effect_unit"] == "événements par communauté et par mois"
    assert entry["what"].startswith(f"Aucune population n'est enregistrée pour {unknown} :")
    assert "pour 10 000 personnes par mois" not in html


def test_with_every_population_the_impact_is_a_rate(gazetteer: None, tmp_path: Path) -> None:
    initiative, communities, n = events_initiative(tmp_path, [10_000, 10_000, 20_000, 20_000])
    user = make_user("meo", "me_officer", whole_mission=True)
    page = verified_client(user).get(f"/indicators/initiatives/{initiative.pk}/")
    entry = page.context["results"][0]
    assert entry["effect_unit"] == entry["level_unit"] == "per 10,000 people a month"
    assert entry["what"] == ""
    assert "after. (per 10,000 people a month)" in page.content.decode()


def test_suggested_comparisons_are_said_in_counts_when_a_population_is_missing(
    gazetteer: None, tmp_path: Path
) -> None:
    initiative, communities, n = events_initiative(tmp_path, [None] * 6)
    initiative.comparison.clear()
    user = make_user("meo", "me_officer", whole_mission=True)
    entry = (
        verified_client(user).get(f"/indicators/initiatives/{initiative.pk}/").context["results"][0]
    )
    assert entry["suggested"] and entry["effect_unit"] == "events per community a month"
    named = {c.name for c in [*communities[:3], *entry["controls"]]}
    assert entry["what"].startswith(f"No population is recorded for {', '.join(sorted(named))}:")


def test_initiatives_are_seen_within_the_readers_area(personas: dict[str, Any]) -> None:
    mbau, goma_ville = personas["mbau"], personas["goma_ville"]
    initiative = Initiative.objects.create(
        name="Night patrols", objectives="-", started=timezone.localdate()
    )
    initiative.communities.set([mbau])
    initiative.comparison.set([goma_ville])
    InitiativeIndicator.objects.create(
        initiative=initiative, indicator=Indicator.objects.get(code="events-per-10000")
    )
    url = f"/indicators/initiatives/{initiative.pk}/"

    # Bob's base is Goma: the initiative covers none of his communities.
    bob = verified_client(personas["bob"])
    listing = bob.get("/indicators/initiatives/")
    assert list(listing.context["initiatives"]) == []
    assert "Night patrols" not in listing.content.decode()
    assert "None in your area yet." in listing.content.decode()
    assert bob.get(url).status_code == 404

    # Alice's base is Beni: she sees it, with Mbau only, not Goma ville compared with it.
    alice = verified_client(personas["alice"])
    assert list(alice.get("/indicators/initiatives/").context["initiatives"]) == [initiative]
    page = alice.get(url)
    assert page.status_code == 200
    assert page.context["treated"] == [mbau] and page.context["comparison"] == []
    html = page.content.decode()
    assert "Goma ville" not in html
    assert "Only the communities in your area are shown and counted" in html
    for entry in page.context["results"]:
        assert goma_ville not in entry.get("controls", [])

    # The whole mission sees everything, as before.
    carol = verified_client(personas["carol"])
    assert list(carol.get("/indicators/initiatives/").context["initiatives"]) == [initiative]
    page = carol.get(url)
    assert page.context["treated"] == [mbau] and page.context["comparison"] == [goma_ville]
    assert page.context["results"][0]["controls"] == [goma_ville]
    assert "Only the communities in your area" not in page.content.decode()


def test_an_area_officer_chooses_communities_of_their_area_only(
    personas: dict[str, Any],
) -> None:
    mbau, goma_ville = personas["mbau"], personas["goma_ville"]
    officer = make_user("meo-beni", "me_officer", bases=[personas["beni"]])
    client = verified_client(officer)
    form = client.get("/indicators/initiatives/").context["form"]
    assert list(form.fields["communities"].queryset) == [mbau]
    assert list(form.fields["comparison"].queryset) == [mbau]
    indicator = Indicator.objects.get(code="events-per-10000")
    posted = {
        "name": "Patrols",
        "objectives": "-",
        "started": timezone.localdate().isoformat(),
        "communities": [goma_ville.pk],
        "indicators": [indicator.pk],
    }
    assert client.post("/indicators/initiatives/", posted).status_code == 400
    assert not Initiative.objects.exists()
    assert (
        client.post("/indicators/initiatives/", {**posted, "communities": [mbau.pk]}).status_code
        == 302
    )
    assert Initiative.objects.get().communities.get() == mbau
