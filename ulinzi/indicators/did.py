"""Did the initiative change the indicator? Difference-in-differences with clustered errors.

An initiative (firewood patrols around a camp, a community alert network, a
checkpoint removed) covers some communities from a start period on. Its impact
page estimates the change it brought to an indicator (monthly alerts per
10,000 people, the share who feel safe at night) by comparing the treated
communities with comparison communities, before and after the start. This
module is pure: numpy and ``scipy.stats`` only, no database.

Data
    A panel of observations ``(unit, period, value)``: a unit is a community
    (any hashable id), a period an integer index (months since some origin,
    say); a unit-period may hold one observation (a monthly rate) or several
    (the answers of a survey round), and some may be missing. An observation
    is *treated* when its unit is in ``treated_units`` and *post* when
    ``period >= start``. The *control* (comparison) units are all the others.
    Optional ``weights`` (positive, one per observation: population, number of
    respondents) turn every mean and fit below into a weighted one (WLS).

The pooled 2x2 model (``model="pooled"``, the default)
    Ordinary least squares of y on ``[1, treated, post, treated x post]``,
    all periods before the start pooled together and all after together::

        y = a + b treated + c post + effect (treated x post) + error

    The model is saturated in the four cells (treated/control x
    before/after), so its coefficients are exact functions of the four
    (weighted) cell means, and::

        effect = (treated after - treated before) - (control after - control before)

    the change in the treated group minus the change in the comparison group:
    the comparison group's change stands for what would have happened to the
    treated communities without the initiative (*parallel trends*).

The two-way fixed-effects model (``model="twfe"``)
    Least squares of y on ``treated x post`` plus one dummy per unit and one
    per period (the first period dropped: the unit dummies play the constant)::

        y[i, t] = alpha[i] + gamma[t] + effect (treated x post)[i, t] + error

    Each community is compared with itself, and each period's shock common to
    all communities is removed. The coefficient equals the pooled one exactly
    when the panel is *balanced* (every unit has the same number of
    observations in every period) and the weights, if any, are constant within
    each unit: then the treatment dummy, projected off the two sets of fixed
    effects, is ``(treated - share treated) x (post - share of post periods)``,
    and its regression coefficient is the difference of differences of the
    cell means above. With missing periods the two differ: the pooled means
    then also move when the mix of reporting communities changes, while the
    fixed-effects model does not. The standard errors differ even on a
    balanced panel (other residuals, other number of parameters). The
    fixed-effects coefficient is computed by projecting y and the treatment
    dummy off the fixed effects (Frisch-Waugh-Lovell), which gives the same
    coefficient, residuals and clustered variance as the full dummy
    regression.

Clustered standard errors (CR1)
    Observations of one community are correlated over time (the same camp,
    the same reporters, slowly changing insecurity), so the ordinary OLS
    errors are far too small. The variance is the cluster-robust sandwich,
    clustered by unit, with the usual small-sample correction (CR1, Stata's
    default and statsmodels' ``cov_type="cluster"`` with its defaults,
    ``use_correction=True``)::

        V = G / (G - 1) x (N - 1) / (N - K) x B M B
        B = (X' W X)^-1,   M = sum over units g of s_g s_g',   s_g = sum over g of w x e

    with ``G`` the number of units, ``N`` the observations, ``K`` the number
    of regressors (4 for the pooled model; 1 + G + T - 1 with the fixed
    effects, every dummy counted, as statsmodels does), ``e`` the residuals
    and ``w`` the weights (1 without). ``se`` is the square root of the
    effect's diagonal element. The results equal statsmodels'
    ``OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": unit})`` (``WLS``
    with weights) to rounding.

Interval and p-value
    With ``use_t=True`` (the default) the 95% interval is ``effect +- q se``
    with ``q`` the 97.5% quantile of Student's t with ``G - 1`` degrees of
    freedom, and the p-value is two-sided from the same distribution: this is
    statsmodels with ``use_t=True`` (its ``df_correction`` default makes the
    degrees of freedom ``G - 1``) and Stata's default. ``use_t=False`` uses the
    normal distribution, statsmodels' default when ``use_t`` is not given; it
    is narrower and less honest with few communities.

Pre-trend check
    Parallel trends cannot be tested after the start, but the periods before
    it can show whether the groups were already drifting apart. On the
    observations before the start only, least squares of y on
    ``[1, treated, t, treated x t]`` (``t`` the period, centred), clustered by
    unit as above: the coefficient of ``treated x t`` is the difference
    between the two groups' linear trends, per period, and its p-value (same
    distribution as the effect's) tests that it is zero. A p-value below 0.10
    adds a caution (the test has little power, hence the lenient threshold);
    a large p-value is no proof of parallel trends. With few communities in a
    group the check, like the interval, relies on clustered errors that are
    too small, so it flags too often (about a quarter of parallel panels with
    3 treated communities out of 40, in ``bench/did.py``).

Cautions
    Plain-language warnings for the page: trends apart before the start, too
    few periods before the start to check them, few communities in a group
    (clustered errors need about 10 or more per group; with 1 treated
    community they are not usable at all), treated communities with no data,
    missing periods (unbalanced panel).

``suggest_controls`` proposes comparison communities that looked like the
treated ones before the start; ``before_after`` gives the simple before/after
means of the treated communities, a description and not an estimate of the
effect.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
from scipy import stats

from ulinzi.lib.words import ENGLISH, Refused, Words

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
U = TypeVar("U", bound=Hashable)

MIN_CLUSTERS_PER_GROUP = 10
PRE_TREND_ALPHA = 0.10
MIN_PRE_PERIODS = 3


@dataclass(frozen=True)
class DidResult:
    """The estimate, its uncertainty, the figures for the plot and the cautions."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    level: float
    model: str
    use_t: bool
    df: int  # degrees of freedom of the t distribution: clusters - 1
    n_obs: int
    n_treated_units: int
    n_control_units: int
    start: int
    balanced: bool
    periods: list[int]
    treated_means: list[float | None]  # by period, None where no treated observation
    control_means: list[float | None]
    treated_before: float
    treated_after: float
    control_before: float
    control_after: float
    pre_trend_difference: float | None  # treated minus control slope per period, pre-start
    pre_trend_p_value: float | None
    cautions: list[str] = field(default_factory=list)  # in English: see said_cautions
    pre_periods: int = 0  # periods with an observation before the start
    missing: int = 0  # treated communities with no observation at all

    @property
    def n_clusters(self) -> int:
        return self.n_treated_units + self.n_control_units

    def said_cautions(self, words: Words) -> list[str]:
        """:attr:`cautions` worded by ``words`` (another language)."""
        return _cautions(self, words)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Fit:
    effect: float
    se: float
    n_clusters: int


