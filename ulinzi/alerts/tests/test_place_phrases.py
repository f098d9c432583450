"""Which words of a free-text report may name its place, and which matches are taken."""

from __future__ import annotations

import pytest

from ulinzi.alerts.domain import locate
from ulinzi.alerts.place_phrases import GIVEN_MIN_SCORE, NOT_PLACES, accept, place_phrases
from ulinzi.lib.text import fold


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        # French, Swahili, Lingala, English: the place, not the words around it (there are
        # villages called "Des", "Watu", "Risasi", "Home 4", "Ecole" and "Marche").
        ("Des hommes armés ont tué 3 personnes à Mbau cette nuit", ["Mbau"]),
        ("Watu wenye silaha wameingia Kiwanja usiku, Risasi nyingi", ["Kiwanja"]),
        ("Bato ya bibundeli bakoti na Komanda, basali mobulu", ["Komanda"]),
        ("Armed men seen near the Market in Oicha this Sunday", ["Oicha"]),
        ("Hommes armés vus près de l'école ce matin", []),
        # A capitalised name right after a cue is a place even when it is a common word
        # (Saba, Makasi and Panga are villages); lower case after a cue it is not.
        ("Attaque à Makasi cette nuit, hommes armés", ["Makasi"]),
        ("Shambulio huko Saba usiku", ["Saba"]),
        ("watoto wawili wametekwa nyara usiku", []),
        ("Attaque près d'Oicha", ["Oicha"]),
        # The mission, the security forces and agencies are named beside the place.
        ("Les FARDC et la MONUSCO sont arrivés à Eringeti, le HCR aussi", ["Eringeti"]),
        ("Askari wa FARDC wamefika Kamango, UNHCR", ["Kamango"]),
        # A two-word name is kept when one of its words may be a name.
        ("ALERTE Mbau Centre: coups de feu", ["Mbau Centre", "Mbau"]),
        # A short message in lower case: its longer words that may be names.
        ("risasi nyingi kiwanja sasa", ["kiwanja"]),
        # Where people flee to comes after where it happened.
        ("La population fuit vers Oicha après l'attaque de Mbau", ["Mbau", "Oicha"]),
        ("Watu wanakimbia kuelekea Beni kutoka Mavivi", ["Mavivi", "Beni"]),
        (
            "Ils fuient en direction de Beni Ville, attaque à Mutwanga",
            ["Mutwanga", "Beni Ville", "Beni"],
        ),
        ("Hommes armés se dirigent vers Mbau", ["Mbau"]),
        ("La population fuit en direction d'Oicha depuis Mbau", ["Mbau", "Oicha"]),
        # A long one in lower case: none (any word of it finds a namesake somewhere).
        ("we need food and water and tents for the many families who lost their homes", []),
    ],
)
def test_the_words_tried_as_places(text: str, phrases: list[str]) -> None:
    assert place_phrases(text) == phrases


def test_the_vocabulary_that_names_no_place_covers_the_threat_words_and_groups() -> None:
    for word in ("tue", "wameua", "silaha", "risasi", "hommes", "watu", "bato", "adf", "codeco"):
        assert fold(word) in NOT_PLACES, word
    for name in ("mbau", "kiwanja", "oicha", "beni", "goma", "komanda", "mangina"):
        assert name not in NOT_PLACES, name


def test_an_approximate_match_must_be_a_good_one() -> None:
    assert accept("Kiwandja", "Kiwanja", 0.2)  # the same name, spelt another way
    assert accept("Mangna", "Mangina", 0.62)  # a typing error, still a clear match
    assert not accept("hommes", "Home 4", 0.29)  # a common word near a village's name
    assert not accept("warm", "War", 0.465)
    # A place named in the keyword form may be further from the name, but not anything.
    assert accept("Mangna", "Mangina", 0.35, GIVEN_MIN_SCORE)
    assert not accept("Zzyxqville", "Kikwit", 0.163, GIVEN_MIN_SCORE)


@pytest.mark.django_db
def test_a_report_without_a_place_name_is_not_put_at_a_namesake(gazetteer: None) -> None:
    found = locate("Des hommes armés ont tué 3 personnes à Mbau cette nuit", None, None)
    assert found.text == "Mbau" and found.place_id is not None
    # Where people fled to is not where it happened, when the account says both.
    fled = locate("La population fuit vers Oicha après l'attaque de Mbau cette nuit", None, None)
    assert fled.text == "Mbau", fled
    away = locate("Attaque à Mbau, la population fuit en direction d'Oicha", None, None)
    assert away.text == "Mbau", away
    heading = locate("Hommes armés se dirigent vers Mbau", None, None)  # the only place said
    assert heading.text == "Mbau" and heading.place_id is not None
    nowhere = locate("Hommes armés vus ce matin, des tirs, la population fuit", None, None)
    assert (nowhere.place_id, nowhere.text) == (None, "")
    # The keyword form's place is taken as written, whatever the word.
    given = locate("hommes armés", "Kiwanja", None)
    assert given.text == "Kiwanja" and given.place_id is not None
