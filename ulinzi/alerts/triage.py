"""Triage of report texts: threat type, severity and language, always with the words that decided.

Reports arrive as short SMS from basic phones, in French, Swahili, Lingala,
Arabic or English, often misspelled and mixed. A duty officer must see at once
what the text says happened, how urgent it is, in which language to call back,
and *why* the machine thinks so. This module is pure (no Django), so that the
SMS intake, the ``ulinzi triage`` command, tests and benchmarks share it.

Two layers
==========

1. **The lexicon** (:mod:`ulinzi.alerts.triage_lexicon`) is always used. It is
   a hand-written list of words, verb forms and short phrases per threat type
   and language, plus cue words. It decides ``threat_type``, ``severity`` and
   the ``because`` words, so the answer never depends on a model being
   present, and every decision can be traced to words of the message.
2. **A trained model** (:class:`Model`), when given, adds ``labels`` (a score
   in [0, 1] per label it was trained on), ``predicted`` (the labels over their
   thresholds) and its own ``because`` words (the words and word pairs that
   pushed the predicted labels up the most). Its labels are whatever it was
   trained on (e.g. the categories of a public disaster-message dataset); when
   they include threat types and the lexicon found nothing, the model's best
   predicted threat type is used. Without a model, ``labels`` holds the
   threat types the lexicon found, each with 1.0.

Matching (lexicon)
==================

Text and lexicon entries are cut into words and folded the same way
(:func:`ulinzi.lib.text.fold`: no case, accents or punctuation; French
elisions "l'", "d'", "qu'" ... are split off, so "l'attaque" is "attaque"). A
word matches an entry when it is

* the same folded word ("TUÉS" = "tues"), or the start of a listed phrase
  followed by its other words ("watu wenye silaha", "coups de feu");
* a conjugated Swahili or Lingala verb form that a verb pattern covers
  ("waliuawa", "wanawaua", "wametekwa", "babomi"), or an Arabic word whose
  stem is listed, once the clitics و ف ب ل ك and the article ال are taken
  off the front ("وقتلوا" → "قتل");
* a misspelling: a word of at least ``FUZZY_MIN_WORD`` letters within one edit
  (a letter added, dropped or changed) of a one-word entry of at least
  ``FUZZY_MIN_ENTRY`` letters that starts with the same letter ("massacr",
  "kidnaping", "pilage"). English entries are only matched exactly (too many
  everyday English words are one letter away from one: looking/looting,
  classes/clashes), and a list of ordinary words that look like entries
  ("wamekua", "adresse", the place "Masisi") is never matched this way. Such
  words are shown as ``"pilage (~pillage)"`` in ``because``.

Threat type
===========

Each matched entry votes for its type; the type of the message is the one
found that comes first in ``TYPE_PRIORITY`` (most specific and most serious
first: a killing by armed men is ``killing``, not ``armed_presence``), and
``other`` when nothing matched.

Severity (documented rules; the PRODUCT taxonomy: ``critical`` is an imminent
threat to life)
=============================================================================

1. Base level by type: ``killing`` → critical; ``attack_on_civilians``,
   ``abduction``, ``sexual_violence``, ``armed_clash``, ``arson_destruction``,
   ``explosive_hazard``, ``child_recruitment`` → high; ``armed_presence``,
   ``looting_extortion``, ``threat_intimidation``, ``arbitrary_arrest``,
   ``displacement``, ``intercommunal_tension`` → medium; ``other`` → low.
2. A *now* cue (it is happening or coming now: "maintenant", "en cours",
   "sasa hivi", "sikoyo", "الآن", "now", "wanakuja", "arrivent", ...) or an
   *urgent* cue (a call for help: "au secours", "tusaidie", "lisungi",
   "النجدة", "help", "SOS", ...) raises the level one step (low → medium →
   high → critical). Both together still raise it by one step only.
3. A *mass* cue ("massacre", "plusieurs morts", "mauaji ya halaiki",
   "مجزرة") makes it critical.

Language
========

:func:`detect_language` uses py3langid restricted to the mission's languages
(``fr``, ``sw``, ``ln``, ``ar``, ``en``, ``rw``, ``so``). It returns ``"und"``
when the text has fewer than two letters or when the best language is less
likely than ``MIN_LANGUAGE_CONFIDENCE`` (keyboard noise such as "asdfgh", a lone
place name); text mostly in Arabic script is ``ar`` whatever the model says.
For texts of at most ``SHORT_TEXT_WORDS`` words, lexicon words of one
language (e.g. "wameua" is Swahili, "babomi" Lingala) decide over the
character statistics, which are weak on two or three words.

The model
=========

:class:`Model` is a multi-label linear classifier: TF-IDF (sublinear tf) of
folded words, word pairs and character 3- and 4-grams of each word (which
absorb misspellings), and one linear SVM per label with balanced class weights.
A part of the *training* data (``holdout``, 20% by default) is set aside
first: each label's decision threshold is the one that maximises F1 on that
part, and a logistic curve fitted on the same part turns SVM margins into
probability-like scores in [0, 1]. The SVMs are then refitted on all the
training data. Prediction does not go through scikit-learn: the vocabulary,
idf weights and coefficients are plain arrays (features of a word are looked
up once and cached per model), so one message is scored in well under a
millisecond, explanation included.

Explanation: each feature's share of a label's margin (TF-IDF value times
coefficient) is summed over the word, or word pair, it came from; the words
with the largest positive share for the (at most ``EXPLAINED_LABELS``)
highest-scoring predicted labels are the model's ``because`` words, as written
in the text.

A model file (:meth:`Model.save`) is a NumPy ``.npz`` archive of plain
arrays and JSON, loaded with ``allow_pickle=False``, so opening it cannot run
code. It is still *trusted input*: whoever writes it decides what the triage
says. Do not ship a model trained on data the product may not ship.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ulinzi.alerts import triage_lexicon as lexicon
from ulinzi.alerts.taxonomy import SEVERITIES, THREAT_TYPES
from ulinzi.lib.text import fold

__all__ = [
    "LANGUAGES",
    "SEVERITIES",
    "THREAT_TYPES",
    "TYPE_PRIORITY",
    "Model",
    "Triage",
    "clear_caches",
    "detect_language",
    "triage",
]


# Most specific and most serious first; see "Threat type" above.
TYPE_PRIORITY: tuple[str, ...] = (
    "killing",
    "sexual_violence",
    "abduction",
    "child_recruitment",
    "attack_on_civilians",
    "explosive_hazard",
    "armed_clash",
    "arson_destruction",
    "looting_extortion",
    "arbitrary_arrest",
    "threat_intimidation",
    "intercommunal_tension",
    "displacement",
    "armed_presence",
    "other",
)
BASE_SEVERITY: dict[str, str] = {
    "killing": "critical",
    "attack_on_civilians": "high",
    "abduction": "high",
    "sexual_violence": "high",
    "armed_clash": "high",
    "arson_destruction": "high",
    "explosive_hazard": "high",
    "child_recruitment": "high",
    "armed_presence": "medium",
    "looting_extortion": "medium",
    "threat_intimidation": "medium",
    "arbitrary_arrest": "medium",
    "displacement": "medium",
    "intercommunal_tension": "medium",
    "other": "low",
}

# Mission languages, in the order py3langid is asked for them (rw and so are
# spoken in the region and supported by py3langid).
LANGUAGES: tuple[str, ...] = ("fr", "sw", "ln", "ar", "en", "rw", "so")
MIN_LANGUAGE_CONFIDENCE = 0.5
SHORT_TEXT_WORDS = 3

FUZZY_MIN_WORD = 5
FUZZY_MIN_ENTRY = 6

# Longer texts are cut: an SMS is 160 characters, a long one a few hundred.
MAX_CHARS = 4000
# The language is read from the start of the text (enough for a stable answer).
LANGUAGE_CHARS = 500

_PRIORITY_RANK = {t: i for i, t in enumerate(TYPE_PRIORITY)}
_CUE_NOW, _CUE_URGENT, _CUE_MASS = "cue:now", "cue:urgent", "cue:mass"


# -- words --------------------------------------------------------------------------

_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_WORD = re.compile(rf"[\w'’ʼ`´{_MARKS}]+")
_ELISION = re.compile(r"^(?:l|d|j|m|s|t|c|qu|jusqu|lorsqu|puisqu)['’ʼ`´](?=\w)", re.IGNORECASE)
_ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u0671-\u06d3]")
_NON_LETTER = re.compile(r"[\W\d_]+")


@lru_cache(maxsize=65536)
def _fold_word(surface: str) -> tuple[str, ...]:
    return tuple(fold(_ELISION.sub("", surface)).split())


Word = tuple[str, int, int]  # (folded word, start and end of its source in the text)


def _words(text: str) -> list[Word]:
    """Each folded word of ``text``, with where in ``text`` it came from."""
    out: list[Word] = []
    for match in _WORD.finditer(text):
        for word in _fold_word(match.group()):
            out.append((word, match.start(), match.end()))
    return out


def _clean(text: str) -> str:
    """NFC, at most MAX_CHARS, and no lone surrogates (they cannot be written as UTF-8)."""
    text = text[:MAX_CHARS]
    if not text.isascii():
        text = unicodedata.normalize("NFC", text.encode("utf-8", "replace").decode("utf-8"))
    return text


# -- the lexicon index ----------------------------------------------------------------

Sense = tuple[str, str | None]  # (threat type or cue, language or None)


class _Lexicon:
    """The entries of :mod:`triage_lexicon`, folded and indexed for matching."""

    def __init__(self) -> None:
        self.single: dict[str, list[Sense]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], Sense]]] = {}
        self.display: dict[str, str] = {}
        for kind, by_lang in lexicon.THREAT_WORDS.items():
            for lang, entries in by_lang.items():
                for entry in entries:
                    self._add(entry, (kind, lang))
        for group in lexicon.ARMED_GROUPS:
            self._add(group, ("armed_presence", None))
        for cue, by_lang in lexicon.CUES.items():
            for lang, entries in by_lang.items():
                for entry in entries:
                    self._add(entry, ("cue:" + cue, lang))
        for candidates in self.phrases.values():
            candidates.sort(key=lambda item: -len(item[0]))

        self.verb_senses: list[Sense] = []
        parts = []
        for i, (pattern, kind, lang) in enumerate(lexicon.SWAHILI_LINGALA_VERBS):
            parts.append(f"(?P<v{i}>{pattern})")
            self.verb_senses.append((kind, lang))
        self.verbs = re.compile("|".join(parts))
        self.arabic_stems = sorted(
            ((fold(stem), kind) for stem, kind in lexicon.ARABIC_STEMS), key=lambda s: -len(s[0])
        )
        # English words stay out of approximate matching: English has too many
        # everyday neighbours of its entries (looking/looting, classes/clashes).
        self.fuzzy: dict[str, list[str]] = {}
        for word, senses in self.single.items():
            languages = {lang for _, lang in senses}
            if (
                len(word) >= FUZZY_MIN_ENTRY
                and word.isalpha()
                and word.isascii()
                and languages != {"en"}
            ):
                self.fuzzy.setdefault(word[0], []).append(word)

    def _add(self, entry: str, sense: Sense) -> None:
        words = tuple(w for w, _, _ in _words(entry))
        if not words:
            return
        if len(words) == 1:
            senses = self.single.setdefault(words[0], [])
            if sense not in senses:
                senses.append(sense)
            self.display.setdefault(words[0], entry)
        else:
            self.phrases.setdefault(words[0], []).append((words, sense))


_LEXICON = _Lexicon()
_ARABIC_CLITICS = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")


@lru_cache(maxsize=65536)
def _word_senses(word: str) -> tuple[tuple[Sense, ...], str]:
    """What one folded word means for the lexicon: (senses, entry matched approximately or "")."""
    lex = _LEXICON
    exact = lex.single.get(word)
    if exact:
        return tuple(exact), ""
    if _ARABIC_LETTER.search(word):
        forms = [word] + [
            word[len(c) :] for c in _ARABIC_CLITICS if word.startswith(c) and len(word) > len(c) + 1
        ]
        for form in forms[1:]:
            if form in lex.single:
                return tuple(lex.single[form]), ""
        for form in forms:
            for stem, kind in lex.arabic_stems:
                if form.startswith(stem):
                    return ((kind, "ar"),), ""
        return (), ""
    verb = lex.verbs.fullmatch(word)
    if verb is not None and verb.lastgroup is not None:
        return (lex.verb_senses[int(verb.lastgroup[1:])],), ""
    if len(word) < FUZZY_MIN_WORD or word in lexicon.NOT_FUZZY or not word.isalpha():
        return (), ""
    found = process.extractOne(
        word, lex.fuzzy.get(word[0], ()), scorer=Levenshtein.distance, score_cutoff=1
    )
    if found is not None:
        entry = found[0]
        return tuple(lex.single[entry]), lex.display[entry]
    return (), ""


@dataclass(frozen=True)
class _Hit:
    kind: str  # a threat type, or "cue:now" / "cue:urgent" / "cue:mass"
    lang: str | None
    start: int  # word positions [start, end)
    end: int
    approx: str  # the entry matched approximately, "" when exact


def _find(words: Sequence[str]) -> list[_Hit]:
    """Every lexicon entry found in the folded words, in text order. A word inside a
    threat's phrase ("enfants soldats") is not read again alone ("soldats")."""
    hits: list[_Hit] = []
    covered: set[tuple[int, str]] = set()
    in_phrase: set[int] = set()
    n = len(words)
    for i, word in enumerate(words):
        for phrase, (kind, lang) in _LEXICON.phrases.get(word, ()):
            end = i + len(phrase)
            if end <= n and tuple(words[i:end]) == phrase and (i, kind) not in covered:
                hits.append(_Hit(kind, lang, i, end, ""))
                covered.update((j, kind) for j in range(i, end))
                if not kind.startswith("cue:"):  # "plusieurs morts" still tells of a killing
                    in_phrase.update(range(i, end))
        if i in in_phrase:
            continue
        senses, approx = _word_senses(word)
        for kind, lang in senses:
            if (i, kind) not in covered:
                hits.append(_Hit(kind, lang, i, i + 1, approx))
    return hits


