"""How much of an SMS a text takes, and how to cut it into SMS parts.

Communities use basic phones, and a reply should never need more than one SMS
where it can be avoided (see docs PRODUCT.md, "Field conditions"). Whether a
text fits depends on the encoding the phone or gateway has to use:

* **GSM-7** (3GPP TS 23.038, section 6.2.1, the "GSM 03.38 default alphabet")
  when every character is in the default alphabet or its extension table. One
  SMS holds 160 septets; the extension characters ``^ { } \\ [ ~ ] | €`` and
  form feed are sent as an escape (0x1B) plus a code, so they take 2 septets.
* **UCS-2** otherwise (one character outside the alphabet is enough: an
  ``ê``, a ``ç``, Arabic text, an emoji). One SMS holds 70 UTF-16 code units;
  a character outside the Basic Multilingual Plane (most emoji) takes 2 units
  (a surrogate pair), as phones really send UTF-16.

A longer text is sent as a concatenated SMS: each part loses room to the
6-byte user data header, so a part holds 153 septets or 67 code units.

National language shift tables (Turkish, Portuguese, Indian languages...) are
not used by the networks in the mission area and are not modelled here.

Nothing here imports Django.
"""

from __future__ import annotations

import bisect
import unicodedata
from typing import Final, Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "GSM7_PART",
    "GSM7_SINGLE",
    "UCS2_PART",
    "UCS2_SINGLE",
    "Encoding",
    "encoding",
    "fits_one_sms",
    "segments",
    "septets",
    "shorten_to_one_sms",
    "sms_count",
    "spelled_to_fit",
    "units",
]

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_SINGLE: Final = 160
GSM7_PART: Final = 153
UCS2_SINGLE: Final = 70
UCS2_PART: Final = 67

# The default alphabet, one entry per code 0x00..0x7F, in the order of the
# table in 3GPP TS 23.038 section 6.2.1 (read column by column). 0x1B is the
# escape to the extension table, not a character: it is None here, so a raw
# ESC in a text makes it UCS-2.
#
# Code 0x09: the 3GPP table (and Unicode's GSM0338.TXT mapping) give CAPITAL
# C WITH CEDILLA "Ç" (U+00C7). Some handsets and gateways display or accept
# the lower-case "ç" there, but that is not the standard; we follow 3GPP, so
# "Ç" is GSM-7 and "ç" is not (a text with "ç" is counted as UCS-2). Counting
# a text as UCS-2 when a gateway would have sent it as GSM-7 only wastes room;
# the other way round would split a reply we promised was one SMS.
_BASIC_TABLE: Final[tuple[str | None, ...]] = (
    # 0x00-0x0F
    *"@£$¥èéùìòÇ\nØø\rÅå",
    # 0x10-0x1F (Greek capitals that have no Latin look-alike; 0x1B = escape)
    *"Δ_ΦΓΛΩΠΨΣΘΞ",
    None,
    *"ÆæßÉ",
    # 0x20-0x3F (0x24 is the currency sign ¤, not the dollar, which is 0x02)
    *" !\"#¤%&'()*+,-./0123456789:;<=>?",
    # 0x40-0x5F
    *"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",
    # 0x60-0x7F
    *"¿abcdefghijklmnopqrstuvwxyzäöñüà",
)
assert len(_BASIC_TABLE) == 128

GSM7_BASIC: Final = frozenset(ch for ch in _BASIC_TABLE if ch is not None)

# The extension table (reached with 0x1B): code -> character. Each costs 2 septets.
_EXTENSION_TABLE: Final[dict[int, str]] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
GSM7_EXTENSION: Final = frozenset(_EXTENSION_TABLE.values())

_GSM7_ALL: Final = GSM7_BASIC | GSM7_EXTENSION

# Where a cut is preferred, and how far back we look for one.
_SPACES: Final = frozenset(" \n")
_SPACE_WINDOW: Final = 15


def encoding(text: str) -> Encoding:
    """Return "GSM-7" if every character of ``text`` is in the GSM 03.38 alphabet
    (default table or extension table), else "UCS-2". The empty text is GSM-7."""
    return "GSM-7" if _GSM7_ALL.issuperset(text) else "UCS-2"


