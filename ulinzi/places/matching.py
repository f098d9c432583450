"""Match the place names people write against the gazetteer, and say how sure we are.

Why this is more than a fuzzy string search:

* **Names repeat.** "Majengo" is 35 villages in Nord-Kivu alone, and there are
  villages called "Goma" (Ituri), "Beni", "Bukavu" and "Uvira" far from the
  towns. A string score cannot choose between them; the admin hint ("Beni
  territory"), the other names in the description ("Mbau (Beni)") and what
  kind of place it is (a town before a hamlet) can. The confidence says how
  much choice was left, so a low score can prompt a clarifying question.
* **Spellings vary.** Accents, case, French or English/Swahili spelling
  (Kiwandja/Kiwanja, Ouvira/Uvira), doubled letters and generic words
  ("Mambasa-Centre", "Camp Plato") are folded away by
  :func:`ulinzi.lib.text.spelling_key` before any comparison.
* **Descriptions are compound.** "road Goma-Sake", "35 km west of Mangina" or
  "Kasaka in Beni territory." are cut into names and hints by
  :mod:`ulinzi.places.describe`, and the result says how it was read.

How a query runs (about a few hundred microseconds):

1. Parse the description; fold and key the main name.
2. Blocking: an inverted index from character trigrams of the spelling keys
   to name entries gives the ~100 entries sharing the most trigrams, plus the
   exact key matches. Only those are scored, with rapidfuzz ``cdist`` on
   pre-folded strings (``processor=None``), so the cost does not grow with a
   full scan of the gazetteer.
3. Rank = string similarity + hint bonus + small prior by kind/population.
4. Confidence = similarity³ × (0.3 + 0.7 × share), where *share* is the part
   of the ranking weight (a softmax over all scored candidates) that lies
   within 10 km of the candidate. Same-name places far apart split the share;
   a town, its territory and its health zone at the same spot do not.

Pure module: no Django import, so tests and the benchmark need no database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from ulinzi.lib.text import fold, spelling_key, spelling_key_token
from ulinzi.places.describe import Description, describe
from ulinzi.places.records import PlaceRecord

__all__ = ["Candidate", "Interpretation", "MatchResult", "Matcher", "candidate_json", "result_json"]

EARTH_RADIUS_KM = 6371.0088

# Small ranking priors: at equal spelling, a town before an admin area of the
# same name, an admin area before a village, a village (a precise point)
# before a health area (a centroid) or an avenue in a town.
_KIND_PRIOR: dict[str, float] = {
    "country": 0.05,
    "province": 0.05,
    "territory": 0.05,
    "health_zone": 0.04,
    "health_area": -0.005,
    "town": 0.06,
    "village": 0.0,
    "camp": -0.005,
    "quarter": -0.01,
    "other": -0.01,
}
# A hint that names the candidate's territory, health zone or health area (or
# the candidate itself) outweighs any spelling difference short of a different
# name; a province alone narrows much less.
_HINT_STRONG = 0.25
_HINT_WEAK = 0.08
# Multiplied into the confidence when the hint named areas and the candidate
# lies in none of them.
_HINT_CONFLICT = 0.8
_HINT_PROVINCE_CONFLICT = 0.7
# Softmax temperature of the ranking scores, for the share in the confidence.
_TEMPERATURE = 0.05
# Candidates within this distance count as the same place for the share.
_SAME_PLACE_KM = 10.0
# Blocking: how many entries sharing the most trigrams are scored.
_BLOCK = 64
# Below this similarity a name is not a candidate at all.
_MIN_SIMILARITY = 0.55
# At most this many of the best-scoring names go on to ranking.
_KEEP = 40
# The confidence is worked out for at least this many of the best-ranked, so that the
# first candidate is the same however many are asked for.
_POOL = 10
# A main name scoring below this makes the matcher try the other names of the
# description ("Mayisafi, near Eringeti": Eringeti).
_FALLBACK_BELOW = 0.35
_FALLBACK_DISCOUNT = 0.6

# Words in a hint that say what kind of area it is, not which one.
_ADMIN_WORDS = frozenset(
    {
        "territory",
        "territoire",
        "territories",
        "province",
        "provinces",
        "chiefdom",
        "chefferie",
        "sector",
        "secteur",
        "groupement",
        "group",
        "grouping",
        "health",
        "zone",
        "zones",
        "sante",
        "area",
        "areas",
        "aire",
        "city",
        "ville",
        "town",
        "region",
        "district",
        "commune",
        "of",
        "the",
        "in",
        "on",
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "d",
        "l",
        "and",
        "et",
        "village",
        "locality",
        "localite",
        "rural",
        "urban",
        "hz",
        "zs",
        "as",
    }
)
# English hint words for the French names of the gazetteer.
_HINT_TRANSLATIONS = {"north": "nord", "south": "sud", "northern": "nord", "southern": "sud"}
# Admin names that changed: UCDP and older sources say "Beni territory" for what
# COD-AB now calls Oïcha (the Beni ville is a separate ADM2; see the shared data
# README). A hint naming Beni also matches Oïcha.
_ADMIN_ALIASES: dict[str, tuple[str, ...]] = {"beni": ("oicha",)}

_BEARING_NAMES = {
    0.0: "north",
    45.0: "north-east",
    90.0: "east",
    135.0: "south-east",
    180.0: "south",
    225.0: "south-west",
    270.0: "west",
    315.0: "north-west",
}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Candidate:
    """One gazetteer place that may be the one meant, with a calibrated confidence."""

    record: PlaceRecord
    score: float
    matched_name: str


@dataclass(frozen=True)
class Interpretation:
    """How the query was read, for display and for a clarifying question.

    ``lat``/``lon`` are set for compound descriptions ("between", "offset")
    whose point is computed from one or two places rather than taken from the
    top candidate.
    """

    kind: str
    note: str
    lat: float | None
    lon: float | None
    parts: tuple[str, ...]
    distance_km: float | None = None
    bearing_deg: float | None = None


@dataclass(frozen=True)
class MatchResult:
    """The candidates for the main name and how the query was interpreted."""

    query: str
    hint: str | None
    candidates: list[Candidate]
    interpretation: Interpretation

    def point(self) -> tuple[float, float] | None:
        """The point the query designates: computed if compound, else the top candidate's."""
        i = self.interpretation
        if i.kind in ("between", "offset") and i.lat is not None and i.lon is not None:
            return (i.lat, i.lon)
        if self.candidates:
            record = self.candidates[0].record
            if record.lat is not None and record.lon is not None:
                return (record.lat, record.lon)
        return None


