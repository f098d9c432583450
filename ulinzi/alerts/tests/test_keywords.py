"""What the keyword parser promises: the taught short forms in every language, and
nothing mistaken for them. No Django here: the parser is pure."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ulinzi.alerts import keywords
from ulinzi.alerts.keywords import KEYWORDS, Parsed, parse

# --- Alerts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keyword", "language"),
    [
        ("ALERT Mbau armed men", "ALERT", "en"),
        ("ALERTE Mbau hommes armés", "ALERTE", "fr"),
        ("alertes Mbau hommes armés", "ALERTES", "fr"),
        ("TAHADHARI Mbau watu wenye silaha", "TAHADHARI", "sw"),
        ("Hatari Mbau watu wenye silaha", "HATARI", "sw"),
        ("Likama Mbau bato ya mindoki", "LIKAMA", "ln"),
        ("إنذار Mbau رجال مسلحون", "انذار", "ar"),
        ("انذار Mbau رجال مسلحون", "انذار", "ar"),
        ("أنذار Mbau رجال مسلحون", "انذار", "ar"),  # hamza above instead of below
        ("تحذير Mbau رجال مسلحون", "تحذير", "ar"),
    ],
)
def test_alert_keyword_in_each_language(text: str, keyword: str, language: str) -> None:
    parsed = parse(text)
    assert parsed.kind == "alert"
    assert parsed.keyword == keyword
    assert parsed.language == language
    assert parsed.place == "Mbau"
    assert parsed.what is not None


@pytest.mark.parametrize(
    ("text", "place", "what"),
    [
        ("ALERT Mbau watu wenye silaha", "Mbau", "watu wenye silaha"),
        ("ALERTE: Kiwanja, hommes armés", "Kiwanja", "hommes armés"),
        ("ALERTE:Kiwanja,hommes armés", "Kiwanja", "hommes armés"),
        ("ALERT Mbau Centre - watu wenye silaha", "Mbau Centre", "watu wenye silaha"),
        ("ALERT Mbau Centre: watu wenye silaha", "Mbau Centre", "watu wenye silaha"),
        ("ALERT Mbau Centre; watu wenye silaha", "Mbau Centre", "watu wenye silaha"),
        ("ALERT Mbau Centre – watu wenye silaha", "Mbau Centre", "watu wenye silaha"),
        ("ALERT Mbau Centre- watu", "Mbau Centre", "watu"),
        ("ALERTE Kiwanja. Hommes armés", "Kiwanja", "Hommes armés"),
        ("ALERTE Kiwanja\nHommes armés", "Kiwanja", "Hommes armés"),
        ("ALERT Beni-Boga hommes armés", "Beni-Boga", "hommes armés"),  # dash in a name
        ("ALERT Mambasa-Centre, tirs", "Mambasa-Centre", "tirs"),
        ("ALERT N'Tamugenga, attaque", "N'Tamugenga", "attaque"),
        ("alerte générale à Beni, des tirs", "Beni", "des tirs"),
        ("ALERTE URGENTE au marché de Kasindi: pillage", "marché de Kasindi", "pillage"),
        ("Hatari kubwa huko Mbau watu wenye silaha", "Mbau", "watu wenye silaha"),
        ("likama na Mbau, bato ya mindoki", "Mbau", "bato ya mindoki"),
        ("إنذار: بني، رجال مسلحون", "بني", "رجال مسلحون"),
        ("إِنْذَار في بني؛ رجال مسلحون", "بني", "رجال مسلحون"),  # vowel marks, في, ؛
        ("   alert    mbau    ,   armed   men  !! ", "mbau", "armed men"),
        ("*** ALERTE *** Kiwanja - hommes armés", "Kiwanja", "hommes armés"),
        ("ALERT Mbau - Beni road - armed men", "Mbau", "Beni road - armed men"),
    ],
)
def test_alert_place_and_what(text: str, place: str, what: str) -> None:
    parsed = parse(text)
    assert (parsed.kind, parsed.place, parsed.what) == ("alert", place, what)


def test_alert_keyword_alone() -> None:
    assert parse("ALERT") == Parsed("alert", keyword="ALERT", language="en")
    assert parse("Alerte !!!") == Parsed("alert", keyword="ALERTE", language="fr")
    assert parse("HATARI kubwa") == Parsed(
        "alert", keyword="HATARI", language="sw", place="kubwa", guessed=True
    )


def test_a_sentence_before_the_separator_is_not_a_place() -> None:
    text = "ALERTE des hommes armés sont entrés dans le village de Kiwanja, ils pillent"
    parsed = parse(text)
    assert parsed.kind == "alert"
    assert parsed.place is None
    assert parsed.what == text.removeprefix("ALERTE ")


def test_keyword_case_and_accents_do_not_matter() -> None:
    for text in ("alerte Beni", "ALERTE Beni", "AlErTe Beni", "ALÉRTE Beni", "ＡＬＥＲＴ Beni"):
        assert parse(text).kind == "alert", text


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour, alerte à Beni",  # keyword not first: triage reads it
        "ALERTEKiwanja hommes armés",  # not a separate word
        "alerting the base",
        "Hatarini Mbau",
        "Je veux donner une alerte",
    ],
)
def test_alert_keyword_must_be_the_first_word(text: str) -> None:
    assert parse(text).kind == "free"


# --- Opt-out, opt-in, information ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "keyword", "language"),
    [
        ("STOP", "stop", "STOP", None),
        ("stop", "stop", "STOP", None),
        ("  Stop. ", "stop", "STOP", None),
        ("STOPALL", "stop", "STOPALL", "en"),
        ("unsubscribe", "stop", "UNSUBSCRIBE", "en"),
        ("ARRET", "stop", "ARRET", "fr"),
        ("Arrêt !", "stop", "ARRET", "fr"),
        ("acha", "stop", "ACHA", "sw"),
        ("توقف", "stop", "توقف", "ar"),
        ("توقّف", "stop", "توقف", "ar"),  # with shadda
        ("STOP svp", "stop", "STOP", None),
        ("stop please", "stop", "STOP", None),
        ("Acha tafadhali", "stop", "ACHA", "sw"),
        ("STOP s'il vous plaît", "stop", "STOP", None),
        ("توقف من فضلك", "stop", "توقف", "ar"),
        ("STOP STOP STOP", "stop", "STOP", None),
        ("START", "start", "START", "en"),
        ("Début", "start", "DEBUT", "fr"),
        ("debut", "start", "DEBUT", "fr"),
        ("anza", "start", "ANZA", "sw"),
        ("ابدأ", "start", "ابدا", "ar"),
        ("INFO", "info", "INFO", None),
        ("info?", "info", "INFO", None),
        ("MANDAT", "info", "MANDAT", "fr"),
        ("Habari", "info", "HABARI", "sw"),
        ("معلومات", "info", "معلومات", "ar"),
        ("INFO MANDAT svp", "info", "INFO", None),
    ],
)
def test_whole_message_keywords(text: str, kind: str, keyword: str, language: str | None) -> None:
    assert parse(text) == Parsed(kind, keyword=keyword, language=language)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "stop killing us",
        "STOP ils tuent nos enfants",
        "Stop! armed men in Mbau",
        "acha kutuua watu",
        "START the patrol tonight",
        "début des tirs à Beni",
        "Habari, watu wenye silaha wako Mbau",  # "habari" is also the greeting
        "Habari yako",
        "info: attaque à Mbau",  # French "info" as a heading for news
        "mandat de la MONUSCO ?",
        "STOP START",  # two different keywords
        "STOP 2",
    ],
)
def test_keyword_followed_by_something_meaningful_is_free_text(text: str) -> None:
    assert parse(text).kind == "free"


# --- Replies to a clarifying question ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "choice", "language"),
    [
        ("1", 1, None),
        ("  9  ", 9, None),
        ("1.", 1, None),
        ("2)", 2, None),
        ("(3)", 3, None),
        ("#4", 4, None),
        ("5!", 5, None),
        ("no 2", 2, None),
        ("No.2", 2, None),
        ("n° 2", 2, None),
        ("numéro 3", 3, "fr"),
        ("Numero 3 svp", 3, "fr"),
        ("nambari 2", 2, "sw"),
        ("namba 4 asante", 4, "sw"),
        ("number 6", 6, "en"),
        ("٢", 2, None),  # Arabic-Indic digit
        ("２", 2, None),  # full-width digit
        ("2\ufe0f\u20e3", 2, None),  # keycap emoji
    ],
)
def test_reply_with_a_choice(text: str, choice: int, language: str | None) -> None:
    parsed = parse(text)
    assert (parsed.kind, parsed.choice, parsed.language) == ("reply", choice, language)


@pytest.mark.parametrize(
    "text",
    ["0", "10", "12", "no", "numéro", "2 watu wamekufa", "3 morts à Beni", "1 2", "2e", "x2"],
)
def test_not_a_reply(text: str) -> None:
    assert parse(text).kind == "free"


# --- Free text and bad input ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", " ", "   \t\n  ", "\x00", "?!…", "\u200b", "\ud800", "Bonjour", "👍"],
)
def test_empty_or_meaningless_input_is_free(text: str) -> None:
    assert parse(text) == Parsed("free")


def test_nul_and_control_characters_are_spaces() -> None:
    assert parse("ALERT\x00Beni\x00tirs") == Parsed(
        "alert", "Beni", "tirs", keyword="ALERT", language="en", guessed=True
    )
    assert parse("STOP\x00").kind == "stop"
    assert parse("\x00\x00ALERT").kind == "alert"
    assert parse("\u200bSTOP\u200b").kind == "stop"  # zero-width spaces
    assert parse("\u00a0ALERT\u00a0Beni\u00a0tirs").place == "Beni"  # no-break spaces


def test_ten_kilobytes_of_text() -> None:
    long_alert = "ALERTE Kiwanja, " + "hommes armés " * 800
    parsed = parse(long_alert)
    assert (parsed.kind, parsed.place) == ("alert", "Kiwanja")
    assert parsed.what is not None and len(parsed.what) > 10_000
    assert parse("x" * 10_000).kind == "free"
    assert parse(" " * 10_000 + "STOP" + " " * 10_000).kind == "stop"
    assert parse("ALERT " + "-" * 10_000).kind == "alert"
    assert parse("ALERT Beni" + " " * 10_000 + "x").place == "Beni"


def test_every_keyword_in_the_table_is_recognised() -> None:
    for keyword, (kind, language) in KEYWORDS.items():
        parsed = parse(keyword.lower())
        assert (parsed.kind, parsed.keyword, parsed.language) == (kind, keyword, language)


# --- Properties ---------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
@example("ALERT" + "\u0301" * 50)
@example("ALERT ,,,,")
@example("ALERT \u00a0\u2003")
def test_parse_never_raises_and_fields_fit_the_kind(text: str) -> None:
    parsed = parse(text)
    assert parsed.kind in ("alert", "patrol", "stop", "start", "info", "ok", "reply", "free")
    if parsed.kind == "reply":
        assert parsed.choice is not None and 1 <= parsed.choice <= 9
    else:
        assert parsed.choice is None
    if parsed.kind not in ("alert", "patrol"):
        assert parsed.place is None and parsed.what is None
    for field in (parsed.place, parsed.what):
        assert field is None or (field.strip() == field and field != "")


place_words = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèô", min_size=2
)


@settings(max_examples=200, deadline=None)
@given(
    keyword=st.sampled_from(
        [k for k, (kind, _) in KEYWORDS.items() if kind in ("alert", "patrol")]
    ),
    place=st.lists(place_words, min_size=1, max_size=4).map(" ".join),
    what=st.text(min_size=1, max_size=100),
    separator=st.sampled_from([",", ":", " - ", ";", " : "]),
)
def test_alert_with_a_separator_gives_back_the_place(
    keyword: str, place: str, what: str, separator: str
) -> None:
    # A place starting with a word like "à" or "urgent" loses that word, by design.
    assume(keywords._fold(place.split()[0]) not in keywords._PREPOSITIONS | keywords._MODIFIERS)
    parsed = parse(f"{keyword} {place}{separator}{what}")
    assert parsed.kind == KEYWORDS[keyword][0]
    assert parsed.place == place


@pytest.mark.parametrize(
    ("text", "choice", "language"),
    [
        ("deux", 2, "fr"),
        ("Mbili", 2, "sw"),
        ("mibale", 2, "ln"),
        ("three", 3, "en"),
        ("le 2", 2, None),
        ("c'est 3", 3, None),
        ("ni 1", 1, None),
        ("oui 2 merci", 2, None),
    ],
)
def test_a_reply_in_words_or_with_a_filler(text: str, choice: int, language: str | None) -> None:
    parsed = parse(text)
    assert (parsed.kind, parsed.choice, parsed.language) == ("reply", choice, language)


@pytest.mark.parametrize(
    "text", ["Ndiyo", "deux morts", "2 enfants disparus", "deux enfants", "oui"]
)
def test_words_around_a_number_that_tell_something_are_not_a_reply(text: str) -> None:
    assert parse(text).kind == "free"


def test_a_patrol_request_names_its_place_after_the_words_that_ask_for_it() -> None:
    for text in (
        "Patrol needed at Mbau, ADF killed 3 people",
        "PATROUILLE demandée à Mbau: nuit",
        "DORIA tunaomba Mbau, usiku",
    ):
        parsed = parse(text)
        assert (parsed.kind, parsed.place, parsed.guessed) == ("patrol", "Mbau", False), text


def test_a_place_without_separator_is_a_guess() -> None:
    assert parse("ALERTE Mbau hommes armés").guessed
    assert parse("ALERTE deux morts à Mbau").place == "deux"  # the caller checks the guess
    assert not parse("ALERTE Mbau: hommes armés").guessed