# -- language -----------------------------------------------------------------------

_IDENTIFIER: Any = None
_IDENTIFIER_LOCK = threading.Lock()


def _identifier() -> Any:
    """py3langid restricted to the mission's languages, loaded once (about a second)."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        with _IDENTIFIER_LOCK:
            if _IDENTIFIER is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages([lang for lang in LANGUAGES if lang in identifier.labels])
                _IDENTIFIER = identifier
    return _IDENTIFIER


def _language(text: str, n_words: int, hits: Sequence[_Hit]) -> str:
    text = text[:LANGUAGE_CHARS]
    letters = _NON_LETTER.sub("", text)
    if len(letters) < 2:
        return "und"
    if len(_ARABIC_LETTER.findall(letters)) * 2 > len(letters):
        return "ar"
    ranked: list[tuple[str, float]] = _identifier().rank(text)
    if n_words <= SHORT_TEXT_WORDS:
        votes = Counter(h.lang for h in hits if h.lang is not None)
        if votes:
            top = max(votes.values())
            probability = dict(ranked)
            return max(
                (lang for lang, v in votes.items() if v == top),
                key=lambda lang: probability.get(lang, 0.0),
            )
    best, confidence = ranked[0]
    return best if confidence >= MIN_LANGUAGE_CONFIDENCE else "und"


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language among :data:`LANGUAGES`, or ``"und"``.

    >>> detect_language("Watu wenye silaha wameua watu watatu Mbau usiku huu")
    'sw'
    """
    text = _clean(text)
    words = [w for w, _, _ in _words(text)]
    return _language(text, len(words), _find(words))


