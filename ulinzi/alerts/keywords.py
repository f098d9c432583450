"""The short SMS forms communities are taught, in the languages of the mission area.

Focal points learn a few keywords in their language (see docs PRODUCT.md,
"Community alert network" and "Public communication"):

==========  ==============================================  ==========================
kind        keywords (case and accents do not matter)       shape
==========  ==============================================  ==========================
alert       ALERT (en), ALERTE/ALERTES (fr), TAHADHARI,     ``ALERT <place> <what>``
            HATARI (sw), LIKAMA (ln), إنذار / انذار,
            تحذير (ar)
stop        STOP, STOPALL, UNSUBSCRIBE (en), ARRET/ARRÊT    the whole message
            (fr), ACHA (sw), توقف (ar)
start       START (en), DEBUT/DÉBUT (fr), ANZA (sw),        the whole message
            ابدأ (ar)
patrol      PATROL (en), PATROUILLE (fr), DORIA (sw)        ``PATROL <place> <what>``
info        INFO, MANDAT (fr), HABARI (sw), معلومات (ar)    the whole message
ok          OK, OKAY, SAWA (sw)                             the whole message
reply       ``1`` ... ``9``, "1.", "(2)", "#3", "no 2",      the whole message
            "n° 2", "numéro 2", "nambari 2", "namba 2",
            "number 2", "le 2", "c'est 2", "ni 2"; a
            number in words: "deux", "two", "mbili",
            "mibale" (one to nine)
==========  ==============================================  ==========================

Everything else is ``free`` text, which goes to the triage classifier and a human.

Rules, and why:

* **Alert** keywords only count as the first word of the message (after any
  leading punctuation): "ALERTE: Kiwanja, hommes armés", "alerte générale à
  Beni, des tirs". A keyword later in the text ("Bonjour, alerte à Beni") is
  free text; triage still sees it. After the keyword, modifiers such as
  "générale", "urgent", "kubwa" are skipped. The place is the text up to the
  first separator (``,`` ``:`` ``;`` ``،`` ``؛``, a dash with a space on at
  least one side, a full stop before a space, or a line break), without a
  leading preposition ("à", "au", "dans", "at", "in", "huko", "kwa", Lingala "na", "في"...);
  a dash inside a word ("Beni-Boga", "Mambasa-Centre") is part of the name.
  With no separator the place is the first word (``guessed``: a caller checks that it
  may name a place at all, "ALERTE deux morts à Mbau" being common). When the text before the
  first separator is longer than five words it is a sentence, not a place, and
  ``place`` is None. ``place`` is only a hint for the gazetteer matcher.
* **Stop, start and info** only count when the keyword is the whole message,
  apart from punctuation and politeness words ("STOP svp", "stop please",
  "acha tafadhali", "توقف من فضلك"). "stop killing us", "STOP ils tuent" and
  "Habari, watu wenye silaha..." are free text: taking a distress message for
  an opt-out would silence the reporter, and "habari" is also the Swahili
  greeting, so it must stand alone to ask for information.
* **Replies** to a clarifying question are one digit from 1 to 9, alone or
  after a word for "number", with any punctuation and politeness words.
  "2 watu wamekufa" (two people died) is free text.

Words considered and left out (need a speaker's confirmation before they are
taught or added): Lingala "keba" (watch out — common in ordinary advice),
"sango" (news — also a greeting, like "habari"), "tika" (leave/stop); Swahili
"simama" (stand/halt — a physical stop, not "stop sending"); French
"arrêtez"/"arrête" (could be a cry for help rather than an opt-out); Arabic
"خطر" (danger — too common inside sentences). "Likama" (Lingala: accident,
danger, calamity) is included but should be checked with the CLAs who teach
the keywords. No spelling-mistake tolerance beyond case, accents and
punctuation: a misspelt keyword is free text, which is still triaged.

Nothing here imports Django.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["KEYWORDS", "Kind", "Parsed", "parse"]

Kind = Literal["alert", "patrol", "stop", "start", "info", "ok", "reply", "free"]


@dataclass(frozen=True, slots=True)
class Parsed:
    """What an inbound SMS says, as far as the taught short forms go.

    ``keyword`` is the keyword as written in :data:`KEYWORDS` (upper-case Latin,
    unaccented; Arabic without hamza or vowel marks). ``language`` is the ISO
    639-1 code of the keyword, or None when the keyword is shared by several
    languages (STOP, INFO, a bare number).
    """

    kind: Kind
    place: str | None = None
    what: str | None = None
    choice: int | None = None
    keyword: str | None = None
    language: str | None = None
    #: The place is only the first word after the keyword, for lack of a separator
    #: ("ALERTE Mbau hommes armés", but also "ALERTE deux morts à Mbau").
    guessed: bool = False


# keyword (folded, see _fold) -> (kind, language)
KEYWORDS: Final[dict[str, tuple[Kind, str | None]]] = {
    # alert
    "ALERT": ("alert", "en"),
    "ALERTE": ("alert", "fr"),
    "ALERTES": ("alert", "fr"),
    "TAHADHARI": ("alert", "sw"),  # caution, warning
    "HATARI": ("alert", "sw"),  # danger
    "LIKAMA": ("alert", "ln"),  # accident, danger, calamity
    "انذار": ("alert", "ar"),  # inthar: warning, alarm (إنذار folds to this)
    "تحذير": ("alert", "ar"),  # tahthir: warning
    # a patrol request, confirmed by a call-back
    "PATROL": ("patrol", "en"),
    "PATROUILLE": ("patrol", "fr"),
    "DORIA": ("patrol", "sw"),  # patrol
    # opt out
    "STOP": ("stop", None),  # English, and the French SMS convention
    "STOPALL": ("stop", "en"),
    "UNSUBSCRIBE": ("stop", "en"),
    "ARRET": ("stop", "fr"),
    "ACHA": ("stop", "sw"),  # stop, leave off
    "توقف": ("stop", "ar"),  # tawaqqaf: stop
    # opt back in
    "START": ("start", "en"),
    "DEBUT": ("start", "fr"),
    "ANZA": ("start", "sw"),  # begin
    "ابدا": ("start", "ar"),  # ibda': begin (ابدأ folds to this)
    # information about the mission
    "INFO": ("info", None),
    "MANDAT": ("info", "fr"),
    "HABARI": ("info", "sw"),  # news (also the greeting: whole message only)
    "معلومات": ("info", "ar"),  # information
    # the answer to a test message of the network
    "OK": ("ok", None),  # also a politeness word: "STOP ok" is a stop
    "OKAY": ("ok", None),
    "SAWA": ("ok", "sw"),  # fine, agreed
}

# Words for "number" before a reply digit: folded word -> language.
_NUMBER_WORDS: Final[dict[str, str | None]] = {
    "NO": None,
    "N": None,  # "n°2", "n. 2"
    "NR": None,
    "NUM": "fr",
    "NUMERO": "fr",
    "NUMBER": "en",
    "NAMBARI": "sw",
    "NAMBA": "sw",
}

# Numbers written as words, as a reply: folded word -> (number, language).
_NUMBER_NAMES: Final[dict[str, tuple[int, str]]] = {
    word: (n, language)
    for language, words in (
        ("fr", ("UN", "DEUX", "TROIS", "QUATRE", "CINQ", "SIX", "SEPT", "HUIT", "NEUF")),
        ("en", ("ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE")),
        ("sw", ("MOJA", "MBILI", "TATU", "NNE", "TANO", "SITA", "SABA", "NANE", "TISA")),
        ("ln", ("MOKO", "MIBALE", "MISATO", "MINEI", "MITANO", "MOTOBA", "NSAMBO", "MWAMBE")),
    )
    for n, word in enumerate(words, start=1)
} | {"UNE": (1, "fr")}

# Words around a reply that do not change it ("le 2", "c'est 2", "ni 2", "oui 2").
_REPLY_FILLERS: Final = frozenset({"LE", "LA", "C", "EST", "NI", "OUI", "YES", "NDIYO", "EZALI"})

# Politeness words that do not make "STOP" mean anything else.
_POLITE: Final = frozenset(
    {
        # French
        "SVP",
        "STP",
        "S",  # s'il vous/te plaît: the apostrophe splits words
        "IL",
        "VOUS",
        "TE",
        "PLAIT",
        "MERCI",
        # English
        "PLEASE",
        "PLS",
        "PLZ",
        "THANKS",
        "THANK",
        "YOU",
        "OK",
        "OKAY",
        # Swahili
        "TAFADHALI",
        "ASANTE",
        "AHSANTE",
        "SANA",
        # Lingala
        "MATONDO",
        # Arabic
        "من",  # in "min fadlak"
        "فضلك",
        "فضلكم",
        "شكرا",
    }
)

# Words right after an alert keyword that qualify the alert, not the place.
_MODIFIERS: Final = frozenset(
    {
        "GENERALE",
        "GENERAL",
        "URGENT",
        "URGENTE",
        "URGENCE",
        "GRAVE",
        "ROUGE",
        "MAXIMUM",
        "MAXIMALE",
        "KUBWA",  # sw: big
        "SANA",  # sw: very
        "EMERGENCY",
        "RED",
        "عاجل",  # ar: urgent
    }
)

# Words right after a patrol keyword that ask for it, not name its place ("PATROL
# needed at Mbau", "PATROUILLE demandée à Mbau", "DORIA tunaomba Mbau").
_REQUEST_WORDS: Final = frozenset(
    {
        "NEEDED",
        "NEED",
        "REQUEST",
        "REQUESTED",
        "PLEASE",
        "DEMANDE",
        "DEMANDEE",
        "DEMANDONS",
        "SVP",
        "STP",
        "TAFADHALI",
        "INAHITAJIKA",
        "TUNAOMBA",
        "TUNAHITAJI",
        "TOSENGI",
        "TOSENGA",
    }
)

# Prepositions before a place name ("à Beni", "huko Mbau", "في بني").
_PREPOSITIONS: Final = frozenset(
    {
        "A",
        "AU",
        "AUX",
        "EN",
        "DANS",
        "VERS",
        "AT",
        "IN",
        "NEAR",
        "HUKO",  # sw: there at
        "KULE",  # sw: over there at
        "KWA",  # sw: at (someone's place)
        "NA",  # ln: at, in ("na Mbau"); sw: with
        "في",  # ar: in
    }
)

_MAX_PLACE_WORDS: Final = 5
# Replies and whole-message keywords are short; a longer text is never one.
_MAX_SHORT_TOKENS: Final = 6

# Letters and digits; Arabic vowel marks and Latin combining marks are removed
# before tokenising, so a word is a run of these.
_WORD = re.compile(r"[^\W_]+")
# A separator between place and what. Dashes only count next to a space so that
# "Beni-Boga" stays one name; a full stop only before a space ("Kiwanja. Hommes").
_SEPARATOR = re.compile(
    r"[,:;\u060c\u061b\n]|(?<=\s)[-\u2013\u2014]|[-\u2013\u2014](?=\s)|\.(?=\s)"
)
_STRIP = " \t\n.,:;!?-\u2013\u2014*#/|\"'()[]{}<>«»“”‘’\u060c\u061b\u061f"
# Leading whitespace (any kind, e.g. no-break spaces) and the punctuation above.
_LEADING = re.compile("(?:\\s|[" + re.escape(_STRIP) + "])+")


def _lstrip(text: str) -> str:
    match = _LEADING.match(text)
    return text[match.end() :] if match else text


def _clean(text: str) -> str:
    """NFC-compose ``text``, turn control characters (NUL, tabs, line breaks other
    than "\\n") into spaces and drop invisible format characters (zero-width
    spaces, right-to-left marks), combining marks left after composition
    (Arabic vowel marks, tone marks) and the Arabic tatweel."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch == "\n":
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" " if ch != "\r" else "\n")
        elif category in ("Cf", "Mn", "Me", "Cs", "Co", "Cn") or ch == "\u0640":
            continue
        else:
            out.append(ch)
    return "".join(out)


