"""Benchmark difference-in-differences (ulinzi.indicators.did): coverage, bias, agreement, speed.

Run: ``.venv/bin/python bench/did.py [--quick] [--out PATH]``.

On simulated panels with a known effect, the 95% interval should cover the true
effect in about 95% of replications, and the estimate should equal statsmodels'
OLS with clustered errors.

Simulated panels (seeded, ``simulate()``)
    ``G`` communities observed every month for 24 months (0-23); the initiative
    starts in month 12 in the treated communities. The indicator (think monthly
    alerts per 10,000 people) is::

        y[i, m] = 20 + a[i] + s[m] + e[i, m] + effect x treated[i] x (m >= 12)

    ``a[i]`` ~ N(0, 3^2), a community's own level (random effect);
    ``s[m] = 2 sin(2 pi m / 12) + N(0, 1)``, a season and shocks shared by all
    communities; ``e[i, m]`` AR(1) within each community, ``e[m] = 0.7 e[m-1] +
    u[m]``, ``u`` ~ N(0, 1.5^2), started from its stationary distribution (so a
    community's months are correlated: ordinary errors are too small and
    clustering by community matters). The true effect is -2.0 (two fewer
    alerts per 10,000 a month). Replication ``r`` uses
    ``numpy.random.default_rng(seed + r)``.

Scenarios
    ``main``: 40 communities, the number treated drawn uniformly from 10-20
    in each replication (the first ones), 1,000 replications (seed 1000).
    ``few_treated``: 40 communities, 3 treated (seed 2000), and ``few_total``:
    12 communities, 6 treated (seed 3000), 1,000 replications each: clustered
    errors are known to be too small with few clusters; their coverage is
    reported, not a target.

Figures, per scenario
    ``coverage``: share of replications whose interval (pooled model, t with
    G - 1 degrees of freedom, the module's default) holds -2.0; its Monte
    Carlo standard error is about 0.007 at 0.95 with 1,000 replications.
    ``coverage_normal``: the same with the normal distribution (statsmodels'
    default when ``use_t`` is not given). ``coverage_twfe``: the fixed-effects
    model's interval. ``coverage_ols_iid`` and ``coverage_twfe_iid``: the
    pooled and the fixed-effects models with ordinary (not clustered) OLS
    errors, to show why clustering matters: with the fixed effects, the
    ordinary errors ignore the correlation of a community's months and the
    interval is too narrow (Bertrand, Duflo and Mullainathan 2004); in the
    pooled model they also count the spread of the communities' levels, which
    the difference in differences removes, and the two mistakes pull in
    opposite directions (a coverage near 0.95 there is a coincidence of this
    simulation's variances, not a property). ``mean_bias``
    (mean estimate minus -2.0), ``rmse``, ``mean_ci_width``,
    ``pre_trend_flag_rate``: share of replications with the pre-trend caution
    (p < 0.10); the trends are parallel by construction, so about 0.10 is
    expected.

Baseline: statsmodels
    ``statsmodels.api.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups":
    unit}, use_t=True)`` on the first 200 replications of ``main`` (the
    design built from the same arrays): pooled ``[1, treated, post, treated x
    post]`` and the fixed-effects design (treatment, one dummy per community,
    one per month but the first). ``max_abs_diff_*``: largest difference in
    effect, standard error and interval bound between the module and
    statsmodels. Speed: median wall time per fit of each (the module's time
    includes its pre-trend check, the group means and the cautions;
    statsmodels' includes building the design matrix).

``--quick`` is a small version for the test suite (60 replications per
scenario, 20 compared): its figures are not comparable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _results import header, write_result  # noqa: E402 (bench/ is on sys.path when a script runs)

from ulinzi.indicators.did import did  # noqa: E402

MONTHS = 24
START = 12
EFFECT = -2.0
RHO = 0.7
INNOVATION_SD = 1.5
LEVEL_SD = 3.0
SCENARIOS = {  # name: (communities, treated (low, high) inclusive, seed)
    "main": (40, (10, 20), 1000),
    "few_treated": (40, (3, 3), 2000),
    "few_total": (12, (6, 6), 3000),
}


def simulate(
    rng: np.random.Generator, communities: int, treated: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[int]]:
    """One balanced panel (see the docstring): values, unit, period, treated units."""
    level = rng.normal(0.0, LEVEL_SD, communities)
    months = np.arange(MONTHS)
    season = 2.0 * np.sin(2 * np.pi * months / 12) + rng.normal(0.0, 1.0, MONTHS)
    noise = np.empty((communities, MONTHS))
    noise[:, 0] = rng.normal(0.0, INNOVATION_SD / np.sqrt(1 - RHO**2), communities)
    for m in range(1, MONTHS):
        noise[:, m] = RHO * noise[:, m - 1] + rng.normal(0.0, INNOVATION_SD, communities)
    is_treated = np.arange(communities) < treated
    y = 20.0 + level[:, None] + season[None, :] + noise
    y += EFFECT * (is_treated[:, None] & (months >= START)[None, :])
    unit = np.repeat(np.arange(communities), MONTHS)
    period = np.tile(months, communities)
    return y.ravel(), unit, period, set(range(treated))


def iid_intervals(
    y: np.ndarray, treated: np.ndarray, post: np.ndarray, communities: int
) -> list[tuple[float, float]]:
    """95% intervals with ordinary (not clustered) OLS errors, t with N - K degrees of freedom:
    the pooled model, then the fixed-effects model (two-way demeaning, exact on a balanced
    panel)."""
    from scipy import stats

    out = []
    x = np.column_stack([np.ones_like(y), treated, post, treated * post])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    n, k = x.shape
    var = resid @ resid / (n - k) * np.linalg.inv(x.T @ x)[3, 3]
    q = stats.t.ppf(0.975, n - k)
    out.append((beta[3] - q * np.sqrt(var), beta[3] + q * np.sqrt(var)))

    def demean(v: np.ndarray) -> np.ndarray:
        grid = v.reshape(communities, MONTHS)
        within: np.ndarray = grid - grid.mean(1, keepdims=True) - grid.mean(0, keepdims=True)
        return (within + float(grid.mean())).ravel()

    yt, dt = demean(y), demean(treated * post)
    effect = dt @ yt / (dt @ dt)
    resid = yt - effect * dt
    k = communities + MONTHS  # treatment, unit dummies, month dummies but the first
    var = resid @ resid / (n - k) / (dt @ dt)
    q = stats.t.ppf(0.975, n - k)
    out.append((effect - q * np.sqrt(var), effect + q * np.sqrt(var)))
    return out


def statsmodels_fit(
    y: np.ndarray, unit: np.ndarray, period: np.ndarray, treated: set[int], model: str
) -> tuple[float, float, float, float]:
    import statsmodels.api as sm

    t = np.isin(unit, sorted(treated)).astype(float)
    post = (period >= START).astype(float)
    if model == "pooled":
        x = np.column_stack([np.ones_like(y), t, post, t * post])
        column = 3
    else:
        units, periods = np.unique(unit), np.unique(period)
        x = np.column_stack(
            [
                t * post,
                (unit[:, None] == units[None, :]).astype(float),
                (period[:, None] == periods[None, 1:]).astype(float),
            ]
        )
        column = 0
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": unit}, use_t=True)
    low, high = fit.conf_int()[column]
    return float(fit.params[column]), float(fit.bse[column]), float(low), float(high)


def scenario(name: str, replications: int) -> dict[str, Any]:
    communities, (low, high), seed = SCENARIOS[name]
    covered = {"t": 0, "normal": 0, "twfe": 0, "iid": 0, "twfe_iid": 0}
    estimates, widths, flags = [], [], 0
    start = time.perf_counter()
    for r in range(replications):
        rng = np.random.default_rng(seed + r)
        treated_n = int(rng.integers(low, high + 1))
        y, unit, period, treated = simulate(rng, communities, treated_n)
        units = list(unit)
        res = did(y, units, period, treated, START)
        normal = did(y, units, period, treated, START, use_t=False)
        twfe = did(y, units, period, treated, START, model="twfe")
        covered["t"] += res.ci_low <= EFFECT <= res.ci_high
        covered["normal"] += normal.ci_low <= EFFECT <= normal.ci_high
        covered["twfe"] += twfe.ci_low <= EFFECT <= twfe.ci_high
        t = (unit < treated_n).astype(float)
        plain, fixed = iid_intervals(y, t, (period >= START).astype(float), communities)
        covered["iid"] += plain[0] <= EFFECT <= plain[1]
        covered["twfe_iid"] += fixed[0] <= EFFECT <= fixed[1]
        estimates.append(res.effect)
        widths.append(res.ci_high - res.ci_low)
        flags += res.pre_trend_p_value is not None and res.pre_trend_p_value < 0.10
    errors = np.asarray(estimates) - EFFECT
    return {
        "communities": communities,
        "treated": f"{low}-{high}" if low != high else low,
        "replications": replications,
        "coverage": round(covered["t"] / replications, 4),
        "coverage_normal": round(covered["normal"] / replications, 4),
        "coverage_twfe": round(covered["twfe"] / replications, 4),
        "coverage_ols_iid": round(covered["iid"] / replications, 4),
        "coverage_twfe_iid": round(covered["twfe_iid"] / replications, 4),
        "mean_bias": round(float(errors.mean()), 4),
        "rmse": round(float(np.sqrt((errors**2).mean())), 4),
        "mean_ci_width": round(statistics.fmean(widths), 3),
        "pre_trend_flag_rate": round(flags / replications, 4),
        "wall_s": round(time.perf_counter() - start, 1),
    }


def compare(replications: int) -> dict[str, Any]:
    communities, (low, high), seed = SCENARIOS["main"]
    diffs = {"effect": 0.0, "se": 0.0, "ci": 0.0}
    times: dict[str, list[float]] = {"pooled": [], "twfe": [], "sm_pooled": [], "sm_twfe": []}
    for r in range(replications):
        rng = np.random.default_rng(seed + r)
        y, unit, period, treated = simulate(rng, communities, int(rng.integers(low, high + 1)))
        for model in ("pooled", "twfe"):
            begin = time.perf_counter()
            res = did(y, list(unit), period, treated, START, model=model)
            times[model].append(time.perf_counter() - begin)
            begin = time.perf_counter()
            effect, se, ci_low, ci_high = statsmodels_fit(y, unit, period, treated, model)
            times[f"sm_{model}"].append(time.perf_counter() - begin)
            diffs["effect"] = max(diffs["effect"], abs(res.effect - effect))
            diffs["se"] = max(diffs["se"], abs(res.se - se))
            diffs["ci"] = max(diffs["ci"], abs(res.ci_low - ci_low), abs(res.ci_high - ci_high))
    ms = {key: statistics.median(value) * 1000 for key, value in times.items()}
    return {
        "replications": replications,
        "max_abs_diff_effect": float(f"{diffs['effect']:.3g}"),
        "max_abs_diff_se": float(f"{diffs['se']:.3g}"),
        "max_abs_diff_ci": float(f"{diffs['ci']:.3g}"),
        "ms": ms,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few replications")
    parser.add_argument("--out", type=Path, help="where to write the JSON result")
    args = parser.parse_args(argv)
    quick = args.quick
    replications = 60 if quick else 1000
    compared = 20 if quick else 200

    begin = time.perf_counter()
    figures: dict[str, Any] = {"true_effect": EFFECT}
    for name in SCENARIOS:
        figures[name] = scenario(name, replications)
    agreement = compare(compared)
    ms = agreement.pop("ms")
    figures.update(agreement)
    figures["ms_per_fit_pooled"] = round(ms["pooled"], 3)
    figures["ms_per_fit_twfe"] = round(ms["twfe"], 3)
    wall = time.perf_counter() - begin
    figures["wall_s"] = round(wall, 1)

    main_figures = figures["main"]
    coverage = main_figures["coverage"]
    exact = max(agreement["max_abs_diff_effect"], agreement["max_abs_diff_se"])
    result: dict[str, Any] = {
        **header("did"),
        "data": (
            f"Simulated, model in bench/did.py's docstring{' (quick subset)' if quick else ''}: "
            f"balanced panels of {MONTHS} months, start at month {START}, community random "
            f"effects (sd {LEVEL_SD:g}), shared season and shocks, AR(1) noise within "
            f"community (rho {RHO:g}, innovation sd {INNOVATION_SD:g}), true effect {EFFECT:g}. "
            f"Scenarios: main (40 communities, 10-20 treated), few_treated (40, 3 treated), "
            f"few_total (12, 6 treated), {replications} replications each; statsmodels "
            f"compared on the first {compared} replications of main."
        ),
        "figures": figures,
        "baseline": {
            "name": 'statsmodels OLS(...).fit(cov_type="cluster", groups=community, use_t=True)',
            "replications": compared,
            "ms_per_fit_pooled": round(ms["sm_pooled"], 3),
            "ms_per_fit_twfe": round(ms["sm_twfe"], 3),
        },
        "targets": {
            "coverage_main": {
                "value": coverage,
                "goal": "0.93-0.97",
                "met": bool(0.93 <= coverage <= 0.97),
            },
            "max_abs_diff_vs_statsmodels": {
                "value": exact,
                "goal": "<= 1e-10",
                "met": bool(exact <= 1e-10),
            },
            "wall_s": {"value": round(wall, 1), "goal": "< 300", "met": bool(wall < 300)},
        },
    }
    out = write_result("did", result, args.out, quick)
    print(
        f"did: coverage {coverage:.3f} (main, {replications} replications), "
        f"bias {main_figures['mean_bias']:+.3f}, few treated {figures['few_treated']['coverage']:.3f}, "
        f"12 communities {figures['few_total']['coverage']:.3f} | vs statsmodels max diff "
        f"{exact:.1g}, {ms['pooled']:.2f} ms vs {ms['sm_pooled']:.2f} ms per pooled fit | "
        f"{wall:.0f} s -> {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