def _gsm_cost(ch: str) -> int:
    return 2 if ch in GSM7_EXTENSION else 1


def _ucs2_cost(ch: str) -> int:
    # A character above U+FFFF is a surrogate pair in UTF-16. A lone surrogate
    # (only possible in a malformed str) counts as the one unit it is.
    return 2 if ord(ch) > 0xFFFF else 1


def septets(text: str) -> int:
    """Return the number of GSM-7 septets ``text`` takes (extension characters 2).

    Raises ValueError if ``text`` is not GSM-7: use :func:`units` to measure any text.
    """
    if encoding(text) != "GSM-7":
        raise ValueError("text has characters outside the GSM 03.38 alphabet")
    return sum(_gsm_cost(ch) for ch in text)


def units(text: str) -> int:
    """Return the length of ``text`` in its own encoding: septets for GSM-7,
    UTF-16 code units for UCS-2."""
    if encoding(text) == "GSM-7":
        return sum(_gsm_cost(ch) for ch in text)
    return sum(_ucs2_cost(ch) for ch in text)


def _limits(enc: Encoding) -> tuple[int, int]:
    return (GSM7_SINGLE, GSM7_PART) if enc == "GSM-7" else (UCS2_SINGLE, UCS2_PART)


def fits_one_sms(text: str) -> bool:
    """True if ``text`` is sent as one SMS (at most 160 septets or 70 UCS-2 units)."""
    return units(text) <= _limits(encoding(text))[0]


def _joins_previous(text: str, i: int) -> bool:
    """True if a cut just before ``text[i]`` would split one visible character.

    That is the second half of a surrogate pair (only in a malformed str that
    holds the pair as two code points) or a combining mark, zero-width joiner
    or variation selector that belongs to the character before it.
    """
    ch = text[i]
    if "\udc00" <= ch <= "\udfff" and "\ud800" <= text[i - 1] <= "\udbff":
        return True
    return ch in "\u200d\ufe0e\ufe0f" or unicodedata.category(ch) in ("Mn", "Me")


class _Splitter:
    """Cuts one text into parts of at most ``part`` units."""

    def __init__(self, text: str, part: int, costs: list[int]) -> None:
        self.text = text
        self.part = part
        self.prefix = [0]
        for cost in costs:
            self.prefix.append(self.prefix[-1] + cost)

    def hard_end(self, start: int) -> int:
        """The furthest cut after ``start`` that fits one part and splits no character."""
        text = self.text
        end = bisect.bisect_right(self.prefix, self.prefix[start] + self.part) - 1
        if end >= len(text):
            return len(text)
        cut = end
        while cut > start + 1 and _joins_previous(text, cut):
            cut -= 1
        # A run of joined characters longer than a part: cut it anyway rather than loop.
        return cut if cut > start + 1 or not _joins_previous(text, cut) else end

    def count_from(self, start: int) -> int:
        """How many parts the text from ``start`` needs when every part is filled."""
        count = 0
        while start < len(self.text):
            start = self.hard_end(start)
            count += 1
        return count

    def split(self) -> list[str]:
        text = self.text
        total = self.count_from(0)
        parts: list[str] = []
        start = 0
        while start < len(text):
            end = self.hard_end(start)
            cut = end
            if end < len(text) and text[end] not in _SPACES and text[end - 1] not in _SPACES:
                # Move the cut back to just after a space in the last characters of
                # the part, but only if the rest still fits in the same number of
                # parts: a word boundary is nice, an extra SMS is not.
                budget = total - len(parts) - 1
                for i in range(end - 1, max(start, end - _SPACE_WINDOW) - 1, -1):
                    if text[i] in _SPACES:
                        if i + 1 > start and self.count_from(i + 1) <= budget:
                            cut = i + 1
                        break
            parts.append(text[start:cut])
            start = cut
        return parts


