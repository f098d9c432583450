"""The reasons grouping gives, in the reader's language (alert_words.grouping_reason).

The reasons are stored in English, with the figures that decided; the alert's page
translates each known form of the words and keeps the figures. Every reason the grouping
can write must come out whole in French: the reports below go through the real
grouping, with distances, times, types, texts, places and reporters drawn at random.
"""

from __future__ import annotations

import re

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from ulinzi.alerts.grouping import THREAT_TYPES, AlertIndex, ReportFacts
from ulinzi.alerts.models import THREAT_TYPES as TYPE_LABELS
from ulinzi.alerts.templatetags.alert_words import grouping_reason

KM = 1 / 111.195
T0 = 1_750_000_000.0
TEXTS = [
    "ADF wameua watu 3 Kasindi usiku",
    "Les ADF ont tué 3 personnes à Kasindi",
    "Tirs entendus vers Mbau",
    "Watu wenye silaha wamechoma nyumba 12",
    "FARDC wamekamata vijana",
    "Mai-Mai ont pillé le marché de Kalau",
    "",
]
PLACES = {11: "Kasindi", 12: "Mutwanga", 13: "Mbau", 14: "Kalau"}
# English words of the reasons that the French has none of (whole words).
ENGLISH = re.compile(
    r"\b(alert|evidence|same|from|limit|away|nearest|coordinates|similarity|merged|split|"
    r"numbers?|group|reporter|fits|below|names|farther|within|days|cannot|joins|merges|"
    r"killing|abduction|looting)\b"
)

# Forms the draws seldom reach, as grouping.py and the domain (merge and split by hand)
# write them.
RARE = [
    "new alert: nearest open alert A-4 is 31.2 km and 2.0 h away, but the limit is 25 km",
    "new alert: nearest open alert A-4 is 3.1 days away, but the limit is 48 h",
    "new alert: nearest open alert A-2 is 9.4 km and 40 min away, but it is 9.4 km away "
    "with text similarity 0.05 (beyond 8 km it takes 0.30)",
    "0.4 km and 15 min from alert A-1, same type (killing), text similarity 0.71, same "
    "reporter, evidence 7.2 (joins from 0.5); also fits A-2 with evidence 3.1 and A-3 with "
    "evidence 2.6 (merges from 2): merged into A-1",
    "new alert: the alert it fits, A-7, was closed",
    "new alert",
    "merged from A-3",
    "split from A-12",
]
LABELS = dict(TYPE_LABELS)
TYPE_CODE = re.compile(r"\b(" + "|".join(sorted(LABELS, key=len, reverse=True)) + r")\b")

reports = st.lists(
    st.tuples(
        st.floats(-40, 40),  # km north
        st.floats(-40, 40),  # km east
        st.floats(0, 80),  # hours after the first
        st.sampled_from(THREAT_TYPES),
        st.sampled_from(TEXTS),
        st.sampled_from([None, 11, 12, 13, 14]),
        st.sampled_from([None, "a", "b", "c"]),
        st.booleans(),  # located
    ),
    min_size=2,
    max_size=12,
)


def _facts(n: int, drawn: tuple) -> ReportFacts:  # type: ignore[type-arg]
    north, east, hours, threat, text, place, reporter, located = drawn
    return ReportFacts(
        id=n,
        lat=0.49 + north * KM if located else None,
        lon=29.47 + east * KM if located else None,
        at=T0 + hours * 3600.0,
        threat_type=threat,
        text=text,
        place_id=place,
        reporter_key=reporter,
        place_name=PLACES.get(place) if place else None,
    )


def _reasons(drawn: list) -> list[str]:  # type: ignore[type-arg]
    index, said = AlertIndex(), []
    for n, one in enumerate(sorted(drawn, key=lambda d: d[2]), start=1):
        facts = _facts(n, one)
        decision = index.decide(facts)
        said.append(decision.reason)
        for other in decision.merges:
            index.merge(other, decision.alert_id)  # type: ignore[arg-type]
        index.add(n if decision.alert_id is None else decision.alert_id, facts)
    return said


@settings(max_examples=150, deadline=None)
@given(drawn=reports)
def test_every_reason_grouping_gives_is_said_whole_in_french(drawn: list) -> None:  # type: ignore[type-arg]
    for reason in [*_reasons(drawn), *RARE]:
        with translation.override("fr"):
            said = grouping_reason(reason)
        assert not ENGLISH.search(said), (reason, said)
        # The figures and references are kept, in their order, with a decimal comma.
        assert not re.search(r"\d\.\d", said), said
        assert re.findall(r"A-\d+|\d+(?:,\d+)?", said) == [
            f.replace(".", ",") for f in re.findall(r"A-\d+|\d+(?:\.\d+)?", reason)
        ], (reason, said)
        with translation.override("en"):  # the same, threat types by their names
            assert grouping_reason(reason) == TYPE_CODE.sub(
                lambda code: str(LABELS[code.group(0)]), reason
            )


def test_a_join_and_a_refusal_in_french() -> None:
    with translation.override("fr"):
        assert grouping_reason(
            "2.8 km and 30 min from alert A-12, compatible types (attack_on_civilians ~ "
            "killing), text similarity 0.14, same number, same armed group, names the "
            "alert's place, evidence 6.6 (joins from 0.5)"
        ) == (
            "à 2,8 km et 30 min de l'alerte A-12, types compatibles (attaque contre des "
            "civils ~ meurtre), similarité des textes 0,14, même chiffre, même groupe armé, "
            "nomme le lieu de l'alerte, indices 6,6 (rattachement à partir de 0,5)"
        )
        assert grouping_reason(
            "new alert: nearest open alert A-1 is 0.3 km and 18 min away, but killing cannot "
            "be the same incident as arbitrary_arrest"
        ) == (
            "nouvelle alerte : l'alerte ouverte la plus proche, A-1, est à 0,3 km et 18 min, "
            "mais meurtre ne peut pas être le même incident que arrestation arbitraire"
        )
        assert grouping_reason("12.0 km and 2.5 days from alert A-3") == (
            "à 12,0 km et 2,5 jours de l'alerte A-3"
        )
        assert grouping_reason("a reason of another form") == "a reason of another form"