# -- lexicon decision -------------------------------------------------------------------


def _raise(level: str) -> str:
    i = SEVERITIES.index(level)
    return SEVERITIES[max(0, i - 1)]


def _severity(threat_type: str, cues: set[str]) -> str:
    if _CUE_MASS in cues:
        return "critical"
    level = BASE_SEVERITY[threat_type]
    if _CUE_NOW in cues or _CUE_URGENT in cues:
        level = _raise(level)
    return level


def _surface(text: str, words: Sequence[Word], start: int, end: int) -> str:
    """The text of words ``start`` to ``end - 1`` as the reporter wrote it ("Mai-Mai")."""
    return text[words[start][1] : words[end - 1][2]]


def _hit_text(text: str, words: Sequence[Word], hit: _Hit) -> str:
    found = _surface(text, words, hit.start, hit.end)
    return f"{found} (~{hit.approx})" if hit.approx else found


# -- the trainable model -------------------------------------------------------------------

FloatArray = NDArray[np.float32]
_FORMAT = "ulinzi-triage-model/1"
WORD_CACHE_SIZE = 100_000
# Because-words come from the (highest-scoring) first labels only.
EXPLAINED_LABELS = 3


@lru_cache(maxsize=65536)
def _word_features(word: str) -> tuple[str, ...]:
    """The features of one folded word: itself and the 3- and 4-grams of ``<word>``."""
    marked = "<" + word + ">"
    grams = [marked[j : j + 3] for j in range(len(marked) - 2)]
    grams += [marked[j : j + 4] for j in range(len(marked) - 3)]
    return ("w:" + word, *grams)


