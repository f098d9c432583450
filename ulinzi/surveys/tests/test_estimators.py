"""Design-based survey estimators: hand-worked references, independent computations, real data.

Pure tests (no database): ``pytest ulinzi/surveys/tests/test_estimators.py``.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import defaultdict
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from ulinzi.surveys.estimators import (
    Design,
    Estimate,
    by_domain,
    cross_codes,
    design_weights,
    mean,
    proportion,
    rake,
    t_quantile,
    total,
    two_stage_weights,
)

SHARED_DATA = Path(
    os.environ.get("ULINZI_SHARED_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data"
)

# --- A small stratified two-stage sample, worked out by hand ---------------------------
#
# Stratum 1 has PSUs a and b, stratum 2 has PSUs c, d and e (5 PSUs, 2 strata: df = 3).
#
#   PSU  weights     y          female
#   a    2, 2        1, 0       1, 0
#   b    4, 4        1, 1       0, 1
#   c    1, 1, 1     0, 0, 1    1, 1, 0
#   d    3           1          0
#   e    2, 2        0, 1       1, 0
#
# Sum of weights Nhat = 22, sum of w*y = 16, so the mean is R = 16/22 = 8/11.
HAND_W = [2, 2, 4, 4, 1, 1, 1, 3, 2, 2]
HAND_Y = [1, 0, 1, 1, 0, 0, 1, 1, 0, 1]
HAND_FEMALE = [1, 0, 0, 1, 1, 1, 0, 0, 1, 0]
HAND_STRATA = [1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
HAND_PSU = ["a", "a", "b", "b", "c", "c", "c", "d", "e", "e"]
T3 = 3.182446305284263  # Student t, 0.975 quantile, 3 degrees of freedom


def same(a: Estimate, b: Estimate) -> bool:
    """Equal up to rounding (sums over different groupings differ in the last bits)."""
    for field in Estimate.__dataclass_fields__:
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, float) and isinstance(y, float):
            if x != pytest.approx(y, rel=1e-12, abs=1e-15):
                return False
        elif x != y:
            return False
    return True


def hand_design(**kwargs: Any) -> Design:
    return Design(HAND_W, strata=HAND_STRATA, psu=HAND_PSU, **kwargs)


def test_hand_worked_total() -> None:
    # Horvitz-Thompson total 16; z = w*y has PSU totals a=2, b=8 | c=1, d=3, e=2.
    # Stratum 1: mean 5, squared deviations 9 + 9 = 18, times n/(n-1) = 2/1: 36.
    # Stratum 2: mean 2, squared deviations 1 + 1 + 0 = 2, times 3/2: 3.
    # Variance 36 + 3 = 39.
    est = total(HAND_Y, hand_design(), min_n=1)
    assert est.estimate == pytest.approx(16, abs=1e-12)
    assert est.se == pytest.approx(math.sqrt(39), rel=1e-12)
    assert est.df == 3
    assert est.ci_low == pytest.approx(16 - T3 * math.sqrt(39), rel=1e-12)
    assert est.ci_high == pytest.approx(16 + T3 * math.sqrt(39), rel=1e-12)


def test_hand_worked_mean_and_design_effect() -> None:
    # z_i = w_i (y_i - 8/11) / 22. PSU totals of w (y - 8/11):
    #   a: 2 - 4 * 8/11 = -10/11, b: 8 - 8 * 8/11 = 24/11      (mean 7/11, deviations +-17/11)
    #   stratum 1: 2 * 289/121 = 578/121, times 2: 1156/121
    #   c: 1 - 3 * 8/11 = -13/11, d: 3 - 3 * 8/11 = 9/11, e: 2 - 4 * 8/11 = -10/11 (mean -14/33)
    #   deviations -25/33, 41/33, -16/33: squares (625 + 1681 + 256)/1089 = 2562/1089,
    #   times 3/2: 1281/363
    # Sum 1156/121 + 1281/363 = 4749/363; divided by 22**2: variance 1583/58564.
    # SRS: s2 = p(1-p) n/(n-1) = (8/11)(3/11)(10/9) = 80/363, over n = 10: 8/363.
    # deff = (1583/58564) / (8/363) = 4749/3872.
    variance = Fraction(1156, 121) + Fraction(1281, 363)
    assert variance == Fraction(4749, 363)
    variance /= 22**2
    assert variance == Fraction(1583, 58564)
    deff = variance / Fraction(8, 363)
    assert deff == Fraction(4749, 3872)

    for est in (mean(HAND_Y, hand_design()), proportion(HAND_Y, hand_design())):
        assert est.estimate == pytest.approx(8 / 11, rel=1e-12)
        assert est.se == pytest.approx(math.sqrt(float(variance)), rel=1e-12)
        assert est.deff == pytest.approx(float(deff), rel=1e-12)
        assert est.n_effective == pytest.approx(10 / float(deff), rel=1e-12)
        assert est.population == pytest.approx(22)
        assert est.n == 10 and est.flagged and not est.suppressed
        assert est.se is not None
        assert est.ci_low == pytest.approx(8 / 11 - T3 * est.se, rel=1e-12)


def test_hand_worked_domain_keeps_the_empty_psu() -> None:
    # Women: a1 (w2, y1), b2 (w4, y1), c1 and c2 (w1, y0), e1 (w2, y0): Nhat 10, mean 6/10.
    # PSU totals of w d (y - 0.6): a 0.8, b 1.6 | c -1.2, d 0 (no woman), e -1.2.
    # Stratum 1: mean 1.2, deviations +-0.4: 0.32, times 2: 0.64.
    # Stratum 2: mean -0.8, deviations -0.4, 0.8, -0.4: 0.96, times 3/2: 1.44.
    # Variance (0.64 + 1.44) / 10**2 = 0.0208.
    # Subsetting to the women drops PSU d: stratum 2 then has c and e, both -1.2, so it
    # contributes nothing and the variance falls to 0.64 / 100 = 0.0064.
    female = np.array(HAND_FEMALE, dtype=bool)
    est = mean(HAND_Y, hand_design(), domain=female, min_n=1)
    assert est.estimate == pytest.approx(0.6, rel=1e-12)
    assert est.se == pytest.approx(math.sqrt(0.0208), rel=1e-12)
    assert est.n == 5 and est.df == 3

    subset = Design(
        np.array(HAND_W)[female],
        strata=np.array(HAND_STRATA)[female],
        psu=np.array(HAND_PSU)[female],
    )
    naive = mean(np.array(HAND_Y)[female], subset, min_n=1)
    assert naive.estimate == pytest.approx(0.6, rel=1e-12)
    assert naive.se == pytest.approx(math.sqrt(0.0064), rel=1e-12)
    assert naive.df == 2
    assert est.se is not None and naive.se is not None and est.se > naive.se

    # by_domain gives the same as the single-domain call.
    both = by_domain(HAND_Y, hand_design(), HAND_FEMALE, kind="mean", min_n=1)
    assert list(both) == [0, 1]
    assert same(both[1], est)
    men = both[0]
    assert men.estimate == pytest.approx(10 / 12, rel=1e-12)


def test_hand_worked_fpc_and_lonely_psu() -> None:
    # Population PSUs: 4 in stratum 1, 6 in stratum 2: f = 1/2 in both, so the variance
    # of the total halves: (1 - 1/2) 36 + (1 - 1/2) 3 = 19.5.
    fpc = [4, 4, 4, 4, 6, 6, 6, 6, 6, 6]
    assert total(HAND_Y, hand_design(fpc=fpc), min_n=1).se == pytest.approx(math.sqrt(19.5))
    with pytest.raises(ValueError, match="constant within each stratum"):
        hand_design(fpc=[4, 4, 4, 5, 6, 6, 6, 6, 6, 6])
    with pytest.raises(ValueError, match="smaller than the PSUs sampled"):
        hand_design(fpc=[1, 1, 1, 1, 6, 6, 6, 6, 6, 6])

    # A third stratum with one PSU f (w 5, y 1): PSU totals of w*y are 2, 8, 1, 3, 2, 5.
    w, y = [*HAND_W, 5], [*HAND_Y, 1]
    strata, psu = [*HAND_STRATA, 3], [*HAND_PSU, "f"]
    with pytest.raises(ValueError, match=r"single PSU: \[3\]"):
        Design(w, strata=strata, psu=psu)
    # certainty: f contributes nothing, 39 as before; df = 6 PSUs - 3 strata.
    certain = total(y, Design(w, strata=strata, psu=psu, lonely_psu="certainty"), min_n=1)
    assert certain.se == pytest.approx(math.sqrt(39)) and certain.df == 3
    # adjust: f is centred at the mean PSU total 21/6 = 3.5: 39 + (5 - 3.5)**2 = 41.25.
    adjusted = total(y, Design(w, strata=strata, psu=psu, lonely_psu="adjust"), min_n=1)
    assert adjusted.se == pytest.approx(math.sqrt(41.25))


def test_psu_labels_are_nested_in_strata() -> None:
    # The same labels reused in each stratum: a different design from one big cluster each.
    reused = ["a", "a", "b", "b", "a", "a", "a", "b", "c", "c"]
    est = total(HAND_Y, Design(HAND_W, strata=HAND_STRATA, psu=reused), min_n=1)
    assert est.se == pytest.approx(math.sqrt(39))


# --- Weights ----------------------------------------------------------------------------


def test_design_weights() -> None:
    assert design_weights([0.5, 1.0, 0.1]).tolist() == pytest.approx([2.0, 1.0, 10.0])
    for bad in ([0.0], [1.5], [-0.1], [float("nan")]):
        with pytest.raises(ValueError, match=r"in \(0, 1\]"):
            design_weights(bad)


def test_two_stage_weights() -> None:
    # Stratum N: 2 of its 10 villages; stratum S: 1 of its 4. Village x lists 50 households
    # and 2 were interviewed, y lists 20 (1 interview), z lists 30 (3 interviews).
    strata = ["N", "N", "N", "S", "S", "S"]
    psu = ["x", "x", "y", "z", "z", "z"]
    weights = two_stage_weights(strata, psu, {"N": 10, "S": 4}, {"x": 50, "y": 20, "z": 30})
    # x: 1 / (2/10 * 2/50) = 125; y: 1 / (2/10 * 1/20) = 100; z: 1 / (1/4 * 3/30) = 40.
    assert weights.tolist() == pytest.approx([125, 125, 100, 40, 40, 40])
    # Probability proportional to size: x has 300 people, y 100, stratum N 2,000 in all:
    # p1(x) = 2 * 300 / 2000 = 0.3, p1(y) = 0.1; S is one village of 400 out of 800: 0.5.
    pps = two_stage_weights(
        strata,
        psu,
        {"N": 10, "S": 4},
        psu_size={"x": 300, "y": 100, "z": 400},
        stratum_size={"N": 2000, "S": 800},
    )
    assert pps.tolist() == pytest.approx([1 / 0.3, 1 / 0.3, 10, 2, 2, 2])
    with pytest.raises(ValueError, match="no entry"):
        two_stage_weights(strata, psu, {"N": 10})
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        two_stage_weights(strata, psu, {"N": 1, "S": 4})  # 2 of 1 villages
    with pytest.raises(ValueError, match="unique"):
        two_stage_weights(["N", "S"], ["x", "x"], {"N": 2, "S": 2})


# --- Independent computation with explicit loops ---------------------------------------


def loop_reference(
    y: list[float],
    w: list[float],
    strata: list[Any],
    psu: list[Any],
    domain: list[bool],
    kind: str,
    fpc: dict[Any, int] | None = None,
    lonely: str = "certainty",
) -> tuple[float, float, float]:
    """Estimate, variance and SRS variance, written with plain loops over respondents,
    strata and PSUs (no numpy), from the textbook formulas."""
    n_all = len(y)
    inside = [domain[i] and not math.isnan(y[i]) for i in range(n_all)]
    n_hat = math.fsum(w[i] for i in range(n_all) if inside[i])
    weighted = math.fsum(w[i] * y[i] for i in range(n_all) if inside[i])
    estimate = weighted if kind == "total" else weighted / n_hat
    z = []
    for i in range(n_all):
        if not inside[i]:
            z.append(0.0)
        elif kind == "total":
            z.append(w[i] * y[i])
        else:
            z.append(w[i] * (y[i] - estimate) / n_hat)
    psu_totals: dict[Any, dict[Any, float]] = defaultdict(dict)
    for i in range(n_all):
        stratum_psus = psu_totals[strata[i]]
        stratum_psus[psu[i]] = stratum_psus.get(psu[i], 0.0) + z[i]
    all_totals = [t for psus in psu_totals.values() for t in psus.values()]
    grand = math.fsum(all_totals) / len(all_totals)
    variance = 0.0
    for stratum, psus in psu_totals.items():
        totals = list(psus.values())
        k = len(totals)
        f = k / fpc[stratum] if fpc else 0.0
        if k == 1:
            if lonely == "adjust":
                variance += (1 - f) * (totals[0] - grand) ** 2
            continue
        centre = math.fsum(totals) / k
        variance += (1 - f) * k / (k - 1) * math.fsum((t - centre) ** 2 for t in totals)
    if kind == "total":
        answered = [i for i in range(n_all) if not math.isnan(y[i])]
        m = len(answered)
        everyone = math.fsum(w[i] for i in answered)
        u = {i: (y[i] if inside[i] else 0.0) for i in answered}
        u_mean = math.fsum(w[i] * u[i] for i in answered) / everyone
        s2 = math.fsum(w[i] * (u[i] - u_mean) ** 2 for i in answered) / everyone * m / (m - 1)
        srs = everyone**2 * s2 / m
    else:
        n = sum(inside)
        spread = math.fsum(w[i] * (y[i] - estimate) ** 2 for i in range(n_all) if inside[i])
        srs = spread / n_hat * n / (n - 1) / n
    if fpc:
        srs *= 1 - n_all / math.fsum(w)
    return estimate, variance, srs


def random_survey(seed: int, n_strata: int = 4, n: int = 600) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, n_strata, n)
    psu = rng.integers(0, 6, n)  # labels reused across strata (nested)
    psu[strata == 0] = 0  # stratum 0 has a single PSU
    w = rng.lognormal(3, 0.6, n)
    y = rng.normal(5, 2, n) + strata
    y[rng.random(n) < 0.05] = np.nan
    group = rng.choice(["F", "M", "X"], n, p=[0.5, 0.47, 0.03])
    return {"strata": strata, "psu": psu, "w": w, "y": y, "group": group}


@pytest.mark.parametrize("lonely", ["certainty", "adjust"])
@pytest.mark.parametrize("with_fpc", [False, True])
@pytest.mark.parametrize("kind", ["mean", "proportion", "total"])
def test_every_estimator_agrees_with_loops(kind: str, with_fpc: bool, lonely: Any) -> None:
    data = random_survey(seed=7)
    y = data["y"]
    if kind == "proportion":
        y = np.where(np.isnan(y), np.nan, (y > 6).astype(float))
    fpc_map = {s: 40 + 10 * s for s in range(4)} if with_fpc else None
    fpc = np.array([fpc_map[s] for s in data["strata"]]) if fpc_map else None
    design = Design(data["w"], strata=data["strata"], psu=data["psu"], fpc=fpc, lonely_psu=lonely)
    assert design.df == design.n_psu - 4
    estimator = {"mean": mean, "proportion": proportion, "total": total}[kind]
    groups = by_domain(y, design, data["group"], kind=kind)  # type: ignore[arg-type]
    for label in ["F", "M", "X", None]:
        mask = np.ones(len(y), bool) if label is None else data["group"] == label
        est = estimator(y, design, domain=mask)
        if label is not None:
            assert same(groups[label], est)
        ref_est, ref_var, ref_srs = loop_reference(
            y.tolist(),
            data["w"].tolist(),
            data["strata"].tolist(),
            data["psu"].tolist(),
            mask.tolist(),
            "total" if kind == "total" else "mean",
            fpc_map,
            lonely,
        )
        assert est.estimate == pytest.approx(ref_est, rel=1e-9)
        assert est.se == pytest.approx(math.sqrt(ref_var), rel=1e-9)
        assert est.deff == pytest.approx(ref_var / ref_srs, rel=1e-9)
        t = stats.t.ppf(0.975, design.df)
        low, high = ref_est - t * math.sqrt(ref_var), ref_est + t * math.sqrt(ref_var)
        if kind == "proportion":
            low, high = max(low, 0.0), min(high, 1.0)
        assert est.ci_low == pytest.approx(low, rel=1e-9)
        assert est.ci_high == pytest.approx(high, rel=1e-9)
        answered = ~np.isnan(y) & mask
        assert est.n == int(answered.sum())
        assert est.population == pytest.approx(data["w"][answered].sum(), rel=1e-12)
        assert est.flagged == (est.n < 30)


def test_unclustered_design_matches_statsmodels() -> None:
    # Every respondent its own PSU, one stratum: the weighted mean is statsmodels'
    # DescrStatsW mean, and the linearisation variance is the HC1 sandwich of a weighted
    # regression on a constant: sum w^2 (y - R)^2 / (sum w)^2 * n / (n - 1).
    rng = np.random.default_rng(3)
    y = rng.normal(2, 1, 500)
    w = rng.uniform(1, 9, 500)
    est = mean(y, Design(w))
    assert est.estimate == pytest.approx(sm.stats.DescrStatsW(y, weights=w).mean, rel=1e-12)
    fit = sm.WLS(y, np.ones(500), weights=w).fit(cov_type="HC1")
    assert est.estimate == pytest.approx(fit.params[0], rel=1e-12)
    assert est.se == pytest.approx(fit.bse[0], rel=1e-9)
    assert est.df == 499


def cluster_regression_se(y: np.ndarray, w: np.ndarray, groups: np.ndarray, psu: np.ndarray) -> Any:
    """Domain means as coefficients of a weighted regression on domain dummies over the
    whole sample, with cluster-robust standard errors; statsmodels' small-sample factor
    G/(G-1) * (N-1)/(N-K) is divided back to G/(G-1), the ultimate cluster factor."""
    labels = sorted(set(groups.tolist()))
    x = np.column_stack([(groups == label).astype(float) for label in labels])
    fit = sm.WLS(y, x, weights=w).fit(cov_type="cluster", cov_kwds={"groups": psu})
    n, k = x.shape
    return labels, fit.params, fit.bse / math.sqrt((n - 1) / (n - k))


def test_clustered_domains_match_statsmodels_cluster_robust() -> None:
    rng = np.random.default_rng(11)
    psu = rng.integers(0, 40, 800)
    w = rng.uniform(1, 5, 800)
    y = (rng.random(800) < 0.3 + 0.01 * psu).astype(float)
    groups = rng.choice(np.array(["a", "b", "c"]), 800)
    labels, params, se = cluster_regression_se(y, w, groups, psu)
    ours = by_domain(y, Design(w, psu=psu), groups, kind="proportion")
    for label, param, error in zip(labels, params, se, strict=True):
        assert ours[label].estimate == pytest.approx(param, rel=1e-12)
        assert ours[label].se == pytest.approx(error, rel=1e-9)


def test_t_quantile_matches_scipy() -> None:
    for df in [1, 2, 3, 4, 7, 30, 485, 1000, 5000, 5001, 99_980]:
        assert t_quantile(0.975, df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-12)
    assert t_quantile(0.995, 12) == pytest.approx(stats.t.ppf(0.995, 12), rel=1e-12)


# --- Missing values, categories, small cells -------------------------------------------


def test_missing_answers_leave_numerator_and_denominator_together() -> None:
    y = [1.0, None, 0.0, float("nan"), 1.0, 1.0]
    w = [1, 50, 1, 50, 2, 2]
    est = mean(y, Design(w), min_n=1, suppress_below=1)
    assert est.estimate == pytest.approx((1 + 2 + 2) / (1 + 1 + 2 + 2))
    assert est.n == 4 and est.population == pytest.approx(6)
    share = proportion(["safe", "unsafe", None, "safe", "safe", ""], Design(w), category="safe")
    # "" is an answer (not "safe"); None is missing.
    assert share.n == 5 and share.flagged and not share.suppressed
    assert share.estimate == pytest.approx((1 + 50 + 2) / (1 + 50 + 50 + 2 + 2))


def test_small_cells_are_suppressed_or_flagged() -> None:
    rng = np.random.default_rng(5)
    n = 174
    y = (rng.random(n) < 0.5).astype(float)
    groups = np.array(["big"] * 150 + ["medium"] * 20 + ["tiny"] * 4)
    results = by_domain(y, Design(np.ones(n)), groups, kind="proportion")
    assert not results["big"].flagged and not results["big"].suppressed
    assert results["medium"].flagged and not results["medium"].suppressed
    assert results["medium"].estimate is not None
    tiny = results["tiny"]
    assert tiny.suppressed and tiny.flagged and tiny.n == 4
    assert (tiny.estimate, tiny.se, tiny.ci_low, tiny.ci_high, tiny.deff) == (None,) * 5
    assert tiny.population is None and tiny.n_effective is None
    custom = by_domain(y, Design(np.ones(n)), groups, kind="proportion", min_n=10)
    assert not custom["medium"].flagged
    shown = by_domain(y, Design(np.ones(n)), groups, kind="proportion", suppress_below=3)
    assert shown["tiny"].estimate is not None and shown["tiny"].flagged


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="positive finite"):
        Design([1.0, 0.0])
    with pytest.raises(ValueError, match="entries for 2 weights"):
        Design([1.0, 2.0], strata=[1, 2, 3])
    with pytest.raises(ValueError, match="booleans or 0/1"):
        proportion([0, 2, 1], Design([1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="kind"):
        by_domain([1, 2], Design([1.0, 1.0]), ["a", "b"], kind="median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="missing labels"):
        Design([1.0, 1.0], strata=["a", None])
    groups = by_domain([1.0, 2.0, 3.0], Design([1.0, 1.0, 1.0]), ["a", None, "a"], min_n=1)
    assert list(groups) == ["a"] and groups["a"].n == 2


# --- Raking -----------------------------------------------------------------------------


def population_sample(seed: int, n: int = 3000) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n, p=[0.6, 0.4])
    age = rng.choice(["18-29", "30-49", "50+"], n, p=[0.5, 0.3, 0.2])
    community = rng.choice(["Beni", "Oicha", "Mbau", "Eringeti"], n)
    return {"sex": sex, "age": age, "community": community, "w": rng.uniform(5, 15, n)}


def assert_margins(weights: np.ndarray, codes: np.ndarray, targets: Mapping[str, float]) -> None:
    for category, target in targets.items():
        got = weights[codes == category].sum()
        assert abs(got - target) <= 1e-6 * max(1.0, target)


def test_raking_reproduces_three_margins() -> None:
    data = population_sample(1)
    margins = {
        "sex": (data["sex"], {"F": 25_000.0, "M": 25_000.0}),
        "age": (data["age"], {"18-29": 22_000.0, "30-49": 17_000.0, "50+": 11_000.0}),
        "community": (
            data["community"],
            {"Beni": 20_000.0, "Oicha": 12_000.0, "Mbau": 10_000.0, "Eringeti": 8_000.0},
        ),
    }
    result = rake(data["w"], margins)
    assert result.converged and result.max_error <= 1e-10
    assert 1 < result.iterations < 100
    for codes, targets in margins.values():
        assert_margins(result.weights, codes, targets)
    assert (result.weights > 0).all()
    # Starting weights are not modified.
    assert data["w"].min() >= 5


def test_raking_to_a_crossed_margin() -> None:
    data = population_sample(2)
    sex_age = cross_codes(data["sex"], data["age"])
    assert sex_age[0] in {f"{s}|{a}" for s in "FM" for a in ["18-29", "30-49", "50+"]}
    cells = {"F|18-29": 9000, "F|30-49": 8000, "F|50+": 6000, "M|18-29": 11000}
    cells |= {"M|30-49": 9000, "M|50+": 7000}
    community = {"Beni": 20_000, "Oicha": 12_000, "Mbau": 10_000, "Eringeti": 8_000}
    margins = {
        "sex x age": (sex_age, {k: float(v) for k, v in cells.items()}),
        "community": (data["community"], {k: float(v) for k, v in community.items()}),
    }
    result = rake(np.ones(len(sex_age)), margins)
    assert result.converged
    assert_margins(result.weights, sex_age, cells)
    assert_margins(result.weights, data["community"], community)


def test_raking_that_cannot_converge_says_so() -> None:
    # Every woman in the sample is young and every man old, so the "women" total must equal
    # the "young" total: targets of 60 women and 40 young people cannot both be met.
    sex = np.array(["F"] * 10 + ["M"] * 10)
    age = np.array(["young"] * 10 + ["old"] * 10)
    margins = {
        "sex": (sex, {"F": 60.0, "M": 40.0}),
        "age": (age, {"young": 40.0, "old": 60.0}),
    }
    result = rake(np.ones(20), margins, max_iter=50)
    assert not result.converged
    assert result.iterations == 50
    assert result.max_error > 0.1
    short = rake(np.ones(20), {"sex": margins["sex"]}, max_iter=1)
    assert short.converged and short.iterations == 1


def test_raking_errors() -> None:
    sex = np.array(["F", "M", "F"])
    with pytest.raises(ValueError, match="no respondent in target categories \\['X'\\]"):
        rake(np.ones(3), {"sex": (sex, {"F": 1.0, "M": 1.0, "X": 1.0})})
    with pytest.raises(ValueError, match="categories with no target"):
        rake(np.ones(3), {"sex": (sex, {"F": 2.0})})
    with pytest.raises(ValueError, match="positive finite"):
        rake([1.0, -1.0, 1.0], {"sex": (sex, {"F": 2.0, "M": 1.0})})
    with pytest.raises(ValueError, match="positive finite"):
        rake(np.ones(3), {"sex": (sex, {"F": 0.0, "M": 1.0})})
    margins = {
        "sex": (sex, {"F": 20.0, "M": 10.0}),
        "age": (np.array(["a", "b", "b"]), {"a": 10.0, "b": 10.0}),
    }
    with pytest.raises(ValueError, match="grand totals disagree"):
        rake(np.ones(3), margins)
    result = rake(np.ones(3), margins, normalise=True)
    assert result.converged
    assert result.weights.sum() == pytest.approx(30.0)
    assert result.weights[0] == pytest.approx(15.0)


# --- Large inputs (the timing is bench/surveys.py's) ------------------------------------


def test_twenty_domains_of_100000_respondents_add_up_to_the_whole() -> None:
    rng = np.random.default_rng(0)
    n = 100_000
    strata = rng.integers(0, 20, n)
    psu = rng.integers(0, 50, n)
    w = rng.lognormal(4, 0.5, n)
    y = (rng.random(n) < 0.4).astype(float)
    groups = rng.integers(0, 20, n)
    design = Design(w, strata=strata, psu=psu)
    shares = by_domain(y, design, groups, kind="proportion")
    totals = by_domain(y, design, groups, kind="total")
    assert len(shares) == len(totals) == 20
    whole = total(y, design)
    assert sum(e.estimate for e in totals.values()) == pytest.approx(whole.estimate, rel=1e-12)  # type: ignore[misc]
    for label, est in shares.items():
        inside = groups == label
        assert est.estimate == pytest.approx(np.sum(w * y * inside) / np.sum(w * inside), rel=1e-12)
        assert est.se is not None and 0 < est.se < 0.05


# --- Real microdata: Darfurian refugees in Chad ----------------------------------------


@pytest.fixture(scope="module")
def darfur() -> pd.DataFrame:
    """Hazlett (2020) survey of Darfurian refugees (../shared/data/surveys): skipped when
    absent, unless ULINZI_REQUIRE_SHARED_DATA=1 (then its absence fails)."""
    path = SHARED_DATA / "surveys" / "darfur_refugees_chad.csv"
    if not path.is_file():
        message = f"the shared survey data is not at {path}"
        if os.environ.get("ULINZI_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return pd.read_csv(path)


def age_group(age: pd.Series) -> np.ndarray:
    return np.asarray(pd.cut(age, [0, 29, 44, 200], labels=["18-29", "30-44", "45+"]).astype(str))


@pytest.mark.parametrize("by", ["female", "directlyharmed"])
def test_darfur_shares_by_domain(darfur: pd.DataFrame, by: str) -> None:
    assert len(darfur) == 1276 and darfur["village"].nunique() == 486
    y = darfur["peace_formerenemies"].to_numpy(dtype=float)
    groups = darfur[by].to_numpy()
    design = Design(np.ones(len(darfur)), psu=darfur["village"].to_numpy())
    assert design.df == 485
    shares = by_domain(y, design, groups, kind="proportion")
    assert set(shares) == {0, 1}

    # The unweighted share is pandas' group mean.
    expected = darfur.groupby(by)["peace_formerenemies"].mean()
    counts = darfur.groupby(by).size()
    for label, est in shares.items():
        assert est.estimate == pytest.approx(expected[label], rel=1e-12)
        assert est.n == counts[label] and not est.flagged

    # Loops over villages, and statsmodels' cluster-robust regression on domain dummies.
    labels, params, se = cluster_regression_se(
        y, np.ones(len(y)), groups, darfur["village"].to_numpy()
    )
    for label, param, error in zip(labels, params, se, strict=True):
        est = shares[label]
        ref_est, ref_var, _ = loop_reference(
            y.tolist(),
            [1.0] * len(y),
            [0] * len(y),
            darfur["village"].tolist(),
            (groups == label).tolist(),
            "mean",
        )
        assert est.estimate == pytest.approx(ref_est, rel=1e-9)
        assert est.se == pytest.approx(math.sqrt(ref_var), rel=1e-9)
        assert est.estimate == pytest.approx(param, rel=1e-12)
        assert est.se == pytest.approx(error, rel=1e-9)
        assert est.deff is not None and est.deff > 0.5
        assert est.ci_low is not None and est.ci_low < est.estimate < est.ci_high  # type: ignore[operator]


def test_darfur_raking_to_its_own_margins_changes_nothing(darfur: pd.DataFrame) -> None:
    sex = darfur["female"].map({0: "M", 1: "F"}).to_numpy()
    cell = cross_codes(sex, age_group(darfur["age"]))
    targets = {k: float(v) for k, v in pd.Series(cell).value_counts().items()}
    result = rake(np.ones(len(darfur)), {"sex x age": (cell, targets)})
    assert result.converged and result.iterations == 1
    assert np.abs(result.weights - 1).max() < 1e-12

    # Raked to an even sex split instead: the margins hold and the estimate moves with them.
    even = {"F": len(darfur) / 2, "M": len(darfur) / 2}
    raked = rake(np.ones(len(darfur)), {"sex": (sex, even)})
    assert_margins(raked.weights, sex, even)
    design = Design(raked.weights, psu=darfur["village"].to_numpy())
    y = darfur["peace_formerenemies"].to_numpy(dtype=float)
    est = mean(y, design)
    by_sex = darfur.groupby("female")["peace_formerenemies"].mean()
    assert est.estimate == pytest.approx((by_sex[0] + by_sex[1]) / 2, rel=1e-12)


# --- A published example: NHANES II, a stratified cluster design -----------------------
#
# The second US National Health and Nutrition Examination Survey (1976-80) as used in the
# examples of Stata's Survey Data Reference Manual ("svy: mean zinc": 31 strata, 62 PSUs,
# final weights). Its published output: 9,189 observations, population size 104,176,071,
# design df 31, mean serum zinc 87.18207, linearised standard error .4944827, 95 % interval
# 86.17356 to 88.19057. The data (public domain, US National Center for Health Statistics)
# ship with the samplics package, which is also the second, independent implementation
# below (its Taylor estimator, written apart from this project's).

NHANES_ZINC = {
    "n": 9189,
    "population": 104_176_071,
    "df": 31,
    "mean": 87.18207,
    "se": 0.4944827,
    "ci": (86.17356, 88.19057),
}


@pytest.fixture(scope="module")
def nhanes2() -> pd.DataFrame:
    from importlib.resources import files

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # samplics says it is archived
        path = files("samplics.datasets") / "data" / "nhanes2.csv"
        with path.open("rb") as handle:
            return pd.read_csv(handle)


def nhanes_design(data: pd.DataFrame) -> Design:
    return Design(
        data["finalwgt"].to_numpy(dtype=float),
        strata=data["stratid"].to_numpy(),
        psu=data["psuid"].to_numpy(),
    )


def test_nhanes2_zinc_reproduces_the_published_output(nhanes2: pd.DataFrame) -> None:
    design = nhanes_design(nhanes2)
    assert (design.n_strata, design.n_psu, design.df) == (31, 62, NHANES_ZINC["df"])
    est = mean(nhanes2["zinc"].to_numpy(dtype=float), design)
    assert est.n == NHANES_ZINC["n"] and est.df == NHANES_ZINC["df"]
    assert est.population == pytest.approx(NHANES_ZINC["population"], abs=1e-3)
    # Published to 7 significant digits: each figure within half a unit of its last digit.
    assert est.estimate == pytest.approx(NHANES_ZINC["mean"], abs=5e-6)
    assert est.se == pytest.approx(NHANES_ZINC["se"], abs=5e-8)
    low, high = NHANES_ZINC["ci"]  # type: ignore[misc]
    assert est.ci_low == pytest.approx(low, abs=5e-6)
    assert est.ci_high == pytest.approx(high, abs=5e-6)


def samplics_estimate(
    kind: str, y: pd.Series, data: pd.DataFrame, domain: pd.Series | None = None
) -> tuple[dict[Any, float], dict[Any, float]]:
    """Point estimates and standard errors from samplics' Taylor estimator."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam

        estimator = TaylorEstimator(PopParam.prop if kind == "proportion" else PopParam.mean)
        estimator.estimate(
            y=y,
            samp_weight=data["finalwgt"],
            stratum=data["stratid"],
            psu=data["psuid"],
            domain=domain,
            remove_nan=True,
        )
    return _flatten(estimator.point_est, kind), _flatten(estimator.stderror, kind)


