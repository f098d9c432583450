"""How free-text place descriptions are read (no gazetteer involved)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ulinzi.places.describe import Description, describe


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Goma - Sake road", ("Goma", "Sake")),
        ("road Goma-Sake", ("Goma", "Sake")),
        ("axe Beni-Mbau", ("Beni", "Mbau")),
        ("Kamanyola–Uvira axis", ("Kamanyola", "Uvira")),
        ("on the Beni-Kasindi road", ("Beni", "Kasindi")),
        ("between Baraka and Fizi", ("Baraka", "Fizi")),
        ("entre Kiwanja et Rutshuru", ("Kiwanja", "Rutshuru")),
        ("between the villages of MUSU and GOGO", ("MUSU", "GOGO")),
    ],
)
def test_roads_and_between_are_two_places(text: str, parts: tuple[str, str]) -> None:
    d = describe(text)
    assert d.kind == "between"
    assert d.parts == parts


@pytest.mark.parametrize(
    ("text", "place", "km", "bearing"),
    [
        ("35 km west of Mangina", "Mangina", 35.0, 270.0),
        ("10km N of Oicha", "Oicha", 10.0, 0.0),
        ("à 12 km au nord de Beni", "Beni", 12.0, 0.0),
        ("about twenty kilometres south-east of Bunia", "Bunia", 20.0, 135.0),
        ("5 km au sud-ouest de Sake", "Sake", 5.0, 225.0),
        ("2,5 km NW of Kiwanja", "Kiwanja", 2.5, 315.0),
    ],
)
def test_distance_and_direction_make_an_offset(
    text: str, place: str, km: float, bearing: float
) -> None:
    assert describe(text) == Description("offset", (place,), (), km, bearing)


def test_distance_without_direction_is_near_the_place() -> None:
    d = describe("3 kilometers from Mambasa")
    assert (d.kind, d.parts, d.distance_km, d.bearing_deg) == ("near", ("Mambasa",), 3.0, None)


def test_direction_without_distance_is_near_the_place() -> None:
    d = describe("west of Katindo military camp")
    assert (d.kind, d.parts, d.bearing_deg) == ("near", ("Katindo",), 270.0)


@pytest.mark.parametrize("text", ["near Kafuru", "près de Kafuru", "around Kafuru"])
def test_near_words(text: str) -> None:
    assert describe(text) == Description("near", ("Kafuru",))


@pytest.mark.parametrize(
    "text",
    [
        "Kiwanja village",
        "villages de Kiwanja",
        "village of Kiwanja",
        "the village of Kiwanja",
        "cellule Kiwanja",
        "localité de Kiwanja",
        "Kiwanja groupement",
        "Kiwanja locality",
    ],
)
def test_generic_words_around_a_name_are_dropped(text: str) -> None:
    assert describe(text) == Description("place", ("Kiwanja",))


@pytest.mark.parametrize(
    ("text", "name", "hints"),
    [
        ("Mbau (Beni)", "Mbau", ("Beni",)),
        ("Salambongo, Irumu territory", "Salambongo", ("Irumu",)),
        ("Kasaka in Beni territory.", "Kasaka", ("Beni",)),
        ("Mukalangirwa district of Butembo.", "Mukalangirwa", ("Butembo",)),
        ("village of Elake in Mambasa territory", "Elake", ("Mambasa",)),
        ("Ngadole, Ituri", "Ngadole", ("Ituri",)),
        ("Camp Plato in Djugu territory", "Plato", ("Djugu",)),
    ],
)
def test_the_admin_part_becomes_a_hint_without_its_admin_word(
    text: str, name: str, hints: tuple[str, ...]
) -> None:
    d = describe(text)
    assert (d.kind, d.parts, d.hints) == ("place", (name,), hints)


def test_places_named_alongside_are_kept_as_others() -> None:
    d = describe("Mayisafi, an area located near Eringeti in Beni territory")
    assert (d.parts, d.hints, d.others) == (("Mayisafi",), ("Beni",), ("Eringeti",))
    assert describe("Kingi and Kasanga").others == ("Kasanga",)
    assert describe("Luthambi near Muhangi").others == ("Muhangi",)


def test_an_offset_after_the_name_is_context_not_the_place() -> None:
    d = describe(
        "Lodja, about 90 kilometers north of Bunia, in the Djaiba group, Djugu territory (Ituri)."
    )
    assert d.kind == "place"
    assert d.main == "Lodja"
    assert d.others == ("Bunia",)
    assert d.hints == ("Ituri", "Djaiba", "Djugu")


def test_only_the_first_paragraph_counts() -> None:
    d = describe("Bikere, near Mayangose\n\nBeni")
    assert (d.parts, d.others) == (("Bikere",), ("Mayangose",))


@pytest.mark.parametrize("text", ["", "   ", "???", "...", "()"])
def test_nothing_usable_gives_no_parts(text: str) -> None:
    assert describe(text).parts == ()
    assert describe(text).main == ""


@given(st.text(max_size=200))
def test_describe_never_raises(text: str) -> None:
    d = describe(text)
    assert d.kind in {"place", "between", "offset", "near"}
    assert all(p.strip() for p in d.parts)
