"""Difference-in-differences (ulinzi.indicators.did): agreement with statsmodels' OLS/WLS with
clustered errors, a hand-worked 2x2, the fixed-effects variant, the cautions, the errors,
the choice of comparison communities and the simple before/after."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from scipy import stats

from ulinzi.indicators.did import before_after, did, suggest_controls

sm = pytest.importorskip("statsmodels.api")

TOL = 1e-10


def panel(
    seed: int,
    *,
    units: int = 30,
    periods: int = 16,
    treated: int = 12,
    start: int = 8,
    effect: float = 1.5,
    drop: float = 0.0,
    pre_gap_slope: float = 0.0,
) -> dict[str, Any]:
    """Community effects, month effects, AR(1)-like noise, a known effect; ``drop`` of the rows
    removed at random (unbalanced); ``pre_gap_slope`` makes the treated trend apart before."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), periods)
    period = np.tile(np.arange(periods), units)
    is_treated = unit < treated
    level = rng.normal(10, 2, units)[unit]
    month = rng.normal(0, 1, periods)[period]
    noise = np.zeros(unit.size)
    for u in range(units):
        e = rng.normal(0, 1, periods)
        for k in range(1, periods):
            e[k] += 0.6 * e[k - 1]
        noise[unit == u] = e
    post = period >= start
    drift = pre_gap_slope * np.minimum(period - start, 0) * is_treated
    y = level + month + noise + effect * (is_treated & post) + drift
    keep = rng.random(unit.size) >= drop
    weights = rng.uniform(0.5, 3.0, units)[unit]  # constant within a community (population)
    return {
        "y": y[keep],
        "unit": unit[keep],
        "period": period[keep],
        "treated": set(range(treated)),
        "start": start,
        "weights": weights[keep],
        "obs_weights": rng.uniform(0.5, 3.0, unit.size)[keep],  # varying within a community
    }


def statsmodels_fit(
    data: dict[str, Any], model: str, weights: np.ndarray | None, use_t: bool = True
) -> tuple[float, float, float, float, float]:
    unit, period, y = data["unit"], data["period"], data["y"]
    treated = np.isin(unit, sorted(data["treated"])).astype(float)
    post = (period >= data["start"]).astype(float)
    if model == "pooled":
        x = np.column_stack([np.ones_like(y), treated, post, treated * post])
        column = 3
    else:
        units = np.unique(unit)
        periods = np.unique(period)
        x = np.column_stack(
            [
                treated * post,
                (unit[:, None] == units[None, :]).astype(float),
                (period[:, None] == periods[None, 1:]).astype(float),
            ]
        )
        column = 0
    ols = sm.OLS(y, x) if weights is None else sm.WLS(y, x, weights=weights)
    fit = ols.fit(cov_type="cluster", cov_kwds={"groups": unit}, use_t=use_t)
    low, high = fit.conf_int()[column]
    return fit.params[column], fit.bse[column], low, high, fit.pvalues[column]


