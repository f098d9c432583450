"""Parse a free-text place description into what it names and how.

Alerts and reports rarely give a bare village name. They say "road Goma-Sake",
"between Baraka and Fizi", "35 km west of Mangina", "à 12 km au nord de
Beni", "near Kafuru", "village of Elake in Mambasa territory", "Mbau (Beni)"
or "Mukalangirwa district of Butembo.". Before a gazetteer can be searched,
the description has to be cut into the names to look up and the words that
only narrow the search (the admin hint). This module does that and nothing
else: it knows no gazetteer and imports nothing but the standard library, so
it is cheap to test and reuse.

The parser is rule based on purpose: the phrasings are few and formulaic,
the rules can be read and extended by the next engineer, and a wrong parse
can be explained to the user ("read as: 35 km west of Mangina").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BEARINGS", "Description", "describe"]

KIND_PLACE = "place"
KIND_BETWEEN = "between"
KIND_OFFSET = "offset"
KIND_NEAR = "near"


@dataclass(frozen=True, slots=True)
class Description:
    """How a place description was read.

    ``parts`` are the place names to look up, the main one first:
    ``(name,)`` for "place", ``(a, b)`` for "between", ``(reference,)`` for
    "offset" and "near". ``hints`` are admin areas or larger places named
    alongside ("Irumu territory", "Beni", "Butembo") that narrow the search.
    ``others`` are further names mentioned as alternatives or context ("Kingi
    and Kasanga", "Bikere, near Mayangose"): a caller can fall back on them
    when the main name is not found.
    """

    kind: str
    parts: tuple[str, ...]
    hints: tuple[str, ...] = ()
    distance_km: float | None = None
    bearing_deg: float | None = None
    others: tuple[str, ...] = ()
    # The kind of place the words around the name say it is ("Irumu territory",
    # "the town of Beni"): one of the PlaceRecord kinds, or None.
    place_type: str | None = None

    @property
    def main(self) -> str:
        """The first name to look up, or "" when nothing usable was found."""
        return self.parts[0] if self.parts else ""


# Eight compass directions, English and French, full and abbreviated.
BEARINGS: dict[str, float] = {
    "north": 0.0,
    "nord": 0.0,
    "n": 0.0,
    "northeast": 45.0,
    "nordest": 45.0,
    "ne": 45.0,
    "east": 90.0,
    "est": 90.0,
    "e": 90.0,
    "southeast": 135.0,
    "sudest": 135.0,
    "se": 135.0,
    "south": 180.0,
    "sud": 180.0,
    "s": 180.0,
    "southwest": 225.0,
    "sudouest": 225.0,
    "sw": 225.0,
    "so": 225.0,
    "west": 270.0,
    "ouest": 270.0,
    "w": 270.0,
    "o": 270.0,
    "northwest": 315.0,
    "nordouest": 315.0,
    "nw": 315.0,
    "no": 315.0,
}

# Distances written as words ("about ten kilometers", "une vingtaine de km").
_NUMBER_WORDS: dict[str, float] = {
    "one": 1,
    "un": 1,
    "une": 1,
    "two": 2,
    "deux": 2,
    "three": 3,
    "trois": 3,
    "four": 4,
    "quatre": 4,
    "five": 5,
    "cinq": 5,
    "six": 6,
    "seven": 7,
    "sept": 7,
    "eight": 8,
    "huit": 8,
    "nine": 9,
    "neuf": 9,
    "ten": 10,
    "dix": 10,
    "dizaine": 10,
    "fifteen": 15,
    "quinze": 15,
    "quinzaine": 15,
    "twenty": 20,
    "vingt": 20,
    "vingtaine": 20,
    "thirty": 30,
    "trente": 30,
    "trentaine": 30,
    "forty": 40,
    "quarante": 40,
    "quarantaine": 40,
    "fifty": 50,
    "cinquante": 50,
    "cinquantaine": 50,
    "hundred": 100,
    "cent": 100,
    "centaine": 100,
}

_DIRECTION = (
    r"(?:north|south|nord|sud)[\s-]?(?:east|west|est|ouest)"
    r"|north|south|east|west|nord|sud|est|ouest|ne|nw|se|sw|no|so|n|s|e|w|o"
)
_NUMBER = r"\d+(?:[.,]\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_KM = r"(?:km|kms|kilom[eè]t(?:er|re)s?)"

# "35 km west of Mangina", "10km N of Oicha", "à 12 km au nord de Beni",
# "about twenty kilometres south-east of Bunia", "5 km from Goma".
_OFFSET = re.compile(
    rf"""^(?:(?:at|à|a|about|some|approximately|approx\.?|around|environ|roughly|nearly|près\s+de)\s+)*
    (?:a\s+|une\s+)?(?P<dist>{_NUMBER})\s*(?:de\s+)?{_KM}\.?\s*
    (?:(?:to\s+the\s+|au\s+|à\s+l['’]\s*|a\s+l['’]\s*|à\s+l\s+)?(?P<dir>{_DIRECTION})\b\.?\s*)?
    (?:of|from|de|du|d['’]\s*|des)\s+(?P<ref>.+)$""",
    re.IGNORECASE | re.VERBOSE,
)
# "north of Goma", "au nord de Beni" (a direction but no distance): near the place.
_DIRECTION_ONLY = re.compile(
    rf"^(?:to\s+the\s+|au\s+|à\s+l['’]\s*)?(?P<dir>{_DIRECTION})\s+(?:of|de|du|d['’]\s*)\s*(?P<ref>.+)$",
    re.IGNORECASE,
)
_BETWEEN = re.compile(
    r"^(?:.*?\s)?(?:between|entre)\s+(?:the\s+|les\s+)?(?:(?:villages?|towns?|localit(?:y|ies|és?)|cities)\s+(?:of\s+|de\s+)?)?"
    r"(?P<a>.+?)\s+(?:and|et|&)\s+(?P<b>.+)$",
    re.IGNORECASE,
)
_ROAD_WORDS = r"(?:road|route|axe|axis|highway|stretch|section|tron[cç]on|rn\s*\d+|n\s*\d+)"
# "road Goma-Sake", "axe Beni-Mbau", "route de Goma à Sake", "on the road from Goma to Sake".
_ROAD_PREFIX = re.compile(
    rf"^(?:the\s+)?{_ROAD_WORDS}\s+(?:from\s+|de\s+|du\s+)?(?P<a>.+?)"
    r"(?:\s*[-–—/]\s*|\s+(?:to|à|a|vers|-)\s+)(?P<b>.+)$",
    re.IGNORECASE,
)
# "Goma - Sake road", "Kamanyola–Uvira axis", "Beni-Kasindi road".
_ROAD_SUFFIX = re.compile(
    rf"^(?P<a>.+?)\s*[-–—/]\s*(?P<b>.+?)\s+{_ROAD_WORDS}$",
    re.IGNORECASE,
)
_NEAR = re.compile(
    r"^(?:(?:just|somewhere|not\s+far|on\s+the\s+outskirts|outskirts|close|very\s+close|just\s+outside|outside)\s+)?"
    r"(?:near(?:by)?|close\s+to|around|près\s+de|pres\s+de|aux\s+environs\s+de|environs\s+de|"
    r"autour\s+de|vers|of|from|à\s+proximité\s+de|a\s+proximite\s+de|non\s+loin\s+de|not\s+far\s+from|outside|"
    r"in\s+the\s+vicinity\s+of|in\s+the\s+surroundings\s+of)\s+(?P<ref>.+)$",
    re.IGNORECASE,
)
_NEAR_START = re.compile(
    r"^(?:near(?:by)?|close\s+to|around|près\s+de|pres\s+de|aux\s+environs\s+de|autour\s+de|vers|"
    r"not\s+far\s+from|non\s+loin\s+de|on\s+the\s+outskirts\s+of|outskirts\s+of|in\s+the\s+vicinity\s+of)\s",
    re.IGNORECASE,
)

# Leading words that say what kind of place follows: "the village of X",
# "in the locality of X", "localité de X", "camp X", "groupement X".
_LEAD = re.compile(
    r"^(?:(?:in|at|on|from|to|dans|à|a|en|au|within|inside)\s+)?(?:the\s+|le\s+|la\s+|les\s+|l['’]\s*)?"
    r"(?:(?:small|large|big|remote|mining|fishing|gold|displaced|idp|former|neighbouring|neighboring)\s+)*"
    r"(?:city|town|village|villages|locality|localities|localité|localite|cellule|cell|camp|site|groupement|"
    r"grouping|group|area|hill|hills|neighbou?rhood|district|quartier|comm?une|chiefdom|chefferie|sector|"
    r"secteur|cité|cite|trading\s+cent(?:er|re)|centre|center|market|mine|forest|région|region|"
    r"colline|agglomération|agglomeration|ville|bourg|territory|territoire|province|health\s+zone|"
    r"zone\s+de\s+sant[ée]|health\s+area|aire\s+de\s+sant[ée])"
    r"(?:\s+(?:of|de|du|des|d['’]\s*))?\s+",
    re.IGNORECASE,
)
_LEAD_PREP = re.compile(
    r"^(?:(?:in|at|on|dans|à|en|au|within)\s+)?(?:the|le|la|les|l['’])\s*\b|^(?:in|at|on|dans|à|en|au|within)\s+",
    re.IGNORECASE,
)
_TRAIL = re.compile(
    r"\s+(?:villages?|cellule|cell|camp|site|localité|localite|locality|groupement|grouping|groupment|group|area|"
    r"region|région|district|neighbou?rhood|quarter|quartier|commune|cent(?:er|re)|trading\s+cent(?:er|re)|"
    r"chiefdom|chefferie|sector|secteur|hills?|colline|forest|front|town|city|ville|market|mine|"
    r"mining\s+site|locality\s+area|health\s+zone|health\s+area|zone\s+de\s+sant[ée]|axis|axe|"
    r"military\s+camp|idp\s+camp|displacement\s+camp|displaced\s+camp|road|route|avenue|street|"
    r"valley|plain|plains|highlands?|mountains?|mount|lake|river|territory|territoire|province|"
    r"gro?u?e?p+\w*m\w*n\w*t|comm?une|surroundings)$",
    re.IGNORECASE,
)
# "X district of Y", "X quarter of Y", "X commune in Y": X is the place, Y a hint.
_PART_OF = re.compile(
    r"^(?P<x>.+?)\s+(?:district|quarter|quartier|neighbou?rhood|commune|cell|cellule|village|locality|"
    r"localité|area|sector|secteur|groupement|group|grouping|camp|site|hill|chiefdom)\s+"
    r"(?:of|de|du|in|dans)\s+(?:the\s+)?(?P<y>.+)$",
    re.IGNORECASE,
)
# "X in Y", "X dans Y", "X à Y": Y narrows where X is.
_IN = re.compile(
    r"^(?P<x>.+?)\s+(?:in|dans|within|inside|at|en|au|of|de)\s+(?:the\s+|le\s+|la\s+|l['’]\s*)?(?P<y>.+)$",
    re.IGNORECASE,
)
_LIST_SPLIT = re.compile(
    r"\s*(?:,|;|\s+and\s+|\s+et\s+|\s+or\s+|\s+ou\s+|\s+&\s+|\s+/\s+)\s*", re.IGNORECASE
)
_SIMPLE_NAME = re.compile(r"^\s*([^\W\d_][^\W\d_'’ -]*(?:[ '’-][^\W\d_]+){0,3})\s*\.?\s*$")
# Any of these words sends a description through the full rules.
_KEYWORDS = frozenset(
    (
        "village",
        "villages",
        "cellule",
        "cell",
        "camp",
        "site",
        "localité",
        "localite",
        "locality",
        "groupement",
        "grouping",
        "group",
        "groupment",
        "area",
        "region",
        "région",
        "district",
        "neighborhood",
        "neighbourhood",
        "quarter",
        "quartier",
        "commune",
        "comune",
        "center",
        "centre",
        "chiefdom",
        "chefferie",
        "sector",
        "secteur",
        "hill",
        "hills",
        "colline",
        "forest",
        "front",
        "town",
        "city",
        "ville",
        "cité",
        "cite",
        "market",
        "mine",
        "mining",
        "road",
        "route",
        "axe",
        "axis",
        "highway",
        "avenue",
        "street",
        "valley",
        "plain",
        "plains",
        "highland",
        "highlands",
        "mountain",
        "mountains",
        "mount",
        "lake",
        "river",
        "territory",
        "territoire",
        "province",
        "zone",
        "health",
        "aire",
        "near",
        "nearby",
        "around",
        "close",
        "près",
        "pres",
        "vers",
        "entre",
        "between",
        "and",
        "et",
        "or",
        "ou",
        "in",
        "at",
        "on",
        "of",
        "de",
        "du",
        "des",
        "dans",
        "à",
        "a",
        "au",
        "en",
        "from",
        "to",
        "the",
        "le",
        "la",
        "les",
        "km",
        "kms",
        "north",
        "south",
        "east",
        "west",
        "nord",
        "sud",
        "est",
        "ouest",
        "outskirts",
        "surroundings",
    )
)
_CLAUSE_COMMA = re.compile(r"(?<!\d),|,(?!\d)")
_PAREN = re.compile(r"[\(\[]([^\)\]]*)[\)\]]")
_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = " \t\n.,;:!?-–—/\"'“”«»"


def _clean(text: str) -> str:
    """Collapse whitespace (including zero-width spaces) and trim punctuation."""
    text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return _SPACE.sub(" ", text).strip(_EDGE_PUNCT)


def _strip_name(text: str) -> str:
    """Remove the generic words around a name ("the village of X", "X area")."""
    text = _clean(text)
    for _ in range(3):
        before = text
        text = _LEAD.sub("", text)
        text = _LEAD_PREP.sub("", text)
        stripped = _TRAIL.sub("", text)
        if stripped:
            text = stripped
        text = _clean(text)
        if text == before:
            break
    return text


def _number(text: str) -> float | None:
    """Read "35", "2,5", "ten" or "vingtaine" as a number of kilometres."""
    text = text.lower().replace(",", ".")
    if text in _NUMBER_WORDS:
        return _NUMBER_WORDS[text]
    try:
        return float(text)
    except ValueError:
        return None


def _bearing(text: str | None) -> float | None:
    if not text:
        return None
    key = re.sub(r"[\s-]", "", text.lower())
    return BEARINGS.get(key)


def _split_place(clause: str) -> tuple[str, list[str], list[str]]:
    """Split a simple place clause into (name, hints, other names).

    "Kasaka in Beni territory" gives ("Kasaka", ["Beni territory"], []);
    "Mukalangirwa district of Butembo" gives ("Mukalangirwa", ["Butembo"], []);
    "Kingi and Kasanga" gives ("Kingi", [], ["Kasanga"]).
    """
    hints: list[str] = []
    others: list[str] = []
    clause = _strip_name(clause)
    match = _PART_OF.match(clause)
    if match:
        hints.append(_clean(match.group("y")))
        clause = _strip_name(match.group("x"))
    else:
        match = _IN.match(clause)
        if match and _strip_name(match.group("x")):
            hints.append(_clean(match.group("y")))
            clause = _strip_name(match.group("x"))
    names = [n for n in (_strip_name(p) for p in _LIST_SPLIT.split(clause)) if n]
    if not names:
        return "", hints, others
    return names[0], hints, others + names[1:]


def describe(text: str) -> Description:
    """Read a place description; never raises.

    The first clause (up to the first comma, line break or parenthesis)
    decides the kind; later clauses become hints (admin areas) or other names
    ("near Y" after a name). Nothing usable gives kind "place" with no parts.
    """
    if not text or not text.strip():
        return Description(KIND_PLACE, ())
    # Fast path: most alert texts are a bare name ("Kiwanja", "Mbau"); they need
    # none of the clause rules below, and a matcher calls this on every query.
    simple = _SIMPLE_NAME.match(text)
    if simple and not (_KEYWORDS & set(text.lower().replace("-", " ").split())):
        return Description(KIND_PLACE, (simple.group(1),))
    # Keep the first paragraph: later ones are editors' notes ("\n\nor Kasanga").
    text = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    hints: list[str] = []
    others: list[str] = []
    # Parenthesised and bracketed parts are hints: "Mbau (Beni)", "[in Irumu]".
    for inner in _PAREN.findall(text):
        inner = _strip_name(inner)
        if inner:
            hints.append(inner)
    text = _clean(_PAREN.sub(" ", text))
    if not text:
        return Description(KIND_PLACE, (), tuple(hints))

    # A road or "between" description uses the whole text, because its parts
    # may themselves contain commas ("between Baraka and Fizi, in Fizi territory").
    text = re.sub(r"(?<=[a-zà-ÿ]{2})\.\s+(?=[A-Z])", ", ", text)
    # Clauses are separated by commas, but not the decimal comma of "2,5 km".
    head, *tail = _CLAUSE_COMMA.split(text)
    head = _clean(head)
    for extra in tail:
        extra_hints, extra_others = _context(extra)
        hints.extend(extra_hints)
        others.extend(extra_others)
    # "Buvira groupement about 6 km north of Goma": the name comes first and the
    # distance only says where it is; keep the name, use the reference as context.
    inner_offset = _INNER_OFFSET.search(head)
    if inner_offset and inner_offset.start() > 0:
        ctx_hints, ctx_others = _context(head[inner_offset.start() :])
        hints.extend(ctx_hints)
        others.extend(ctx_others)
        head = _clean(head[: inner_offset.start()])

    def done(
        kind: str,
        parts: list[str],
        distance: float | None = None,
        bearing: float | None = None,
        extra_hints: list[str] | None = None,
        extra_others: list[str] | None = None,
    ) -> Description:
        clean_parts = tuple(p for p in (_clean(x) for x in parts) if p)
        if not clean_parts:
            return Description(KIND_PLACE, (), tuple(hints))
        all_hints = tuple(dict.fromkeys(h for h in hints + (extra_hints or []) if h))
        all_others = tuple(
            dict.fromkeys(o for o in others + (extra_others or []) if o and o not in clean_parts)
        )
        place_type = _place_type(head) if kind in (KIND_PLACE, KIND_NEAR) else None
        return Description(kind, clean_parts, all_hints, distance, bearing, all_others, place_type)

    between = _BETWEEN.match(head)
    if between:
        a, a_hints, _ = _split_place(between.group("a"))
        b, b_hints, _ = _split_place(between.group("b"))
        if a and b:
            return done(KIND_BETWEEN, [a, b], extra_hints=a_hints + b_hints)

    for road in (_ROAD_PREFIX, _ROAD_SUFFIX):
        match = road.match(_strip_road_lead(head))
        if match:
            a, a_hints, _ = _split_place(match.group("a"))
            b, b_hints, _ = _split_place(match.group("b"))
            if a and b:
                return done(KIND_BETWEEN, [a, b], extra_hints=a_hints + b_hints)

    offset = _OFFSET.match(_strip_offset_lead(head))
    if offset:
        distance = _number(offset.group("dist"))
        bearing = _bearing(offset.group("dir"))
        ref, ref_hints, ref_others = _split_place(offset.group("ref"))
        if ref and distance is not None:
            if bearing is None:
                return done(KIND_NEAR, [ref], distance, None, ref_hints, ref_others)
            return done(KIND_OFFSET, [ref], distance, bearing, ref_hints, ref_others)

    direction = _DIRECTION_ONLY.match(_strip_offset_lead(head))
    if direction and _bearing(direction.group("dir")) is not None:
        ref, ref_hints, ref_others = _split_place(direction.group("ref"))
        if ref:
            return done(
                KIND_NEAR, [ref], None, _bearing(direction.group("dir")), ref_hints, ref_others
            )

    near = (
        _NEAR.match(_strip_near_lead(head)) if _NEAR_START.match(_strip_near_lead(head)) else None
    )
    if near:
        ref, ref_hints, ref_others = _split_place(near.group("ref"))
        if ref:
            return done(KIND_NEAR, [ref], extra_hints=ref_hints, extra_others=ref_others)

    name, name_hints, name_others = _split_place(head)
    # "X near Y" inside one clause: Y is context.
    near_inside = re.match(
        r"^(?P<x>.+?)\s+(?:near|close\s+to|près\s+de|pres\s+de|not\s+far\s+from)\s+(?P<y>.+)$",
        name,
        re.IGNORECASE,
    )
    if near_inside:
        name = _strip_name(near_inside.group("x"))
        name_others = [_strip_name(near_inside.group("y")), *name_others]
    if not name and hints:
        # "in Rutshuru territory" alone: the hint is the only place named.
        return done(KIND_PLACE, [hints[0]], extra_others=name_others)
    return done(KIND_PLACE, [name], extra_hints=name_hints, extra_others=name_others)


_FILLER_LEAD = re.compile(
    r"^(?:(?:an?|the|one|some)\s+)?(?:(?:small|large|big|remote|commercial|rural|mining|fishing|gold)\s+)*"
    r"(?:area|locality|place|spot|village|zone|entity|city|town|site|hill|camp|neighbou?rhood|district|quarter)?\s*"
    r"(?:(?:located|situated|situé|situe|lying|sited|bearing\s+the\s+same\s+name)\s+)?",
    re.IGNORECASE,
)
_INNER_OFFSET = re.compile(
    rf"\b(?:(?:about|some|approximately|around|environ|roughly|nearly|à|a)\s+)*(?:{_NUMBER})\s*(?:de\s+)?{_KM}\b",
    re.IGNORECASE,
)


def _context(extra: str) -> tuple[list[str], list[str]]:
    """Read a later clause ("in Beni territory", "near Eringeti", "Irumu territory").

    Returns (hints, other names): admin words and places named to say where
    the main place lies are hints; places it is said to be near are others.
    """
    extra = _clean(extra)
    if not extra:
        return [], []
    extra = _clean(_FILLER_LEAD.sub("", extra, count=1)) or extra
    extra = _clean(_strip_offset_lead(extra))
    for pattern in (_OFFSET, _DIRECTION_ONLY):
        match = pattern.match(extra)
        if match:
            ref, ref_hints, _ = _split_place(match.group("ref"))
            return ref_hints, [ref] if ref else []
    if _NEAR_START.match(extra):
        near = _NEAR.match(extra)
        if near:
            ref, ref_hints, _ = _split_place(near.group("ref"))
            return ref_hints, [ref] if ref else []
    between = _BETWEEN.match(extra)
    if between:
        return [], [n for n in (_strip_name(between.group(g)) for g in ("a", "b")) if n]
    name, name_hints, _ = _split_place(extra)
    if not name or re.match(r"^\d", name):
        return name_hints, []
    return [name, *name_hints], []


_TYPE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"^(?:(?:in|at|the|of)\s+)*(?:{words})\b|\s(?:{words})$", re.IGNORECASE), kind)
    for words, kind in (
        (r"territory|territoire", "territory"),
        (r"province", "province"),
        (r"health\s+zone|zone\s+de\s+sant[ée]|zs", "health_zone"),
        (r"health\s+area|aire\s+de\s+sant[ée]", "health_area"),
        (r"town|city|ville|cité", "town"),
    )
)


