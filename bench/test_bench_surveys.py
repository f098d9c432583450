"""Keep bench/surveys.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("surveys", tmp_path)
    assert stdout.startswith("surveys: 20 domains x 2 outcomes on 20,000 respondents in ")
    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    figures = result["figures"]
    assert figures["respondents"] == 20_000
    assert (figures["domains"], figures["estimates"], figures["psus"]) == (20, 40, 800)
    assert 0 < figures["smallest_domain_n"] < figures["largest_domain_n"] < 20_000
    assert figures["fast_s"] > 0 and figures["speed_ratio"] > 0
    assert 0 <= figures["max_abs_diff"] < 1e-9
    assert 0 < figures["subset_se_ratio_min"] <= figures["subset_se_ratio_median"]
    assert figures["rake_converged"] is True
    assert figures["rake_iterations"] >= 1
    assert figures["rake_max_relative_margin_error"] < 1e-6
    darfur = figures["darfur_peace_formerenemies"]
    assert set(darfur) == {"men", "women"}
    assert darfur["women"]["n"] + darfur["men"]["n"] == 1276
    for group in darfur.values():
        assert 0 < group["share"] < 1 and group["se"] > 0 and group["deff"] > 0

    baseline = result["baseline"]
    assert baseline["name"].startswith("per domain, explicit Python loops")
    assert baseline["wall_s"] > 0 and baseline["subset_pandas_groupby_apply_wall_s"] > 0
    targets = result["targets"]
    assert set(targets) == {"fast_s", "speed_ratio", "agree_with_loops", "rake_wall_s"}
    assert targets["agree_with_loops"]["met"] is True
    assert targets["fast_s"]["goal"] == "< 2"
