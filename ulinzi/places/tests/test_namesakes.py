"""Namesakes told apart in words a reporter knows: the pure rule, then the gazetteer's
real namesakes."""

from __future__ import annotations

import pytest

from ulinzi.places.namesakes import telling_apart


def test_the_smallest_area_that_differs_names_each_namesake() -> None:
    # The three Kitsanga of the GRID3 gazetteer: one territory, one health zone.
    kitsanga = [
        ["Oïcha", "Kalunguta", "Maboya"],
        ["Oïcha", "Kalunguta", "Mambingi"],
        ["Oïcha", "Kalunguta", "Kavakubi"],
    ]
    assert telling_apart(kitsanga) == ["Maboya", "Mambingi", "Kavakubi"]


def test_each_namesake_gets_its_largest_area_no_other_shares() -> None:
    # Kitsanga 1 of Beni territory needs no more than "Beni"; the two of Oïcha need
    # their health areas.
    assert telling_apart(
        [
            ["Beni", "Beni", "Ngilinga"],
            ["Oïcha", "Kalunguta", "Maboya"],
            ["Oïcha", "Kalunguta", "Mambingi"],
        ]
    ) == ["Beni", "Maboya", "Mambingi"]


def test_namesakes_in_the_same_areas_get_no_word() -> None:
    assert telling_apart(
        [
            ["Rutshuru", "Binza", "Ishasha"],
            ["Rutshuru", "Binza", "Ishasha"],
            ["Lubero", "Biena", "Kaheku"],
        ]
    ) == [None, None, "Lubero"]


def test_names_are_compared_without_case_or_spaces_and_missing_areas_are_skipped() -> None:
    assert telling_apart([[" beni ", None, None], ["Beni", None, "Mavivi"]]) == [None, "Mavivi"]
    assert telling_apart([["Beni", ""], ["Oïcha"]]) == ["Beni", "Oïcha"]
    assert telling_apart([]) == []


def test_one_word_for_two_namesakes_tells_neither_apart() -> None:
    # The first one's health area is called like the second one's health zone.
    assert telling_apart([["T", "Z", "Beni"], ["T", "Beni", "Q"], ["T", "Z", "R"]]) == [
        None,
        None,
        "R",
    ]


@pytest.mark.django_db
def test_the_gazetteers_namesakes_each_get_a_word_of_their_own(gazetteer: None) -> None:
    """Majengo: GRID3 has one in many health areas of Rutshuru, Lubero, Walikale ... Each
    is named by an area it is in, every word differs, and the word of a Majengo that
    shares every area with another is a settlement near it."""
    from ulinzi.places import queries
    from ulinzi.places.matching import haversine_km
    from ulinzi.places.models import Place

    majengo = list(Place.objects.filter(name="Majengo", kind="village").order_by("pk"))
    assert len(majengo) > 4
    territories = {p.territory_id for p in majengo}
    assert len(territories) < len(majengo)  # a territory alone does not tell them apart
    words = queries.namesake_words(majengo)
    assert len({w.casefold() for w in words}) == len(majengo)
    for place, word in zip(majengo, words, strict=True):
        areas = {a.name for a in (place.territory, place.health_zone, place.health_area) if a}
        assert word in areas, (place.pk, word, areas)

    # A second Majengo in the first one's health area: neither area tells them apart, so
    # each is named by its nearest settlement of another name.
    first = majengo[0]
    twin = Place.objects.create(
        key="test:majengo-twin",
        name="Majengo",
        kind="village",
        country="CD",
        lat=first.lat + 0.01,
        lon=first.lon,
        province_id=first.province_id,
        territory_id=first.territory_id,
        health_zone_id=first.health_zone_id,
        health_area_id=first.health_area_id,
    )
    words = queries.namesake_words([first, twin, majengo[1]])
    assert len({w.casefold() for w in words}) == 3
    assert "majengo" not in {w.casefold() for w in words}
    assert not any(c.isdigit() for w in words for c in w)  # "2 Butashiba 2" would mislead
    for place, word in zip([first, twin], words, strict=False):
        called = Place.objects.filter(name=word, kind__in=queries.SETTLEMENT_KINDS)
        assert any(haversine_km(place.lat, place.lon, p.lat, p.lon) < 60 for p in called)
