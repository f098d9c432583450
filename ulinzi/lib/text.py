"""Pure text helpers shared by the place matcher and, later, SMS parsing.

People in eastern DR Congo write the same name many ways: with or without
accents ("Oïcha"/"Oicha"), in French or English/Swahili spelling
("Kiwandja"/"Kiwanja", "Ouvira"/"Uvira", "Tchomia"/"Chomia"), with doubled
letters or not ("Kitshanga"/"Kichanga"), and with generic words around the
name ("Mambasa-Centre", "Camp Plato", "village de Kiwanja"). Comparing raw
strings would treat all of these as different places, so everything that
compares names goes through two steps defined here:

* :func:`fold` removes the differences that never carry meaning (case,
  accents, punctuation, spacing);
* :func:`spelling_key` goes further and maps the regional spelling variants
  onto one canonical spelling, and drops the generic words, so that variants
  of one name get the same key.

Nothing here imports Django, so the functions can be used anywhere (tests,
benchmarks, management commands, the SMS gateway).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "GENERIC_PLACE_WORDS",
    "digits_only",
    "fold",
    "spelling_key",
    "spelling_key_token",
    "strip_generic",
    "tokens",
]

# Apostrophes join the letters around them ("N'Tamugenga" is one word), while any
# other punctuation separates words.
_APOSTROPHES = re.compile(r"['\u2019\u02bc`\u00b4]")
_NON_WORD = re.compile(r"[\W_]+")

# Words that describe what kind of place a name is rather than which place it is.
# "Mambasa-Centre", "Bunia-ville", "Camp Plato", "village de Kiwanja", "Cité de
# Kasindi", "quartier Majengo", "localité de Kiwanja", "site Rhoe" all name the
# place without the generic word. Kept small on purpose: every word added here
# is a word that can never distinguish two places.
GENERIC_PLACE_WORDS = frozenset(
    {
        "centre",
        "center",
        "ville",
        "cite",
        "camp",
        "campement",
        "site",
        "village",
        "villages",
        "quartier",
        "localite",
        "locality",
        "cellule",
        "de",
        "du",
        "des",
        "d",
        "la",
        "le",
        "les",
        "l",
    }
)

# Roman numerals of numbered villages ("Kalingi II" and "Kalingi 2" are the same).
# Only the multi-letter ones: a lone "i" or "v" is too often part of a name.
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8"}

# Regional spelling rules, applied in this order to one folded token. Each rule
# merges two spellings found for the same sound in colonial French, Swahili
# and English transcriptions of the names of the region.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "tch", "tsh", "sch", "sh", "ch" are one sound (Tchomia, Tshomia, Chomia):
    # a placeholder letter keeps it apart from "k" below.
    (re.compile(r"tch|tsh|sch|sh|ch"), "x"),
    # French "dj" is Swahili/English "j" (Kiwandja, Kiwanja; Idjwi, Ijwi).
    (re.compile(r"dj"), "j"),
    # "qu", "q", "c" are "k" (Kasindi, Casindi).
    (re.compile(r"qu|q|c"), "k"),
    # French "ou" is "u" or "w" (Ouvira, Uvira; Mouenga, Mwenga), and "w" before
    # or after a vowel is written "u" in some lists: fold all of them to "u".
    (re.compile(r"ou|w"), "u"),
    # "y" and "i" alternate (Kyondo, Kiondo; Nyiragongo, Niragongo).
    (re.compile(r"y"), "i"),
    # "ph" is "f"; an "h" after another consonant is mostly silent in these
    # transcriptions (Rughenda, Rugenda; Kabarhe, Kabare; Bhapu, Bapu).
    (re.compile(r"ph"), "f"),
    (re.compile(r"(?<=[bdgkprt])h"), ""),
    # Doubled letters are written single or double (Kitshanga, Kichanga; Mbau,
    # Mbbau; Kiwanja, Kiuanja after the "w" rule).
    (re.compile(r"(.)\1+"), r"\1"),
)


def fold(text: str) -> str:
    """Return ``text`` without case, accents, punctuation or extra spaces.

    NFKD splits accented letters into a base letter and a combining mark, and
    the marks (and invisible format characters such as zero-width spaces) are
    dropped; ``casefold`` is stronger than ``lower`` for non-English letters.
    Every run of punctuation or whitespace becomes one space, except
    apostrophes, which are removed so that "N'Tamugenga" stays one word.

    >>> fold("  Oïcha,  MBAU (Béni) ")
    'oicha mbau beni'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) not in ("Mn", "Cf"))
    stripped = _APOSTROPHES.sub("", stripped.casefold())
    return _NON_WORD.sub(" ", stripped).strip()


def tokens(text: str) -> list[str]:
    """Split ``text`` into folded words (see :func:`fold`)."""
    return fold(text).split()


def strip_generic(words: Iterable[str]) -> list[str]:
    """Drop generic place words ("centre", "camp", "village de", ...) from folded words.

    If nothing but generic words is left, the words are kept as they are: a
    place may really be called "Camp" or "Site", and an empty key would match
    nothing.
    """
    words = list(words)
    kept = [w for w in words if w not in GENERIC_PLACE_WORDS]
    return kept or words


@lru_cache(maxsize=65536)
def spelling_key_token(word: str) -> str:
    """Return the regional-spelling key of one folded word.

    Cached because the same words come back again and again (gazetteer names,
    admin names, frequent words in messages).
    """
    if word in _ROMAN:
        return _ROMAN[word]
    for pattern, replacement in _RULES:
        word = pattern.sub(replacement, word)
    return word


def spelling_key(text: str, *, drop_generic: bool = True) -> str:
    """Return a key that is equal for regional spelling variants of a name.

    The text is folded, generic place words are dropped (unless
    ``drop_generic`` is false) and every word is rewritten by the rules above
    (w/ou, dj/j, k/c/q, ch/tch/tsh/sh, y/i, silent h, doubled letters). Word
    order is kept: callers that want to ignore it sort the words of the key.

    >>> spelling_key("Kiwandja-Centre") == spelling_key("kiwanja")
    True
    >>> spelling_key("Village de Tchomia")
    'xomia'
    """
    words = tokens(text)
    if drop_generic:
        words = strip_generic(words)
    return " ".join(spelling_key_token(w) for w in words)


def digits_only(text: str) -> bool:
    """Whether ``text`` is a non-empty run of the digits 0-9: an id or a code typed in a
    form. ``str.isdigit`` also accepts "²" or "①", which ``int()`` refuses.

    >>> digits_only("42"), digits_only("4²"), digits_only("")
    (True, False, False)
    """
    return text.isascii() and text.isdigit()


def record_id(text: str) -> int | None:
    """The id a link, a form or a gateway gives as text, when it is one a database can
    hold (a run of at most 18 digits: a 30-digit id overflows PostgreSQL's bigint);
    else None.

    >>> record_id("42"), record_id("4²"), record_id("9" * 30), record_id("")
    (42, None, None, None)
    """
    return int(text) if digits_only(text) and len(text) <= 18 else None