def _flatten(values: Any, kind: str) -> dict[Any, float]:
    """samplics keys a proportion by category (the share asked is category 1), and domain
    estimates by domain first; the whole sample is the domain None here."""
    if not isinstance(values, dict):
        return {None: float(values)}
    if kind == "proportion" and not isinstance(next(iter(values.values())), dict):
        values = {None: values}
    return {
        (None if label is None else label.item()): float(v[1] if kind == "proportion" else v)
        for label, v in values.items()
    }


@pytest.mark.parametrize(
    ("kind", "column", "by"),
    [
        ("mean", "zinc", None),
        ("mean", "zinc", "race"),
        ("mean", "zinc", "region"),
        ("proportion", "highbp", None),
        ("proportion", "highbp", "race"),
        ("proportion", "highlead", "region"),
        ("proportion", "diabetes", "race"),
    ],
)
def test_nhanes2_agrees_with_samplics(
    nhanes2: pd.DataFrame, kind: str, column: str, by: str | None
) -> None:
    design = nhanes_design(nhanes2)
    y = nhanes2[column].to_numpy(dtype=float)
    ref_points, ref_errors = samplics_estimate(
        kind, nhanes2[column], nhanes2, None if by is None else nhanes2[by]
    )
    if by is None:
        ours = {None: mean(y, design) if kind == "mean" else proportion(y, design)}
    else:
        ours = by_domain(y, design, nhanes2[by].to_numpy(), kind=kind)  # type: ignore[arg-type]
    assert set(ours) == set(ref_points)
    for label, est in ours.items():
        assert est.estimate == pytest.approx(ref_points[label], rel=1e-9)
        assert est.se == pytest.approx(ref_errors[label], rel=1e-9)
