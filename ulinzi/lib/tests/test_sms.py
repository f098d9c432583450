"""What the SMS helpers promise: exact GSM 03.38 counting and safe, lossless cuts."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ulinzi.lib.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    encoding,
    fits_one_sms,
    segments,
    septets,
    shorten_to_one_sms,
    sms_count,
    units,
)

EMOJI = "\U0001f6a8"  # police car light: outside the BMP, 2 UTF-16 units
ARABIC = "إنذار: رجال مسلحون في القرية"


def _limit(part: str, *, single: bool) -> int:
    if encoding(part) == "GSM-7":
        return 160 if single else 153
    return 70 if single else 67


# --- The alphabet -----------------------------------------------------------------


def test_alphabet_has_128_codes_less_the_escape_and_ten_extension_characters() -> None:
    assert len(GSM7_BASIC) == 127
    assert set("^{}\\[~]|€\f") == GSM7_EXTENSION


@pytest.mark.parametrize(
    "ch",
    list("éèùìòÇØøÅåÄäÖöÑñÜüàÉÆæß¿¡¤£¥§@$_") + list("ΔΦΓΛΩΠΨΣΘΞ") + ["\n", "\r", " "],
)
def test_letters_in_the_gsm_default_alphabet(ch: str) -> None:
    assert encoding(f"Alerte {ch}") == "GSM-7"
    assert septets(ch) == 1


@pytest.mark.parametrize(
    "ch",
    # French letters that are NOT in GSM 03.38. 3GPP TS 23.038 puts the capital "Ç"
    # at 0x09; the lower-case "ç" some phones show there is not standard.
    ["ê", "â", "ô", "î", "û", "ë", "ï", "ç", "œ", "e\u0301", "Ê", "À", "È"]
    + ["\t", "\x00", "\x1b", "’", "“", "…", "–", "Α"],  # Greek capital alpha: not Latin A
)
def test_characters_outside_the_alphabet_make_the_text_ucs2(ch: str) -> None:
    assert encoding(f"Alerte {ch}") == "UCS-2"
    with pytest.raises(ValueError):
        septets(ch)


def test_extension_characters_take_two_septets() -> None:
    assert septets("^{}\\[~]|€\f") == 20
    assert septets("Prix: 5€") == 9
    assert encoding("[Beni] ~ {Oicha}") == "GSM-7"


def test_empty_text_is_gsm7_and_one_empty_sms() -> None:
    assert encoding("") == "GSM-7"
    assert septets("") == 0
    assert segments("") == [""]
    assert sms_count("") == 1
    assert fits_one_sms("")


def test_arabic_text_is_ucs2_counted_in_utf16_units() -> None:
    assert encoding(ARABIC) == "UCS-2"
    assert units(ARABIC) == len(ARABIC)
    assert units(EMOJI) == 2
    assert units("é" + EMOJI) == 3  # é is GSM-7 but the emoji makes the text UCS-2


# --- Boundaries: GSM-7 -----------------------------------------------------------


def test_160_gsm_characters_are_one_sms_and_161_are_two() -> None:
    assert segments("a" * 160) == ["a" * 160]
    assert sms_count("a" * 160) == 1
    assert fits_one_sms("a" * 160)
    assert not fits_one_sms("a" * 161)
    assert segments("a" * 161) == ["a" * 153, "a" * 8]
    assert sms_count("a" * 161) == 2


def test_concatenated_gsm_parts_hold_153_septets() -> None:
    assert sms_count("a" * 306) == 2
    assert segments("a" * 306) == ["a" * 153, "a" * 153]
    assert sms_count("a" * 307) == 3
    assert [len(p) for p in segments("a" * 459)] == [153, 153, 153]


def test_accented_gsm_letters_count_one_each() -> None:
    text = "é" * 160
    assert encoding(text) == "GSM-7"
    assert sms_count(text) == 1
    assert sms_count(text + "è") == 2


def test_extension_character_at_the_single_sms_boundary() -> None:
    assert fits_one_sms("a" * 158 + "€")  # 160 septets
    assert not fits_one_sms("a" * 159 + "€")  # 161 septets, though 160 characters
    assert sms_count("a" * 159 + "€") == 2


def test_escape_pair_is_never_split_across_parts() -> None:
    # 152 + 2 = 154 > 153: the euro moves whole to the second part.
    text = "a" * 152 + "€" + "b" * 20
    parts = segments(text)
    assert parts == ["a" * 152, "€" + "b" * 20]
    assert [septets(p) for p in parts] == [152, 22]
    # 151 + 2 = 153: it just fits at the end of the first part.
    assert segments("a" * 151 + "€" + "b" * 20)[0] == "a" * 151 + "€"


# --- Boundaries: UCS-2 ------------------------------------------------------------


def test_70_ucs2_units_are_one_sms_and_71_are_two() -> None:
    assert sms_count("ê" * 70) == 1
    assert sms_count("ê" * 71) == 2
    assert segments("ê" * 71) == ["ê" * 67, "ê" * 4]
    assert sms_count("ê" * 134) == 2
    assert sms_count("ê" * 135) == 3


def test_one_non_gsm_letter_turns_a_long_gsm_text_into_several_sms() -> None:
    assert sms_count("a" * 100) == 1
    assert sms_count("a" * 99 + "ê") == 2  # 100 UCS-2 units > 70


def test_emoji_counts_two_units_at_the_single_sms_boundary() -> None:
    assert fits_one_sms("a" * 68 + EMOJI)  # 70 units
    assert not fits_one_sms("a" * 69 + EMOJI)  # 71 units, 70 code points
    assert sms_count("a" * 69 + EMOJI) == 2


def test_surrogate_pair_is_never_split_across_parts() -> None:
    text = "a" * 66 + EMOJI + "b" * 10  # 66 + 2 = 68 > 67
    assert segments(text) == ["a" * 66, EMOJI + "b" * 10]
    # The same with the pair held as two code points (a malformed str): no cut between.
    raw = "a" * 66 + "\ud83d\udea8" + "b" * 10
    parts = segments(raw)
    assert "".join(parts) == raw
    assert parts[0] == "a" * 66


def test_combining_accent_stays_with_its_letter() -> None:
    text = "a" * 66 + "e\u0301" + "b" * 10  # decomposed é: UCS-2
    parts = segments(text)
    assert parts[0] == "a" * 66
    assert parts[1].startswith("e\u0301")


# --- Word boundaries -------------------------------------------------------------


def test_parts_end_after_a_space_near_the_limit() -> None:
    text = "a" * 145 + " " + "b" * 100  # the space is 8 characters before the limit
    assert segments(text) == ["a" * 145 + " ", "b" * 100]


def test_no_word_cut_when_the_space_is_too_far_back() -> None:
    text = "a" * 100 + " " + "b" * 100
    assert segments(text) == ["a" * 100 + " " + "b" * 52, "b" * 48]


def test_word_cut_never_costs_an_extra_sms() -> None:
    # Filling both parts exactly needs 2 SMS; cutting after the space would need 3.
    text = "a" * 150 + " " + "b" * 155
    assert len(text) == 306
    assert sms_count(text) == 2
    assert segments(text) == [text[:153], text[153:]]


def test_french_reply_cut_at_words() -> None:
    text = (
        "Merci pour votre alerte. La MONUSCO a envoyé une patrouille à Kiwanja ce matin. "
        "Si vous avez d'autres informations, appelez le numéro vert ou envoyez ALERTE "
        "suivi du lieu et de ce qui se passe."
    )
    parts = segments(text)
    assert len(parts) == 2
    assert parts[0].endswith(" ")
    assert "".join(parts) == text


# --- Shortening ------------------------------------------------------------------


def test_short_text_is_not_shortened() -> None:
    assert shorten_to_one_sms("Merci, alerte reçue.") == "Merci, alerte reçue."


def test_gsm_text_is_shortened_at_a_word_with_three_dots() -> None:
    text = "Patrouille prevue demain matin a Mbau " * 10
    short = shorten_to_one_sms(text)
    assert short.endswith("...")
    assert encoding(short) == "GSM-7"
    assert fits_one_sms(short)
    assert len(short) > 140
    assert text.startswith(short[:-3])
    assert text[len(short) - 3] == " "  # cut before a space, not inside a word


def test_ucs2_text_keeps_the_unicode_ellipsis() -> None:
    text = "Rapport reçu: " + "hommes armés près du marché de Kiwanja " * 5
    short = shorten_to_one_sms(text)
    assert short.endswith("…")
    assert encoding(short) == "UCS-2"
    assert units(short) <= 70
    assert text.startswith(short[:-1])


def test_shortening_may_drop_the_only_ucs2_character_to_keep_more_text() -> None:
    # The emoji is at character 150: keeping 150 GSM characters beats 69 UCS-2 ones.
    text = "word " * 30 + EMOJI + " more"
    short = shorten_to_one_sms(text)
    assert encoding(short) == "GSM-7"
    assert len(short) > 140


def test_one_long_word_is_cut_hard() -> None:
    short = shorten_to_one_sms("x" * 500)
    assert short == "x" * 157 + "..."


def test_shortening_drops_trailing_separators() -> None:
    text = "Alerte recue, " + "a" * 130 + ", " + "b" * 30
    short = shorten_to_one_sms(text)
    assert short == "Alerte recue, " + "a" * 130 + "..."


def test_custom_ellipsis_and_one_that_cannot_fit() -> None:
    assert shorten_to_one_sms("mot " * 100, ellipsis=" [+]").endswith(" [+]")
    with pytest.raises(ValueError):
        shorten_to_one_sms("mot " * 100, ellipsis="." * 200)


# --- Properties --------------------------------------------------------------------

texts = st.one_of(
    st.text(max_size=700),
    st.text(alphabet=st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION)), max_size=700),
    st.text(alphabet=st.sampled_from(["a", " ", "€", "ê", EMOJI, "\u0301", "é"]), max_size=500),
)


@settings(max_examples=300, deadline=None)
@given(texts)
@example("a" * 152 + "€" * 10)
@example(("a " * 80) + EMOJI * 40)
def test_segments_rebuild_the_text_and_each_fits_its_limit(text: str) -> None:
    parts = segments(text)
    assert "".join(parts) == text
    assert sms_count(text) == len(parts)
    assert fits_one_sms(text) == (len(parts) == 1)
    enc = encoding(text)
    single, part = (160, 153) if enc == "GSM-7" else (70, 67)
    cost = units if enc == "GSM-7" else (lambda s: len(s.encode("utf-16-le", "surrogatepass")) // 2)
    for p in parts:
        assert cost(p) <= (single if len(parts) == 1 else part)
        if len(parts) > 1:
            assert p != ""
    # Never more parts than filling each one to the brim would need, for texts
    # with no combining marks (which are kept with their letter).
    if len(parts) > 1 and "\u0301" not in text:
        total = units(text) if enc == "GSM-7" else cost(text)
        assert len(parts) <= -(-total // part) + (1 if EMOJI in text or "€" in text else 0)


@settings(max_examples=200, deadline=None)
@given(texts, st.sampled_from(["…", "...", "", " (suite)"]))
def test_shortened_text_always_fits_one_sms(text: str, ellipsis: str) -> None:
    short = shorten_to_one_sms(text, ellipsis)
    assert fits_one_sms(short)
    if fits_one_sms(text):
        assert short == text


def test_a_text_is_spelled_in_gsm7_when_that_takes_fewer_sms() -> None:
    from ulinzi.lib.sms import spelled_to_fit

    # One "ê" makes 140 characters three UCS-2 parts; without it, one SMS.
    reason = "Raison: la route est coupée, il faut être prudent et attendre la fin des pluies"
    text = "Mission P-3: nous ne pouvons pas faire la patrouille a Mbau. " + reason
    assert (sms_count(text), encoding(text)) == (3, "UCS-2")
    spelled = spelled_to_fit(text)
    assert spelled == text.replace("être", "etre")  # é is in the alphabet and stays
    assert (sms_count(spelled), encoding(spelled)) == (1, "GSM-7")
    quoted = "Réf A-4: l’armée est arrivée à l’école « maîtrisée » — merci… " * 2
    assert spelled_to_fit(quoted) == (
        "Réf A-4: l'armée est arrivée à l'école \" maitrisée \" - merci... " * 2
    )
    # Nothing to gain, or no GSM-7 spelling: as it is.
    assert spelled_to_fit("Message reçu. Réf A-1") == "Message reçu. Réf A-1"
    arabic = "تم استلام رسالتك وتم إبلاغ البعثة. المرجع A-1 " * 3
    assert spelled_to_fit(arabic) == arabic
    assert spelled_to_fit("Risasi Mbau 🔥 " * 12) == "Risasi Mbau 🔥 " * 12