def _as_values(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite numbers (drop missing observations first)")
    return array


def _as_periods(period: npt.ArrayLike) -> npt.NDArray[np.int64]:
    raw = np.asarray(period)
    if raw.ndim != 1:
        raise ValueError("period must be one-dimensional")
    if raw.size and raw.dtype.kind not in "iu":
        as_float = raw.astype(np.float64)
        if not np.isfinite(as_float).all() or (as_float != np.round(as_float)).any():
            raise ValueError("period must hold whole numbers (a period index, e.g. a month)")
    return raw.astype(np.int64)


def _codes(unit: Sequence[Hashable]) -> tuple[IntArray, list[Hashable]]:
    index: dict[Hashable, int] = {}
    codes = np.fromiter((index.setdefault(u, len(index)) for u in unit), np.intp, len(unit))
    return codes, list(index)


def _cr1(xw: FloatArray, yw: FloatArray, codes: IntArray, n_clusters: int, column: int) -> _Fit:
    """OLS of ``yw`` on ``xw`` (both already multiplied by sqrt(weight)), CR1 by cluster.

    Returns the coefficient of ``column`` and its clustered standard error.
    """
    n, k = xw.shape
    pinv = np.linalg.pinv(xw)
    beta = pinv @ yw
    bread = pinv @ pinv.T
    wresid = yw - xw @ beta
    score = xw * wresid[:, None]  # = X * w * e, row by row
    sums = np.stack(
        [np.bincount(codes, weights=score[:, j], minlength=n_clusters) for j in range(k)], 1
    )
    meat = sums.T @ sums
    cov = bread @ meat @ bread.T
    cov *= n_clusters / (n_clusters - 1.0) * ((n - 1.0) / float(n - k))
    return _Fit(float(beta[column]), float(math.sqrt(max(cov[column, column], 0.0))), n_clusters)


def _twfe(
    y: FloatArray,
    sw: FloatArray,
    treat: FloatArray,
    codes: IntArray,
    n_clusters: int,
    period_codes: IntArray,
    n_periods: int,
) -> _Fit:
    """Treatment coefficient with unit and period dummies, by Frisch-Waugh-Lovell."""
    n = y.size
    z = np.zeros((n, n_clusters + n_periods - 1))
    rows = np.arange(n)
    z[rows, codes] = 1.0
    later = period_codes > 0
    z[rows[later], n_clusters + period_codes[later] - 1] = 1.0
    zw = z * sw[:, None]
    both = np.stack([treat * sw, y * sw], axis=1)
    coef, *_ = np.linalg.lstsq(zw, both, rcond=None)
    tilde = both - zw @ coef
    dt, yt = tilde[:, 0], tilde[:, 1]
    dd = float(dt @ dt)
    if dd <= 1e-10 * float(both[:, 0] @ both[:, 0]):
        raise ValueError(
            "the treatment is indistinguishable from the community and period effects: "
            "the treated communities need observations both before and after the start"
        )
    effect = float(dt @ yt) / dd
    wresid = yt - effect * dt
    sums = np.bincount(codes, weights=dt * wresid, minlength=n_clusters)
    k = z.shape[1] + 1
    var = float(sums @ sums) / dd**2
    var *= n_clusters / (n_clusters - 1.0) * ((n - 1.0) / float(n - k))
    return _Fit(effect, math.sqrt(max(var, 0.0)), n_clusters)


def _two_sided(effect: float, se: float, df: int, use_t: bool, level: float) -> tuple[float, ...]:
    tail = 0.5 + level / 2.0
    q = float(stats.t.ppf(tail, df) if use_t else stats.norm.ppf(tail))
    if se == 0:  # a perfect fit: certain if there is an effect at all
        return effect, effect, 0.0 if effect != 0 else 1.0
    z = abs(effect / se)
    p = float(2.0 * (stats.t.sf(z, df) if use_t else stats.norm.sf(z)))
    return effect - q * se, effect + q * se, p


def _mean(y: FloatArray, w: FloatArray, mask: npt.NDArray[np.bool_]) -> float:
    return float(np.sum(y[mask] * w[mask]) / np.sum(w[mask]))


def _means_by_period(
    y: FloatArray, w: FloatArray, index: IntArray, n: int, mask: npt.NDArray[np.bool_]
) -> list[float | None]:
    total = np.bincount(index[mask], weights=(y * w)[mask], minlength=n)
    weight = np.bincount(index[mask], weights=w[mask], minlength=n)
    return [float(a / b) if b > 0 else None for a, b in zip(total, weight, strict=True)]


def _fmt(x: float) -> str:
    return f"{x:.2g}" if abs(x) < 0.1 else f"{x:.2f}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2f}" if p >= 0.01 else f"p = {p:.3f}"


def did(
    values: npt.ArrayLike,
    unit: Sequence[Hashable],
    period: npt.ArrayLike,
    treated_units: Iterable[Hashable],
    start: int,
    *,
    weights: npt.ArrayLike | None = None,
    model: Literal["pooled", "twfe"] = "pooled",
    use_t: bool = True,
    level: float = 0.95,
) -> DidResult:
    """Difference-in-differences estimate of an initiative's effect (see the module docstring).

    ``values``, ``unit``, ``period`` (and ``weights``) are parallel, one entry per
    observation; ``treated_units`` the communities the initiative covers from
    period ``start`` on. Raises ``ValueError`` when the design cannot be estimated:
    no observation before or after the start, no treated or no comparison
    community in the data, a group seen only on one side of the start.
    """
    if model not in ("pooled", "twfe"):
        raise ValueError('model must be "pooled" or "twfe"')
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1, e.g. 0.95")
    y = _as_values(values, "values")
    t = _as_periods(period)
    units = list(unit)
    if not (len(units) == y.size == t.size):
        raise ValueError("values, unit and period must have the same length")
    if weights is None:
        w = np.ones_like(y)
    else:
        w = _as_values(weights, "weights")
        if w.size != y.size:
            raise ValueError("weights must have one entry per observation")
        if (w <= 0).any():
            raise ValueError("weights must be positive")
    if y.size == 0:
        raise Refused.worded("There are no observations.")
    codes, labels = _codes(units)
    treated_set = set(treated_units)
    if not treated_set:
        raise Refused.worded("No community is covered by the initiative.")
    is_treated_unit = np.array([label in treated_set for label in labels], dtype=bool)
    n_treated = int(is_treated_unit.sum())
    n_control = len(labels) - n_treated
    if n_treated == 0:
        raise Refused.worded("None of the covered communities appears in the data.")
    if n_control == 0:
        raise Refused.worded(
            "Every community in the data is covered: there is no comparison group."
        )
    post = t >= start
    if not post.any():
        raise Refused.worded("There is no observation from the start on.")
    if post.all():
        raise Refused.worded("There is no observation before the start.")
    treated = is_treated_unit[codes]
    if not (treated & ~post).any():
        raise Refused.worded("The covered communities have no observation before the start.")
    if not (treated & post).any():
        raise Refused.worded("The covered communities have no observation after the start.")
    if not (~treated & ~post).any():
        raise Refused.worded("The comparison communities have no observation before the start.")
    if not (~treated & post).any():
        raise Refused.worded("The comparison communities have no observation after the start.")

    sw = np.sqrt(w)
    n_clusters = len(labels)
    periods, period_index = np.unique(t, return_inverse=True)
    period_index = period_index.astype(np.intp)
    if model == "pooled":
        d = (treated & post).astype(np.float64)
        x = np.stack([np.ones_like(y), treated.astype(np.float64), post.astype(np.float64), d], 1)
        fit = _cr1(x * sw[:, None], y * sw, codes, n_clusters, column=3)
    else:
        treat = (treated & post).astype(np.float64)
        fit = _twfe(y, sw, treat, codes, n_clusters, period_index, periods.size)
    df = n_clusters - 1
    ci_low, ci_high, p_value = _two_sided(fit.effect, fit.se, df, use_t, level)

    treated_means = _means_by_period(y, w, period_index, periods.size, treated)
    control_means = _means_by_period(y, w, period_index, periods.size, ~treated)

    counts = np.zeros((n_clusters, periods.size), dtype=np.intp)
    np.add.at(counts, (codes, period_index), 1)
    balanced = bool((counts == counts[0, 0]).all())

    pre_diff, pre_p = _pre_trend(y, w, t, codes, treated, post, use_t)

    result = DidResult(
        effect=fit.effect,
        se=fit.se,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        level=level,
        model=model,
        use_t=use_t,
        df=df,
        n_obs=int(y.size),
        n_treated_units=n_treated,
        n_control_units=n_control,
        start=int(start),
        balanced=balanced,
        periods=[int(p) for p in periods],
        treated_means=treated_means,
        control_means=control_means,
        treated_before=_mean(y, w, treated & ~post),
        treated_after=_mean(y, w, treated & post),
        control_before=_mean(y, w, ~treated & ~post),
        control_after=_mean(y, w, ~treated & post),
        pre_trend_difference=pre_diff,
        pre_trend_p_value=pre_p,
    )
    result = replace(
        result,
        pre_periods=int(np.unique(t[~post]).size),
        missing=len(treated_set - set(labels)),
    )
    return replace(result, cautions=_cautions(result))


def _pre_trend(
    y: FloatArray,
    w: FloatArray,
    t: npt.NDArray[np.int64],
    codes: IntArray,
    treated: npt.NDArray[np.bool_],
    post: npt.NDArray[np.bool_],
    use_t: bool,
) -> tuple[float | None, float | None]:
    """Difference of the groups' linear trends before the start, and its p-value."""
    pre = ~post
    for group in (treated, ~treated):
        if np.unique(t[pre & group]).size < 2:
            return None, None
    yp, wp, tp, gp = y[pre], w[pre], t[pre].astype(np.float64), treated[pre].astype(np.float64)
    pre_codes, inverse = np.unique(codes[pre], return_inverse=True)
    centred = tp - tp.mean()
    x = np.stack([np.ones_like(yp), gp, centred, gp * centred], 1)
    sw = np.sqrt(wp)
    fit = _cr1(x * sw[:, None], yp * sw, inverse.astype(np.intp), pre_codes.size, column=3)
    _, _, p = _two_sided(fit.effect, fit.se, pre_codes.size - 1, use_t, 0.95)
    return fit.effect, p


def _cautions(result: DidResult, w: Words = ENGLISH) -> list[str]:
    out: list[str] = []
    p = result.pre_trend_p_value
    if result.pre_trend_difference is not None and p is not None and p < PRE_TREND_ALPHA:
        diff = result.pre_trend_difference
        said = {"p": w.figure(_p(p)), "diff": w.figure(_fmt(abs(diff)))}
        out.append(
            w.text(
                "Before the start, the two groups were already moving apart (%(p)s: the "
                "treated communities' indicator changed by %(diff)s per period more than the "
                "comparison communities'): the estimate may mix the initiative with that trend.",
                **said,
            )
            if diff > 0
            else w.text(
                "Before the start, the two groups were already moving apart (%(p)s: the "
                "treated communities' indicator changed by %(diff)s per period less than the "
                "comparison communities'): the estimate may mix the initiative with that trend.",
                **said,
            )
        )
    if result.pre_trend_difference is None:
        out.append(
            w.text(
                "Each group needs at least two periods before the start to check that the "
                "groups moved in parallel before the initiative; this could not be checked."
            )
        )
    elif result.pre_periods < MIN_PRE_PERIODS:
        out.append(
            w.count(
                "Only %(n)d period before the start: too few to tell whether the groups "
                "moved in parallel before the initiative.",
                "Only %(n)d periods before the start: too few to tell whether the groups "
                "moved in parallel before the initiative.",
                result.pre_periods,
            )
        )
    few = MIN_CLUSTERS_PER_GROUP
    if result.n_treated_units == 1:
        out.append(
            w.text(
                "Only 1 treated community: clustered errors cannot be trusted with a single "
                "community in a group; read the interval as far too narrow."
            )
        )
    elif result.n_treated_units < few:
        out.append(
            w.text(
                "Only %(n)d treated communities: the interval is wide and the clustered "
                "errors unreliable with fewer than about %(few)d communities per group.",
                n=result.n_treated_units,
                few=few,
            )
        )
    if result.n_control_units == 1:
        out.append(
            w.text(
                "Only 1 comparison community: clustered errors cannot be trusted with a "
                "single community in a group; read the interval as far too narrow."
            )
        )
    elif result.n_control_units < few:
        out.append(
            w.text(
                "Only %(n)d comparison communities: the interval is wide and the clustered "
                "errors unreliable with fewer than about %(few)d communities per group.",
                n=result.n_control_units,
                few=few,
            )
        )
    if result.missing:
        out.append(
            w.count(
                "%(n)d treated community has no data and is left out.",
                "%(n)d treated communities have no data and are left out.",
                result.missing,
            )
        )
    if not result.balanced:
        out.append(
            w.text(
                "Not every community has the same number of observations in every period: "
                "the group means can move when the mix of reporting communities changes; the "
                "fixed-effects version compares each community with itself."
            )
            if result.model == "pooled"
            else w.text(
                "Not every community has the same number of observations in every period: "
                "the group means can move when the mix of reporting communities changes; the "
                "fixed-effects estimate compares each community with itself and is less "
                "affected, but gaps still lose information."
            )
        )
    return out


def suggest_controls(
    pre_values: Mapping[U, Sequence[float]], treated: Iterable[U], k: int
) -> list[U]:
    """The ``k`` untreated units that looked most like the treated group before the start.

    ``pre_values`` maps each unit to its values over the same pre-start periods, in
    time order and all of the same length (``nan`` for a missing period). The
    treated group's *mean path* is the mean of the treated units' values at each
    period (missing ones left out). A path is summarised by its *level* (mean of
    its values) and its *rise* (least-squares slope over the period index times
    the number of periods minus one: the change the fitted line makes over the
    pre-start window), both in the indicator's units. The distance of a candidate
    is ``hypot(level - treated level, rise - treated rise)``; the ``k`` nearest
    come first (ties in the order of ``pre_values``). Units with no value, or with
    fewer than two when there are several periods, are skipped; fewer than ``k``
    units are returned when fewer are available.

    Matching on the outcome before the start makes the groups comparable in
    level and trend, but a comparison unit picked because it happened to be
    high (or low) that period tends to drift back: check the pre-trend caution
    on the result.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    treated_set = set(treated)
    if not treated_set:
        raise Refused.worded("No community is covered by the initiative.")
    absent = [u for u in treated_set if u not in pre_values]
    if absent:
        raise Refused.worded(
            "Covered communities with no value before the start: %(units)s.",
            units=", ".join(str(u) for u in absent),
        )
    lengths = {len(v) for v in pre_values.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise Refused.worded("Every community needs values for the same periods before the start.")
    length = lengths.pop()
    paths = {u: np.asarray(v, dtype=np.float64) for u, v in pre_values.items()}
    stacked = np.stack([paths[u] for u in pre_values if u in treated_set])
    seen = np.isfinite(stacked)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_path = np.where(seen.any(0), np.where(seen, stacked, 0).sum(0) / seen.sum(0), np.nan)
    target = _level_rise(mean_path, length)
    if target is None:
        raise Refused.worded(
            "The covered communities have too few values before the start to compare."
        )
    scored: list[tuple[float, int, U]] = []
    for order, (u, path) in enumerate(paths.items()):
        if u in treated_set:
            continue
        summary = _level_rise(path, length)
        if summary is None:
            continue
        distance = math.hypot(summary[0] - target[0], summary[1] - target[1])
        scored.append((distance, order, u))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [u for _, _, u in scored[:k]]


def _level_rise(path: FloatArray, length: int) -> tuple[float, float] | None:
    seen = np.isfinite(path)
    n = int(seen.sum())
    if n == 0 or (length > 1 and n < 2):
        return None
    values = path[seen]
    level = float(values.mean())
    if length == 1:
        return level, 0.0
    x = np.arange(length, dtype=np.float64)[seen]
    xc = x - x.mean()
    slope = float(xc @ (values - level) / (xc @ xc))
    return level, slope * (length - 1)


def before_after(
    values: npt.ArrayLike,
    unit: Sequence[Hashable],
    period: npt.ArrayLike,
    treated_units: Iterable[Hashable],
    start: int,
    *,
    weights: npt.ArrayLike | None = None,
) -> dict[str, Any]:
    """Simple means of the treated communities before and after the start.

    A description, not an estimate of the initiative's effect: the change also
    holds whatever else changed over the same time (season, displacement,
    reporting). Returns ``label``, ``before`` and ``after`` (means, ``None`` when
    there is no observation on that side), ``change`` (after minus before),
    ``percent_change`` (``None`` when before is 0 or a side is missing),
    ``n_before``/``n_after`` (observations), ``n_units`` and ``start``.
    """
    y = _as_values(values, "values")
    t = _as_periods(period)
    units = list(unit)
    if not (len(units) == y.size == t.size):
        raise ValueError("values, unit and period must have the same length")
    w = np.ones_like(y) if weights is None else _as_values(weights, "weights")
    if w.size != y.size or (w <= 0).any():
        raise ValueError("weights must be positive, one per observation")
    treated_set = set(treated_units)
    mask = np.array([u in treated_set for u in units], dtype=bool)
    if not mask.any():
        raise Refused.worded("None of the covered communities appears in the data.")
    post = t >= start
    before = _mean(y, w, mask & ~post) if (mask & ~post).any() else None
    after = _mean(y, w, mask & post) if (mask & post).any() else None
    change = None if before is None or after is None else after - before
    percent = None if change is None or not before else 100.0 * change / abs(before)
    return {
        "label": (
            "Simple before/after of the covered communities: not an estimate of the "
            "initiative's effect"
        ),
        "before": before,
        "after": after,
        "change": change,
        "percent_change": percent,
        "n_before": int((mask & ~post).sum()),
        "n_after": int((mask & post).sum()),
        "n_units": len({u for u, m in zip(units, mask, strict=True) if m}),
        "start": int(start),
    }
