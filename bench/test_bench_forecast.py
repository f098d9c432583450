"""Keep bench/forecast.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from _quick import run_quick

DATASETS = ("car", "africa")
METRICS = ("mse_log1p", "average_precision", "top5_capture")
BASELINES = ("last_month", "mean_6", "mean_12")


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("forecast", tmp_path)
    assert stdout.startswith("forecast: car MSE x")
    assert "africa MSE x" in stdout

    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    figures = result["figures"]
    baseline = result["baseline"]
    assert baseline["name"].startswith("last_month / mean_6 / mean_12")
    for d in DATASETS:
        assert 0 <= figures[f"{d}_mse_log1p"] < 5
        assert 0 <= figures[f"{d}_average_precision"] <= 1
        assert 0 <= figures[f"{d}_top5_capture"] <= 1
        assert figures[f"{d}_fit_s"] > 0
        assert figures[f"{d}_refits"] == 12  # one year of targets, refitted every month
        assert figures[f"{d}_area_months"] == 12 * figures[f"{d}_units"]
        assert figures[f"{d}_rank_by"] in {"rank_score", "events", "fatalities", "probability"}
        assert figures[f"{d}_rank_weight"] in {0.0, 0.5, 1.0}
        assert set(figures[f"{d}_top5_capture_by"]) == {
            "rank_score",
            "events",
            "fatalities",
            "probability",
        }
        assert figures[f"{d}_top5_capture_by"][figures[f"{d}_rank_by"]] == pytest.approx(
            figures[f"{d}_top5_capture"], abs=1e-4
        )
        assert "rank score" in figures[f"{d}_rank_example"]
        assert len(figures[f"{d}_tuning_top5_minus_best_baseline_by_window"]) == 1  # quick
        assert figures[f"{d}_half_life"] in {None, 24.0}
        assert " for " in figures[f"{d}_example"]
        for b in BASELINES:
            for m in METRICS:
                value = baseline[f"{d}_{b}_{m}"]
                assert math.isfinite(value) and value >= 0
    assert figures["car_units"] == 486
    assert figures["africa_units"] == 54
    # The model's log1p error is below the naive last-month forecast on both panels.
    for d in DATASETS:
        assert figures[f"{d}_mse_log1p"] < baseline[f"{d}_last_month_mse_log1p"]

    targets = result["targets"]
    assert set(targets) == {
        f"{d}_{t}"
        for d in DATASETS
        for t in (
            "mse_vs_best_baseline",
            "ap_minus_best_baseline",
            "top5_minus_best_baseline",
        )
    }
    for d in DATASETS:
        assert targets[f"{d}_mse_vs_best_baseline"]["goal"] == "<= 0.9"
        assert targets[f"{d}_ap_minus_best_baseline"]["goal"] == ">= 0"
        assert targets[f"{d}_top5_minus_best_baseline"]["goal"] == ">= 0"
