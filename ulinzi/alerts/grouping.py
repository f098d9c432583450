"""One incident, one alert: decide which open alert a new report belongs to (no Django import).

A *report* is one account from one source (an SMS, a hotline call); an *alert*
groups the reports of one incident. When an attack happens, several people
report it, some of them twice, from the village itself or from the next one, in
Swahili, French, Lingala or English, with the place name spelled their way. The
duty officer must see **one** alert for it, and must still see **two** alerts
when two villages 6 km apart are attacked the same night, or when the same
village is attacked again two days later.

How a report is compared with an alert
    Each open alert that could be near the report (see "Index" below) is
    weighed as a whole, against all of its reports (its *footprint*), not
    only against its single best-matching report.

    First, whether it is compared at all. Only the alert's reports within
    ``max_hours`` of the new one and of a threat type that can describe the
    same incident (:data:`COMPATIBLE`) count; there must be at least one (a
    report whose type was misclassified into an incompatible one is therefore
    not joined: the price of never mixing, say, an arrest with a raid). Then
    one report of the alert must bring it in: located within ``far_km``
    of the (located) new report; or, when one of the two has no coordinates,
    with the same ``reporter_key`` or ``place_id``, or, for a new report with
    no coordinates, naming the same armed group within ``unlocated_hours``.

    Then the evidence: log-odds that the alert is the report's incident, the
    sum of :data:`FEATURES` times :data:`WEIGHTS`, a logistic model fitted on
    the training seeds of ``bench/dedupe.py``. What weighs for and against,
    by the signs the fit gave:

    * space: for when the alert has a report within ``close_km`` and
      ``close_hours``, or within ``max_km``; against when the nearest is
      farther, or when either side has no coordinates; against per kilometre
      to the nearest report and to the alert's *centre* (its located report
      with the most located reports within ``close_km``: the village itself,
      not the one report from the next village), more when the centre is
      beyond ``max_km``;
    * time: against per hour to the alert's nearest report in time, most in
      the first hours;
    * text: the highest text similarity with one of the alert's reports, for
      (steeply up to ``min_text_similarity``, then slowly up to 0.5), less so
      when the report is far or has no coordinates;
    * a place named: for when the report's text names the place (gazetteer
      name, misspellings allowed, :func:`names_place`) of one of the alert's
      reports located elsewhere, or one of their texts names the report's
      place; much more when far: a name matched to the wrong village puts a
      report kilometres away, but its text still names the village;
    * for the same reporter (the strongest sign: the same person writing
      again in the window, with or without a place) and the same gazetteer
      place;
    * numbers (victims, houses): for when the report shares a stand-alone
      number with the alert's texts, against when both give numbers and none
      is shared;
    * armed groups (names from the triage lexicon): strongly against when
      both name groups and none is shared;
    * threat types: for when one of the alert's reports has the same type
      (not only a compatible one);
    * against with the size of the alert (a large alert has more reports for
      a stranger to resemble).

    The report joins the compared alert with the most evidence if it reaches
    ``join_points``; otherwise it starts a new alert, and the reason names
    the nearest alert and what kept it apart. When another open alert also
    reaches ``merge_points`` (more than joining needs), and one of the two
    has at most ``merge_max_reports`` reports, the report shows that the two
    are one incident (its first report was matched to the wrong village, or
    had no place, and opened an alert of its own): they are merged into the
    older (:attr:`Decision.merges`), and the reason says so. The texts'
    similarity (the costly part) is computed only when the other evidence,
    plus the most the similarity and the same reporter could add, can still
    reach ``join_points`` and the best alert so far (or ``merge_points``).
    Comparing with the footprint
    as a whole keeps one report from the next village (or matched to the
    wrong one) from pulling in the neighbouring village's incident.

    Distances use the equirectangular approximation of the great-circle
    distance (error below 0.1 % under 50 km), which is what this needs and
    several times faster than haversine.

Text similarity
    Weighted Jaccard similarity of the sets of character trigrams of the folded words
    (:func:`ulinzi.lib.text.fold`: no case, no accents, no punctuation), each
    word padded (``#kasindi#``) so that trigrams do not cross words, after
    dropping short function words of French, Swahili, Lingala and English
    (:data:`STOPWORDS`). In the index each trigram weighs its inverse
    document frequency among the stored reports, so words every report uses
    count little and place names, group names and numbers count much. Trigrams make it robust to misspellings (``Kasindi``,
    ``Kasinndi``, ``Casindi`` share most trigrams) and to word order; mixing
    languages lowers it, which is why text is one piece of evidence among
    others and never required on its own.

Index
    Reports with coordinates are kept in a dictionary of cells keyed by
    (latitude row, longitude column, time bucket): rows are ``far_km`` high
    (``max_km`` when larger), columns at least as wide at every latitude of the row, buckets
    ``max_hours`` long. A decision looks at the 3 rows, the few columns and the
    3 buckets around the report, so it only ever touches the reports of a few
    square kilometres and a day, whatever the size of the index. Reports are
    also indexed by (reporter_key, bucket), (place_id, bucket) and (armed
    group, ``unlocated_hours`` bucket) for the links that do not need
    coordinates, and by alert, to weigh an alert's whole footprint. Closed
    alerts are skipped at decision time (their reports stay in the cells;
    :meth:`AlertIndex.close` is O(1)).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from types import MappingProxyType

from ulinzi.alerts.taxonomy import THREAT_TYPES
from ulinzi.lib.text import fold

__all__ = [
    "COMPATIBLE",
    "FEATURES",
    "NAME_CONTAINMENT",
    "STOPWORDS",
    "THREAT_TYPES",
    "AlertIndex",
    "Decision",
    "ReportFacts",
    "Thresholds",
    "compatible",
    "WEIGHTS",
    "group",
    "names_place",
    "text_numbers",
    "text_similarity",
]

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0


# Pairs of threat types that can be two reporters' words for one incident. A raid
# on a village is reported as an attack, as killings, as houses burnt, as people
# taken, as looting; a clash between armed groups as a clash, as burnt houses,
# as people fleeing. Types that describe a different kind of event (an
# arbitrary arrest, a child recruited, a mine found) are not mixed with a raid.
_RELATED: dict[str, tuple[str, ...]] = {
    "attack_on_civilians": (
        "killing",
        "armed_clash",
        "arson_destruction",
        "looting_extortion",
        "abduction",
        "sexual_violence",
        "displacement",
        "threat_intimidation",
        "explosive_hazard",
        "intercommunal_tension",
    ),
    "killing": (
        "armed_clash",
        "arson_destruction",
        "abduction",
        "looting_extortion",
        "sexual_violence",
        "explosive_hazard",
        "intercommunal_tension",
    ),
    "armed_clash": ("arson_destruction", "displacement", "explosive_hazard"),
    "arson_destruction": ("looting_extortion", "displacement", "intercommunal_tension"),
    "looting_extortion": ("abduction", "threat_intimidation", "sexual_violence"),
    "abduction": ("sexual_violence", "child_recruitment"),
    "threat_intimidation": ("intercommunal_tension", "arbitrary_arrest", "displacement"),
    "intercommunal_tension": ("displacement", "armed_clash"),
}
# A sighting of an armed group can be the first report of almost anything they do;
# it is not mixed with a mine or unexploded shell found, or with an arrest.
_PRESENCE_EXCLUDED = ("explosive_hazard", "arbitrary_arrest")


def _build_compatible() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {t: {t, "other"} for t in THREAT_TYPES}
    for a, related in _RELATED.items():
        for b in related:
            table[a].add(b)
            table[b].add(a)
    for t in THREAT_TYPES:
        if t not in _PRESENCE_EXCLUDED:
            table["armed_presence"].add(t)
            table[t].add("armed_presence")
    table["other"] = set(THREAT_TYPES)
    return {t: frozenset(v) for t, v in table.items()}


#: Which threat types can be the same incident (symmetric; every type with itself;
#: ``other`` with all; ``armed_presence`` with all but ``explosive_hazard`` and
#: ``arbitrary_arrest``). A type missing from the table is compatible with itself
#: and with ``other`` only.
COMPATIBLE: Mapping[str, frozenset[str]] = _build_compatible()


def compatible(a: str, b: str, table: Mapping[str, frozenset[str]] = COMPATIBLE) -> bool:
    """Whether reports of types ``a`` and ``b`` can describe the same incident."""
    if a == b or a == "other" or b == "other":
        return True
    related = table.get(a)
    return related is not None and b in related


# Short function words of French, Swahili, Lingala and English: they say nothing
# about which incident a text describes. Deliberately only grammar words, no
# threat vocabulary, so the list holds for any taxonomy.
_STOPWORDS_TEXT = (
    # French
    "a au aux avec ce ces cet cette dans de des du d en et est il ils elle elles "
    "je j l la le les leur mais ne nous on ou par pas pour qu que qui sa se son "
    "sont sur un une y ici"
    # English
    " an and are at be by for from has have in is it of on or that the their "
    "there this to was were with we our"
    # Swahili
    " hapa huko kwa katika ku kuna la na ni pia sasa tu wa ya za yetu zetu"
    # Lingala
    " awa bango ezali mpe mpo o te to oyo"
)
STOPWORDS: frozenset[str] = frozenset(_STOPWORDS_TEXT.split())

_APOSTROPHES = re.compile(r"['`]")
_NON_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    # Same result as ulinzi.lib.text.fold, with a fast path for plain ASCII (most
    # SMS): no accents to strip, so only case, apostrophes and punctuation.
    if text.isascii():
        return _NON_WORD.sub(" ", _APOSTROPHES.sub("", text.lower())).strip()
    return fold(text)


@lru_cache(maxsize=1 << 17)
def text_features(text: str) -> frozenset[str]:
    """The character trigrams of the folded content words of ``text``.

    Cached: the same texts come back for every report they are compared with.
    """
    words = _fold(text).split()
    content = [w for w in words if w not in STOPWORDS] or words
    grams: set[str] = set()
    for word in content:
        padded = f"#{word}#"
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def text_similarity(a: str, b: str, weight: Callable[[str], float] | None = None) -> float:
    """Weighted Jaccard similarity (0 to 1) of the trigram sets of two texts.

    ``weight`` gives each trigram its weight (all 1 when None). The index
    weighs a trigram by how rare it is among the reports it holds (see
    :meth:`AlertIndex.trigram_weight`), so that the words every report uses
    (the language's words for "killed", "tonight", "help") count for little
    and what tells incidents apart (place names, armed group, number of
    victims) counts for much.

    >>> round(text_similarity("ADF wameua watu 3 Kasindi", "Les ADF ont tué 3 personnes à Kasinndi"), 2)
    0.27
    """
    fa, fb = text_features(a), text_features(b)
    if not fa or not fb:
        return 0.0
    if weight is None:
        common = len(fa & fb)
        return common / (len(fa) + len(fb) - common)
    shared = sum(weight(g) for g in fa & fb)
    total = sum(weight(g) for g in fa | fb)
    return shared / total if total > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What grouping needs to know about one report.

    ``lat``/``lon`` are the located point (None when the place was not
    recognised; a non-finite or out-of-range pair counts as None); ``at`` is
    the time the incident was reported, in epoch seconds; ``place_id`` the
    gazetteer place it was located at, if any; ``reporter_key`` a stable
    pseudonymous key of the sender (the blind index of the phone number),
    never the number itself; ``place_name`` the gazetteer's name of
    ``place_id`` (None when unknown: grouping then cannot see that a report
    located elsewhere names the alert's place, see :func:`names_place`).
    """

    id: int
    lat: float | None
    lon: float | None
    at: float
    threat_type: str
    text: str
    place_id: int | None = None
    reporter_key: str | None = None
    place_name: str | None = None

    # Whether lat/lon are a usable point: asked for every comparison, so computed once.
    _located: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not math.isfinite(self.at):
            raise ValueError(f"report {self.id}: time {self.at!r} is not a finite number")
        lat, lon = self.lat, self.lon
        located = (
            lat is not None
            and lon is not None
            and math.isfinite(lat)
            and math.isfinite(lon)
            and -90.0 <= lat <= 90.0
            and -180.0 <= lon <= 180.0
        )
        object.__setattr__(self, "_located", located)

    @property
    def located(self) -> bool:
        """Whether the report has a usable point (finite, in range)."""
        return self._located


_NUMBER = re.compile(r"(?<!\w)(?<!\d[.,:])\d{1,3}(?!\w)(?![.,:]\d)")


@lru_cache(maxsize=1 << 17)
def text_numbers(text: str) -> frozenset[str]:
    """The stand-alone numbers of 1 to 3 digits in ``text`` (victims, houses, people).

    Numbers glued to letters or other digits ("22h", "M23", "0812345678",
    "12.5") are not counts and are left out.
    """
    return frozenset(m.lstrip("0") or "0" for m in _NUMBER.findall(text))


#: Share of a place name's trigrams a text must contain to name that place: a
#: dropped, doubled or replaced letter keeps at least half of the trigrams of a name
#: of six letters or more (two letters swapped in the middle of a name may not).
NAME_CONTAINMENT = 0.5

#: Evidence for a second open alert at which a report merges the two (see
#: ``Thresholds.merge_points``); chosen with ``join_points`` by ``bench/dedupe.py --fit``.
MERGE_POINTS = 2.0
#: The most reports the smaller of two alerts may have for a report to merge them: a
#: fragment of an incident (a first report put at the wrong village, and its follow-up),
#: never two established alerts, which would snowball; those a duty officer merges.
MERGE_MAX_REPORTS = 2


def names_place(text: str, place_name: str) -> bool:
    """Whether ``text`` names ``place_name``, allowing for misspellings.

    True when the text holds at least :data:`NAME_CONTAINMENT` of the name's
    trigrams (see :func:`text_features`).

    >>> names_place("Haraka! Kasinid: watu 4 wameuawa", "Kasindi")
    True
    >>> names_place("Haraka! Mbau: watu 4 wameuawa", "Kasindi")
    False
    """
    name = text_features(place_name)
    if not name:
        return False
    return len(name & text_features(text)) >= NAME_CONTAINMENT * len(name)


def _actor_key(name: str) -> str:
    # "Mai-Mai", "Mayi-Mayi" and "maimai" are one group.
    return fold(name).replace(" ", "").replace("yi", "i")


@dataclass(frozen=True, slots=True)
class _Actors:
    """Armed group names as folded word sequences -> one key per group."""

    by_words: tuple[tuple[str, str], ...]  # (" adf nalu ", "adfnalu")

    @classmethod
    def of(cls, names: Iterable[str]) -> _Actors:
        pairs = {(f" {fold(n)} ", _actor_key(n)) for n in names if fold(n)}
        return cls(tuple(sorted(pairs)))


def _default_actor_names() -> tuple[str, ...]:
    from ulinzi.alerts.triage_lexicon import ARMED_GROUPS  # data only, no Django

    return ARMED_GROUPS


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a report joins an alert. Defaults are for rural eastern DR Congo.

    ``join_points`` was chosen, with :data:`WEIGHTS`, on the training seeds of
    ``bench/dedupe.py`` (its figures are reported on a held-out seed); see
    that benchmark for what they achieve and miss. The other defaults come
    from how people report in the region; the weights were fitted with them,
    so changing one of them moves the evidence away from what was fitted.
    How the evidence is weighed is in the module docstring.

    ``max_km`` (4.0)
        People report from their own village or the next one (villages there
        are 2-4 km apart) and the geocoder adds about a kilometre of error: a
        report this close to a report of the alert is evidence *for* the
        alert, and its centre this close is more evidence.
    ``far_km`` (8.0) and ``far_text_similarity`` (0.0)
        Between ``max_km`` and ``far_km`` a report can still join (a place name
        matched to the wrong village), but the distance counts *against* it,
        and the text similarity must be at least ``far_text_similarity`` (by
        default the evidence alone decides). Nothing farther is ever compared
        (the index's cell size).
    ``max_hours`` (12.0)
        Longest time between the new report and a report of the alert. Most
        reports of an attack come within two hours and the last ones the next
        morning.
    ``min_text_similarity`` (0.1)
        Text similarity (see :func:`text_similarity`, weighted by rarity in the
        index) up to which each hundredth counts most; above it, text still
        adds evidence, more slowly. Reports of one incident often share little
        text (different languages, one names the next village).
    ``min_reporter_text_similarity`` (0.0)
        Smallest text similarity for the same reporter's earlier report to
        count as "same reporter" (a follow-up, "still there, help us", may
        share no word with the first message; raise it to demand text).
    ``close_km`` (1.0) and ``close_hours`` (2.0)
        Reports this close in space and time are from the same spot at the
        same moment: the space evidence is highest.
    ``unlocated_hours`` (3.0)
        A report without coordinates, place or known reporter is compared only
        with alerts naming the same armed group, and only within this time.
    ``join_points`` (0.5)
        Evidence (log-odds, see the module docstring) the best alert must
        reach for the report to join it; below, the report starts a new
        alert. Raise it for fewer wrong merges and more duplicate alerts.
    ``merge_points`` (MERGE_POINTS)
        Evidence another open alert must reach, besides the one the report
        joins, for the report to bring the two together: they are merged into
        the older. One incident often starts as two alerts (a first report
        matched to the wrong village, or with no place at all); a later report
        that fits both well says they are one. At least ``join_points``;
        ``math.inf`` never merges.
    ``merge_max_reports`` (MERGE_MAX_REPORTS)
        A report merges two alerts only if one of them has at most this many
        reports (a fragment); two larger alerts are left for a duty officer.
    """

    max_km: float = 4.0
    max_hours: float = 12.0
    min_text_similarity: float = 0.1
    min_reporter_text_similarity: float = 0.0
    close_km: float = 1.0
    close_hours: float = 2.0
    far_km: float = 8.0
    far_text_similarity: float = 0.0
    unlocated_hours: float = 3.0
    join_points: float = 0.5
    merge_points: float = MERGE_POINTS
    merge_max_reports: int = MERGE_MAX_REPORTS

    @property
    def reach_km(self) -> float:
        """The farthest distance any rule can join at (the index's cell size)."""
        return max(self.max_km, self.far_km)

    def __post_init__(self) -> None:
        for name in ("max_km", "max_hours"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, not {value!r}")
        for name in ("min_text_similarity", "min_reporter_text_similarity", "far_text_similarity"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
        for name in ("close_km", "close_hours", "far_km", "unlocated_hours"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be zero or more, not {value!r}")
        if not math.isfinite(self.join_points):
            raise ValueError(f"join_points must be a finite number, not {self.join_points!r}")
        if self.merge_max_reports < 1:
            raise ValueError(f"merge_max_reports must be 1 or more, not {self.merge_max_reports!r}")
        if math.isnan(self.merge_points) or self.merge_points < self.join_points:
            raise ValueError(
                f"merge_points must be at least join_points ({self.join_points!r}), "
                f"not {self.merge_points!r}"
            )


@dataclass(frozen=True, slots=True)
class Decision:
    """Which open alert a report joins (``alert_id``), or None for a new alert.

    ``score`` (0 to 1) is the evidence for the chosen alert as a probability-like
    number (``1 / (1 + exp(join_points - points))``: 0.5 exactly at the join
    threshold); 0 for a new alert. ``reason`` is the sentence shown to the
    duty officer. ``distance_km``, ``hours`` and ``text_similarity`` describe
    the alert that decided: for a join, the chosen alert; for a new alert, the
    nearest open alert that was considered and refused (None when there was
    none, or when a value could not be measured): the distance to its nearest
    located report, the time to its nearest report in time, the highest text
    similarity with one of its reports. ``merges``: other open alerts the report
    brings together with ``alert_id`` (see ``Thresholds.merge_points``), to be
    merged into it; ``alert_id`` is then the oldest of them.
    """

    alert_id: int | None
    score: float
    reason: str
    distance_km: float | None
    hours: float | None
    text_similarity: float | None
    merges: tuple[int, ...] = ()


# -- evidence weights (log-odds; see the module docstring) ------------------------------

#: The features of a (report, alert) pair that the evidence adds up, each with the
#: weight :data:`WEIGHTS` gives it. Indicators are 0 or 1; ``km`` and ``centre_km``
#: are kilometres (at most ``reach_km``), ``hours`` hours (at most ``max_hours``).
FEATURES: tuple[str, ...] = (
    "bias",  # 1 for every compared alert
    "close",  # within close_km and close_hours of a report of the alert
    "near",  # otherwise within max_km of one
    "far",  # otherwise within reach_km
    "no_distance",  # no coordinates on one side: nothing to compare
    "km",  # to the alert's nearest located report
    "centre_far",  # the alert's centre is farther than max_km
    "centre_km",  # to the alert's centre
    "hours",  # to the alert's nearest report in time
    "log_hours",  # log(1 + hours): the first hour weighs most
    "text_steep",  # text similarity up to min_text_similarity
    "text_slow",  # text similarity above it, up to 0.5
    "text_far",  # text similarity when far or with no distance (on top of the above)
    "same_reporter",  # the same person wrote one of the alert's reports
    "same_place",  # one of the alert's reports is at the same gazetteer place
    "same_number",  # a stand-alone number of the report is in the alert's texts
    "other_number",  # both give numbers and none is shared
    "same_group",  # the report names an armed group the alert's texts name
    "other_group",  # both name groups and none is shared
    "log_size",  # log of the alert's reports in the window
    "same_type",  # one of the alert's reports has the same threat type
    "unlocated",  # the report has no coordinates
    "names_place",  # one side's text names the other's (different) place
    "names_place_far",  # the same, when far or with no distance (on top of the above)
)

#: Fitted by ``bench/dedupe.py --fit``: logistic regression of "the alert is the
#: report's incident" on :data:`FEATURES`, over the (report, alert) pairs of the
#: benchmark's training seeds only (each report compared with the true incidents
#: already reported). Printed by that command; pasted here.
WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "bias": 3.293,
        "close": 0.594,
        "near": 0.77,
        "far": -0.184,
        "no_distance": -1.18,
        "km": -0.117,
        "centre_far": -1.178,
        "centre_km": -0.258,
        "hours": -0.928,
        "log_hours": -0.957,
        "text_steep": 3.988,
        "text_slow": 2.902,
        "text_far": -0.896,
        "same_reporter": 7.81,
        "same_place": 1.399,
        "same_number": 1.761,
        "other_number": -2.43,
        "same_group": 0.167,
        "other_group": -5.684,
        "log_size": -1.758,
        "same_type": 1.097,
        "unlocated": -0.204,
        "names_place": 1.959,
        "names_place_far": 1.966,
    }
)


def _hours_text(hours: float) -> str:
    if hours < 1.0:
        return f"{round(hours * 60)} min"
    if hours < 48.0:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _type_text(a: str, b: str) -> str:
    return f"same type ({a})" if a == b else f"compatible types ({a} ~ {b})"


def _number(value: float) -> str:
    return f"{value:g}"


def _km(a: ReportFacts, b: ReportFacts) -> float:
    # Equirectangular approximation; both must be located.
    assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
    phi = math.radians((a.lat + b.lat) / 2.0)
    dx = (a.lon - b.lon) * math.cos(phi)
    dy = a.lat - b.lat
    return KM_PER_DEGREE * math.sqrt(dx * dx + dy * dy)


Entry = tuple[int, ReportFacts]  # (alert id, report)


@dataclass(slots=True)
class _Evidence:
    """What one open alert has for and against a new report."""

    alert_id: int
    passed: bool  # eligible (compared at all); the points decide the rest
    points: float = 0.0
    member: ReportFacts | None = None  # the alert's report that is nearest (space, then time)
    distance_km: float | None = None  # to the nearest located report
    centre_km: float | None = None  # to the alert's centre
    hours: float | None = None  # to the nearest report in time
    similarity: float | None = None  # highest with one report
    group: str = ""  # "same" / "other" / ""
    failure: str = ""  # why it was not compared, or what weighed against
    bounded: bool = False  # points is an upper bound; the texts were not compared
    parts: tuple[str, ...] = ()
    features: dict[str, float] = field(default_factory=dict)  # see FEATURES


class AlertIndex:
    """The open alerts and their reports, indexed in space and time (see module doc).

    ``len(index)`` is the number of open alerts; :attr:`report_count` the number
    of reports stored (including those of closed alerts, which are skipped).
    ``armed_groups`` are the names whose agreement or disagreement between
    texts counts as evidence (default: the triage lexicon's ``ARMED_GROUPS``).
    """

    #: Texts whose armed groups are kept (emptied when full). Every comparison asks for
    #: the groups of the alert's texts: with a cache of 65,536 texts, an index of a
    #: million reports recomputed them for most comparisons (a fifth of the time of a
    #: decision). One dictionary entry a text: the group sets themselves are shared.
    actor_cache_size = 1 << 20

    def __init__(
        self,
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so sharing is safe
        compatible_types: Mapping[str, frozenset[str]] = COMPATIBLE,
        armed_groups: Iterable[str] | None = None,
        weights: Mapping[str, float] = WEIGHTS,
    ) -> None:
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features in weights: {', '.join(sorted(unknown))}")
        self.thresholds = thresholds
        self.compatible_types = compatible_types
        # Every feature has a weight (0 when not given).
        self.weights: dict[str, float] = {name: weights.get(name, 0.0) for name in FEATURES}
        # The most the text similarity can add (its points are piecewise linear, with
        # breaks at min_text_similarity and 0.5), near and far: it bounds the evidence
        # before the texts are compared.
        self._most_from_text = {
            far_side: max(
                sum(self.weights[name] * v for name, v in self._text_features(x, far_side).items())
                for x in (0.0, thresholds.min_text_similarity, 0.5, 1.0)
            )
            for far_side in (False, True)
        }
        self._actors = _Actors.of(_default_actor_names() if armed_groups is None else armed_groups)
        self._actor_cache: dict[str, frozenset[str]] = {}
        self._actor_sets: dict[frozenset[str], frozenset[str]] = {}  # one object per set
        self._row_deg = thresholds.reach_km / KM_PER_DEGREE
        self._bucket_s = thresholds.max_hours * 3600.0
        self._actor_bucket_s = max(thresholds.unlocated_hours, 0.25) * 3600.0
        self._col_deg: dict[int, float] = {}
        self._row_cos: dict[int, float] = {}
        self._cells: dict[tuple[int, int, int], list[Entry]] = {}
        self._by_reporter: dict[tuple[str, int], list[Entry]] = {}
        self._by_place: dict[tuple[int, int], list[Entry]] = {}
        # Reports without coordinates, found by reporter or place for located reports.
        self._unlocated_by_reporter: dict[tuple[str, int], list[Entry]] = {}
        self._unlocated_by_place: dict[tuple[int, int], list[Entry]] = {}
        # Reports naming an armed group, for reports with nothing else to go by.
        self._by_actor: dict[tuple[str, int], list[Entry]] = {}
        self._members: dict[int, list[ReportFacts]] = {}
        self._centre: dict[int, ReportFacts | None] = {}
        self._df: dict[str, int] = {}  # trigram -> number of stored reports with it
        self._open: dict[int, int] = {}  # alert id -> number of reports
        self._opened: dict[int, float] = {}  # alert id -> time of its first report
        self._closed: set[int] = set()
        self._merged_into: dict[int, int] = {}  # a merged alert -> the alert it went into
        self.report_count = 0

    # -- geometry ---------------------------------------------------------------

    def _row_min_cos(self, row: int) -> float:
        cos = self._row_cos.get(row)
        if cos is None:
            lo = max(-90.0, row * self._row_deg)
            hi = min(90.0, (row + 1) * self._row_deg)
            # cos is smallest at the end of the row farthest from the equator.
            cos = max(0.01, math.cos(math.radians(max(abs(lo), abs(hi)))))
            self._row_cos[row] = cos
        return cos

    def _col_width(self, row: int) -> float:
        width = self._col_deg.get(row)
        if width is None:
            width = self.thresholds.reach_km / (KM_PER_DEGREE * self._row_min_cos(row))
            self._col_deg[row] = width
        return width

    def _cell(self, lat: float, lon: float, bucket: int) -> tuple[int, int, int]:
        row = math.floor(lat / self._row_deg)
        return (row, math.floor(lon / self._col_width(row)), bucket)

    def _bucket(self, at: float) -> int:
        return math.floor(at / self._bucket_s)

    def actors(self, text: str) -> frozenset[str]:
        """The armed groups ``text`` names (one key per group, e.g. ``maimai``)."""
        found = self._actor_cache.get(text)
        if found is None:
            padded = f" {_fold(text)} "
            found = frozenset(key for words, key in self._actors.by_words if words in padded)
            found = self._actor_sets.setdefault(found, found)
            if len(self._actor_cache) >= self.actor_cache_size:
                self._actor_cache.clear()
            self._actor_cache[text] = found
        return found

    # -- building -----------------------------------------------------------------

    def add(self, alert_id: int, report: ReportFacts) -> None:
        """Record that ``report`` now belongs to open alert ``alert_id``.

        The alert is created if it is new. Adding to a closed alert is refused
        (ValueError): a closed alert's footprint no longer attracts reports.
        """
        if alert_id in self._closed:
            raise ValueError(f"alert {alert_id} is closed")
        entry: Entry = (alert_id, report)
        bucket = self._bucket(report.at)
        if report.located:
            assert report.lat is not None and report.lon is not None
            self._cells.setdefault(self._cell(report.lat, report.lon, bucket), []).append(entry)
        if report.reporter_key is not None:
            key = (report.reporter_key, bucket)
            self._by_reporter.setdefault(key, []).append(entry)
            if not report.located:
                self._unlocated_by_reporter.setdefault(key, []).append(entry)
        if report.place_id is not None:
            pkey = (report.place_id, bucket)
            self._by_place.setdefault(pkey, []).append(entry)
            if not report.located:
                self._unlocated_by_place.setdefault(pkey, []).append(entry)
        actor_bucket = math.floor(report.at / self._actor_bucket_s)
        for actor in self.actors(report.text):
            self._by_actor.setdefault((actor, actor_bucket), []).append(entry)
        self._members.setdefault(alert_id, []).append(report)
        self._centre.pop(alert_id, None)
        df = self._df
        for gram in text_features(report.text):
            df[gram] = df.get(gram, 0) + 1
        self._open[alert_id] = self._open.get(alert_id, 0) + 1
        self._opened[alert_id] = min(self._opened.get(alert_id, report.at), report.at)
        self.report_count += 1

    def merge(self, alert_id: int, into: int) -> list[ReportFacts]:
        """Open alert ``alert_id``'s reports now belong to open alert ``into``; the
        reports moved. Entries stored under ``alert_id`` are found as ``into``'s."""
        if alert_id == into or alert_id not in self._open or into not in self._open:
            raise ValueError(f"alert {alert_id} cannot be merged into alert {into}")
        moved = self._members.pop(alert_id, [])
        self._members.setdefault(into, []).extend(moved)
        self._open[into] += self._open.pop(alert_id)
        self._opened[into] = min(self._opened[into], self._opened.pop(alert_id))
        self._centre.pop(alert_id, None)
        self._centre.pop(into, None)
        self._closed.add(alert_id)
        self._merged_into[alert_id] = into
        return moved

    def trigram_weight(self, gram: str) -> float:
        """Inverse document frequency of a trigram among the stored reports.

        ``log((n + 2) / (df + 1))``: with few reports every trigram weighs about
        the same; with many, a trigram found in every other report weighs about
        0.7 and one found in a single report out of a thousand about 6.
        """
        return math.log((self.report_count + 2) / (self._df.get(gram, 0) + 1))

    def similarity(self, a: str, b: str) -> float:
        """``text_similarity(a, b, self.trigram_weight)``, computed in bulk (the hot path)."""
        fa, fb = text_features(a), text_features(b)
        if not fa or not fb:
            return 0.0
        log_n = math.log(self.report_count + 2)
        get = self._df.get
        union = fa | fb
        shared = fa & fb
        # sum of log((n + 2) / (df + 1)) = count * log(n + 2) - sum of log1p(df)
        total = len(union) * log_n - sum(map(math.log1p, map(get, union, repeat(0))))
        if total <= 0:
            return 0.0
        common = len(shared) * log_n - sum(map(math.log1p, map(get, shared, repeat(0))))
        return common / total

    def close(self, alert_id: int) -> None:
        """The alert is no longer open: no new report will be proposed to join it."""
        self._open.pop(alert_id, None)
        self._opened.pop(alert_id, None)
        self._closed.add(alert_id)
        self._members.pop(alert_id, None)
        self._centre.pop(alert_id, None)

    def __len__(self) -> int:
        return len(self._open)

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._open

    def centre(self, alert_id: int) -> ReportFacts | None:
        """The alert's located report with the most located reports within ``close_km``.

        Ties go to the earliest. It stands for where the incident is: most reports
        come from the village itself, and one report from the next village or
        matched to the wrong one does not move it. None without located reports.
        """
        if alert_id in self._centre:
            return self._centre[alert_id]
        located = [m for m in self._members.get(alert_id, ()) if m.located]
        best: ReportFacts | None = None
        best_n = -1
        close_km = self.thresholds.close_km
        for m in located:
            n = sum(1 for o in located if _km(m, o) <= close_km)
            # Ties go to the earliest report (then the lowest id), whatever the order
            # the reports were added in.
            if best is None or (-n, m.at, m.id) < (-best_n, best.at, best.id):
                best, best_n = m, n
        self._centre[alert_id] = best
        return best

    # -- deciding -----------------------------------------------------------------

    def _candidates(self, report: ReportFacts) -> list[Entry]:
        bucket = self._bucket(report.at)
        buckets = (bucket - 1, bucket, bucket + 1)
        found: list[Entry] = []
        if report.located:
            assert report.lat is not None and report.lon is not None
            lat, lon = report.lat, report.lon
            row = math.floor(lat / self._row_deg)
            rows = (row - 1, row, row + 1)
            min_cos = min(self._row_min_cos(r) for r in rows)
            span = self.thresholds.reach_km / (KM_PER_DEGREE * min_cos)
            cells = self._cells
            for r in rows:
                width = self._col_width(r)
                for c in range(
                    math.floor((lon - span) / width), math.floor((lon + span) / width) + 1
                ):
                    for b in buckets:
                        entries = cells.get((r, c, b))
                        if entries:
                            found.extend(entries)
            by_reporter, by_place = self._unlocated_by_reporter, self._unlocated_by_place
        else:
            by_reporter, by_place = self._by_reporter, self._by_place
            actors = self.actors(report.text)
            if actors:
                ab = math.floor(report.at / self._actor_bucket_s)
                for actor in actors:
                    for b in (ab - 1, ab, ab + 1):
                        aentries = self._by_actor.get((actor, b))
                        if aentries:
                            found.extend(aentries)
        if report.reporter_key is not None:
            for b in buckets:
                entries = by_reporter.get((report.reporter_key, b))
                if entries:
                    found.extend(entries)
        if report.place_id is not None:
            for b in buckets:
                pentries = by_place.get((report.place_id, b))
                if pentries:
                    found.extend(pentries)
        return found

    def _within_reach(self, report: ReportFacts, member: ReportFacts) -> bool:
        """Whether ``member`` brings its alert into comparison (cheap; before any text).

        Within ``max_hours``, and: both located within ``reach_km``; or, when
        either has no coordinates, the same reporter or place, or (the new
        report having no coordinates) the same armed group within
        ``unlocated_hours``. The index finds exactly such members.
        """
        t = self.thresholds
        dt = abs(report.at - member.at)
        if dt > t.max_hours * 3600.0:
            return False
        if report.located and member.located:
            return _km(report, member) <= t.reach_km
        if report.reporter_key is not None and report.reporter_key == member.reporter_key:
            return True
        if report.place_id is not None and report.place_id == member.place_id:
            return True
        return (
            not report.located
            and dt <= t.unlocated_hours * 3600.0
            and not self.actors(report.text).isdisjoint(self.actors(member.text))
        )

    def compared(self, report: ReportFacts) -> list[int]:
        """The open alerts ``report`` is compared with (a member within reach, see
        :meth:`_within_reach`), in the order the index finds them."""
        open_alerts = self._open
        merged = self._merged_into
        seen: set[int] = set()
        found: list[int] = []
        for alert_id, member in self._candidates(report):
            while alert_id in merged:  # stored under an alert merged since
                alert_id = merged[alert_id]
            if alert_id in seen or alert_id not in open_alerts or member.id == report.id:
                continue
            if self._within_reach(report, member):
                seen.add(alert_id)
                found.append(alert_id)
        return found

    def _names_place(self, report: ReportFacts, fitting: list[ReportFacts]) -> bool:
        """Whether the report's text names the place of one of ``fitting``, or one of their
        texts names the report's place (other places than the report's own)."""
        others = [m for m in fitting if m.place_id != report.place_id]
        # Most of an alert's reports share a few places: each name is looked for once.
        names = {m.place_name for m in others if m.place_name}
        if any(names_place(report.text, name) for name in names):
            return True
        own = report.place_name
        if not own:
            return False
        return any(names_place(m.text, own) for m in others)

    def _evidence(self, report: ReportFacts, alert_id: int, floor: float) -> _Evidence:
        """Weigh everything alert ``alert_id`` has for and against ``report``.

        When the most the alert could reach is below ``floor`` (the join
        threshold, or the best alert so far), the texts are not compared and
        ``points`` is that upper bound (``bounded``).
        """
        t = self.thresholds
        w = self.weights
        table = self.compatible_types
        window = t.max_hours * 3600.0
        members = [
            m
            for m in self._members.get(alert_id, ())
            if m.id != report.id and abs(report.at - m.at) <= window
        ]
        ev = _Evidence(alert_id, False)
        if not members:
            ev.failure = f"the limit is {_number(t.max_hours)} h"
            return ev
        fitting = [m for m in members if compatible(report.threat_type, m.threat_type, table)]
        if not fitting:
            nearest = min(members, key=lambda m: abs(report.at - m.at))
            ev.member, ev.hours = nearest, abs(report.at - nearest.at) / 3600.0
            if report.located and nearest.located:
                ev.distance_km = _km(report, nearest)
            ev.failure = (
                f"{nearest.threat_type} cannot be the same incident as {report.threat_type}"
            )
            return ev
        # One pass for what every comparison needs (the hot path).
        at = report.at
        located = report.located
        key = report.reporter_key
        place = report.place_id
        kind = report.threat_type
        seconds = math.inf
        soonest = fitting[0]  # the nearest report in time (the first of equals)
        nearest_m: ReportFacts | None = None
        distance: float | None = None
        same_place = reporter_link = same_type = False
        for m in fitting:
            dt = abs(at - m.at)
            if dt < seconds:
                seconds, soonest = dt, m
            if located and m.located:
                d = _km(report, m)
                if distance is None or d < distance:
                    distance, nearest_m = d, m
            if place is not None and m.place_id == place:
                same_place = True
            if key is not None and m.reporter_key == key:
                reporter_link = True
            if m.threat_type == kind:
                same_type = True
        hours = seconds / 3600.0
        ev.hours = hours
        ev.distance_km = distance
        linked = same_place or reporter_link
        report_actors = self.actors(report.text)
        # Out of reach (no text can change that): refuse before reading the texts.
        if distance is not None and distance > t.reach_km and not linked:
            ev.member = nearest_m
            ev.failure = f"the limit is {_number(t.reach_km)} km"
            return ev
        if distance is None and not linked and (located or hours > t.unlocated_hours):
            ev.member = soonest
            ev.failure = (
                "there are no coordinates to compare and neither reporter, place nor "
                "armed group is the same"
            )
            return ev
        ev.member = nearest_m or soonest
        if report_actors:
            alert_actors: set[str] = set()
            for m in fitting:
                alert_actors |= self.actors(m.text)
            if alert_actors:
                ev.group = "same" if not report_actors.isdisjoint(alert_actors) else "other"
        parts: list[str] = []
        f: dict[str, float] = {"bias": 1.0}
        # Space: the nearest located report, then the alert's centre.
        far_side = True
        if distance is not None:
            if distance <= t.close_km and hours <= t.close_hours:
                f["close"] = 1.0
                far_side = False
            elif distance <= t.max_km:
                f["near"] = 1.0
                far_side = False
            else:
                f["far"] = 1.0
                parts.append(f"farther than {_number(t.max_km)} km")
            f["km"] = min(distance, t.reach_km)
            centre = self.centre(alert_id)
            if centre is not None:  # a located report
                ev.centre_km = _km(report, centre)
                f["centre_km"] = min(ev.centre_km, t.reach_km)
                if ev.centre_km > t.max_km:
                    f["centre_far"] = 1.0
                    parts.append(f"{ev.centre_km:.1f} km from the alert's centre")
        else:
            f["no_distance"] = 1.0
        if not located:
            f["unlocated"] = 1.0
        f["hours"] = min(hours, t.max_hours)
        f["log_hours"] = math.log1p(hours)
        if same_place:
            f["same_place"] = 1.0
            if distance is None:
                parts.append(f"same place #{report.place_id}")
        report_numbers = text_numbers(report.text)
        if report_numbers:
            alert_numbers: set[str] = set()
            for m in fitting:
                alert_numbers |= text_numbers(m.text)
            if alert_numbers:
                if report_numbers.isdisjoint(alert_numbers):
                    f["other_number"] = 1.0
                    parts.append("other numbers")
                else:
                    f["same_number"] = 1.0
                    parts.append("same number")
        if ev.group == "same":
            f["same_group"] = 1.0
            parts.append("same armed group")
        elif ev.group == "other":
            f["other_group"] = 1.0
            parts.append("another armed group")
        f["log_size"] = math.log(len(fitting))
        if same_type:
            f["same_type"] = 1.0
        named = self._names_place(report, fitting)  # cheap: sets of a few trigrams
        if named:
            f["names_place"] = 1.0
            if far_side:
                f["names_place_far"] = 1.0
            parts.append("names the alert's place")
        points = sum([w[name] * value for name, value in f.items()])
        # Comparing the texts is the costly part: skip it when even the most the
        # text and the reporter could add would not reach ``floor``.
        bound = points + self._most_from_text[far_side]
        if reporter_link:
            bound += max(0.0, w["same_reporter"])
        if bound < floor:
            ev.passed = True
            ev.bounded = True
            ev.points = bound
            ev.parts = tuple(parts)
            return ev
        similarity = 0.0
        same_reporter = False
        for m in fitting:
            sim = self.similarity(report.text, m.text)
            if sim > similarity:
                similarity = sim
            if key is not None and m.reporter_key == key and sim >= t.min_reporter_text_similarity:
                same_reporter = True
        ev.similarity = similarity
        if not (same_reporter or same_place):
            if distance is not None and distance > t.reach_km:
                ev.failure = f"the limit is {_number(t.reach_km)} km"
                return ev
            if distance is None and (located or ev.group != "same"):
                ev.failure = (
                    "there are no coordinates to compare and neither reporter, place nor "
                    "armed group is the same"
                )
                return ev
        if (
            distance is not None
            and distance > t.max_km
            and similarity < t.far_text_similarity
            and not same_reporter
        ):
            ev.failure = (
                f"it is {distance:.1f} km away with text similarity {similarity:.2f} "
                f"(beyond {_number(t.max_km)} km it takes {t.far_text_similarity:.2f})"
            )
            return ev
        ev.passed = True
        text = self._text_features(similarity, far_side)
        f.update(text)
        points += sum([w[name] * value for name, value in text.items()])
        if same_reporter:
            f["same_reporter"] = 1.0
            points += w["same_reporter"]
            parts.append("same reporter")
        ev.points = points
        ev.features = f
        ev.parts = tuple(parts)
        return ev

    def _text_features(self, similarity: float, far_side: bool) -> dict[str, float]:
        knee = self.thresholds.min_text_similarity
        text = {
            "text_steep": min(similarity, knee),
            "text_slow": max(0.0, min(similarity, 0.5) - knee),
        }
        if far_side:
            text["text_far"] = similarity
        return text

    def features(self, report: ReportFacts, alert_id: int) -> dict[str, float] | None:
        """The features (see :data:`FEATURES`) of ``report`` against open alert ``alert_id``,
        or None when the alert is not compared at all (out of reach). For fitting
        :data:`WEIGHTS`; features that are 0 are left out."""
        ev = self._evidence(report, alert_id, -math.inf)
        return ev.features if ev.passed else None

    def decide(self, report: ReportFacts) -> Decision:
        """The open alert ``report`` should join (the most evidence), or None for a new alert."""
        best: _Evidence | None = None
        nearest: _Evidence | None = None
        nearest_key = math.inf
        t = self.thresholds
        bringing: list[_Evidence] = []  # alerts with evidence enough to be merged
        for alert_id in self.compared(report):
            floor = t.join_points if best is None else min(best.points, t.merge_points)
            ev = self._evidence(report, alert_id, floor)
            if ev.passed and not ev.bounded and ev.points >= t.join_points:
                if ev.points >= t.merge_points:
                    bringing.append(ev)
                if (
                    best is None
                    or ev.points > best.points
                    or (ev.points == best.points and ev.alert_id < best.alert_id)
                ):
                    best = ev
            elif ev.hours is not None:
                nearness = ev.hours / t.max_hours + (
                    ev.distance_km / t.max_km if ev.distance_km is not None else 1.0
                )
                if nearness < nearest_key or (
                    nearness == nearest_key
                    and nearest is not None
                    and ev.alert_id < nearest.alert_id
                ):
                    nearest_key, nearest = nearness, ev
        if best is not None:
            # Another alert is merged only when it or the best is a fragment.
            small = t.merge_max_reports
            size = self._open
            others = [
                ev
                for ev in bringing
                if ev.alert_id != best.alert_id
                and min(size[ev.alert_id], size[best.alert_id]) <= small
            ]
            reason = self._join_reason(report, best)
            together = sorted({best.alert_id, *(ev.alert_id for ev in others)}, key=self.opened)
            if others:
                fits = [f"A-{ev.alert_id} with evidence {ev.points:.1f}" for ev in others]
                brought = ", ".join(fits[:-1]) + " and " + fits[-1] if len(fits) > 1 else fits[0]
                reason += (
                    f"; also fits {brought} (merges from {_number(t.merge_points)}): "
                    f"merged into A-{together[0]}"
                )
            return Decision(
                alert_id=together[0],
                score=round(self._score(best.points), 3),
                reason=reason,
                distance_km=None if best.distance_km is None else round(best.distance_km, 2),
                hours=None if best.hours is None else round(best.hours, 2),
                text_similarity=None if best.similarity is None else round(best.similarity, 2),
                merges=tuple(together[1:]),
            )
        return self._new_decision(report, nearest)

    def opened(self, alert_id: int) -> tuple[float, int]:
        """When the open alert's first report came (then its id): the older of two alerts
        of one incident is the one kept when they are merged."""
        return (self._opened.get(alert_id, math.inf), alert_id)

    def _score(self, points: float) -> float:
        x = max(-50.0, min(50.0, self.thresholds.join_points - points))
        return 1.0 / (1.0 + math.exp(x))

    def _join_reason(self, report: ReportFacts, ev: _Evidence) -> str:
        member = ev.member
        assert member is not None and ev.hours is not None
        parts: list[str] = []
        if ev.distance_km is not None:
            parts.append(
                f"{ev.distance_km:.1f} km and {_hours_text(ev.hours)} from alert A-{ev.alert_id}"
            )
        else:
            missing = "this report has" if not report.located else "the alert's reports have"
            parts.append(
                f"no coordinates to compare ({missing} none), {_hours_text(ev.hours)} from "
                f"alert A-{ev.alert_id}"
            )
        parts.append(_type_text(report.threat_type, member.threat_type))
        parts.append(f"text similarity {ev.similarity or 0.0:.2f}")
        parts.extend(ev.parts)
        parts.append(
            f"evidence {ev.points:.1f} (joins from {_number(self.thresholds.join_points)})"
        )
        return ", ".join(parts)

    def _new_decision(self, report: ReportFacts, refused: _Evidence | None) -> Decision:
        t = self.thresholds
        if refused is None:
            if report.located:
                reason = (
                    f"new alert: no open alert within {_number(t.reach_km)} km "
                    f"and {_number(t.max_hours)} h"
                )
            else:
                reason = (
                    "new alert: no coordinates, and no open alert from the same reporter, "
                    f"place or armed group within {_number(t.max_hours)} h"
                )
            return Decision(None, 0.0, reason, None, None, None)
        assert refused.hours is not None
        where = (
            f"{refused.distance_km:.1f} km and {_hours_text(refused.hours)} away"
            if refused.distance_km is not None
            else f"{_hours_text(refused.hours)} away"
        )
        if refused.passed:
            against = f" ({', '.join(refused.parts)})" if refused.parts else ""
            most = "at most " if refused.bounded else ""
            why = (
                f"the evidence is {most}{refused.points:.1f}{against}, "
                f"below {_number(t.join_points)}"
            )
        else:
            why = refused.failure
        reason = f"new alert: nearest open alert A-{refused.alert_id} is {where}, but {why}"
        return Decision(
            alert_id=None,
            score=0.0,
            reason=reason,
            distance_km=None if refused.distance_km is None else round(refused.distance_km, 2),
            hours=round(refused.hours, 2),
            text_similarity=None if refused.similarity is None else round(refused.similarity, 2),
        )


def group(
    reports: Iterable[ReportFacts],
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so sharing is safe
    weights: Mapping[str, float] = WEIGHTS,
) -> dict[int, int]:
    """Group reports into alerts: report id -> alert id (the id of the alert's first report).

    Reports are processed in time order (ties by id), each joining the alert
    :meth:`AlertIndex.decide` proposes or starting a new one, so the result
    does not depend on the order of ``reports``. Report ids must be unique.
    ``weights`` are the evidence's (see :data:`WEIGHTS`).
    """
    ordered = sorted(reports, key=lambda r: (r.at, r.id))
    index = AlertIndex(thresholds, weights=weights)
    assigned: dict[int, int] = {}
    for report in ordered:
        if report.id in assigned:
            raise ValueError(f"report id {report.id} appears twice")
        decision = index.decide(report)
        alert_id = report.id if decision.alert_id is None else decision.alert_id
        for other in decision.merges:
            for moved in index.merge(other, alert_id):
                assigned[moved.id] = alert_id
        index.add(alert_id, report)
        assigned[report.id] = alert_id
    return assigned
