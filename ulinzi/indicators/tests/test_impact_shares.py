"""The impact page for indicators that are shares: of records (alerts addressed among
those closed) and of survey respondents (who feel safe at night). The observations are
records or respondents; the estimate is checked against the difference in differences
of shares counted directly from the rows created here."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.utils import timezone

from ulinzi.alerts.models import Alert
from ulinzi.indicators import impact
from ulinzi.indicators.models import Indicator, Initiative, InitiativeIndicator
from ulinzi.places.models import Community, Place
from ulinzi.surveys.models import Response, SurveyForm, SurveyRound
from ulinzi.test import make_community, make_user, verified_client

pytestmark = pytest.mark.django_db


def villages(n: int) -> list[Place]:
    places = list(Place.objects.filter(kind="village").order_by("pk")[:n])
    if len(places) < n:
        pytest.skip("the test gazetteer has too few villages")
    return places


def start_month(months_ago: int) -> tuple[int, dt.date]:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_ago
    return index, dt.date(index // 12, index % 12 + 1, 1)


def moment(index: int, day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(index // 12, index % 12 + 1, day, 10, 0))


def shares_did(rows: list[tuple[bool, bool, float, float]]) -> float:
    """(treated, after, value, weight) rows: the difference in differences of the four
    weighted means, counted here without the estimator."""
    cell: dict[tuple[bool, bool], list[float]] = {}
    for treated, after, value, weight in rows:
        total = cell.setdefault((treated, after), [0.0, 0.0])
        total[0] += value * weight
        total[1] += weight

    def m(treated: bool, after: bool) -> float:
        top, bottom = cell[(treated, after)]
        return top / bottom

    return (m(True, True) - m(True, False)) - (m(False, True) - m(False, False))


def initiative_page(
    indicator: Indicator,
    treated: list[Community],
    started: dt.date,
    comparison: list[Community] | None = None,
) -> tuple[dict[str, Any], str]:
    """The initiative page's entry for ``indicator``, and the page's HTML."""
    initiative = Initiative.objects.create(name="Alert network", objectives="-", started=started)
    initiative.communities.set(treated)
    initiative.comparison.set(comparison or [])
    InitiativeIndicator.objects.create(initiative=initiative, indicator=indicator)
    client = verified_client(make_user("meo", "me_officer", whole_mission=True))
    page = client.get(f"/indicators/initiatives/{initiative.pk}/")
    assert page.status_code == 200
    return page.context["results"][0], page.content.decode()


def test_share_of_alerts_addressed(gazetteer: None) -> None:
    places = villages(24)
    communities = [make_community(f"V{i}", p) for i, p in enumerate(places)]
    treated, controls = communities[:12], communities[12:]
    start, started = start_month(6)
    rng = random.Random(7)
    made, expected = [], []
    for m in range(start - 12, start + 6):
        for community in communities:
            is_treated, after = community in treated, m >= start
            chance = 0.85 if is_treated and after else 0.5
            for k in range(rng.randint(2, 6)):
                addressed = rng.random() < chance
                status = Alert.Status.CLOSED if rng.random() < 0.9 else Alert.Status.RECEIVED
                made.append(
                    Alert(
                        status=status,
                        outcome=(
                            ""
                            if status != Alert.Status.CLOSED
                            else ("mitigated" if addressed else "no_response_possible")
                        ),
                        threat_type="killing",
                        severity="high",
                        summary="t",
                        place=community.place,
                        received_at=moment(m, 1 + k),
                    )
                )
                if status == Alert.Status.CLOSED:
                    expected.append((is_treated, after, 100.0 * addressed, 1.0))
    # False alarms count in no share.
    made.append(
        Alert(
            status=Alert.Status.CLOSED,
            outcome="false_alarm",
            threat_type="killing",
            severity="high",
            summary="t",
            place=treated[0].place,
            received_at=moment(start, 3),
        )
    )
    Alert.objects.bulk_create(made)

    indicator = Indicator.objects.get(code="alerts-addressed")
    data = impact.observations(indicator, communities, started)
    assert len(data.values) == len(expected) and set(data.values) == {0.0, 100.0}

    entry, _html = initiative_page(indicator, treated, started, comparison=controls)
    result = entry["result"]
    assert result.effect == pytest.approx(shares_did(expected), abs=1e-9)
    assert 20 < result.effect < 50 and result.ci_low > 0  # planted: +35 points
    assert result.n_treated_units == 12 and result.n_control_units == 12
    assert entry["effect_unit"] == "percentage points"
    assert not entry["suggested"]


def test_share_who_feel_safe_at_night_from_survey_rounds(gazetteer: None) -> None:
    places = villages(30)
    communities = [make_community(f"S{i}", p) for i, p in enumerate(places)]
    treated, others = communities[:8], communities[8:]
    start, started = start_month(4)
    form = SurveyForm.objects.create(id_string="pos", title="Perception", xlsform=b"-")
    rng = random.Random(3)
    expected = []
    n = 0
    # Three rounds before the start (24, 12 and 2 months before), one after (2 months later).
    for offset in (-24, -12, -2, 2):
        end = dt.date((start + offset) // 12, (start + offset) % 12 + 1, 20)
        survey = SurveyRound.objects.create(
            name=f"Round {offset}", form=form, start=end - dt.timedelta(days=10), end=end
        )
        rows = []
        for community in communities:
            is_treated, after = community in treated, offset > 0
            chance = 0.3 + (0.3 if is_treated and after else 0.0) + 0.01 * (offset + 24) / 2
            for _ in range(rng.randint(8, 15)):
                safe = rng.random() < chance
                weight = rng.choice([0.5, 1.0, 2.0])
                answer = rng.choice(["very_safe", "fairly_safe"]) if safe else "not_safe"
                values = {"safe_night": answer, "sex": rng.choice(["female", "male"])}
                if rng.random() < 0.05:
                    values = {"sex": "female"}  # skipped the question: no observation
                else:
                    expected.append((is_treated, after, 100.0 * safe, weight))
                n += 1
                rows.append(
                    Response(
                        round=survey,
                        submission_id=f"s{n}",
                        community=community,
                        values=values,
                        weight=weight,
                    )
                )
        Response.objects.bulk_create(rows)

    indicator = Indicator.objects.get(code="safe-at-night")
    data = impact.observations(indicator, communities, started)
    assert data.weights is not None and len(data.values) == len(expected)
    assert shares_did(
        [
            (unit in {str(c.pk) for c in treated}, period >= start, value, weight)
            for unit, period, value, weight in zip(
                data.units, data.periods, data.values, data.weights, strict=True
            )
        ]
    ) == pytest.approx(shares_did(expected), abs=1e-9)
    assert sorted(set(data.periods)) == [start - 24, start - 12, start - 2, start + 2]

    # No comparison chosen: the most similar communities before the start are suggested.
    entry, html = initiative_page(indicator, treated, started)
    assert entry["suggested"] and set(entry["controls"]) <= set(others)
    assert len(entry["controls"]) == min(2 * len(treated), len(others))
    treated_ids = {str(c.pk) for c in treated}
    kept = treated_ids | {str(c.pk) for c in entry["controls"]}
    result = entry["result"]
    subset = [
        (unit in treated_ids, period >= start, value, weight)
        for unit, period, value, weight in zip(
            data.units, data.periods, data.values, data.weights, strict=True
        )
        if unit in kept
    ]
    assert result.effect == pytest.approx(shares_did(subset), abs=1e-9)
    assert result.effect > 10  # planted: +30 points
    assert entry["effect_unit"] == "percentage points"
    assert result.periods == [start - 24, start - 12, start - 2, start + 2]
    assert "<circle" in html and "percentage points" in html