def segments(text: str) -> list[str]:
    """Cut ``text`` into the parts it is sent as; ``"".join(segments(t)) == t``.

    A text that fits one SMS is one part. A longer text is cut into parts of at
    most 153 septets (GSM-7) or 67 UTF-16 units (UCS-2). No cut falls inside an
    extension character's escape pair, a surrogate pair, or between a character
    and its combining marks. Where a space lies within the last 15 characters of
    a part the cut goes just after it, unless that would need one more SMS than
    filling every part, so ``len(segments(t))`` is always the fewest parts.
    The empty text is one (empty) SMS.
    """
    if not text:
        return [""]
    enc = encoding(text)
    single, part = _limits(enc)
    cost = _gsm_cost if enc == "GSM-7" else _ucs2_cost
    costs = [cost(ch) for ch in text]
    if sum(costs) <= single:
        return [text]
    return _Splitter(text, part, costs).split()


def sms_count(text: str) -> int:
    """How many SMS ``text`` is sent as (``len(segments(text))``; 1 for the empty text)."""
    return len(segments(text))


# Characters outside GSM-7 with a GSM-7 spelling a reader takes for the same: typographic
# quotes and dashes, the ellipsis, the no-break space, the French ligatures.
_LOOKALIKES: Final = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "«": '"',
    "»": '"',
    "\u2013": "-",
    "\u2014": "-",
    "…": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "œ": "oe",
    "Œ": "OE",
}


def spelled_to_fit(text: str) -> str:
    """``text``, or its GSM-7 spelling when that takes fewer SMS: accents the alphabet
    lacks dropped ("être maîtrisée" → "etre maitrisée"; é, è, à... are in it),
    typographic quotes and dashes made plain. A reply of 100 characters with one "ê"
    is two UCS-2 parts, one GSM-7 SMS without it. A text with a character that has no
    such spelling (Arabic, an emoji) is left as it is."""
    if encoding(text) == "GSM-7":
        return text
    out = []
    for ch in text:
        if ch in _GSM7_ALL:
            out.append(ch)
            continue
        bare = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        spelled = bare if bare and _GSM7_ALL.issuperset(bare) else _LOOKALIKES.get(ch)
        if spelled is None:
            return text
        out.append(spelled)
    folded = "".join(out)
    return folded if sms_count(folded) < sms_count(text) else text


def shorten_to_one_sms(text: str, ellipsis: str = "…") -> str:
    """Return ``text`` unchanged if it fits one SMS, else its longest beginning that
    fits one SMS together with ``ellipsis``, cut at a word boundary.

    "…" is not in the GSM-7 alphabet and would turn a GSM-7 text into UCS-2
    (70 instead of 160 characters), so when the kept text is GSM-7 and the
    ellipsis is not, "..." is used instead. The cut goes at the last space that
    keeps at least half of what a cut in the middle of a word would keep;
    trailing spaces and separators (``, ; : -``) before the ellipsis are dropped.
    Raises ValueError if the ellipsis alone does not fit one SMS.
    """
    if fits_one_sms(text):
        return text
    if not fits_one_sms(ellipsis):
        raise ValueError("the ellipsis alone does not fit one SMS")
    gsm_ellipsis = ellipsis if encoding(ellipsis) == "GSM-7" else "..."

    def attempt(end: int) -> str | None:
        kept = text[:end].rstrip(" \t\r\n,;:-")
        if end < len(text) and _joins_previous(text, end):
            return None
        mark = gsm_ellipsis if encoding(kept) == "GSM-7" else ellipsis
        candidate = kept + mark
        return candidate if fits_one_sms(candidate) else None

    # No one-SMS result keeps more than 160 characters of the text.
    longest = min(len(text), GSM7_SINGLE)
    hard_end = 0
    hard: str | None = None
    for end in range(longest, -1, -1):
        hard = attempt(end)
        if hard is not None:
            hard_end = end
            break
    assert hard is not None  # attempt(0) is the ellipsis alone, which fits
    for end in range(hard_end, hard_end // 2 - 1, -1):
        if 0 < end < len(text) and text[end].isspace():
            soft = attempt(end)
            if soft is not None:
                return soft
    return hard