def _place_type(clause: str) -> str | None:
    """The kind of place a generic word next to the name says it is, if any.

    Only the name's own clause counts: in "Kasaka in Beni territory" the
    territory is the hint's kind, not Kasaka's.
    """
    match = _PART_OF.match(clause) or _IN.match(clause)
    if match:
        clause = match.group("x")
    for pattern, kind in _TYPE_WORDS:
        if pattern.search(clause):
            return kind
    return None


_SENTENCE_LEAD = re.compile(
    r"^(?:(?:in|on|at|along|sur|dans|à|a)\s+)?(?:the\s+|l['’]\s*|la\s+|le\s+)?", re.IGNORECASE
)


def _strip_road_lead(text: str) -> str:
    """ "on the road Goma-Sake" reads like "road Goma-Sake"."""
    return _SENTENCE_LEAD.sub("", text, count=1)


def _strip_offset_lead(text: str) -> str:
    """ "located 3 km from Mambasa", "some 10 km ..." read like "3 km from Mambasa"."""
    text = re.sub(
        r"^(?:.*?\b(?:located|situated|situé|situe|lying|sited|est)\s+)", "", text, flags=re.I
    )
    return (
        _SENTENCE_LEAD.sub("", text, count=1) if re.match(r"^(?:in|on|at)\s", text, re.I) else text
    )


def _strip_near_lead(text: str) -> str:
    """ "an area near Eringeti", "somewhere around Oicha" read like "near Eringeti"."""
    return re.sub(
        r"^(?:an?\s+|the\s+)?(?:area|locality|place|spot|village|zone|somewhere|just|very|located|situated)\s+(?=(?:near|close|around|not\s+far|outside))",
        "",
        text,
        flags=re.IGNORECASE,
    )