@dataclass(frozen=True)
class _Scored:
    """Candidates of one name lookup, best first, with their ranking weights."""

    candidates: list[Candidate]
    name: str


def _trigrams(key: str) -> set[str]:
    padded = f" {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _hint_words(text: str) -> list[str]:
    """Folded words of a hint without the admin-kind words, English compass words translated."""
    return [_HINT_TRANSLATIONS.get(w, w) for w in fold(text).split() if w not in _ADMIN_WORDS]


def _admin_key(name: str) -> str:
    return " ".join(spelling_key_token(w) for w in _hint_words(name))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def destination(
    lat: float, lon: float, distance_km: float, bearing_deg: float
) -> tuple[float, float]:
    """The point ``distance_km`` from (lat, lon) along the initial bearing (spherical Earth)."""
    d = distance_km / EARTH_RADIUS_KM
    b = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return (math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0)


def midpoint(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """The great-circle midpoint of two points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    l1, dl = math.radians(lon1), math.radians(lon2 - lon1)
    bx, by = math.cos(p2) * math.cos(dl), math.cos(p2) * math.sin(dl)
    p3 = math.atan2(math.sin(p1) + math.sin(p2), math.sqrt((math.cos(p1) + bx) ** 2 + by**2))
    l3 = l1 + math.atan2(by, math.cos(p1) + bx)
    return (math.degrees(p3), (math.degrees(l3) + 540.0) % 360.0 - 180.0)


class Matcher:
    """An in-memory index of place names, built once and queried many times.

    Build it from any iterable of :class:`PlaceRecord` (the database or
    ``bundled_records()``); it keeps its own arrays, so it is safe to share
    between threads for reading.
    """

    def __init__(self, records: Iterable[PlaceRecord]) -> None:
        self._records: list[PlaceRecord] = list(records)
        n = len(self._records)
        entry_rec: list[int] = []
        self._entry_name: list[str] = []
        self._entry_fold: list[str] = []
        self._entry_key: list[str] = []
        self._entry_sorted: list[str] = []
        self._exact: dict[str, list[int]] = {}
        postings: dict[str, list[int]] = {}
        key_cache: dict[str, str] = {}
        for r, record in enumerate(self._records):
            for name in dict.fromkeys((record.name, *record.alt_names)):
                folded = fold(name)
                if not folded:
                    continue
                key = key_cache.get(folded)
                if key is None:
                    key = spelling_key(folded)
                    key_cache[folded] = key
                e = len(entry_rec)
                entry_rec.append(r)
                self._entry_name.append(name)
                self._entry_fold.append(folded)
                self._entry_key.append(key)
                sorted_key = " ".join(sorted(key.split()))
                self._entry_sorted.append(sorted_key)
                self._exact.setdefault(sorted_key, []).append(e)
                for tri in _trigrams(key):
                    postings.setdefault(tri, []).append(e)
        self._entry_rec: IntArray = np.asarray(entry_rec, dtype=np.int64)
        # Object arrays so that a block of entries is picked with one fancy index.
        self._key_arr: npt.NDArray[np.object_] = np.array(self._entry_key + [""], dtype=object)[:-1]
        self._sorted_arr: npt.NDArray[np.object_] = np.array(
            self._entry_sorted + [""], dtype=object
        )[:-1]
        self._fold_arr: npt.NDArray[np.object_] = np.array(self._entry_fold + [""], dtype=object)[
            :-1
        ]
        self._multi: npt.NDArray[np.bool_] = np.array(
            [" " in k for k in self._entry_key], dtype=bool
        )
        self._n_entries = len(entry_rec)
        self._postings: dict[str, IntArray] = {
            t: np.asarray(v, dtype=np.int64) for t, v in postings.items()
        }
        # Trigrams found in more than this many names carry little information
        # and cost the most to count: they are used only if nothing rarer is.
        self._common_posting = max(200, self._n_entries // 20)

        self._lat: FloatArray = np.array(
            [r.lat if r.lat is not None else np.nan for r in self._records], dtype=np.float64
        )
        self._lon: FloatArray = np.array(
            [r.lon if r.lon is not None else np.nan for r in self._records], dtype=np.float64
        )
        self._prior: FloatArray = np.array(
            [
                _KIND_PRIOR.get(r.kind, 0.0)
                + 0.04 * min(1.0, math.log10(1 + (r.population or 0)) / 6.0)
                for r in self._records
            ],
            dtype=np.float64,
        )
        self._country: npt.NDArray[np.str_] = np.array([r.country for r in self._records])

        # Admin names, as ids into a small vocabulary of admin keys, by level
        # (0 province, 1 territory, 2 health zone, 3 health area) and, in
        # column 4, the record's own name if it is an area or a town, so that
        # "Beni territory" also supports the town of Beni.
        self._admin_vocab: dict[str, int] = {}
        admin = np.full((max(n, 1), 5), -1, dtype=np.int64)
        for r, record in enumerate(self._records):
            for level, name in enumerate(record.admin_names[:4]):
                admin[r, level] = self._vocab_id(name)
            if record.kind != "village" and record.kind not in ("camp", "quarter", "other"):
                admin[r, 4] = self._vocab_id(record.name)
        self._admin: IntArray = admin[:n]
        self._vocab_list: list[str] = list(self._admin_vocab)
        self._hint_cache: dict[str, tuple[frozenset[int], frozenset[int]]] = {}

    def __len__(self) -> int:
        return len(self._records)

    def _vocab_id(self, name: str) -> int:
        key = _admin_key(name)
        if not key:
            return -1
        return self._admin_vocab.setdefault(key, len(self._admin_vocab))

    # -- hints ---------------------------------------------------------------

    def _resolve_hint(self, hint: str) -> tuple[frozenset[int], frozenset[int]]:
        """Admin vocabulary ids a hint names: (strong ids, province-level ids).

        Every run of one to three words is looked up exactly; single words of
        five letters or more that are not found are looked up fuzzily (typos
        in "Mampasa territory"). Cached: hints repeat (a handful of
        territories), unlike names.
        """
        cached = self._hint_cache.get(hint)
        if cached is not None:
            return cached
        words = [spelling_key_token(w) for w in _hint_words(hint)]
        for word in list(words):
            for alias in _ADMIN_ALIASES.get(word, ()):
                words.append(spelling_key_token(alias))
        found: set[int] = set()
        for size in (3, 2, 1):
            for i in range(len(words) - size + 1):
                vid = self._admin_vocab.get(" ".join(words[i : i + size]))
                if vid is not None:
                    found.add(vid)
        if self._vocab_list:
            for word in words:
                if len(word) >= 5 and word not in self._admin_vocab:
                    best = process.extractOne(
                        word, self._vocab_list, scorer=fuzz.ratio, processor=None, score_cutoff=85
                    )
                    if best is not None:
                        found.add(self._admin_vocab[best[0]])
        provinces = {int(v) for v in np.unique(self._admin[:, 0]) if v >= 0 and int(v) in found}
        result = (frozenset(found - provinces), frozenset(provinces))
        if len(self._hint_cache) < 4096:
            self._hint_cache[hint] = result
        return result

    def _id_mask(self, ids: frozenset[int]) -> npt.NDArray[np.bool_]:
        """Boolean table over vocabulary ids (index -1, "no name", stays False)."""
        mask = np.zeros(len(self._admin_vocab) + 1, dtype=bool)
        mask[list(ids)] = True
        return mask

    # -- name lookup ---------------------------------------------------------

    def _block(self, key: str) -> IntArray:
        """Entries worth scoring for ``key``: most shared trigrams, plus exact keys."""
        grams = [self._postings[t] for t in _trigrams(key) if t in self._postings]
        rare = [g for g in grams if len(g) <= self._common_posting]
        use = rare or grams
        sorted_key = " ".join(sorted(key.split()))
        exact = self._exact.get(sorted_key, [])
        if not use:
            return np.asarray(exact, dtype=np.int64)
        counts = np.bincount(np.concatenate(use), minlength=self._n_entries)
        threshold = max(1, int(len(use) * 0.3))
        hits = np.flatnonzero(counts >= threshold)
        if len(hits) > _BLOCK:
            top = np.argpartition(-counts[hits], _BLOCK)[:_BLOCK]
            hits = hits[top]
        if exact:
            # Duplicates are harmless (the best entry per record is kept) and
            # cheaper than a sorted union.
            hits = np.concatenate((hits, np.asarray(exact, dtype=np.int64)))
        return hits

    def _lookup(
        self,
        name: str,
        strong: frozenset[int],
        provinces: frozenset[int],
        mask_country: str | None,
        limit: int,
        context: Sequence[tuple[float, float]] = (),
        place_type: str | None = None,
    ) -> _Scored:
        folded = " ".join(_HINT_TRANSLATIONS.get(w, w) for w in fold(name).split())
        key = spelling_key(folded)
        if not key:
            return _Scored([], name)
        entries = self._block(key)
        if len(entries) == 0:
            return _Scored([], name)
        multi = " " in key
        keys = (self._sorted_arr if multi else self._key_arr)[entries].tolist()
        query_key = " ".join(sorted(key.split())) if multi else key
        sim = process.cdist([query_key], keys, scorer=fuzz.ratio, processor=None, dtype=np.float64)[
            0
        ] * (0.97 / 100.0)
        # "Kasindi Lubiriha" for "Kasindi", "Majengo 2" for "Majengo": a name
        # contained in the other is worth less than the same name.
        several = np.arange(len(entries)) if multi else np.flatnonzero(self._multi[entries])
        if len(several):
            token_set = process.cdist(
                [query_key],
                [keys[i] for i in several],
                scorer=fuzz.token_set_ratio,
                processor=None,
                dtype=np.float64,
            )[0]
            sim[several] = np.maximum(sim[several], token_set * (0.88 / 100.0))
        sim[self._fold_arr[entries] == folded] = 1.0
        # Short names are similar to many others by chance ("qwxv" and "Kou"),
        # so they need a closer match to count at all.
        keep = np.flatnonzero(sim >= (_MIN_SIMILARITY if len(key) > 5 else 0.7))
        if len(keep) > _KEEP:
            keep = keep[np.argpartition(-sim[keep], _KEEP)[:_KEEP]]
        if len(keep) == 0:
            return _Scored([], name)
        # Best entry per record, in plain Python: only a few dozen remain.
        best: dict[int, tuple[float, int]] = {}
        entry_rec = self._entry_rec
        for i in keep.tolist():
            e = int(entries[i])
            r = int(entry_rec[e])
            v = float(sim[i])
            if r not in best or v > best[r][0]:
                best[r] = (v, e)
        if mask_country is not None:
            best = {r: v for r, v in best.items() if self._records[r].country == mask_country}
            if not best:
                return _Scored([], name)
        rec_idx = np.fromiter(best, dtype=np.int64, count=len(best))
        s = np.fromiter((v for v, _ in best.values()), dtype=np.float64, count=len(best))
        best_entry = [e for _, e in best.values()]
        rank = s + self._prior[rec_idx]
        if place_type is not None:
            # "Irumu territory": the territory before the villages called Irumu.
            kinds = [self._records[r].kind for r in best]
            rank = rank + 0.15 * np.fromiter(
                (k == place_type for k in kinds), dtype=bool, count=len(kinds)
            )
        factor = np.ones(len(rec_idx), dtype=np.float64)
        if strong or provinces:
            adm = self._admin[rec_idx]
            if strong:
                hit = self._id_mask(strong)[adm[:, 1:]].any(axis=1)
                rank = rank + _HINT_STRONG * hit
                factor = np.where(hit, factor, _HINT_CONFLICT)
            if provinces:
                in_prov = self._id_mask(provinces)[adm[:, 0]]
                rank = rank + _HINT_WEAK * in_prov
                factor = np.where(in_prov, factor, factor * _HINT_PROVINCE_CONFLICT)
        lat, lon = self._lat[rec_idx], self._lon[rec_idx]
        if context:
            # Places named alongside ("Bikere, near Mayangose") favour nearby candidates.
            near = np.zeros(len(rec_idx), dtype=bool)
            for clat, clon in context:
                near |= _approx_km(lat, lon, clat, clon) <= 30.0
            rank = rank + 0.1 * near
        weights = np.exp((rank - rank.max()) / _TEMPERATURE)
        # Confidence is worked out for a pool larger than asked for, then the best
        # ``limit`` kept: the first candidate does not depend on how many are wanted.
        top = np.argsort(-rank, kind="stable")[: max(limit, _POOL)]
        total = weights.sum()
        tlat, tlon = lat[top], lon[top]
        # Distances from each returned candidate (rows) to every scored one (columns).
        x = np.radians(lon[None, :] - tlon[:, None]) * np.cos(np.radians(tlat))[:, None]
        y = np.radians(lat[None, :] - tlat[:, None])
        close = EARTH_RADIUS_KM * np.sqrt(x * x + y * y) <= _SAME_PLACE_KM
        close[np.arange(len(top)), top] = True  # a place without a point is its own group
        share = (close * weights[None, :]).sum(axis=1) / total
        conf = np.clip(s[top] ** 3 * (0.3 + 0.7 * share) * factor[top], 0.0, 1.0)
        candidates = [
            Candidate(
                self._records[int(rec_idx[t])],
                float(c),
                self._entry_name[best_entry[t]],
            )
            for t, c in zip(top, conf, strict=True)
        ]
        candidates.sort(key=lambda c: -c.score)
        return _Scored(candidates[: max(limit, 1)], name)

    # -- public --------------------------------------------------------------

    def match(
        self, query: str, hint: str | None = None, limit: int = 5, country: str | None = None
    ) -> MatchResult:
        """Find the places ``query`` may name; ``hint`` is an admin area given with it.

        Never raises on odd input: an empty or meaningless query gives no
        candidates and an interpretation that says so.
        """
        limit = max(1, int(limit))
        desc = describe(query or "")
        hints = ([hint] if hint and hint.strip() else []) + list(desc.hints)
        strong: set[int] = set()
        provinces: set[int] = set()
        for h in hints:
            s, p = self._resolve_hint(h)
            strong |= s
            provinces |= p
        fs, fp = frozenset(strong), frozenset(provinces)
        if not desc.parts or not self._records:
            return MatchResult(
                query, hint, [], Interpretation("place", "no place name found", None, None, ())
            )

        if desc.kind == "between" and len(desc.parts) >= 2:
            return self._between(query, hint, desc, fs, fp, limit, country)

        main = self._lookup(desc.main, fs, fp, country, limit, place_type=desc.place_type)
        context_used = ""
        if desc.others and _ambiguous(main):
            context = self._context_points(desc.others, fs, fp, country)
            if context:
                main = self._lookup(desc.main, fs, fp, country, limit, context, desc.place_type)
                context_used = f"; places near {', '.join(desc.others)} preferred"
        hint_note = f"; hints: {', '.join(hints)}" if hints else ""
        top_score = main.candidates[0].score if main.candidates else 0.0
        if top_score < _FALLBACK_BELOW:
            fallback = self._fallback(desc, fs, fp, country, limit)
            if fallback is not None and (
                not main.candidates or fallback.candidates[0].score > top_score
            ):
                note = (
                    f"'{desc.main}' not found; read as near '{fallback.name}', "
                    f"also named in the description{hint_note}"
                )
                return MatchResult(
                    query,
                    hint,
                    fallback.candidates,
                    Interpretation("near", note, None, None, (fallback.name,)),
                )

        if desc.kind == "offset" and desc.distance_km is not None and desc.bearing_deg is not None:
            compass = _BEARING_NAMES.get(desc.bearing_deg, f"{desc.bearing_deg:g}°")
            base = _point(main.candidates[0].record) if main.candidates else None
            if base is None:
                interp = Interpretation(
                    "offset",
                    f"{desc.distance_km:g} km {compass} of '{desc.main}', which was not found",
                    None,
                    None,
                    desc.parts,
                    desc.distance_km,
                    desc.bearing_deg,
                )
            else:
                lat, lon = destination(base[0], base[1], desc.distance_km, desc.bearing_deg)
                interp = Interpretation(
                    "offset",
                    f"{desc.distance_km:g} km {compass} of {main.candidates[0].record.name}{hint_note}",
                    lat,
                    lon,
                    desc.parts,
                    desc.distance_km,
                    desc.bearing_deg,
                )
            return MatchResult(query, hint, main.candidates, interp)

        if desc.kind == "near":
            extra = f", {desc.distance_km:g} km away" if desc.distance_km else ""
            if desc.bearing_deg is not None:
                extra += f" to the {_BEARING_NAMES.get(desc.bearing_deg, '')}"
            note = f"near '{desc.main}'{extra}: the place itself{hint_note}{context_used}"
            return MatchResult(
                query,
                hint,
                main.candidates,
                Interpretation(
                    "near", note, None, None, desc.parts, desc.distance_km, desc.bearing_deg
                ),
            )
        note = f"place '{desc.main}'{hint_note}{context_used}"
        return MatchResult(
            query, hint, main.candidates, Interpretation("place", note, None, None, desc.parts)
        )

    # -- helpers of match ----------------------------------------------------

    def _context_points(
        self,
        names: Sequence[str],
        strong: frozenset[int],
        provinces: frozenset[int],
        country: str | None,
    ) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for name in names[:3]:
            found = self._lookup(name, strong, provinces, country, 1)
            if found.candidates and found.candidates[0].score >= 0.5:
                point = _point(found.candidates[0].record)
                if point is not None:
                    points.append(point)
        return points

    def _fallback(
        self,
        desc: Description,
        strong: frozenset[int],
        provinces: frozenset[int],
        country: str | None,
        limit: int,
    ) -> _Scored | None:
        """The best of the other names in the description, with a discounted score."""
        best: _Scored | None = None
        for name in [*desc.others[:3], *desc.parts[1:2]]:
            found = self._lookup(name, strong, provinces, country, limit)
            if found.candidates and (
                best is None or found.candidates[0].score > best.candidates[0].score
            ):
                best = found
        if best is None:
            return None
        return _Scored(
            [
                Candidate(c.record, round(c.score * _FALLBACK_DISCOUNT, 6), c.matched_name)
                for c in best.candidates
            ],
            best.name,
        )

    def _between(
        self,
        query: str,
        hint: str | None,
        desc: Description,
        strong: frozenset[int],
        provinces: frozenset[int],
        limit: int,
        country: str | None,
    ) -> MatchResult:
        """Midpoint of the two places; the pair chosen is the most likely and closest one.

        Roads and "between X and Y" join places a few tens of kilometres
        apart, so among the top candidates of each name the pair maximising
        score_a × score_b × exp(-distance / 100 km) is taken.
        """
        a_name, b_name = desc.parts[0], desc.parts[1]
        # Common names ("Baraka") have dozens of namesakes: look well beyond the
        # first few, the other place decides which one is meant.
        a = self._lookup(a_name, strong, provinces, country, max(limit, PAIR_POOL))
        b = self._lookup(b_name, strong, provinces, country, PAIR_POOL)
        hint_note = f"; hints: {', '.join([hint] if hint else [] + list(desc.hints))}"
        hint_note = hint_note if (hint or desc.hints) else ""
        best: tuple[float, int, int] | None = None
        # Each candidate of the first place is worth its best pairing with the second.
        pair_score: dict[int, float] = {}
        for i, ca in enumerate(a.candidates[:PAIR_POOL]):
            pa = _point(ca.record)
            if pa is None:
                continue
            for j, cb in enumerate(b.candidates[:PAIR_POOL]):
                pb = _point(cb.record)
                if pb is None:
                    continue
                d = haversine_km(pa[0], pa[1], pb[0], pb[1])
                value = ca.score * cb.score * math.exp(-d / 100.0)
                pair_score[i] = max(pair_score.get(i, 0.0), value)
                if best is None or value > best[0]:
                    best = (value, i, j)
        if best is None:
            found = a.candidates or b.candidates
            missing = b_name if a.candidates else a_name
            note = f"between '{a_name}' and '{b_name}': '{missing}' not found"
            only = _point(found[0].record) if found else None
            return MatchResult(
                query,
                hint,
                a.candidates[:limit] or b.candidates[:limit],
                Interpretation(
                    "between",
                    note + ("; using the other place alone" if only else ""),
                    only[0] if only else None,
                    only[1] if only else None,
                    desc.parts,
                ),
            )
        _, i, j = best
        ca, cb = a.candidates[i], b.candidates[j]
        pa, pb = _point(ca.record), _point(cb.record)
        assert pa is not None and pb is not None
        lat, lon = midpoint(pa[0], pa[1], pb[0], pb[1])
        d = haversine_km(pa[0], pa[1], pb[0], pb[1])
        # Rank by pairing and report the pair's confidence (the geometric mean of the
        # two scores, discounted by distance), so the list reads in the order it was chosen.
        ranked = sorted(pair_score, key=lambda k: -pair_score[k])[:limit]
        candidates = [
            replace(a.candidates[k], score=round(min(1.0, math.sqrt(pair_score[k])), 3))
            for k in ranked
        ]
        note = (
            f"between {ca.record.name} and {cb.record.name} ({d:.1f} km apart): midpoint{hint_note}"
        )
        return MatchResult(
            query,
            hint,
            candidates,
            Interpretation("between", note, lat, lon, (ca.record.name, cb.record.name)),
        )


PAIR_POOL = 20


def _ambiguous(scored: _Scored) -> bool:
    """More than one plausible candidate, far enough apart to matter."""
    c = scored.candidates
    return len(c) >= 2 and c[0].score < 0.75


def _point(record: PlaceRecord) -> tuple[float, float] | None:
    if record.lat is None or record.lon is None:
        return None
    return (record.lat, record.lon)


def _approx_km(lat: FloatArray, lon: FloatArray, lat0: float, lon0: float) -> FloatArray:
    """Equirectangular distance: exact enough below a few hundred kilometres, and vectorised."""
    x = np.radians(lon - lon0) * math.cos(math.radians(lat0))
    y = np.radians(lat - lat0)
    result: FloatArray = EARTH_RADIUS_KM * np.sqrt(x * x + y * y)
    return result


def candidate_json(c: Candidate) -> dict[str, Any]:
    """A candidate as plain JSON types, for the API and the benchmark output."""
    r = c.record
    return {
        "place_id": r.id,
        "name": r.name,
        "kind": r.kind,
        "admin_path": r.admin_path,
        "pcode": r.pcode,
        "lat": r.lat,
        "lon": r.lon,
        "score": round(c.score, 3),
    }


def result_json(r: MatchResult) -> dict[str, Any]:
    """A match result as plain JSON types."""
    i = r.interpretation
    return {
        "query": r.query,
        "hint": r.hint,
        "interpretation": {
            "kind": i.kind,
            "note": i.note,
            "lat": i.lat,
            "lon": i.lon,
            "parts": list(i.parts),
            "distance_km": i.distance_km,
            "bearing_deg": i.bearing_deg,
        },
        "candidates": [candidate_json(c) for c in r.candidates],
    }