def _features(words: Sequence[str]) -> list[str]:
    """Model features of folded words: ``w:word``, the character 3- and 4-grams of
    ``<word>`` and ``b:previous word`` pairs."""
    feats: list[str] = []
    previous = ""
    for i, word in enumerate(words):
        feats.extend(_word_features(word))
        if i:
            feats.append("b:" + previous + " " + word)
        previous = word
    return feats


class _Vector(NamedTuple):
    """A text as the model sees it."""

    features: NDArray[np.intp]  # the distinct known features, sorted
    values: FloatArray  # their TF-IDF values, L2-normalised
    occurrences: NDArray[np.intp]  # each occurrence of a known feature: the words' own
    word_lengths: list[int]  # features in word order (this many per word), then the
    pair_positions: list[int]  # word pairs found, at 2*i - 1 for the pair ending at word i


def _identity(features: list[str]) -> list[str]:
    return features


def _best_threshold(scores: NDArray[np.float64], truth: NDArray[np.int8]) -> float:
    """The decision threshold with the best F1 on (scores, truth); 0.0 without positives."""
    positives = int(truth.sum())
    if positives == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], truth[order]
    true_pos = np.cumsum(hits)
    f1 = 2 * true_pos / (np.arange(1, len(hits) + 1) + positives)
    # Only cut between two different scores.
    cut_ok = np.append(ranked[:-1] > ranked[1:], True)
    f1 = np.where(cut_ok, f1, -1.0)
    i = int(np.argmax(f1))
    below = ranked[i + 1] if i + 1 < len(ranked) else ranked[i] - 1.0
    return float((ranked[i] + below) / 2)


