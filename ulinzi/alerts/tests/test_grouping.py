"""One incident, one alert: how reports are grouped into alerts (ulinzi.alerts.grouping).

Every scenario is set around one village near Beni (0.49 N, 29.47 E); positions
are given in km north and east of it, times in hours after a fixed instant.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ulinzi.alerts.grouping import (
    COMPATIBLE,
    FEATURES,
    THREAT_TYPES,
    WEIGHTS,
    AlertIndex,
    Decision,
    ReportFacts,
    Thresholds,
    compatible,
    group,
    names_place,
    text_numbers,
    text_similarity,
)

KM = 1 / 111.195  # degrees of latitude (and, at 0.49 N, of longitude) per km
VILLAGE = (0.49, 29.47)
T0 = 1_750_000_000.0
# The gazetteer's names of the places the scenarios use (Kasindi is the village).
PLACE_NAMES = {11: "Kasindi", 12: "Mutwanga", 13: "Mbau", 14: "Kalau"}


def report(
    id: int,
    north: float = 0.0,
    east: float = 0.0,
    hours: float = 0.0,
    threat: str = "killing",
    text: str = "",
    place: int | None = None,
    reporter: str | None = None,
    located: bool = True,
    named: bool = True,
) -> ReportFacts:
    return ReportFacts(
        id=id,
        lat=VILLAGE[0] + north * KM if located else None,
        lon=VILLAGE[1] + east * KM if located else None,
        at=T0 + hours * 3600.0,
        threat_type=threat,
        text=text,
        place_id=place,
        reporter_key=reporter,
        place_name=PLACE_NAMES.get(place) if named and place is not None else None,
    )


# -- many reports of one attack, one alert ---------------------------------------


def test_several_reporters_of_one_attack_make_one_alert() -> None:
    reports = [
        report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi usiku", 11, "a"),
        report(
            2,
            1.2,
            0.5,
            0.4,
            "attack_on_civilians",
            "Les ADF ont tué 3 personnes à Kasinndi",
            11,
            "b",
        ),
        report(3, -0.4, 0.3, 0.9, "killing", "3 people killed in Kasindi by ADF", 11, "c"),
        report(4, 2.5, -1.0, 1.5, "arson_destruction", "ADF wamechoma nyumba Kasindi", 12, "d"),
    ]
    assert group(reports) == {1: 1, 2: 1, 3: 1, 4: 1}


def test_the_same_reporter_writing_again_joins_even_with_other_words() -> None:
    first = report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a")
    again = report(2, 0.3, 0.0, 3.0, "killing", "Bado wako hapa, tusaidie", 11, "a")
    assert group([first, again]) == {1: 1, 2: 1}


# -- distinct incidents stay apart --------------------------------------------------


def test_two_attacks_in_neighbouring_villages_the_same_night_make_two_alerts() -> None:
    reports = [
        report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi usiku", 11, "a"),
        report(2, 0.5, 0.0, 0.5, "killing", "watu 3 wameuawa Kasindi", 11, "b"),
        report(3, 6.0, 0.0, 0.2, "killing", "ADF wameua watu 2 Mbau usiku", 13, "c"),
        report(4, 6.3, 0.4, 0.8, "killing", "watu 2 wameuawa Mbau", 13, "d"),
    ]
    assert group(reports) == {1: 1, 2: 1, 3: 3, 4: 3}


def test_the_same_village_attacked_two_days_later_is_another_alert() -> None:
    reports = [
        report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a"),
        report(2, 0.0, 0.0, 48.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a"),
    ]
    assert group(reports) == {1: 1, 2: 2}


def test_incompatible_threat_types_make_two_alerts() -> None:
    reports = [
        report(1, 0.0, 0.0, 0.0, "arson_destruction", "nyumba zimechomwa Kasindi", 11, "a"),
        report(2, 0.2, 0.0, 0.5, "arbitrary_arrest", "vijana wamekamatwa Kasindi", 11, "b"),
    ]
    assert group(reports) == {1: 1, 2: 2}


def test_compatibility_table_is_symmetric_and_other_fits_everything() -> None:
    for a in THREAT_TYPES:
        assert compatible(a, a)
        assert compatible(a, "other") and compatible("other", a)
        for b in COMPATIBLE[a]:
            assert a in COMPATIBLE[b]
    assert compatible("killing", "armed_clash")
    assert compatible("armed_presence", "abduction")
    assert not compatible("armed_presence", "explosive_hazard")
    assert not compatible("child_recruitment", "arson_destruction")
    assert not compatible("new_type", "killing")
    assert compatible("new_type", "new_type")


# -- reports without coordinates -----------------------------------------------------


def test_unlocated_report_joins_through_the_same_reporter() -> None:
    first = report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a")
    again = report(2, hours=1.0, text="Bado wako hapa, tusaidie", reporter="a", located=False)
    assert group([first, again]) == {1: 1, 2: 1}


def test_unlocated_report_joins_through_the_same_place_with_similar_text() -> None:
    first = report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a")
    same_place = report(
        2, hours=1.0, text="watu 3 wameuawa Kasindi", place=11, reporter="b", located=False
    )
    assert group([first, same_place]) == {1: 1, 2: 1}


def test_unlocated_report_from_someone_else_without_a_group_never_joins() -> None:
    first = report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a")
    stranger = report(2, hours=0.5, text="watu 3 wameuawa, tusaidie", reporter="b", located=False)
    index = AlertIndex()
    index.add(1, first)
    assert index.decide(stranger) == Decision(
        alert_id=None,
        score=0.0,
        reason=(
            "new alert: no coordinates, and no open alert from the same reporter, place or "
            "armed group within 12 h"
        ),
        distance_km=None,
        hours=None,
        text_similarity=None,
    )


def test_unlocated_report_from_someone_else_joins_on_group_number_and_time() -> None:
    first = report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi usiku", 11, "a")
    second = report(2, 0.3, 0.2, 0.4, "killing", "Les ADF ont tué 3 personnes", 11, "b")
    stranger = report(3, hours=0.5, text="ADF wameua watu 3, tusaidie", reporter="c", located=False)
    assert group([first, second, stranger]) == {1: 1, 2: 1, 3: 1}
    # Hours later, or naming another group, it stays apart.
    later = report(3, hours=4.0, text="ADF wameua watu 3, tusaidie", reporter="c", located=False)
    other = report(3, hours=0.5, text="CODECO wameua watu 3, tusaidie", reporter="c", located=False)
    assert group([first, second, later])[3] == 3
    assert group([first, second, other])[3] == 3


def test_a_follow_up_without_a_place_joins_its_reporters_alert_not_the_twins() -> None:
    # Two villages 6 km apart attacked the same night by the same group; reporter
    # "b" writes again without naming a place: it joins b's alert.
    reports = [
        report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi usiku", 11, "a"),
        report(2, 0.2, 0.1, 0.3, "killing", "watu 3 wameuawa Kasindi", 11, "b"),
        report(3, 6.0, 0.0, 0.2, "killing", "ADF wameua watu 5 Mbau usiku", 13, "c"),
        report(4, 6.2, 0.3, 0.5, "killing", "watu 5 wameuawa Mbau", 13, "d"),
        report(5, hours=1.5, text="Bado wako hapa, tusaidie", reporter="b", located=False),
        report(
            6, hours=1.6, text="Still 5 people killed, please come", reporter="d", located=False
        ),
    ]
    assert group(reports) == {1: 1, 2: 1, 3: 3, 4: 3, 5: 1, 6: 3}


def test_out_of_range_coordinates_count_as_missing() -> None:
    assert not ReportFacts(1, 91.0, 29.0, T0, "killing", "").located
    assert not ReportFacts(1, float("nan"), 29.0, T0, "killing", "").located
    assert ReportFacts(1, 0.49, 29.47, T0, "killing", "").located
    with pytest.raises(ValueError):
        ReportFacts(1, 0.49, 29.47, float("inf"), "killing", "")


# -- the reason the duty officer reads -----------------------------------------------


def test_a_join_says_how_far_how_long_which_types_and_how_similar() -> None:
    index = AlertIndex()
    index.add(12, report(12, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi usiku", 11, "a"))
    decision = index.decide(
        report(
            13,
            1.2,
            2.5,
            0.5,
            "attack_on_civilians",
            "Les ADF ont tué 3 personnes à Kasinndi",
            12,
            "b",
        )
    )
    assert decision == Decision(
        alert_id=12,
        score=0.998,
        reason=(
            "2.8 km and 30 min from alert A-12, compatible types (attack_on_civilians ~ "
            "killing), text similarity 0.14, same number, same armed group, names the "
            "alert's place, evidence 6.6 (joins from 0.5)"
        ),
        distance_km=2.77,
        hours=0.5,
        text_similarity=0.14,
    )


def test_a_refusal_names_the_nearest_alert_and_the_rule_that_kept_it_apart() -> None:
    index = AlertIndex()
    index.add(1, report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a"))
    decision = index.decide(report(2, 0.3, 0.0, 0.3, "arbitrary_arrest", "FARDC wamekamata vijana"))
    assert decision.alert_id is None
    assert decision.reason == (
        "new alert: nearest open alert A-1 is 0.3 km and 18 min away, but killing cannot be "
        "the same incident as arbitrary_arrest"
    )


def test_close_reports_need_no_text_and_the_reason_says_so() -> None:
    index = AlertIndex()
    index.add(1, report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a"))
    decision = index.decide(report(2, 0.5, 0.2, 1.0, "killing", "bato babomi", None, "b"))
    assert decision.alert_id == 1
    assert decision.reason == (
        "0.5 km and 1.0 h from alert A-1, same type (killing), text similarity 0.00, "
        "evidence 3.2 (joins from 0.5)"
    )


def test_a_twin_6_km_away_the_same_night_naming_another_group_stays_apart() -> None:
    index = AlertIndex()
    index.add(1, report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi usiku", 11, "a"))
    index.add(1, report(2, 0.3, 0.2, 0.4, "killing", "watu 3 wameuawa Kasindi", 11, "b"))
    decision = index.decide(
        report(3, 6.0, 0.0, 0.5, "killing", "CODECO wameua watu 5 Mbau usiku", 13, "c")
    )
    assert decision.alert_id is None
    assert decision.reason == (
        "new alert: nearest open alert A-1 is 5.7 km and 6 min away, but the evidence is "
        "at most -7.6 (farther than 4 km, 6.0 km from the alert's centre, other numbers, another "
        "armed group), below 0.5"
    )


def test_a_report_matched_to_the_wrong_village_joins_by_its_text() -> None:
    # The sender wrote "Kasiindi"; the geocoder put it at a village 6 km away.
    index = AlertIndex()
    index.add(1, report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi usiku", 11, "a"))
    index.add(1, report(2, 0.3, 0.2, 0.4, "killing", "watu 3 wameuawa Kasindi", 11, "b"))
    decision = index.decide(
        report(3, 5.5, 2.0, 0.8, "killing", "ADF wameua watu 3 Kasiindi", 14, "d")
    )
    assert decision.alert_id == 1
    assert decision.distance_km == 5.5


def test_a_place_name_is_recognised_in_a_text_despite_a_misspelling() -> None:
    assert names_place("Haraka! Kasiindi: watu 3 wameuawa", "Kasindi")
    assert names_place("les ADF à KASINDI cette nuit", "Kasindi")
    assert not names_place("Haraka! Mbau: watu 3 wameuawa", "Kasindi")
    assert not names_place("ADF wameua watu 3", "")


def test_the_evidence_has_a_weight_for_each_known_feature_only() -> None:
    assert set(WEIGHTS) == set(FEATURES)
    with pytest.raises(ValueError, match="unknown features in weights: nearness"):
        AlertIndex(weights={"nearness": 1.0})
    # A feature given no weight counts for nothing.
    index = AlertIndex(weights={"bias": 1.0})
    index.add(1, report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a"))
    decision = index.decide(report(2, 3.0, 0.0, 11.0, "killing", "CODECO Mbau", 13, "b"))
    assert decision.alert_id == 1
    assert decision.reason.endswith("evidence 1.0 (joins from 0.5)")


def test_the_features_of_a_pair_are_those_the_evidence_adds_up() -> None:
    index = AlertIndex()
    index.add(1, report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a"))
    features = index.features(report(2, 0.5, 0.0, 1.0, "killing", "watu 3 wameuawa", 11, "b"), 1)
    assert features is not None
    assert set(features) <= set(FEATURES)
    assert features["close"] == features["same_place"] == features["same_number"] == 1.0
    assert features["hours"] == pytest.approx(1.0)
    assert "far" not in features and "same_reporter" not in features
    # 20 km away: not compared at all.
    assert index.features(report(3, 20.0, 0.0, 1.0, "killing", "watu 3", 13, "c"), 1) is None


def test_a_report_put_at_the_wrong_village_joins_because_it_names_the_alerts_place() -> None:
    # "Kasiindi" was matched to Kalau, 6 km away; the text shares no number, no group
    # and hardly a word with the alert's. The village it names is the difference
    # with a twin attack on Kalau itself.
    def alert_at_kasindi() -> AlertIndex:
        index = AlertIndex()
        index.add(1, report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi usiku", 11))
        index.add(1, report(2, 0.3, 0.2, 0.4, "killing", "watu 3 wameuawa Kasindi", 11))
        return index

    misplaced = report(3, 5.5, 2.0, 0.8, "attack_on_civilians", "Urgent Kasiindi: attaque", 14)
    decision = alert_at_kasindi().decide(misplaced)
    assert decision.alert_id == 1
    assert decision.reason == (
        "5.5 km and 24 min from alert A-1, compatible types (attack_on_civilians ~ killing), "
        "text similarity 0.06, farther than 4 km, 5.9 km from the alert's centre, names the "
        "alert's place, evidence 2.0 (joins from 0.5)"
    )
    twin = report(3, 5.5, 2.0, 0.8, "attack_on_civilians", "Urgent Kalau: attaque", 14)
    assert alert_at_kasindi().decide(twin).alert_id is None


def test_the_alerts_centre_is_where_most_of_its_reports_are() -> None:
    index = AlertIndex()
    index.add(1, report(1, 3.0, 0.0, 0.0, "killing", "Mbau", 12, "a"))  # the next village
    index.add(1, report(2, 0.0, 0.0, 0.2, "killing", "Kasindi", 11, "b"))
    index.add(1, report(3, 0.3, 0.1, 0.3, "killing", "Kasindi", 11, "c"))
    centre = index.centre(1)
    assert centre is not None and centre.id == 2


def test_an_empty_index_proposes_a_new_alert() -> None:
    decision = AlertIndex().decide(report(1, text="ADF Kasindi"))
    assert decision.alert_id is None
    assert decision.reason == "new alert: no open alert within 8 km and 12 h"


# -- closing -------------------------------------------------------------------------


def test_a_closed_alert_attracts_no_more_reports() -> None:
    index = AlertIndex()
    index.add(1, report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi", 11, "a"))
    later = report(2, 0.1, 0.0, 1.0, "killing", "ADF wameua watu 3 Kasindi", 11, "b")
    assert len(index) == 1
    assert index.decide(later).alert_id == 1
    index.close(1)
    assert len(index) == 0
    assert index.report_count == 1
    assert index.decide(later).alert_id is None
    with pytest.raises(ValueError, match="alert 1 is closed"):
        index.add(1, later)


# -- text similarity -------------------------------------------------------------------


def test_numbers_are_stand_alone_counts_only() -> None:
    assert text_numbers("ADF wameua watu 3, tusaidie") == {"3"}
    assert text_numbers("M23 at 22h, call 0812345678, 12,5 km, 10:30") == frozenset()
    assert text_numbers("07 tués") == {"7"}


def test_armed_groups_are_found_under_their_usual_spellings() -> None:
    index = AlertIndex()
    assert index.actors("Les Mayi-Mayi sont là") == index.actors("MAI MAI wako") == {"maimai"}
    assert index.actors("ADF-Nalu wameua") >= {"adf"}
    assert index.actors("watu wenye silaha") == frozenset()
    assert AlertIndex(armed_groups=["Zaïre"]).actors("les zaire") == {"zaire"}


def test_text_similarity_ignores_case_accents_and_punctuation() -> None:
    assert text_similarity("Tués à OÏCHA!", "tues a oicha") == 1.0
    assert text_similarity("", "ADF") == 0.0


def test_text_similarity_survives_misspellings_of_the_place_name() -> None:
    # 6 shared trigrams (#ka kas asi sin ndi di#) of 9 in all
    assert text_similarity("Kasindi", "Kasinndi") == pytest.approx(6 / 9)
    assert text_similarity("Kasindi", "Mbau") == 0.0


# -- thresholds ----------------------------------------------------------------------


def test_thresholds_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        Thresholds(max_km=0)
    with pytest.raises(ValueError):
        Thresholds(min_text_similarity=1.5)
    with pytest.raises(ValueError):
        Thresholds(close_hours=-1)
    with pytest.raises(ValueError, match="merge_points must be at least join_points"):
        Thresholds(join_points=1.0, merge_points=0.5)
    with pytest.raises(ValueError, match="merge_points"):
        Thresholds(merge_points=float("nan"))
    with pytest.raises(ValueError, match="merge_max_reports must be 1 or more"):
        Thresholds(merge_max_reports=0)


def test_wider_thresholds_merge_the_neighbouring_villages() -> None:
    reports = [
        report(1, 0.0, 0.0, 0.0, "killing", "ADF wameua watu 3 Kasindi usiku", 11, "a"),
        report(2, 6.0, 0.0, 0.2, "killing", "ADF wameua watu 2 Mbau usiku", 13, "c"),
    ]
    assert group(reports, Thresholds(max_km=8.0)) == {1: 1, 2: 1}


def test_group_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="report id 1 appears twice"):
        group([report(1), report(1, hours=1.0)])


# -- properties ------------------------------------------------------------------------

reports_strategy = st.lists(
    st.builds(
        lambda n, e, h, t, words, place, who, located: (
            n,
            e,
            h,
            t,
            " ".join(words),
            place,
            who,
            located,
        ),
        st.floats(-20, 20),
        st.floats(-20, 20),
        st.floats(0, 96),
        st.sampled_from(THREAT_TYPES),
        st.lists(
            st.sampled_from(["ADF", "Kasindi", "Mbau", "wameua", "tués", "watu", "3", "é"]),
            max_size=6,
        ),
        st.one_of(st.none(), st.integers(1, 3)),
        st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
        st.booleans(),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(reports_strategy)
def test_group_gives_every_report_one_alert_started_by_its_earliest_report(
    raw: list[tuple[float, float, float, str, str, int | None, str | None, bool]],
) -> None:
    reports = [
        report(i + 1, n, e, h, t, text, place, who, located)
        for i, (n, e, h, t, text, place, who, located) in enumerate(raw)
    ]
    grouped = group(reports)
    assert set(grouped) == {r.id for r in reports}
    by_id = {r.id: r for r in reports}
    for report_id, alert_id in grouped.items():
        # An alert's id is the id of its first report, which started it.
        assert grouped[alert_id] == alert_id
        assert (by_id[alert_id].at, alert_id) <= (by_id[report_id].at, report_id)
    # The result does not depend on the order the reports are given in.
    assert group(list(reversed(reports))) == grouped


@settings(max_examples=150, deadline=None)
@given(reports_strategy)
def test_texts_are_left_unread_only_when_they_could_not_change_the_decision(
    raw: list[tuple[float, float, float, str, str, int | None, str | None, bool]],
) -> None:
    reports = [
        report(i + 1, n, e, h, t, text, place, who, located)
        for i, (n, e, h, t, text, place, who, located) in enumerate(raw)
    ]
    index = AlertIndex()
    join_points, merge_points = index.thresholds.join_points, index.thresholds.merge_points
    for r in sorted(reports, key=lambda r: (r.at, r.id)):
        # Every alert the index brings within reach, weighed in full (no bound).
        scores = {}
        for alert_id in index.compared(r):
            features = index.features(r, alert_id)
            if features is not None:
                scores[alert_id] = sum(WEIGHTS[name] * value for name, value in features.items())
        joinable = [(-score, a) for a, score in scores.items() if score >= join_points]
        together = set()
        if joinable:  # the best, and every other alert with evidence enough to merge, when
            best = min(joinable)[1]  # one of the two is a fragment
            size, small = index._open, index.thresholds.merge_max_reports
            together = {best} | {
                a
                for a, s in scores.items()
                if s >= merge_points and min(size[a], size[best]) <= small
            }
        expected = min(together, key=index.opened) if together else None
        decision = index.decide(r)
        assert decision.alert_id == expected
        assert set(decision.merges) == together - {expected}
        for other in decision.merges:
            index.merge(other, expected)  # type: ignore[arg-type]
        index.add(r.id if expected is None else expected, r)


# -- a report that fits two alerts of one incident ---------------------------------------


def test_a_report_that_fits_two_alerts_merges_them_into_the_older() -> None:
    """Kasindi is attacked; the first report is matched to a village 6 km away and names
    no place, the second (someone else, another type, no group, no number) comes from
    Kasindi: two alerts. The first reporter writes again from Kasindi: that fits both."""
    import math

    reports = [
        report(1, 6.0, 0.0, 0.0, "killing", "ADF wameua watu 4 usiku", 13, "b"),
        report(2, 0.0, 0.0, 0.5, "armed_clash", "Tirs entendus vers Kasindi", 11, "a"),
        report(3, 0.2, 0.1, 1.0, "killing", "ADF wameua watu 4 Kasindi usiku huu", 11, "b"),
    ]
    index = AlertIndex()
    for r in reports[:2]:
        assert index.decide(r).alert_id is None
        index.add(r.id, r)
    decision = index.decide(reports[2])
    assert (decision.alert_id, decision.merges) == (1, (2,))
    assert decision.reason.endswith("(merges from 2): merged into A-1")
    assert "; also fits A-2 with evidence " in decision.reason
    assert group(reports) == {1: 1, 2: 1, 3: 1}
    assert group(reports, Thresholds(merge_points=math.inf)) == {1: 1, 2: 2, 3: 1}
    # The older alert is kept whichever the report fits best.
    moved = index.merge(2, 1)
    assert [m.id for m in moved] == [2] and 2 not in index and len(index) == 1
    assert index.compared(report(4, 0.0, 0.0, 2.0, "killing", "", 11, "c")) == [1]
    with pytest.raises(ValueError, match="cannot be merged"):
        index.merge(2, 1)


def test_a_report_never_merges_two_established_alerts() -> None:
    """Two alerts of three reports each: a report that fits both joins the better one and
    leaves the merge to a duty officer (merging established alerts would snowball)."""
    index = AlertIndex()
    for pk, north in ((1, 0.0), (2, 0.2), (3, 0.4)):
        index.add(1, report(pk, north, 0.0, 0.1 * pk, "killing", "ADF wameua watu 4", 11, "a"))
    for pk, north in ((4, 6.0), (5, 6.2), (6, 6.4)):
        index.add(4, report(pk, north, 0.0, 0.1 * pk, "killing", "ADF wameua watu 4", 13, "b"))
    fits_both = report(7, 3.0, 0.0, 1.0, "killing", "ADF wameua watu 4 Kasindi Mbau", 11, "b")
    assert index.decide(fits_both).merges == ()
    wide = AlertIndex(Thresholds(merge_max_reports=3))
    for pk, alert in ((1, 1), (2, 1), (3, 1), (4, 4), (5, 4), (6, 4)):
        wide.add(alert, next(m for m in index._members[alert] if m.id == pk))
    decision = wide.decide(fits_both)
    assert (decision.alert_id, decision.merges) == (1, (4,))
