"""An initiative's impact page: the community-month panel from events, the
difference-in-differences estimate against comparison communities (given or suggested),
and the simple before/after figures."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from django.utils import timezone

from ulinzi.indicators import impact
from ulinzi.indicators.models import Indicator, Initiative, InitiativeIndicator
from ulinzi.places.models import Community, Place
from ulinzi.test import make_community, make_user, verified_client
from ulinzi.threats import domain as threats

pytestmark = pytest.mark.django_db


def far_apart(n: int) -> list[Place]:
    """``n`` villages at least 40 km from each other (each keeps its own events)."""
    chosen: list[Place] = []
    for place in Place.objects.filter(kind__in=["village", "town"], lat__isnull=False).order_by(
        "pk"
    ):
        if all(abs(place.lat - p.lat) + abs(place.lon - p.lon) > 0.5 for p in chosen):
            chosen.append(place)
        if len(chosen) == n:
            return chosen
    pytest.skip("the test gazetteer has too few far-apart villages")


def test_impact_of_an_initiative_on_events(gazetteer: None, tmp_path: Path) -> None:
    places = far_apart(6)
    communities = [make_community(f"C{i}", p) for i, p in enumerate(places)]
    Community.objects.update(population=10_000)
    treated, controls = communities[:3], communities[3:]
    today = timezone.localdate()
    start_index = today.year * 12 + today.month - 1 - 6  # six months ago
    started = dt.date(start_index // 12, start_index % 12 + 1, 1)
    rng = random.Random(4)
    lines = ["id,date,lat,lon,type,fatalities,place"]
    n = 0
    for m in range(start_index - 12, start_index + 6):
        for community in communities:
            # 4 events a month everywhere; the covered communities get 3 fewer after the start.
            count = (
                4 - (3 if community in treated and m >= start_index else 0) + rng.choice([-1, 0, 1])
            )
            for _ in range(count):
                day = dt.date(m // 12, m % 12 + 1, rng.randrange(1, 28))
                lines.append(f"x{n},{day},{community.place.lat},{community.place.lon},killing,0,")
                n += 1
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    threats.import_events(path, "csv", source="t")

    indicator = Indicator.objects.get(code="events-per-10000")
    data = impact.observations(indicator, communities, started)
    assert len(set(data.units)) == 6 and min(data.periods) == start_index - 12
    assert max(data.periods) == start_index + 5
    assert sum(data.values) == n  # populations of 10,000: a rate per 10,000 equals the count
    series = data.pre_start_series(start_index)
    assert all(len(v) == 12 for v in series.values()) and len(series) == 6

    initiative = Initiative.objects.create(
        name="Firewood patrols", objectives="Fewer attacks", started=started
    )
    initiative.communities.set(treated)
    initiative.comparison.set(controls)
    InitiativeIndicator.objects.create(initiative=initiative, indicator=indicator)
    client = verified_client(make_user("meo", "me_officer", whole_mission=True))
    page = client.get(f"/indicators/initiatives/{initiative.pk}/")
    assert page.status_code == 200
    result = page.context["results"][0]["result"]
    assert result.effect == pytest.approx(-3.0, abs=1.0)
    assert result.ci_low < result.effect < result.ci_high and result.ci_high < 0
    assert result.n_treated_units == 3 and result.n_control_units == 3
    assert any("Only 3 treated communities" in c for c in result.cautions), result.cautions
    before_after = page.context["results"][0]["before_after"]
    assert before_after["before"] == pytest.approx(4.0, abs=0.5)
    assert "<svg" in page.content.decode() and "Simple before and after" in page.content.decode()
    # In French, the cautions are said in French.
    french = verified_client(make_user("mireille", "me_officer", whole_mission=True, language="fr"))
    html = french.get(f"/indicators/initiatives/{initiative.pk}/").content.decode()
    assert "Seulement 3 communautés couvertes : l&#x27;intervalle est large" in html
    assert "Only 3 treated communities" not in html and "Les deux groupes au fil du temps" in html

    # Without comparison communities, the most similar ones are suggested.
    initiative.comparison.clear()
    suggested = client.get(f"/indicators/initiatives/{initiative.pk}/").context["results"][0]
    assert suggested["suggested"] and set(suggested["controls"]) <= set(controls)


def test_an_estimate_that_cannot_be_made_says_why_in_the_readers_language(
    gazetteer: None,
) -> None:
    places = far_apart(4)
    communities = [make_community(f"C{i}", p) for i, p in enumerate(places)]
    Community.objects.update(population=10_000)
    # Started in a year's time: nothing of the covered communities is observed from then.
    started = timezone.localdate() + dt.timedelta(days=400)
    initiative = Initiative.objects.create(name="Later", objectives="-", started=started)
    initiative.communities.set(communities[:2])
    initiative.comparison.set(communities[2:])
    indicator = Indicator.objects.get(code="events-per-10000")
    InitiativeIndicator.objects.create(initiative=initiative, indicator=indicator)
    pages = {}
    for language in ("en", "fr"):
        user = make_user(f"meo-{language}", "me_officer", whole_mission=True, language=language)
        page = verified_client(user).get(f"/indicators/initiatives/{initiative.pk}/")
        pages[language] = page.context["results"][0]["error"]
    assert pages == {
        "en": "None of the covered communities appears in the data.",
        "fr": "Aucune des communautés couvertes n'apparaît dans les données.",
    }
