"""Benchmark the survey estimators (ulinzi.surveys.estimators): domain estimates and raking.

Run: ``.venv/bin/python bench/surveys.py [--quick] [--out PATH]``.

Synthetic survey (seeded, ``synthetic()``)
    100,000 respondents of a stratified two-stage perception-of-safety survey: 20 strata
    (territories), 40 PSUs (villages) in each, 800 PSUs in all. A village's share of its
    stratum's interviews follows a lognormal(0, 0.5) size, so villages hold from a few dozen
    to a few hundred respondents. Weights: a village weight lognormal(5, 0.4) (its inverse
    first-stage probability) times a respondent factor uniform(0.8, 1.25) (household size,
    non-response). Each respondent has a sex (52 % women), one of 5 age groups (35, 27, 18,
    12, 8 %) and a displacement status (15 % displaced): the 2 x 5 x 2 = 20 crossings are
    the domains, from about 15,000 respondents down to about 550, so many villages have no
    member of the small domains. Outcomes: "feels safe at night" (0/1; log-odds 0.2 + a
    stratum effect N(0, 0.5) + a village effect N(0, 0.4) - 0.5 for women - 0.7 for the
    displaced) and a 0-10 safety score (5 + 2 x the same linear predictor + N(0, 2), clipped),
    each missing for 3 % of respondents at random.

Domain estimates
    ``fast_s``: ``by_domain`` for the 20 domains, the proportion feeling safe and the mean
    score (40 estimates with linearised standard errors, t intervals and design effects),
    median of 5 runs. Baseline in the same run, on the same data: for each domain and
    each outcome, explicit Python loops over the strata and over every PSU of the design
    (the PSU's domain members summed with numpy, empty PSUs kept as zeros), the same full-
    design formula; ``max_abs_diff`` is the largest difference of estimate or standard error
    between the two (they must agree). ``speed_ratio`` = baseline time / fast time. For
    context, the common shortcut of subsetting each domain and analysing it alone (pandas
    groupby-apply on the subset) is timed too; ``subset_se_ratio_min``/``_median`` say how
    much smaller its standard errors are than the full-design ones.

Raking
    The same 100,000 respondents raked from their design weights to 3 margins: sex
    (2 categories), age group (5) and stratum (20), with targets from a population of
    2,000,000 whose composition differs from the sample's (50 % women, age shares 30, 28,
    20, 13, 9 %, stratum sizes lognormal); median of 3 runs, iterations to a relative error
    of 1e-10.

Real data (context only)
    ``surveys/darfur_refugees_chad.csv`` of the shared data (Hazlett 2020, 1,276 Darfurian
    refugees in Chad; no weights, villages of origin as PSUs): the share ready to make peace
    with former enemies among women and men, with standard error and design effect.

``--quick`` is a small version for the test suite (20,000 respondents, 1 run): its
figures are not comparable.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _results import header, write_result  # noqa: E402 (bench/ is on sys.path when a script runs)

from ulinzi.surveys.estimators import Design, by_domain, rake  # noqa: E402

STRATA = 20
PSUS_PER_STRATUM = 40
AGES = ["18-24", "25-34", "35-49", "50-64", "65+"]
AGE_SHARES = [0.35, 0.27, 0.18, 0.12, 0.08]
POPULATION = 2_000_000


def shared_data() -> Path:
    env = os.environ.get("ULINZI_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def synthetic(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """The survey of the docstring: design, domains and two outcomes (NaN = missing)."""
    rng = np.random.default_rng(seed)
    n_psu = STRATA * PSUS_PER_STRATUM
    size = rng.lognormal(0.0, 0.5, n_psu)
    psu = rng.choice(n_psu, n, p=size / size.sum())
    stratum = psu // PSUS_PER_STRATUM
    weight = rng.lognormal(5.0, 0.4, n_psu)[psu] * rng.uniform(0.8, 1.25, n)
    female = rng.random(n) < 0.52
    age = rng.choice(len(AGES), n, p=AGE_SHARES)
    displaced = rng.random(n) < 0.15
    domain = np.char.add(
        np.char.add(np.where(female, "F", "M"), np.array(AGES)[age]),
        np.where(displaced, " displaced", " resident"),
    )
    linear = (
        0.2
        + rng.normal(0, 0.5, STRATA)[stratum]
        + rng.normal(0, 0.4, n_psu)[psu]
        - 0.5 * female
        - 0.7 * displaced
    )
    safe = (rng.random(n) < 1 / (1 + np.exp(-linear))).astype(float)
    score = np.clip(5 + 2 * linear + rng.normal(0, 2, n), 0, 10)
    safe[rng.random(n) < 0.03] = np.nan
    score[rng.random(n) < 0.03] = np.nan
    return {
        "stratum": stratum,
        "psu": psu,
        "weight": weight,
        "female": female,
        "age": age,
        "domain": domain,
        "safe": safe,
        "score": score,
    }


def fast(data: dict[str, np.ndarray]) -> dict[str, dict[Any, Any]]:
    design = Design(data["weight"], strata=data["stratum"], psu=data["psu"])
    return {
        "safe": by_domain(data["safe"], design, data["domain"], kind="proportion"),
        "score": by_domain(data["score"], design, data["domain"], kind="mean"),
    }


def loops(data: dict[str, np.ndarray]) -> dict[str, dict[Any, tuple[float, float]]]:
    """Full-design domain estimates, one domain at a time, Python loops over strata and PSUs."""
    stratum, psu, w = data["stratum"], data["psu"], data["weight"]
    psus: dict[int, list[int]] = {}
    for h, p in zip(stratum.tolist(), psu.tolist(), strict=True):
        psus.setdefault(h, [])
        if p not in psus[h]:
            psus[h].append(p)
    out: dict[str, dict[Any, tuple[float, float]]] = {}
    for outcome in ("safe", "score"):
        y = data[outcome]
        out[outcome] = {}
        for label in sorted(set(data["domain"].tolist())):
            inside = (data["domain"] == label) & ~np.isnan(y)
            n_hat = w[inside].sum()
            estimate = (w[inside] * y[inside]).sum() / n_hat
            z = np.where(inside, w * (np.nan_to_num(y) - estimate) / n_hat, 0.0)
            variance = 0.0
            for h, members in psus.items():
                totals = [z[(stratum == h) & (psu == p)].sum() for p in members]
                k = len(totals)
                centre = sum(totals) / k
                variance += k / (k - 1) * sum((x - centre) ** 2 for x in totals)
            se = variance**0.5
            out[outcome][label] = (float(estimate), float(se))
    return out


def subset_pandas(data: dict[str, np.ndarray]) -> dict[str, dict[Any, float]]:
    """The shortcut: each domain analysed alone (groupby-apply on the subset); SEs only."""
    frame = pd.DataFrame({k: data[k] for k in ("stratum", "psu", "weight", "domain")})

    def one(part: pd.DataFrame, outcome: str) -> float:
        part = part[part[outcome].notna()]
        n_hat = part["weight"].sum()
        estimate = (part["weight"] * part[outcome]).sum() / n_hat
        z = part["weight"] * (part[outcome] - estimate) / n_hat
        totals = z.groupby([part["stratum"], part["psu"]]).sum()

        def stratum_part(t: pd.Series) -> float:
            k = len(t)
            return 0.0 if k < 2 else k / (k - 1) * float(((t - t.mean()) ** 2).sum())

        return float(totals.groupby(level=0).apply(stratum_part).sum() ** 0.5)

    out: dict[str, dict[Any, float]] = {}
    for outcome in ("safe", "score"):
        frame[outcome] = data[outcome]
        out[outcome] = {
            label: one(part, outcome) for label, part in frame.groupby("domain", sort=True)
        }
    return out


def timed(call: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def raking(data: dict[str, np.ndarray], repeat: int) -> dict[str, Any]:
    rng = np.random.default_rng(99)
    stratum_size = rng.lognormal(0, 0.6, STRATA)
    stratum_targets = POPULATION * stratum_size / stratum_size.sum()
    margins = {
        "sex": (
            np.where(data["female"], "F", "M"),
            {"F": POPULATION * 0.5, "M": POPULATION * 0.5},
        ),
        "age": (
            np.array(AGES)[data["age"]],
            dict(zip(AGES, (POPULATION * s for s in (0.30, 0.28, 0.20, 0.13, 0.09)), strict=True)),
        ),
        "stratum": (data["stratum"], dict(enumerate(stratum_targets.tolist()))),
    }
    wall, result = timed(lambda: rake(data["weight"], margins, tol=1e-10), repeat)
    worst = 0.0
    for codes, targets in margins.values():
        for category, target in targets.items():
            got = result.weights[codes == category].sum()
            worst = max(worst, abs(got - target) / target)
    return {
        "rake_wall_s": round(wall, 4),
        "rake_iterations": result.iterations,
        "rake_converged": bool(result.converged),
        "rake_max_relative_margin_error": float(f"{worst:.3g}"),
        "rake_weight_ratio_max_over_min": round(
            float(result.weights.max() / result.weights.min()), 1
        ),
    }


def darfur() -> dict[str, Any]:
    path = shared_data() / "surveys" / "darfur_refugees_chad.csv"
    if not path.is_file():
        return {"darfur": None}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    y = np.array([float(r["peace_formerenemies"]) for r in rows])
    female = np.array(["women" if r["female"] == "1" else "men" for r in rows])
    design = Design(np.ones(len(rows)), psu=[r["village"] for r in rows])
    shares = by_domain(y, design, female, kind="proportion")
    return {
        "darfur_peace_formerenemies": {
            label: {
                "share": round(est.estimate, 4),
                "se": round(est.se, 4),
                "deff": round(est.deff, 3),
                "n": est.n,
            }
            for label, est in shares.items()
            if est.estimate is not None and est.se is not None and est.deff is not None
        }
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--out", type=Path, help="where to write the JSON result")
    args = parser.parse_args(argv)
    quick = args.quick
    n = 20_000 if quick else 100_000
    repeat = 1 if quick else 5

    data = synthetic(n)
    domains = sorted(set(data["domain"].tolist()))
    fast_s, estimates = timed(lambda: fast(data), repeat)
    loops_s, reference = timed(lambda: loops(data), 1)
    subset_s, subset = timed(lambda: subset_pandas(data), 1)

    max_diff = 0.0
    se_ratios = []
    sizes = []
    for outcome in ("safe", "score"):
        for label in domains:
            est = estimates[outcome][label]
            ref_estimate, ref_se = reference[outcome][label]
            max_diff = max(max_diff, abs(est.estimate - ref_estimate), abs(est.se - ref_se))
            se_ratios.append(subset[outcome][label] / est.se)
            sizes.append(est.n)
    ratio = loops_s / fast_s
    figures: dict[str, Any] = {
        "respondents": n,
        "strata": STRATA,
        "psus": STRATA * PSUS_PER_STRATUM,
        "domains": len(domains),
        "estimates": 2 * len(domains),
        "smallest_domain_n": min(sizes),
        "largest_domain_n": max(sizes),
        "fast_s": round(fast_s, 4),
        "speed_ratio": round(ratio, 1),
        "max_abs_diff": float(f"{max_diff:.3g}"),
        "subset_se_ratio_min": round(min(se_ratios), 3),
        "subset_se_ratio_median": round(statistics.median(se_ratios), 3),
    }
    figures.update(raking(data, 1 if quick else 3))
    figures.update(darfur())

    agree = max_diff < 1e-9
    result: dict[str, Any] = {
        **header("surveys"),
        "data": (
            f"Synthetic, model in bench/surveys.py's docstring{' (quick subset)' if quick else ''}: "
            f"{n:,} respondents, {STRATA} strata x {PSUS_PER_STRATUM} PSUs, lognormal village "
            f"weights, 20 domains (sex x 5 age groups x displaced), a 0/1 and a 0-10 outcome "
            f"(3 % missing each); fast time median of {repeat}. Raking to sex, age group and "
            f"stratum margins of a population of {POPULATION:,}. Real data (context): "
            f"shared/data/surveys/darfur_refugees_chad.csv (Hazlett 2020), villages as PSUs."
        ),
        "figures": figures,
        "baseline": {
            "name": "per domain, explicit Python loops over strata and PSUs (same full-design "
            "formula, same data)",
            "wall_s": round(loops_s, 3),
            "subset_pandas_groupby_apply_wall_s": round(subset_s, 3),
        },
        "targets": {
            "fast_s": {"value": round(fast_s, 4), "goal": "< 2", "met": bool(fast_s < 2)},
            "speed_ratio": {"value": round(ratio, 1), "goal": ">= 10", "met": bool(ratio >= 10)},
            "agree_with_loops": {"value": agree, "goal": "max diff < 1e-9", "met": agree},
            "rake_wall_s": {
                "value": figures["rake_wall_s"],
                "goal": "< 2",
                "met": bool(figures["rake_wall_s"] < 2 and figures["rake_converged"]),
            },
        },
    }
    out = write_result("surveys", result, args.out, quick)
    print(
        f"surveys: {len(domains)} domains x 2 outcomes on {n:,} respondents in {fast_s:.3f} s "
        f"(loops {loops_s:.2f} s, x{ratio:.0f}, max diff {max_diff:.1g}); subset SEs "
        f"{figures['subset_se_ratio_median']:.2f} of full-design (median) | raking 3 margins "
        f"{figures['rake_wall_s']:.3f} s, {figures['rake_iterations']} iterations -> {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
