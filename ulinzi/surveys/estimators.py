"""Design-based estimates from sample surveys: weights, raking, means, proportions, totals.

Perception-of-safety surveys ("share who feel safe at night, by sex") are drawn with a
complex design: strata (territories, say), clusters (villages, the primary sampling units or
PSUs) picked within each stratum, and respondents picked within each cluster. Treating the
respondents as a simple random sample gets both the estimates (unequal selection
probabilities) and their uncertainty (respondents of one village resemble each other) wrong.
This module is pure numpy: no Django, no pandas.

Weights
    The design weight of a respondent is the inverse of their probability of selection,
    ``w = 1 / p`` (``design_weights``). In a stratified two-stage sample (``two_stage_weights``)
    PSU ``i`` of stratum ``h`` is selected with probability ``p1 = n_h / N_h`` (``n_h`` of the
    stratum's ``N_h`` PSUs, equal probability) or ``p1 = n_h * M_hi / M_h`` (probability
    proportional to a size measure ``M_hi``, ``M_h`` the stratum's total size), and a unit of
    the PSU with probability ``p2 = m_hi / M'_hi`` (``m_hi`` interviews among the PSU's
    ``M'_hi`` listed units); ``p = p1 * p2``.

Raking (``rake``)
    Raking is iterative proportional fitting (Deming and Stephan, 1940): for each margin in
    turn (sex, age group, community, or a crossed variable such as sex x age group), every
    weight of a category is multiplied by ``target total / current weighted total`` of that
    category; the cycle over the margins repeats until every margin is reproduced. The result
    is the weighting closest to the starting weights, in the raking (multiplicative,
    Kullback-Leibler) sense, that reproduces the margins. Convergence is measured by the
    largest relative error ``|current - target| / target`` over all categories of all
    margins after a full cycle; the loop stops when it is at most ``tol`` or after
    ``max_iter`` cycles, and the result says whether it converged (raking never raises for
    non-convergence: margins that the sample cannot meet, such as sex and age targets that
    contradict a sample with no young men, leave ``converged`` False). Errors (``ValueError``):
    a weight that is not a positive finite number; a target that is not a positive finite
    number; a target category with no respondents; a respondent whose category has no target;
    margins whose grand totals differ by more than a relative 1e-6 (the targets come from
    different sources or years and must be reconciled; ``normalise=True`` instead rescales every
    margin to the grand total of the first one).

Estimates (``mean``, ``proportion``, ``total``, ``by_domain``)
    The total ``Y = sum_i w_i y_i`` is the Horvitz-Thompson estimator; the mean is the Hajek
    ratio estimator ``R = sum_i w_i y_i / sum_i w_i``, and a proportion is the mean of a 0/1
    indicator. Variances are obtained by Taylor linearisation: the estimator is replaced by
    its linearised (influence) variable, ``z_i = w_i y_i`` for a total and
    ``z_i = w_i (y_i - R) / sum_j w_j`` for a ratio mean, whose estimated total has the same
    first-order variance. That variance is the with-replacement ("ultimate cluster") estimator
    within strata: with ``z_hi`` the total of ``z`` over PSU ``i`` of stratum ``h``, ``n_h`` the
    stratum's number of sampled PSUs and ``zbar_h`` their mean,

        v = sum_h (1 - f_h) * n_h / (n_h - 1) * sum_i (z_hi - zbar_h) ** 2,

    where ``f_h = n_h / N_h`` is the first-stage sampling fraction when a finite population
    correction is given (``Design(fpc=...)``: the number of PSUs of the stratum in the
    population) and 0 otherwise. Only the first stage appears: the variation between PSU
    totals already carries the later stages' variation (with replacement at the first stage,
    exactly; without replacement, to a good approximation when ``f_h`` is small). Without PSUs
    every respondent is its own PSU; without strata there is one stratum. PSU labels are
    taken within their stratum (the same label in two strata is two PSUs).

    Domains (a sex, an age group, the respondents of one community) are estimated with the
    full design: ``y`` and the weights are multiplied by the domain indicator and every PSU
    of the design keeps its place in its stratum, contributing a zero total when none of its
    respondents is in the domain. Analysing the subset alone drops those PSUs, shrinks
    ``n_h`` and underestimates the variance (and misstates the degrees of freedom).

    Missing values (NaN or None in ``y``) are dropped from the numerator and the denominator
    together: a respondent with a missing answer is treated as outside the domain (the
    estimate is for the respondents who answered, with the full design kept for the
    variance). ``n`` counts the respondents of the domain with an answer.

    The 95 % confidence interval is ``estimate +/- t * se`` with the Student t quantile on
    ``df = number of PSUs - number of strata`` degrees of freedom of the whole design (the
    usual rule for linearisation variances; with few PSUs it is noticeably wider than the
    normal interval and more honest); intervals of proportions are clipped to [0, 1]. The
    design effect (Kish) is the design variance divided by the variance the same estimate
    would have under simple random sampling with the same number of respondents:
    ``s2 / n`` for a mean or proportion of a domain with ``n`` respondents, where
    ``s2 = sum_i w_i (y_i - R) ** 2 / sum_i w_i * n / (n - 1)`` is the weighted estimate of
    the element variance (``p (1 - p) n / (n - 1)`` for a proportion), and
    ``Nhat ** 2 * s2_u / m`` for a total (``u = y`` times the domain indicator over the ``m``
    respondents with an answer, ``Nhat`` their weight total); both multiplied by
    ``1 - m / Nhat`` when the design has a finite population correction. The effective
    sample size is ``n / deff``.

    Small cells: an estimate resting on fewer than ``suppress_below`` (default 5)
    respondents is suppressed (``estimate``, ``se``, the interval, ``deff`` and the domain
    size are None and ``suppressed`` is True; it must never be shown), and one resting on
    fewer than ``min_n`` (default 30) is ``flagged`` (show it with a warning).

Strata with a single PSU (``Design(lonely_psu=...)``)
    A stratum with one sampled PSU has no within-stratum variance estimate. ``"raise"`` (the
    default) refuses the design with a ValueError naming the strata; ``"certainty"`` treats
    such a PSU as selected with certainty (it contributes 0, as R survey's
    ``survey.lonely.psu = "certainty"``); ``"adjust"`` centres the lone PSU's total at the
    mean PSU total of the whole design instead of its stratum mean and gives it the factor
    ``1 - f_h`` (the conservative choice, in the spirit of R survey's ``"adjust"``).

Everything is vectorised over respondents and domains (``by_domain`` computes every
domain's estimate in one pass of ``numpy.bincount`` over the respondents and the non-empty
domain x PSU cells), so a proportion and a mean for 20 domains of 100,000 respondents in
800 PSUs take about 0.1 s (``bench/surveys.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "MIN_N",
    "SUPPRESS_BELOW",
    "Design",
    "Estimate",
    "RakeResult",
    "by_domain",
    "cross_codes",
    "design_weights",
    "mean",
    "proportion",
    "rake",
    "t_quantile",
    "total",
    "two_stage_weights",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Kind = Literal["mean", "proportion", "total"]
LonelyPsu = Literal["raise", "certainty", "adjust"]
Labels = npt.ArrayLike | Sequence[Any]
"""Array-like of values or labels per respondent; lists may hold None for a missing entry."""

MIN_N = 30
"""Below this many respondents an estimate is flagged (shown with a warning)."""
SUPPRESS_BELOW = 5
"""Below this many respondents an estimate is suppressed (never shown)."""
CONFIDENCE = 0.95
MARGIN_TOTAL_RTOL = 1e-6


# --- Weights ----------------------------------------------------------------------------


def design_weights(selection_prob: npt.ArrayLike) -> F64:
    """Design weights ``1 / p`` from selection probabilities, each in (0, 1]."""
    p = np.asarray(selection_prob, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("selection probabilities must be a one-dimensional array")
    bad = ~np.isfinite(p) | (p <= 0) | (p > 1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"selection probabilities must be in (0, 1]: respondent {first} has {p[first]!r}"
        )
    return 1.0 / p


def two_stage_weights(
    strata: Labels,
    psu: Labels,
    psus_in_stratum: Mapping[Any, float],
    units_in_psu: Mapping[Any, float] | None = None,
    *,
    psu_size: Mapping[Any, float] | None = None,
    stratum_size: Mapping[Any, float] | None = None,
) -> F64:
    """Weights of a stratified two-stage sample from its sampling plan.

    ``strata`` and ``psu`` give each respondent's stratum and PSU (PSU labels must be unique
    across strata here). First stage, equal probability: ``p1 = n_h / N_h`` with ``n_h`` the
    number of distinct PSUs of stratum ``h`` in the sample and ``N_h = psus_in_stratum[h]``;
    with ``psu_size`` and ``stratum_size`` (probability proportional to size):
    ``p1 = n_h * psu_size[psu] / stratum_size[h]``. Second stage: ``p2 = m / units_in_psu[psu]``
    with ``m`` the respondents of that PSU in the sample (``p2 = 1`` when ``units_in_psu`` is
    None: everyone listed was interviewed). Returns ``1 / (p1 * p2)``; a probability outside
    (0, 1] or a missing plan entry raises ValueError.
    """
    h_labels, h_idx = _encode(strata, "strata")
    p_labels, p_idx = _encode(psu, "psu")
    if len(h_idx) != len(p_idx):
        raise ValueError("strata and psu must have one entry per respondent")
    if (psu_size is None) != (stratum_size is None):
        raise ValueError("give both psu_size and stratum_size (PPS) or neither")
    psu_stratum = np.full(len(p_labels), -1, dtype=np.int64)
    psu_stratum[p_idx] = h_idx
    if (psu_stratum[p_idx] != h_idx).any():
        raise ValueError("a PSU label appears in two strata: PSU labels must be unique here")
    sampled_psus = np.bincount(psu_stratum, minlength=len(h_labels)).astype(np.float64)
    respondents = np.bincount(p_idx, minlength=len(p_labels)).astype(np.float64)

    def lookup(plan: Mapping[Any, float], labels: list[Any], what: str) -> F64:
        missing = [label for label in labels if label not in plan]
        if missing:
            raise ValueError(f"{what} has no entry for {missing[:5]!r}")
        return np.array([float(plan[label]) for label in labels], dtype=np.float64)

    population_psus = lookup(psus_in_stratum, h_labels, "psus_in_stratum")
    if psu_size is not None and stratum_size is not None:
        size = lookup(psu_size, p_labels, "psu_size")
        p1 = (
            sampled_psus[psu_stratum]
            * size
            / lookup(stratum_size, h_labels, "stratum_size")[psu_stratum]
        )
    else:
        p1 = sampled_psus[psu_stratum] / population_psus[psu_stratum]
    p2 = (
        np.ones(len(p_labels))
        if units_in_psu is None
        else respondents / lookup(units_in_psu, p_labels, "units_in_psu")
    )
    return design_weights((p1 * p2)[p_idx])


# --- Raking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RakeResult:
    """Raked weights; ``max_error`` is the largest relative margin error after the last cycle."""

    weights: F64
    iterations: int
    converged: bool
    max_error: float


def cross_codes(*codes: Labels, sep: str = "|") -> npt.NDArray[np.str_]:
    """One label per respondent joining several variables: ``cross_codes(sex, age)`` gives
    ``"F|18-29"``; use the same labels as the keys of a crossed margin's targets."""
    if not codes:
        raise ValueError("cross_codes needs at least one variable")
    columns = [np.asarray(c).astype(str) for c in codes]
    out = columns[0]
    for column in columns[1:]:
        if len(column) != len(out):
            raise ValueError("every variable must have one entry per respondent")
        out = np.char.add(np.char.add(out, sep), column)
    return out


