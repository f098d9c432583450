"""One incident, one alert: decide which open alert a new report belongs to (no Django import).

A *report* is one account from one source (an SMS, a hotline call); an *alert*
groups the reports of one incident. When an attack happens, several people
report it, some of them twice, from the village itself or from the next one, in
Swahili, French, Lingala or English, with the place name spelled their way. The
duty officer must see **one** alert for it, and must still see **two** alerts
when two villages 6 km apart are attacked the same night, or when the same
village is attacked again two days later.

How a report is compared with an alert
    An alert's *footprint* is the set of its reports. A new report is compared
    with every report of every open alert that could be near it (see "Index"
    below); one pair (new report, member report) *passes* when:

    * the two times are at most ``max_hours`` apart;
    * the two threat types can describe the same incident (:data:`COMPATIBLE`);
    * and, when **both** reports have coordinates, they are at most ``max_km``
      apart (or up to ``far_km`` with a high text similarity, off by default)
      **and** the texts are similar enough: text similarity at least
      ``min_text_similarity``, or at least ``min_reporter_text_similarity``
      when the reporter is the same, or no text condition at all when the two
      are very close (within ``close_km`` and ``close_hours``: reports from
      the same spot in the same couple of hours, of compatible types, are the
      same incident even if one is in French and the other in Lingala);
    * or, when **either** report has no coordinates (the place was not
      recognised), they share the ``place_id`` and the text similarity is at
      least ``min_text_similarity``, or they share the ``reporter_key`` and
      the text similarity is at least ``min_reporter_text_similarity``. A
      report without coordinates never joins an alert on space alone.

    The alert's score is the best score of its passing pairs, and the report
    joins the open alert with the highest score. The same reporter writing
    again within the window with similar text is the strongest signal: it
    weighs as much as being at the same spot (see :func:`_pair_score`).

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
    languages lowers it, which is why very close reports need no text
    condition and why the threshold is low.

Index
    Reports with coordinates are kept in a dictionary of cells keyed by
    (latitude row, longitude column, time bucket): rows are ``max_km`` high
    (``far_km`` when larger), columns at least as wide at every latitude of the row, buckets
    ``max_hours`` long. A decision looks at the 3 rows, the few columns and the
    3 buckets around the report, so it only ever touches the reports of a few
    square kilometres and a day, whatever the size of the index: about
    150 microseconds per decision with a million stored reports. Reports are
    also indexed by (reporter_key, bucket) and (place_id, bucket) for the rules
    that do not need coordinates. Closed alerts are skipped at decision time
    (their reports stay in the cells; :meth:`AlertIndex.close` is O(1)).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

from ulinzi.alerts.taxonomy import THREAT_TYPES
from ulinzi.lib.text import fold

__all__ = [
    "COMPATIBLE",
    "STOPWORDS",
    "THREAT_TYPES",
    "AlertIndex",
    "Decision",
    "ReportFacts",
    "Thresholds",
    "compatible",
    "group",
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
    never the number itself.
    """

    id: int
    lat: float | None
    lon: float | None
    at: float
    threat_type: str
    text: str
    place_id: int | None = None
    reporter_key: str | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.at):
            raise ValueError(f"report {self.id}: time {self.at!r} is not a finite number")

    @property
    def located(self) -> bool:
        lat, lon = self.lat, self.lon
        return (
            lat is not None
            and lon is not None
            and math.isfinite(lat)
            and math.isfinite(lon)
            and -90.0 <= lat <= 90.0
            and -180.0 <= lon <= 180.0
        )


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a report joins an alert. Defaults are for rural eastern DR Congo.

    The defaults were chosen on the tuning seed of ``bench/dedupe.py`` (its
    figures are reported on a held-out seed); see that benchmark for what they
    achieve and miss.

    ``max_km`` (4.0)
        Farthest distance between a new report and the nearest report of the
        alert. People report from their own village or the next one (villages
        there are 2-4 km apart) and the geocoder adds about a kilometre of
        error; two villages attacked the same night are usually farther apart.
        5 km gained little recall on the tuning seed and merged many more
        neighbouring incidents.
    ``max_hours`` (12.0)
        Longest time between the new report and the nearest report of the
        alert in time. Most reports of an attack come within two hours and the
        last ones the next morning; a night attack reported at 22:00 and again
        at 08:00 is one incident, the same village attacked two days later is
        another.
    ``min_text_similarity`` (0.1)
        Smallest text similarity (see :func:`text_similarity`, weighted by
        rarity in the index) for reports from different people. Reports of one
        incident often share little text (different languages, one names the
        neighbouring village), so this only refuses reports that share nothing
        distinctive; 0.2 lost a quarter of the true pairs on the tuning seed.
    ``min_reporter_text_similarity`` (0.0)
        Smallest text similarity when the new report comes from a reporter
        already in the alert. A follow-up ("still there, help us") may share
        no word with the first message, and the same person writing again
        within the window, of a compatible type and (when located) within
        ``max_km``, is the strongest signal there is; raise it to demand text.
    ``close_km`` (1.0) and ``close_hours`` (2.0)
        Reports this close in space and time, of compatible types, join without
        any text condition: they are from the same spot at the same moment,
        and the text can differ entirely (one in Lingala, one in French).
    ``far_km`` (0.0, off) and ``far_text_similarity`` (0.35)
        Optionally, reports between ``max_km`` and ``far_km`` apart join when
        their text similarity reaches ``far_text_similarity`` (a place name
        matched to the wrong village). Off by default: on the tuning seed it
        merged more neighbouring incidents than it recovered.
    """

    max_km: float = 4.0
    max_hours: float = 12.0
    min_text_similarity: float = 0.1
    min_reporter_text_similarity: float = 0.0
    close_km: float = 1.0
    close_hours: float = 2.0
    far_km: float = 0.0
    far_text_similarity: float = 0.35

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
        for name in ("close_km", "close_hours", "far_km"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be zero or more, not {value!r}")


@dataclass(frozen=True, slots=True)
class Decision:
    """Which open alert a report joins (``alert_id``), or None for a new alert.

    ``score`` (0 to 1) ranks the candidate alerts; ``reason`` is the sentence
    shown to the duty officer. ``distance_km``, ``hours`` and
    ``text_similarity`` describe the pair of reports that decided: for a join,
    the new report and the best-matching report of the alert; for a new alert,
    the nearest open alert's report that was considered and refused (None
    when there was none, or when a value could not be measured).
    """

    alert_id: int | None
    score: float
    reason: str
    distance_km: float | None
    hours: float | None
    text_similarity: float | None


def _pair_score(
    distance_km: float | None,
    hours: float,
    similarity: float,
    same_reporter: bool,
    same_place: bool,
    t: Thresholds,
) -> float:
    """Score 0 to 1 of one passing pair: 0.3 space, 0.2 time, 0.3 text, 0.2 same reporter.

    Space is 1 at the same spot and 0 at ``max_km``; without coordinates, the
    same place id counts as half. Time is 1 at the same moment and 0 at
    ``max_hours``.
    """
    if distance_km is not None:
        space = max(0.0, 1.0 - distance_km / t.max_km)
    else:
        space = 0.5 if same_place else 0.0
    time = max(0.0, 1.0 - hours / t.max_hours)
    return 0.3 * space + 0.2 * time + 0.3 * similarity + (0.2 if same_reporter else 0.0)


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


Entry = tuple[int, ReportFacts]  # (alert id, report)


@dataclass(slots=True)
class _Pair:
    """One (new report, member report) comparison."""

    alert_id: int
    member: ReportFacts
    distance_km: float | None
    hours: float
    similarity: float | None
    passed: bool
    score: float
    failure: str  # why it did not pass ("" if it did)


class AlertIndex:
    """The open alerts and their reports, indexed in space and time (see module doc).

    ``len(index)`` is the number of open alerts; :attr:`report_count` the number
    of reports stored (including those of closed alerts, which are skipped).
    """

    def __init__(
        self,
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so sharing is safe
        compatible_types: Mapping[str, frozenset[str]] = COMPATIBLE,
    ) -> None:
        self.thresholds = thresholds
        self.compatible_types = compatible_types
        self._row_deg = thresholds.reach_km / KM_PER_DEGREE
        self._bucket_s = thresholds.max_hours * 3600.0
        self._col_deg: dict[int, float] = {}
        self._cells: dict[tuple[int, int, int], list[Entry]] = {}
        self._by_reporter: dict[tuple[str, int], list[Entry]] = {}
        self._by_place: dict[tuple[int, int], list[Entry]] = {}
        # Reports without coordinates, found by reporter or place for located reports.
        self._unlocated_by_reporter: dict[tuple[str, int], list[Entry]] = {}
        self._unlocated_by_place: dict[tuple[int, int], list[Entry]] = {}
        self._df: dict[str, int] = {}  # trigram -> number of stored reports with it
        self._open: dict[int, int] = {}  # alert id -> number of reports
        self._closed: set[int] = set()
        self.report_count = 0

    # -- geometry ---------------------------------------------------------------

    def _row_min_cos(self, row: int) -> float:
        lo = max(-90.0, row * self._row_deg)
        hi = min(90.0, (row + 1) * self._row_deg)
        # cos is smallest at the end of the row farthest from the equator.
        return max(0.01, math.cos(math.radians(max(abs(lo), abs(hi)))))

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
        df = self._df
        for gram in text_features(report.text):
            df[gram] = df.get(gram, 0) + 1
        self._open[alert_id] = self._open.get(alert_id, 0) + 1
        self.report_count += 1

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
        self._closed.add(alert_id)

    def __len__(self) -> int:
        return len(self._open)

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._open

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

    def _compare(self, report: ReportFacts, alert_id: int, member: ReportFacts) -> _Pair:
        t = self.thresholds
        hours = abs(report.at - member.at) / 3600.0
        same_reporter = (
            report.reporter_key is not None and report.reporter_key == member.reporter_key
        )
        same_place = report.place_id is not None and report.place_id == member.place_id
        distance: float | None = None
        if report.located and member.located:
            assert report.lat is not None and report.lon is not None
            assert member.lat is not None and member.lon is not None
            phi = math.radians((report.lat + member.lat) / 2.0)
            dx = (report.lon - member.lon) * math.cos(phi)
            dy = report.lat - member.lat
            distance = KM_PER_DEGREE * math.sqrt(dx * dx + dy * dy)

        def refused(why: str, similarity: float | None = None) -> _Pair:
            return _Pair(alert_id, member, distance, hours, similarity, False, 0.0, why)

        if hours > t.max_hours:
            return refused(f"the limit is {_number(t.max_hours)} h")
        if not compatible(report.threat_type, member.threat_type, self.compatible_types):
            return refused(
                f"{member.threat_type} cannot be the same incident as {report.threat_type}"
            )
        if distance is not None and distance > t.reach_km:
            return refused(f"the limit is {_number(t.max_km)} km")
        if distance is None and not (same_reporter or same_place):
            return refused(
                "there are no coordinates to compare and neither reporter nor place is the same"
            )
        similarity = self.similarity(report.text, member.text)
        if distance is not None and distance > t.max_km:
            if distance <= t.far_km and similarity >= t.far_text_similarity:
                score = _pair_score(distance, hours, similarity, same_reporter, same_place, t)
                return _Pair(alert_id, member, distance, hours, similarity, True, score, "")
            return refused(
                f"the limit is {_number(t.max_km)} km (or {_number(t.far_km)} km with text "
                f"similarity {t.far_text_similarity:.2f}; here {similarity:.2f})",
                similarity,
            )
        needed = t.min_reporter_text_similarity if same_reporter else t.min_text_similarity
        close = distance is not None and distance <= t.close_km and hours <= t.close_hours
        if distance is None and same_place and not same_reporter:
            needed = t.min_text_similarity
        if similarity < needed and not close:
            return refused(f"text similarity {similarity:.2f} is below {needed:.2f}", similarity)
        score = _pair_score(distance, hours, similarity, same_reporter, same_place, t)
        return _Pair(alert_id, member, distance, hours, similarity, True, score, "")

    def decide(self, report: ReportFacts) -> Decision:
        """The open alert ``report`` should join (the best score), or None for a new alert."""
        best: _Pair | None = None
        nearest_refused: _Pair | None = None
        nearest_key = math.inf
        t = self.thresholds
        open_alerts = self._open
        seen: set[int] = set()
        for alert_id, member in self._candidates(report):
            if alert_id not in open_alerts or member.id == report.id:
                continue
            key = id(member)
            if key in seen:  # found through two indexes
                continue
            seen.add(key)
            pair = self._compare(report, alert_id, member)
            if pair.passed:
                if (
                    best is None
                    or pair.score > best.score
                    or (pair.score == best.score and pair.alert_id < best.alert_id)
                ):
                    best = pair
            else:
                nearness = pair.hours / t.max_hours + (
                    pair.distance_km / t.max_km if pair.distance_km is not None else 1.0
                )
                if nearness < nearest_key:
                    nearest_key, nearest_refused = nearness, pair
        if best is not None:
            return Decision(
                alert_id=best.alert_id,
                score=round(best.score, 3),
                reason=self._join_reason(report, best),
                distance_km=None if best.distance_km is None else round(best.distance_km, 2),
                hours=round(best.hours, 2),
                text_similarity=None if best.similarity is None else round(best.similarity, 2),
            )
        return self._new_decision(report, nearest_refused)

    def _join_reason(self, report: ReportFacts, pair: _Pair) -> str:
        member = pair.member
        parts: list[str] = []
        same_reporter = (
            report.reporter_key is not None and report.reporter_key == member.reporter_key
        )
        if same_reporter and pair.distance_km is not None:
            parts.append("same reporter again")
        if pair.distance_km is not None:
            parts.append(
                f"{pair.distance_km:.1f} km and {_hours_text(pair.hours)} from alert A-{pair.alert_id}"
            )
        else:
            missing = "this report has" if not report.located else "the alert's report has"
            how = (
                f"same place #{report.place_id}"
                if report.place_id is not None and report.place_id == member.place_id
                else "same reporter"
            )
            parts.append(
                f"no coordinates to compare ({missing} none), {how} as alert "
                f"A-{pair.alert_id}, {_hours_text(pair.hours)} apart"
            )
        parts.append(_type_text(report.threat_type, member.threat_type))
        similarity = pair.similarity if pair.similarity is not None else 0.0
        text = f"text similarity {similarity:.2f}"
        t = self.thresholds
        if (
            pair.distance_km is not None
            and pair.distance_km <= t.close_km
            and pair.hours <= t.close_hours
            and similarity < t.min_text_similarity
        ):
            text += f" (not needed within {_number(t.close_km)} km and {_number(t.close_hours)} h)"
        parts.append(text)
        return ", ".join(parts)

    def _new_decision(self, report: ReportFacts, refused: _Pair | None) -> Decision:
        t = self.thresholds
        if refused is None:
            if report.located:
                reason = (
                    f"new alert: no open alert within {_number(t.max_km)} km "
                    f"and {_number(t.max_hours)} h"
                )
            else:
                reason = (
                    "new alert: no coordinates, and no open alert from the same reporter "
                    f"or place within {_number(t.max_hours)} h"
                )
            return Decision(None, 0.0, reason, None, None, None)
        where = (
            f"{refused.distance_km:.1f} km and {_hours_text(refused.hours)} away"
            if refused.distance_km is not None
            else f"{_hours_text(refused.hours)} away"
        )
        reason = (
            f"new alert: nearest open alert A-{refused.alert_id} is {where}, but {refused.failure}"
        )
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
) -> dict[int, int]:
    """Group reports into alerts: report id -> alert id (the id of the alert's first report).

    Reports are processed in time order (ties by id), each joining the alert
    :meth:`AlertIndex.decide` proposes or starting a new one, so the result
    does not depend on the order of ``reports``. Report ids must be unique.
    """
    ordered = sorted(reports, key=lambda r: (r.at, r.id))
    index = AlertIndex(thresholds)
    assigned: dict[int, int] = {}
    for report in ordered:
        if report.id in assigned:
            raise ValueError(f"report id {report.id} appears twice")
        decision = index.decide(report)
        alert_id = report.id if decision.alert_id is None else decision.alert_id
        index.add(alert_id, report)
        assigned[report.id] = alert_id
    return assigned