def _fold(word: str) -> str:
    """Upper-case ``word`` without accents or hamza ("Arrêt" -> "ARRET", "إنذار" -> "انذار")."""
    decomposed = unicodedata.normalize("NFKD", word)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return bare.casefold().upper()


def _words(text: str, limit: int | None = None) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, folded word) for the words of ``text``, at most ``limit``."""
    for count, match in enumerate(_WORD.finditer(text)):
        if limit is not None and count >= limit:
            return
        yield match.start(), match.end(), _fold(match.group())


def _tidy(text: str) -> str | None:
    """Collapse spaces and strip separators around ``text``; None if nothing is left."""
    tidy = " ".join(text.split()).strip(_STRIP)
    return tidy or None


def _reply(words: list[str]) -> Parsed | None:
    meaningful = [w for w in words if w not in _POLITE and w not in _REPLY_FILLERS]
    if not meaningful or len(meaningful) > 2:
        return None
    digit = meaningful[-1]
    if len(meaningful) == 1 and digit in _NUMBER_NAMES:  # "deux", "mbili"
        number, language = _NUMBER_NAMES[digit]
        return Parsed("reply", choice=number, keyword=digit, language=language)
    if len(digit) != 1 or not digit.isdecimal() or int(digit) == 0:
        return None
    if len(meaningful) == 1:
        return Parsed("reply", choice=int(digit))
    word = meaningful[0]
    if word not in _NUMBER_WORDS:
        return None
    return Parsed("reply", choice=int(digit), keyword=word, language=_NUMBER_WORDS[word])


def _whole_message_keyword(words: list[str]) -> Parsed | None:
    meaningful = [w for w in words if w not in _POLITE]
    if not meaningful:
        # Only polite words: "OK", "ok merci" answer a test message.
        ok = next((w for w in words if KEYWORDS.get(w, ("", None))[0] == "ok"), None)
        return Parsed("ok", keyword=ok) if ok else None
    found = [KEYWORDS.get(w) for w in meaningful]
    first = found[0]
    if first is None or first[0] == "alert":
        return None
    if any(f is None or f[0] != first[0] for f in found):
        return None
    return Parsed(first[0], keyword=meaningful[0], language=first[1])


def _skip_words(text: str, skip: frozenset[str]) -> str:
    """Drop leading words of ``text`` that are in ``skip``, if something follows them."""
    for _ in range(4):
        text = _lstrip(text)
        first = next(_words(text, 1), None)
        if first is None or first[0] != 0 or first[2] not in skip:
            break
        after = text[first[1] :]
        if not _lstrip(after):
            break
        text = after
    return _lstrip(text)


def _alert(rest: str, keyword: str, language: str | None, kind: Kind = "alert") -> Parsed:
    rest = _skip_words(rest, _MODIFIERS if kind == "alert" else _MODIFIERS | _REQUEST_WORDS)
    if not rest:
        return Parsed(kind, keyword=keyword, language=language)
    separator = _SEPARATOR.search(rest)
    if separator is not None:
        before = _skip_words(rest[: separator.start()], _PREPOSITIONS)
        what = _tidy(rest[separator.end() :])
        count = sum(1 for _ in _words(before, _MAX_PLACE_WORDS + 1))
        if 1 <= count <= _MAX_PLACE_WORDS:
            return Parsed(kind, _tidy(before), what, keyword=keyword, language=language)
        if count == 0:
            return Parsed(kind, None, what, keyword=keyword, language=language)
        return Parsed(kind, None, _tidy(rest), keyword=keyword, language=language)
    rest = _skip_words(rest, _PREPOSITIONS)
    first, *after = rest.split(maxsplit=1) or [""]
    return Parsed(
        kind, _tidy(first), _tidy(" ".join(after)), keyword=keyword, language=language, guessed=True
    )


def parse(text: str) -> Parsed:
    """Read an inbound SMS as one of the taught short forms, or as free text.

    >>> parse("ALERTE: Kiwanja, hommes armés")
    Parsed(kind='alert', place='Kiwanja', what='hommes armés', choice=None, keyword='ALERTE', language='fr')
    >>> parse("stop killing us").kind
    'free'
    """
    clean = _clean(text)
    head = list(_words(clean, _MAX_SHORT_TOKENS + 1))
    if not head:
        return Parsed("free")
    if len(head) <= _MAX_SHORT_TOKENS:
        words = [w for _, _, w in head]
        short = _reply(words) or _whole_message_keyword(words)
        if short is not None:
            return short
    start, end, first = head[0]
    found = KEYWORDS.get(first)
    if found is not None and found[0] in ("alert", "patrol") and not _lstrip(clean[:start]):
        return _alert(clean[end:], first, found[1], found[0])
    return Parsed("free")