def rake(
    weights: npt.ArrayLike,
    margins: Mapping[str, tuple[Labels, Mapping[Any, float]]],
    max_iter: int = 100,
    tol: float = 1e-10,
    *,
    normalise: bool = False,
) -> RakeResult:
    """Rake ``weights`` to the population ``margins`` by iterative proportional fitting.

    ``margins`` maps a name to ``(codes, targets)``: each respondent's category and the known
    population total of every category. See the module docstring for convergence and errors.
    """
    w = np.array(weights, dtype=np.float64)
    if w.ndim != 1 or len(w) == 0:
        raise ValueError("weights must be a non-empty one-dimensional array")
    if not np.isfinite(w).all() or (w <= 0).any():
        raise ValueError("every starting weight must be a positive finite number")
    if not margins:
        raise ValueError("rake needs at least one margin")
    if max_iter < 1:
        raise ValueError("max_iter must be at least 1")

    prepared: list[tuple[I64, F64]] = []
    grand_totals: dict[str, float] = {}
    for name, (codes, targets) in margins.items():
        labels, idx = _encode(codes, f"margin {name!r}")
        if len(idx) != len(w):
            raise ValueError(f"margin {name!r} has {len(idx)} codes for {len(w)} weights")
        unknown = [label for label in labels if label not in targets]
        if unknown:
            raise ValueError(
                f"margin {name!r}: respondents in categories with no target: {unknown[:5]!r}"
            )
        order = list(targets)
        values = np.array([float(targets[k]) for k in order], dtype=np.float64)
        if not np.isfinite(values).all() or (values <= 0).any():
            raise ValueError(f"margin {name!r}: every target must be a positive finite number")
        position = {k: i for i, k in enumerate(order)}
        cat = np.array([position[label] for label in labels], dtype=np.int64)[idx]
        present = np.bincount(cat, minlength=len(order))
        empty = [order[i] for i in np.flatnonzero(present == 0)]
        if empty:
            raise ValueError(
                f"margin {name!r}: no respondent in target categories {empty[:5]!r}; "
                "merge them with a neighbouring category"
            )
        prepared.append((cat, values))
        grand_totals[name] = float(values.sum())

    first = next(iter(grand_totals.values()))
    if normalise:
        prepared = [(cat, values * (first / values.sum())) for cat, values in prepared]
    else:
        off = {k: v for k, v in grand_totals.items() if abs(v - first) > MARGIN_TOTAL_RTOL * first}
        if off:
            raise ValueError(
                f"the margins' grand totals disagree ({grand_totals!r}): reconcile the targets "
                "or pass normalise=True to rescale them to the first margin's total"
            )

    max_error = math.inf
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        for cat, values in prepared:
            current = np.bincount(cat, weights=w, minlength=len(values))
            w *= (values / current)[cat]
        max_error = max(
            float(np.max(np.abs(np.bincount(cat, weights=w, minlength=len(v)) - v) / v))
            for cat, v in prepared
        )
        if max_error <= tol:
            break
    return RakeResult(
        weights=w, iterations=iterations, converged=max_error <= tol, max_error=max_error
    )