def _platt(scores: NDArray[np.float64], truth: NDArray[np.int8]) -> tuple[float, float]:
    """(a, b) of p = 1 / (1 + exp(-(a * margin + b))), fitted on held-out margins."""
    if 0 < int(truth.sum()) < len(truth):
        from sklearn.linear_model import LogisticRegression

        fit = LogisticRegression(C=100.0).fit(scores.reshape(-1, 1), truth)
        a, b = float(fit.coef_[0, 0]), float(fit.intercept_[0])
        if a > 0:
            return a, b
    return 2.0, 0.0


class Model:
    """A trained multi-label text classifier; see "The model" in the module docstring.

    Build one with :meth:`train` or :meth:`load`; the constructor takes the
    arrays directly.
    """

    def __init__(
        self,
        label_names: Sequence[str],
        vocabulary: Sequence[str],
        idf: FloatArray,
        coef: FloatArray,
        intercept: FloatArray,
        platt: FloatArray,
        thresholds: FloatArray,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.label_names: tuple[str, ...] = tuple(label_names)
        n_labels, n_features = len(self.label_names), len(vocabulary)
        if coef.shape != (n_features, n_labels):
            raise ValueError(f"coef has shape {coef.shape}, expected {(n_features, n_labels)}")
        for name, array in (("intercept", intercept), ("thresholds", thresholds)):
            if array.shape != (n_labels,):
                raise ValueError(f"{name} has shape {array.shape}, expected ({n_labels},)")
        if platt.shape != (2, n_labels) or idf.shape != (n_features,):
            raise ValueError("platt must be (2, labels) and idf (features,)")
        self.vocabulary: dict[str, int] = {f: i for i, f in enumerate(vocabulary)}
        self.idf = np.ascontiguousarray(idf, dtype=np.float32)
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.platt = np.asarray(platt, dtype=np.float64)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.info: dict[str, Any] = dict(info or {})
        self._word_cache: dict[str, NDArray[np.intp]] = {}

    # -- training ------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        label_names: Sequence[str],
        *,
        holdout: float = 0.2,
        c: float = 0.1,
        seed: int = 0,
        n_jobs: int = 2,
        progress: Callable[[str], None] | None = None,
    ) -> Model:
        """Train on ``texts``, where ``labels[i]`` lists the label names of ``texts[i]``.

        ``holdout`` is the share of the training data set aside to choose each
        label's threshold and score curve before the final fit on everything.
        A label with no positive example is kept but never predicted.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        say = progress or (lambda _message: None)
        names = list(label_names)
        if not names or len(set(names)) != len(names):
            raise ValueError("label_names must be a non-empty list of distinct names")
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} label lists")
        if len(texts) < 2:
            raise ValueError("at least two texts are needed to train")
        column = {name: j for j, name in enumerate(names)}
        y = np.zeros((len(texts), len(names)), dtype=np.int8)
        for i, row in enumerate(labels):
            for name in row:
                if name not in column:
                    raise ValueError(f"text {i} has label {name!r}, not in label_names")
                y[i, column[name]] = 1

        say(f"features of {len(texts)} texts")
        docs = [_features([w for w, _, _ in _words(_clean(t))]) for t in texts]
        vectorizer = TfidfVectorizer(
            analyzer=_identity,
            sublinear_tf=True,
            min_df=2 if len(texts) >= 50 else 1,
            dtype=np.float32,
        )
        try:
            x = vectorizer.fit_transform(docs).astype(np.float64)
        except ValueError as exc:  # nothing but empty texts
            raise ValueError(f"no usable words in the training texts ({exc})") from exc
        vocabulary = [""] * len(vectorizer.vocabulary_)
        for feature, j in vectorizer.vocabulary_.items():
            vocabulary[j] = feature

        order = np.random.default_rng(seed).permutation(len(texts))
        n_hold = int(len(texts) * holdout) if 0 < holdout < 1 else 0
        held, fit = np.sort(order[:n_hold]), np.sort(order[n_hold:])

        def fitted(rows: NDArray[np.intp], j: int) -> Any:
            target = y[rows, j]
            if target.min() == target.max():
                return None
            clf = LinearSVC(C=c, class_weight="balanced", tol=1e-3, random_state=seed)
            return clf.fit(x[rows], target)

        n_labels = len(names)
        thresholds = np.zeros(n_labels)
        platt = np.zeros((2, n_labels))

        def tune(j: int) -> None:
            clf = fitted(fit, j) if n_hold else None
            if clf is None:
                thresholds[j], (platt[0, j], platt[1, j]) = 0.0, (2.0, 0.0)
                return
            margins = clf.decision_function(x[held]).astype(np.float64)
            thresholds[j] = _best_threshold(margins, y[held, j])
            platt[0, j], platt[1, j] = _platt(margins, y[held, j])

        coef = np.zeros((x.shape[1], n_labels), dtype=np.float32)
        intercept = np.zeros(n_labels)
        everything = np.arange(len(texts))

        def final(j: int) -> None:
            clf = fitted(everything, j)
            if clf is None:  # one class only: a constant score
                constant = bool(y[0, j])
                platt[0, j], platt[1, j] = 0.0, (50.0 if constant else -50.0)
                thresholds[j] = 0.0 if constant else math.inf
                return
            coef[:, j] = clf.coef_[0]
            intercept[j] = float(clf.intercept_[0])

        workers = max(1, n_jobs)
        with ThreadPoolExecutor(max_workers=workers) as pool:  # liblinear releases the GIL
            say(f"choosing thresholds on {n_hold} held-out texts ({n_labels} labels)")
            list(pool.map(tune, range(n_labels)))
            say(f"fitting {n_labels} labels on {len(texts)} texts")
            list(pool.map(final, range(n_labels)))

        # Thresholds are kept in score space: p(threshold margin).
        finite = np.where(np.isinf(thresholds), 0.0, thresholds)
        z = np.clip(platt[0] * finite + platt[1], -60.0, 60.0)
        score_thresholds = np.where(np.isinf(thresholds), 1.0, 1.0 / (1.0 + np.exp(-z)))
        info = {
            "texts": len(texts),
            "held_out": int(n_hold),
            "positives": {name: int(y[:, j].sum()) for j, name in enumerate(names)},
            "c": c,
            "seed": seed,
            "features": len(vocabulary),
        }
        say(f"done: {len(vocabulary)} features")
        return cls(
            names,
            vocabulary,
            np.asarray(vectorizer.idf_, dtype=np.float32),
            coef,
            intercept.astype(np.float64),
            platt.astype(np.float64),
            score_thresholds.astype(np.float64),
            info,
        )

    # -- files -----------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` (a NumPy .npz archive whatever the file name)."""
        vocabulary = [""] * len(self.vocabulary)
        for feature, j in self.vocabulary.items():
            vocabulary[j] = feature
        meta = {"format": _FORMAT, "labels": list(self.label_names), "info": self.info}

        def as_bytes(value: Any) -> NDArray[np.uint8]:
            return np.frombuffer(json.dumps(value, ensure_ascii=False).encode("utf-8"), np.uint8)

        with open(path, "wb") as handle:
            np.savez_compressed(
                handle,
                meta=as_bytes(meta),
                vocabulary=as_bytes(vocabulary),
                idf=self.idf,
                coef=self.coef,
                intercept=self.intercept,
                platt=self.platt,
                thresholds=self.thresholds,
            )

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Read a model written by :meth:`save` (no pickle; see the module docstring)."""
        try:
            with open(path, "rb") as handle:
                if handle.read(4) != b"PK\x03\x04":
                    raise ValueError("not a NumPy .npz archive written by Model.save")
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, KeyError) as exc:
            raise ValueError(f"{path} is not a triage model file ({exc})") from exc
        needed = {"meta", "vocabulary", "idf", "coef", "intercept", "platt", "thresholds"}
        if not needed <= set(arrays):
            raise ValueError(f"{path} is not a triage model file (missing {needed - set(arrays)})")
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path} has model format {meta.get('format')!r}, not {_FORMAT!r}")
        vocabulary = json.loads(arrays["vocabulary"].tobytes().decode("utf-8"))
        return cls(
            meta["labels"],
            vocabulary,
            arrays["idf"],
            arrays["coef"],
            arrays["intercept"],
            arrays["platt"],
            arrays["thresholds"],
            meta.get("info"),
        )

    # -- prediction -----------------------------------------------------------------

    def clear_cache(self) -> None:
        """Forget the per-word feature indexes (benchmarks time cold lookups)."""
        self._word_cache.clear()

    def _word_index(self, word: str) -> NDArray[np.intp]:
        """Vocabulary indexes of the features of one word (cached per model)."""
        found = self._word_cache.get(word)
        if found is None:
            if len(self._word_cache) >= WORD_CACHE_SIZE:
                self._word_cache.clear()
            get = self.vocabulary.get
            found = np.array(
                [j for f in _word_features(word) if (j := get(f)) is not None], dtype=np.intp
            )
            self._word_cache[word] = found
        return found

    def _vector(self, words: Sequence[str]) -> _Vector:
        """The L2-normalised TF-IDF vector of folded words (see :class:`_Vector`)."""
        parts = [self._word_index(word) for word in words]
        get = self.vocabulary.get
        pairs: list[int] = []
        pair_at: list[int] = []
        for i in range(1, len(words)):
            j = get("b:" + words[i - 1] + " " + words[i])
            if j is not None:
                pairs.append(j)
                pair_at.append(2 * i - 1)
        occurrences = np.concatenate([*parts, np.asarray(pairs, dtype=np.intp)])
        word_lengths = [len(p) for p in parts]
        if not len(occurrences):
            return _Vector(occurrences, np.zeros(0, np.float32), occurrences, word_lengths, [])
        # Distinct features and their counts (cheaper than np.unique).
        ordered = np.sort(occurrences)
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        index = ordered[starts]
        counts = np.diff(np.append(starts, len(ordered))).astype(np.float32)
        values: FloatArray = ((1.0 + np.log(counts)) * self.idf[index]).astype(np.float32)
        norm = float(np.sqrt(np.dot(values, values)))
        if norm > 0:
            values /= np.float32(norm)
        return _Vector(index, values, occurrences, word_lengths, pair_at)

    def _margins(self, index: NDArray[np.intp], values: FloatArray) -> NDArray[np.float64]:
        margins: NDArray[np.float64] = values @ self.coef[index] + self.intercept
        return margins

    def _scores(self, margins: NDArray[np.float64]) -> NDArray[np.float64]:
        z = np.clip(self.platt[0] * margins + self.platt[1], -60.0, 60.0)
        result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return result

    def predict(self, text: str) -> dict[str, float]:
        """Score in [0, 1] per label (higher: more likely)."""
        vector = self._vector([w for w, _, _ in _words(_clean(text))])
        scores = self._scores(self._margins(vector.features, vector.values))
        return dict(zip(self.label_names, scores.tolist(), strict=True))

    def predicted(self, scores: dict[str, float]) -> list[str]:
        """The labels whose score reaches their threshold, highest score first."""
        over = [
            (score, name)
            for name, threshold in zip(self.label_names, self.thresholds.tolist(), strict=True)
            if (score := scores.get(name, 0.0)) >= threshold
        ]
        return [name for _, name in sorted(over, key=lambda item: -item[0])]

    def explain(self, text: str, labels: Sequence[str] | None = None, top: int = 3) -> list[str]:
        """The words (or word pairs) of ``text`` that raised ``labels`` most (default:
        the predicted labels), at most ``top`` per label, strongest first."""
        text = _clean(text)
        words = _words(text)
        vector = self._vector([w for w, _, _ in words])
        if labels is None:
            scores = self._scores(self._margins(vector.features, vector.values)).tolist()
            labels = self.predicted(dict(zip(self.label_names, scores, strict=True)))
        return self._explain(text, words, labels, vector, top)

    def _explain(
        self,
        text: str,
        words: Sequence[Word],
        labels: Sequence[str],
        vector: _Vector,
        top: int,
    ) -> list[str]:
        index, values = vector.features, vector.values
        columns = [self.label_names.index(n) for n in labels if n in self.label_names]
        columns = columns[:EXPLAINED_LABELS]
        if not columns or not len(index):
            return []
        slots = np.searchsorted(index, vector.occurrences)
        where = np.concatenate(
            [
                np.repeat(np.arange(0, 2 * len(words), 2, dtype=np.intp), vector.word_lengths),
                np.asarray(vector.pair_positions, dtype=np.intp),
            ]
        )
        # Each feature's share of a label's margin, split evenly over its
        # occurrences, summed per word (or word pair).
        per_occurrence = np.bincount(slots, minlength=len(index)).astype(np.float32)
        share = (values / per_occurrence)[:, None] * self.coef[index[:, None], columns]
        share = share[slots]
        strength: dict[int, float] = {}
        for k in range(len(columns)):
            by_position = np.bincount(where, weights=share[:, k], minlength=2 * len(words))
            for p in np.argsort(-by_position, kind="stable")[:top].tolist():
                value = float(by_position[p])
                if value > 0 and value > strength.get(p, 0.0):
                    strength[p] = value
        out: list[str] = []
        for p, _ in sorted(strength.items(), key=lambda item: -item[1]):
            i = (p + 1) // 2 - (p % 2)
            found = _surface(text, words, i, i + 1 if p % 2 == 0 else i + 2)
            if found not in out:
                out.append(found)
        return out

    def assess(self, text: str) -> tuple[dict[str, float], list[str], list[str]]:
        """Scores, predicted labels and because-words of one text, vectorised once."""
        text = _clean(text)
        return self._assess(text, _words(text))

    def _assess(
        self, text: str, words: Sequence[Word], top: int = 3
    ) -> tuple[dict[str, float], list[str], list[str]]:
        vector = self._vector([w for w, _, _ in words])
        array = self._scores(self._margins(vector.features, vector.values))
        scores = dict(zip(self.label_names, array.tolist(), strict=True))
        over = np.flatnonzero(array >= self.thresholds)
        predicted = [self.label_names[j] for j in over[np.argsort(-array[over], kind="stable")]]
        because = self._explain(text, words, predicted, vector, top) if predicted else []
        return scores, predicted, because


# -- triage ------------------------------------------------------------------------


@dataclass
class Triage:
    """What triage says about one report text.

    ``because`` lists the words of the text that decided: first the lexicon
    words of the threat type, then the severity cues, then the words of other
    threat types found, then the model's words. ``labels`` maps a label to a
    score in [0, 1]; ``predicted`` lists the labels over their threshold.
    """

    language: str
    threat_type: str
    severity: str
    labels: dict[str, float] = field(default_factory=dict)
    predicted: list[str] = field(default_factory=list)
    because: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "labels": {k: round(v, 4) for k, v in self.labels.items()},
            "predicted": list(self.predicted),
            "threat_type": self.threat_type,
            "severity": self.severity,
            "because": list(self.because),
        }


def triage(text: str, model: Model | None = None) -> Triage:
    """Threat type, severity and language of one report text, with the words that decided.

    Never raises on any string; see the module docstring for the rules.

    >>> t = triage("Watu wenye silaha wameua watu watatu Mbau usiku huu")
    >>> (t.threat_type, t.severity, t.language, t.because)
    ('killing', 'critical', 'sw', ['wameua', 'Watu wenye silaha'])
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    text = _clean(text)
    words = _words(text)
    hits = _find([w for w, _, _ in words])
    language = _language(text, len(words), hits)

    found = sorted(
        {h.kind for h in hits if not h.kind.startswith("cue:")},
        key=lambda kind: _PRIORITY_RANK[kind],
    )
    cues = {h.kind for h in hits if h.kind.startswith("cue:")}

    labels: dict[str, float]
    predicted: list[str]
    model_because: list[str] = []
    if model is None:
        labels = dict.fromkeys(found, 1.0)
        predicted = list(found)
    else:
        labels, predicted, model_because = model._assess(text, words)

    threat_type = found[0] if found else "other"
    if threat_type == "other" and model is not None:
        threat_type = next((p for p in predicted if p in _PRIORITY_RANK), "other")
    severity = _severity(threat_type, cues)

    ordered = [h for h in hits if h.kind == threat_type]
    if severity != BASE_SEVERITY[threat_type]:
        wanted = {_CUE_MASS} if _CUE_MASS in cues else {_CUE_NOW, _CUE_URGENT}
        ordered += [h for h in hits if h.kind in wanted]
    ordered += [h for h in hits if h.kind != threat_type and not h.kind.startswith("cue:")]
    because: list[str] = []
    for item in [_hit_text(text, words, h) for h in ordered] + model_because:
        if item not in because:
            because.append(item)
    return Triage(language, threat_type, severity, labels, predicted, because)


def clear_caches() -> None:
    """Forget the per-word caches (benchmarks use it to time cold lookups)."""
    _word_senses.cache_clear()
    _fold_word.cache_clear()
    _word_features.cache_clear()