CASES = [
    pytest.param({"seed": 1}, id="balanced"),
    pytest.param({"seed": 2, "drop": 0.25}, id="unbalanced"),
    pytest.param({"seed": 3, "units": 12, "treated": 4, "periods": 6, "start": 3}, id="small"),
    pytest.param({"seed": 4, "units": 50, "treated": 25, "drop": 0.1, "effect": 0}, id="null"),
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("model", ["pooled", "twfe"])
@pytest.mark.parametrize("weighting", [None, "weights", "obs_weights"])
def test_equals_statsmodels_clustered(case: dict[str, Any], model: str, weighting: str) -> None:
    data = panel(**case)
    weights = None if weighting is None else data[weighting]
    result = did(
        data["y"],
        list(data["unit"]),
        data["period"],
        data["treated"],
        data["start"],
        weights=weights,
        model=model,  # type: ignore[arg-type]
    )
    effect, se, low, high, p = statsmodels_fit(data, model, weights)
    assert abs(result.effect - effect) < TOL
    assert abs(result.se - se) < TOL
    assert abs(result.ci_low - low) < 1e-9 and abs(result.ci_high - high) < 1e-9
    assert abs(result.p_value - p) < 1e-9
    assert result.df == len(np.unique(data["unit"])) - 1
    assert result.n_obs == data["y"].size


def test_normal_interval_equals_statsmodels_default() -> None:
    data = panel(5, drop=0.1)
    result = did(data["y"], list(data["unit"]), data["period"], data["treated"], 8, use_t=False)
    effect, se, low, high, p = statsmodels_fit(data, "pooled", None, use_t=False)
    assert abs(result.se - se) < TOL
    assert abs(result.ci_low - low) < 1e-9 and abs(result.ci_high - high) < 1e-9
    assert abs(result.p_value - p) < 1e-9
    with_t = did(data["y"], list(data["unit"]), data["period"], data["treated"], 8)
    assert with_t.ci_high - with_t.ci_low > result.ci_high - result.ci_low


def test_hand_worked_two_by_two() -> None:
    # Communities A, B treated; C, D comparison; month 0 before, month 1 after (start = 1).
    #   A: 10 -> 6    B: 12 -> 9    C: 11 -> 10    D: 9 -> 9
    # Cell means: treated 11 -> 7.5 (change -3.5); comparison 10 -> 9.5 (change -0.5).
    # Effect = -3.5 - (-0.5) = -3.0.
    # The model is saturated, so effect = sum of c_i y_i with c = +1/2 treated-after,
    # -1/2 treated-before, -1/2 comparison-after, +1/2 comparison-before, and the residuals
    # are deviations from the cell means: A -1, -1.5; B +1, +1.5; C +1, +0.5; D -1, -0.5.
    # Cluster sums of c_i e_i: A (-1/2)(-1) + (1/2)(-1.5) = -0.25; B +0.25; C +0.25; D -0.25,
    # so the meat is 4 x 0.0625 = 0.25. CR1 factor G/(G-1) (N-1)/(N-K) = 4/3 x 7/4 = 7/3.
    # Variance 0.25 x 7/3 = 7/12, se = sqrt(7/12) = 0.7638; t(3) 97.5% quantile 3.1824.
    unit = ["A", "A", "B", "B", "C", "C", "D", "D"]
    period = [0, 1, 0, 1, 0, 1, 0, 1]
    values = [10, 6, 12, 9, 11, 10, 9, 9]
    result = did(values, unit, period, {"A", "B"}, 1)
    assert result.effect == pytest.approx(-3.0, abs=1e-12)
    assert result.se == pytest.approx(math.sqrt(7 / 12), abs=1e-12)
    q = stats.t.ppf(0.975, 3)
    assert result.ci_low == pytest.approx(-3.0 - q * math.sqrt(7 / 12), abs=1e-12)
    assert result.ci_high == pytest.approx(-3.0 + q * math.sqrt(7 / 12), abs=1e-12)
    assert result.p_value == pytest.approx(2 * stats.t.sf(3 / math.sqrt(7 / 12), 3), abs=1e-12)
    assert (result.treated_before, result.treated_after) == (11.0, 7.5)
    assert (result.control_before, result.control_after) == (10.0, 9.5)
    assert result.periods == [0, 1]
    assert result.treated_means == [11.0, 7.5]
    assert result.control_means == [10.0, 9.5]
    assert (result.n_treated_units, result.n_control_units, result.n_clusters) == (2, 2, 4)
    assert result.balanced
    assert result.pre_trend_difference is None and result.pre_trend_p_value is None
    text = " ".join(result.cautions)
    assert "Only 2 treated communities" in text and "Only 2 comparison communities" in text
    assert "could not be checked" in text
    # The fixed-effects model gives the same effect on this balanced panel.
    twfe = did(values, unit, period, {"A", "B"}, 1, model="twfe")
    assert twfe.effect == pytest.approx(-3.0, abs=1e-12)
    assert result.to_dict()["effect"] == result.effect


def test_twfe_equals_pooled_on_a_balanced_panel() -> None:
    for seed in range(3):
        data = panel(10 + seed)
        args = (data["y"], list(data["unit"]), data["period"], data["treated"], 8)
        for weights in (None, data["weights"]):  # none, or constant within each community
            pooled = did(*args, weights=weights)
            twfe = did(*args, weights=weights, model="twfe")
            assert pooled.balanced and twfe.balanced
            assert abs(pooled.effect - twfe.effect) < TOL
            assert pooled.se != pytest.approx(twfe.se, rel=1e-6)  # errors differ, as documented
    # Unbalanced, or weights varying within a community: the two differ.
    data = panel(20, drop=0.3)
    args = (data["y"], list(data["unit"]), data["period"], data["treated"], 8)
    assert not did(*args).balanced
    assert abs(did(*args).effect - did(*args, model="twfe").effect) > 1e-6
    data = panel(21)
    args = (data["y"], list(data["unit"]), data["period"], data["treated"], 8)
    pooled = did(*args, weights=data["obs_weights"])
    assert abs(pooled.effect - did(*args, weights=data["obs_weights"], model="twfe").effect) > 1e-6


def test_recovers_a_known_effect() -> None:
    data = panel(30, units=60, treated=30, effect=-2.0)
    result = did(data["y"], list(data["unit"]), data["period"], data["treated"], 8)
    assert result.ci_low < -2.0 < result.ci_high
    assert result.p_value < 0.001
    assert result.cautions == []


def test_pre_trend_caution() -> None:
    data = panel(40, units=40, treated=20, effect=0.0, pre_gap_slope=0.5)
    result = did(data["y"], list(data["unit"]), data["period"], data["treated"], 8)
    assert result.pre_trend_difference is not None and result.pre_trend_difference > 0.3
    assert result.pre_trend_p_value is not None and result.pre_trend_p_value < 0.01
    assert result.cautions[0].startswith("Before the start, the two groups were already moving")
    assert "may mix the initiative with that trend" in result.cautions[0]
    assert "p < 0.001" in result.cautions[0] or "p = 0.0" in result.cautions[0]
    parallel = panel(40, units=40, treated=20, effect=0.0)
    result = did(parallel["y"], list(parallel["unit"]), parallel["period"], parallel["treated"], 8)
    assert result.pre_trend_p_value is not None and result.pre_trend_p_value > 0.10
    assert not any(c.startswith("Before the start") for c in result.cautions)


def test_pre_trend_equals_statsmodels() -> None:
    data = panel(41, drop=0.2, pre_gap_slope=0.2)
    result = did(data["y"], list(data["unit"]), data["period"], data["treated"], 8)
    pre = data["period"] < 8
    t = data["period"][pre].astype(float)
    t -= t.mean()
    g = np.isin(data["unit"][pre], sorted(data["treated"])).astype(float)
    x = np.column_stack([np.ones_like(t), g, t, g * t])
    fit = sm.OLS(data["y"][pre], x).fit(
        cov_type="cluster", cov_kwds={"groups": data["unit"][pre]}, use_t=True
    )
    assert result.pre_trend_difference is not None and result.pre_trend_p_value is not None
    assert abs(result.pre_trend_difference - fit.params[3]) < TOL
    assert abs(result.pre_trend_p_value - fit.pvalues[3]) < 1e-9


def test_small_numbers_caution() -> None:
    data = panel(50, units=30, treated=3)
    result = did(data["y"], list(data["unit"]), data["period"], data["treated"], 8)
    assert (
        "Only 3 treated communities: the interval is wide and the clustered errors unreliable "
        "with fewer than about 10 communities per group." in result.cautions
    )
    assert not any("comparison communities:" in c for c in result.cautions)
    one = did(data["y"], list(data["unit"]), data["period"], {0}, 8)
    assert any(c.startswith("Only 1 treated community") for c in one.cautions)
    few = panel(51, periods=4, start=2)
    short = did(few["y"], list(few["unit"]), few["period"], few["treated"], 2)
    assert any(c.startswith("Only 2 periods before the start") for c in short.cautions)
    gone = did(data["y"], list(data["unit"]), data["period"], {0, 1, 2, "elsewhere"}, 8)
    assert "1 treated community has no data and is left out." in gone.cautions
    unbalanced = panel(52, drop=0.2)
    ragged = did(unbalanced["y"], list(unbalanced["unit"]), unbalanced["period"], {0, 1}, 8)
    assert any(c.startswith("Not every community") for c in ragged.cautions)


def test_clear_errors() -> None:
    unit = ["A", "A", "B", "B"]
    values = [1.0, 2.0, 1.0, 1.5]
    with pytest.raises(ValueError, match="no observation before the start"):
        did(values, unit, [5, 6, 5, 6], {"A"}, 3)
    with pytest.raises(ValueError, match="no observation from the start on"):
        did(values, unit, [0, 1, 0, 1], {"A"}, 9)
    with pytest.raises(ValueError, match="None of the covered communities appears"):
        did(values, unit, [0, 1, 0, 1], {"Z"}, 1)
    with pytest.raises(ValueError, match="No community is covered"):
        did(values, unit, [0, 1, 0, 1], set(), 1)
    with pytest.raises(ValueError, match="no comparison group"):
        did(values, unit, [0, 1, 0, 1], {"A", "B"}, 1)
    with pytest.raises(ValueError, match="covered communities have no observation before"):
        did(values, unit, [1, 2, 0, 1], {"A"}, 1)
    with pytest.raises(ValueError, match="comparison communities have no observation after"):
        did(values, unit, [0, 1, 0, 0], {"A"}, 1)
    with pytest.raises(ValueError, match="same length"):
        did(values, unit[:3], [0, 1, 0, 1], {"A"}, 1)
    with pytest.raises(ValueError, match="finite"):
        did([1.0, float("nan"), 1.0, 1.5], unit, [0, 1, 0, 1], {"A"}, 1)
    with pytest.raises(ValueError, match="whole numbers"):
        did(values, unit, [0, 0.5, 0, 1], {"A"}, 1)
    with pytest.raises(ValueError, match="positive"):
        did(values, unit, [0, 1, 0, 1], {"A"}, 1, weights=[1, 0, 1, 1])
    with pytest.raises(ValueError, match="model"):
        did(values, unit, [0, 1, 0, 1], {"A"}, 1, model="other")  # type: ignore[arg-type]


def test_suggest_controls_finds_the_planted_units() -> None:
    rng = np.random.default_rng(60)
    months = np.arange(8)
    pre: dict[str, list[float]] = {}
    for i in range(4):  # treated: level about 10, rising 0.5 a month
        pre[f"t{i}"] = list(10 + 0.5 * (months - 3.5) + rng.normal(0, 0.3, 8))
    for i in range(12):  # decoys: other levels, or the right level with the wrong trend
        if i % 2:
            pre[f"d{i}"] = list(rng.uniform(14, 25) + rng.normal(0, 0.3, 8))
        else:
            pre[f"d{i}"] = list(10 - 0.8 * (months - 3.5) + rng.normal(0, 0.3, 8))
    for i in range(3):  # the planted look-alikes
        pre[f"m{i}"] = list(10.2 + 0.5 * (months - 3.5) + rng.normal(0, 0.3, 8))
    pre["m0"][2] = float("nan")  # a missing month does not disqualify
    pre["empty"] = [float("nan")] * 8
    treated = [f"t{i}" for i in range(4)]
    assert set(suggest_controls(pre, treated, 3)) == {"m0", "m1", "m2"}
    assert len(suggest_controls(pre, treated, 100)) == 15  # 12 decoys + 3, no "empty"
    with pytest.raises(ValueError, match="k must be"):
        suggest_controls(pre, treated, 0)
    with pytest.raises(ValueError, match="no value before the start"):
        suggest_controls(pre, ["nowhere"], 2)
    with pytest.raises(ValueError, match="same"):
        suggest_controls({"a": [1.0], "b": [1.0, 2.0]}, ["a"], 1)
    assert suggest_controls({"a": [5.0], "b": [9.0], "c": [5.5]}, ["a"], 1) == ["c"]


def test_before_after_is_labelled_and_plain() -> None:
    unit = ["A", "A", "B", "B", "C", "C"]
    period = [0, 1, 0, 1, 0, 1]
    values = [10.0, 6.0, 12.0, 9.0, 11.0, 10.0]
    out = before_after(values, unit, period, {"A", "B"}, 1)
    assert "not an estimate" in out["label"]
    assert (out["before"], out["after"], out["change"]) == (11.0, 7.5, -3.5)
    assert out["percent_change"] == pytest.approx(-3.5 / 11 * 100)
    assert (out["n_before"], out["n_after"], out["n_units"], out["start"]) == (2, 2, 2, 1)
    only_after = before_after(values, unit, period, {"A"}, 0)
    assert only_after["before"] is None and only_after["change"] is None
    with pytest.raises(ValueError, match="None of the covered"):
        before_after(values, unit, period, {"Z"}, 1)


def test_every_caution_is_said_in_french() -> None:
    from django.utils import translation

    from ulinzi.indicators import did as module
    from ulinzi.lib.wording import Translated
    from ulinzi.test import untranslated, worded_messages

    texts, counts = worded_messages(module, {"worded": 0})
    assert len(texts) >= 20 and len(counts) >= 2  # the parse found them (refusals too)
    assert not untranslated(texts, counts)
    # The same cautions, in the same order, with the same figures.
    data = panel(50, units=30, treated=3)
    gone = did(data["y"], list(data["unit"]), data["period"], {0, 1, 2, "elsewhere"}, 8)
    with translation.override("fr"):
        said = gone.said_cautions(Translated())
    assert len(said) == len(gone.cautions) >= 2
    assert "1 communauté couverte n'a pas de données et est laissée de côté." in said
    for english, french in zip(gone.cautions, said, strict=True):
        assert english != french
        assert re.findall(r"\d+", english) == re.findall(r"\d+", french)