# --- The design -------------------------------------------------------------------------


class Design:
    """A survey design: weights, optional strata, PSUs and finite population correction.

    ``weights``: one positive weight per respondent. ``strata``, ``psu``: labels per
    respondent (None: one stratum; every respondent its own PSU). ``fpc``: per respondent,
    the number of PSUs of their stratum in the population (elements when there are no
    PSUs), constant within a stratum and at least the number sampled. ``lonely_psu``: rule
    for strata with a single PSU (module docstring).
    """

    def __init__(
        self,
        weights: npt.ArrayLike,
        strata: Labels | None = None,
        psu: Labels | None = None,
        fpc: npt.ArrayLike | None = None,
        lonely_psu: LonelyPsu = "raise",
    ) -> None:
        w = np.array(weights, dtype=np.float64)
        if w.ndim != 1 or len(w) == 0:
            raise ValueError("weights must be a non-empty one-dimensional array")
        if not np.isfinite(w).all() or (w <= 0).any():
            raise ValueError("every weight must be a positive finite number")
        if lonely_psu not in ("raise", "certainty", "adjust"):
            raise ValueError("lonely_psu must be 'raise', 'certainty' or 'adjust'")
        n = len(w)
        if strata is None:
            h_labels: list[Any] = [None]
            h_idx = np.zeros(n, dtype=np.int64)
        else:
            h_labels, h_idx = _encode(strata, "strata")
        if len(h_idx) != n:
            raise ValueError(f"strata has {len(h_idx)} entries for {n} weights")
        if psu is None:
            p_idx = np.arange(n, dtype=np.int64)
            psu_stratum = h_idx.copy()
        else:
            _, raw = _encode(psu, "psu")
            if len(raw) != n:
                raise ValueError(f"psu has {len(raw)} entries for {n} weights")
            # PSUs are nested in strata: the pair (stratum, label) is the PSU.
            pairs, p_idx = np.unique(h_idx * (int(raw.max()) + 1) + raw, return_inverse=True)
            p_idx = p_idx.astype(np.int64)
            psu_stratum = (pairs // (int(raw.max()) + 1)).astype(np.int64)
            if psu_stratum.ndim == 0:  # pragma: no cover (numpy returns 1-d arrays)
                psu_stratum = psu_stratum.reshape(1)
        n_strata = len(h_labels)
        if psu is None:
            psus_per_stratum = np.bincount(h_idx, minlength=n_strata)
        else:
            psus_per_stratum = np.bincount(psu_stratum, minlength=n_strata)
        nh = psus_per_stratum.astype(np.float64)

        fraction = np.zeros(n_strata)
        if fpc is not None:
            population = np.asarray(fpc, dtype=np.float64)
            if population.shape != (n,):
                raise ValueError(f"fpc must have one entry per respondent ({n})")
            first = np.full(n_strata, np.nan)
            first[h_idx] = population
            if (population != first[h_idx]).any():
                raise ValueError("fpc must be constant within each stratum")
            if not np.isfinite(first).all() or (first < nh).any():
                bad = [h_labels[i] for i in np.flatnonzero(~(first >= nh))]
                raise ValueError(
                    f"fpc (population PSUs) is smaller than the PSUs sampled in strata {bad[:5]!r}"
                )
            fraction = nh / first

        lonely = psus_per_stratum == 1
        if lonely.any() and lonely_psu == "raise":
            names = [h_labels[i] for i in np.flatnonzero(lonely)]
            raise ValueError(
                f"strata with a single PSU: {names[:10]!r} ({int(lonely.sum())} in all); their "
                "variance cannot be estimated. Merge them with similar strata, or pass "
                "lonely_psu='certainty' (they contribute 0) or 'adjust' (centred at the "
                "design's mean PSU total)"
            )
        scale = np.zeros(n_strata)
        several = ~lonely
        scale[several] = (1 - fraction[several]) * nh[several] / (nh[several] - 1)
        if lonely_psu == "adjust":
            scale[lonely] = 1 - fraction[lonely]

        self.weights: F64 = w
        self.n = n
        self.has_fpc = fpc is not None
        self.lonely_psu: LonelyPsu = lonely_psu
        self.strata_labels = h_labels
        self.stratum_index: I64 = h_idx
        self.psu_index: I64 = p_idx
        self.psu_stratum: I64 = psu_stratum
        self.n_strata = n_strata
        self.n_psu = len(psu_stratum)
        self.psus_per_stratum: F64 = nh
        self.lonely: npt.NDArray[np.bool_] = lonely
        self.scale: F64 = scale
        self.df = self.n_psu - n_strata

    def variance(self, z: npt.ArrayLike, groups: Labels | None = None) -> F64:
        """Linearisation variance of the estimated total of ``z``, by group.

        ``z``: the linearised variable, one value per respondent (0 outside the domain).
        ``groups``: integer group codes 0..G-1 per respondent, -1 for none (default: one
        group). Returns one variance per group.
        """
        values = np.asarray(z, dtype=np.float64)
        codes = (
            np.zeros(self.n, dtype=np.int64)
            if groups is None
            else np.asarray(groups, dtype=np.int64)
        )
        keep = np.flatnonzero(codes >= 0)
        n_groups = int(codes.max()) + 1 if len(keep) else 0
        return self._variance(values[keep], codes[keep], keep, max(n_groups, 1))

    def _variance(self, z: F64, g: I64, rows: I64, n_groups: int) -> F64:
        """Variance of sum(z) per group; ``z`` and ``g`` are for the respondents ``rows``."""
        n_psu, n_strata = self.n_psu, self.n_strata
        key = g * n_psu + self.psu_index[rows]
        pairs, inverse = np.unique(key, return_inverse=True)
        psu_total = np.bincount(inverse.ravel(), weights=z, minlength=len(pairs))
        pair_group = pairs // n_psu
        pair_stratum = self.psu_stratum[pairs % n_psu]
        cell = pair_group * n_strata + pair_stratum
        size = n_groups * n_strata
        stratum_total = np.bincount(cell, weights=psu_total, minlength=size)
        with_members = np.bincount(cell, minlength=size).astype(np.float64)
        nh = np.tile(self.psus_per_stratum, n_groups)
        centre = stratum_total / nh
        # Sum of squared deviations of all n_h PSU totals from their stratum mean; the PSUs
        # with no member of the group have total 0, hence the (n_h - k) * mean**2 term.
        deviations = np.bincount(cell, weights=(psu_total - centre[cell]) ** 2, minlength=size)
        squares = (deviations + (nh - with_members) * centre**2).reshape(n_groups, n_strata)
        if self.lonely_psu == "adjust" and self.lonely.any():
            totals = stratum_total.reshape(n_groups, n_strata)
            grand = totals.sum(axis=1, keepdims=True) / n_psu
            squares[:, self.lonely] = (totals[:, self.lonely] - grand) ** 2
        result: F64 = squares @ self.scale
        return result


# --- Estimates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """One design-based estimate.

    ``estimate``, ``se``, ``ci_low``, ``ci_high`` (95 %, Student t on ``df``), ``deff``,
    ``n_effective`` (``n / deff``) and ``population`` (estimated number of people in the
    domain with an answer, the sum of their weights) are None when ``suppressed``. ``n`` is
    the number of respondents behind the estimate; ``flagged`` is True when ``n < min_n``
    (and whenever ``suppressed``).
    """

    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    deff: float | None
    n: int
    n_effective: float | None
    population: float | None
    df: int
    flagged: bool
    suppressed: bool


def mean(
    y: Labels,
    design: Design,
    domain: Labels | None = None,
    *,
    min_n: int = MIN_N,
    suppress_below: int = SUPPRESS_BELOW,
) -> Estimate:
    """Weighted (Hajek) mean of ``y`` over the domain (a boolean mask; None: everyone)."""
    values = _numeric(y, design.n)
    return _single(values, design, domain, "mean", min_n, suppress_below)


def proportion(
    y: Labels,
    design: Design,
    domain: Labels | None = None,
    *,
    category: Any = None,
    min_n: int = MIN_N,
    suppress_below: int = SUPPRESS_BELOW,
) -> Estimate:
    """Weighted share of respondents with ``y`` true (booleans or 0/1), or with
    ``y == category`` when a category is given; None or NaN answers are missing."""
    values = _indicator(y, design.n, category)
    return _single(values, design, domain, "proportion", min_n, suppress_below)


def total(
    y: Labels,
    design: Design,
    domain: Labels | None = None,
    *,
    min_n: int = MIN_N,
    suppress_below: int = SUPPRESS_BELOW,
) -> Estimate:
    """Horvitz-Thompson total of ``y`` over the domain (missing answers count for nothing)."""
    values = _numeric(y, design.n)
    return _single(values, design, domain, "total", min_n, suppress_below)


def by_domain(
    y: Labels,
    design: Design,
    groups: Labels,
    kind: Kind = "mean",
    *,
    category: Any = None,
    min_n: int = MIN_N,
    suppress_below: int = SUPPRESS_BELOW,
) -> dict[Any, Estimate]:
    """The estimate for every domain of ``groups`` (a label per respondent; None or NaN
    for none), all in one vectorised pass with the full design. ``kind``: ``"mean"``,
    ``"proportion"`` (of true/1, or of ``category``) or ``"total"``. Keys are the labels,
    sorted."""
    if kind == "proportion":
        values = _indicator(y, design.n, category)
    elif kind in ("mean", "total"):
        values = _numeric(y, design.n)
    else:
        raise ValueError("kind must be 'mean', 'proportion' or 'total'")
    labels, codes = _encode_optional(groups, design.n)
    results = _estimates(values, codes, len(labels), design, kind, min_n, suppress_below)
    return dict(zip(labels, results, strict=True))


def _single(
    values: F64,
    design: Design,
    domain: Labels | None,
    kind: Kind,
    min_n: int,
    suppress_below: int,
) -> Estimate:
    if domain is None:
        codes = np.zeros(design.n, dtype=np.int64)
    else:
        mask = np.asarray(domain)
        if mask.shape != (design.n,):
            raise ValueError(f"domain must be a mask with one entry per respondent ({design.n})")
        if mask.dtype != np.bool_:
            if not np.isin(mask, (0, 1)).all():
                raise ValueError("domain must be a boolean (or 0/1) mask")
            mask = mask.astype(bool)
        codes = np.where(mask, 0, -1).astype(np.int64)
    return _estimates(values, codes, 1, design, kind, min_n, suppress_below)[0]


def _estimates(
    values: F64,
    codes: I64,
    n_groups: int,
    design: Design,
    kind: Kind,
    min_n: int,
    suppress_below: int,
) -> list[Estimate]:
    """Estimates for groups 0..n_groups-1 of ``codes`` (-1: no group); NaN values missing."""
    if n_groups == 0:
        return []
    answered = ~np.isnan(values)
    rows = np.flatnonzero(answered & (codes >= 0))
    g = codes[rows]
    v = values[rows]
    w = design.weights[rows]
    count = np.bincount(g, minlength=n_groups)
    population = np.bincount(g, weights=w, minlength=n_groups)
    weighted = np.bincount(g, weights=w * v, minlength=n_groups)
    has = population > 0
    safe_pop = np.where(has, population, 1.0)
    if kind == "total":
        estimate = weighted
        z = w * v
    else:
        estimate = np.where(has, weighted / safe_pop, np.nan)
        z = w * (v - estimate[g]) / safe_pop[g]
    variance = design._variance(z, g, rows, n_groups)

    # Variance under simple random sampling with the same number of respondents (deff).
    if kind == "total":
        everyone = design.weights[answered]
        m = float(answered.sum())
        n_hat = float(everyone.sum())
        share = weighted / n_hat
        second = np.bincount(g, weights=w * v * v, minlength=n_groups) / n_hat
        s2 = np.maximum(second - share**2, 0.0) * m / max(m - 1, 1.0)
        srs = n_hat**2 * s2 / m
    else:
        spread = np.bincount(g, weights=w * (v - estimate[g]) ** 2, minlength=n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = spread / safe_pop * count / (count - 1)
            srs = s2 / count
    if design.has_fpc:
        srs = srs * (1 - design.n / float(design.weights.sum()))

    quantile = t_quantile((1 + CONFIDENCE) / 2, design.df) if design.df >= 1 else None
    out: list[Estimate] = []
    for k in range(n_groups):
        n = int(count[k])
        if n < suppress_below or n == 0:
            out.append(Estimate(None, None, None, None, None, n, None, None, design.df, True, True))
            continue
        est = float(estimate[k])
        se = math.sqrt(max(float(variance[k]), 0.0))
        low = high = None
        if quantile is not None:
            low, high = est - quantile * se, est + quantile * se
            if kind == "proportion":
                low, high = max(low, 0.0), min(high, 1.0)
        deff = n_eff = None
        base = float(srs[k])
        if math.isfinite(base) and base > 0:
            deff = float(variance[k]) / base
            n_eff = n / deff if deff > 0 else None
        out.append(
            Estimate(
                estimate=est,
                se=se,
                ci_low=low,
                ci_high=high,
                deff=deff,
                n=n,
                n_effective=n_eff,
                population=float(population[k]),
                df=design.df,
                flagged=n < min_n,
                suppressed=False,
            )
        )
    return out


# --- Inputs -----------------------------------------------------------------------------


def _encode(labels: Labels, what: str) -> tuple[list[Any], I64]:
    """Sorted distinct labels (Python scalars) and each entry's index; no missing label."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a one-dimensional array")
    if arr.dtype == object:
        if any(_is_missing(v) for v in arr.tolist()):
            raise ValueError(f"{what} has missing labels")
    elif arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError(f"{what} has missing labels")
    try:
        uniques, inverse = np.unique(arr, return_inverse=True)
    except TypeError as exc:
        raise ValueError(f"{what} mixes labels of different types") from exc
    return list(uniques.tolist()), inverse.ravel().astype(np.int64)


def _encode_optional(labels: Labels, n: int) -> tuple[list[Any], I64]:
    """Like ``_encode`` but None/NaN labels get code -1 (no group)."""
    arr = np.asarray(labels)
    if arr.shape != (n,):
        raise ValueError(f"groups must have one label per respondent ({n})")
    if arr.dtype == object:
        missing = np.array([_is_missing(v) for v in arr.tolist()], dtype=bool)
    elif arr.dtype.kind == "f":
        missing = np.isnan(arr)
    else:
        missing = np.zeros(n, dtype=bool)
    codes = np.full(n, -1, dtype=np.int64)
    if missing.all():
        return [], codes
    labels_list, inner = _encode(arr[~missing], "groups")
    codes[~missing] = inner
    return labels_list, codes


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _numeric(y: Labels, n: int) -> F64:
    arr = np.asarray(y)
    if arr.dtype == object:
        arr = np.array([np.nan if _is_missing(v) else v for v in arr.tolist()], dtype=np.float64)
    values = np.asarray(arr, dtype=np.float64)
    if values.shape != (n,):
        raise ValueError(f"y must have one value per respondent ({n})")
    if np.isinf(values).any():
        raise ValueError("y has infinite values")
    return values


def _indicator(y: Labels, n: int, category: Any) -> F64:
    arr = np.asarray(y)
    if arr.shape != (n,):
        raise ValueError(f"y must have one value per respondent ({n})")
    if category is not None:
        items: Sequence[Any] = arr.tolist()
        return np.array(
            [np.nan if _is_missing(v) else float(v == category) for v in items], dtype=np.float64
        )
    values = _numeric(arr, n)
    answered = values[~np.isnan(values)]
    if not np.isin(answered, (0.0, 1.0)).all():
        raise ValueError("a proportion needs booleans or 0/1 values (or pass category=...)")
    return values


# --- Student t quantile -----------------------------------------------------------------


def _t_two_sided(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with an integer ``df`` (Abramowitz and Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 0:
        k = np.arange(1, df // 2, dtype=np.float64)
        terms = np.cumprod((2 * k - 1) / (2 * k) * c2)
        return s * (1.0 + float(terms.sum()))
    if df == 1:
        return 2 * theta / math.pi
    k = np.arange(1, (df - 1) // 2, dtype=np.float64)
    terms = np.cumprod(2 * k / (2 * k + 1) * c2)
    return 2 / math.pi * (theta + s * math.cos(theta) * (1.0 + float(terms.sum())))


def _normal_quantile(p: float) -> float:
    low, high = -40.0, 40.0
    for _ in range(200):
        mid = (low + high) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


@lru_cache(maxsize=256)
def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile (0.5 < p < 1) of Student's t with ``df`` >= 1 degrees of freedom.

    Exact (bisection on the closed-form distribution function) up to 5,000 degrees of
    freedom; beyond, the Cornish-Fisher expansion (Abramowitz and Stegun 26.7.5), whose
    error there is far below 1e-12.
    """
    if not 0.5 < p < 1:
        raise ValueError("p must be between 0.5 and 1")
    if df < 1:
        raise ValueError("df must be at least 1")
    if df > 5000:
        x = _normal_quantile(p)
        g1 = (x**3 + x) / 4
        g2 = (5 * x**5 + 16 * x**3 + 3 * x) / 96
        g3 = (3 * x**7 + 19 * x**5 + 17 * x**3 - 15 * x) / 384
        g4 = (79 * x**9 + 776 * x**7 + 1482 * x**5 - 1920 * x**3 - 945 * x) / 92160
        return x + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4
    target = 2 * p - 1
    low, high = 0.0, 1.0
    while _t_two_sided(high, df) < target:
        low, high = high, high * 2
    for _ in range(200):
        mid = (low + high) / 2
        if _t_two_sided(mid, df) < target:
            low = mid
        else:
            high = mid
        if high - low <= 1e-15 * high:
            break
    return (low + high) / 2
