"""Keep bench/did.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick

SCENARIOS = ("main", "few_treated", "few_total")
SHARES = (
    "coverage",
    "coverage_normal",
    "coverage_twfe",
    "coverage_ols_iid",
    "coverage_twfe_iid",
    "pre_trend_flag_rate",
)


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("did", tmp_path)
    assert stdout.startswith("did: coverage ")

    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    figures = result["figures"]
    assert figures["true_effect"] == -2.0
    for name in SCENARIOS:
        scenario = figures[name]
        assert scenario["replications"] == 60
        for key in SHARES:
            assert 0.0 <= scenario[key] <= 1.0
        assert scenario["rmse"] > 0 and scenario["mean_ci_width"] > 0
        assert abs(scenario["mean_bias"]) < scenario["rmse"] + 1e-12
    assert figures["main"]["coverage"] >= 0.8  # a loose floor: 60 replications only
    assert figures["replications"] == 20
    for key in ("max_abs_diff_effect", "max_abs_diff_se", "max_abs_diff_ci"):
        assert 0 <= figures[key] < 1e-9
    assert figures["ms_per_fit_pooled"] > 0 and figures["ms_per_fit_twfe"] > 0

    baseline = result["baseline"]
    assert baseline["name"].startswith("statsmodels OLS")
    assert baseline["ms_per_fit_pooled"] > 0 and baseline["ms_per_fit_twfe"] > 0
    targets = result["targets"]
    assert set(targets) == {"coverage_main", "max_abs_diff_vs_statsmodels", "wall_s"}
    assert targets["max_abs_diff_vs_statsmodels"]["met"] is True
    assert targets["coverage_main"]["goal"] == "0.93-0.97"
