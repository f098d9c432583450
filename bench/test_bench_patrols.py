"""Keep bench/patrols.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("patrols", tmp_path)
    assert stdout.startswith("patrols: value x")

    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    figures = result["figures"]
    assert figures["large_size"] == "10 bases x 150 requests"
    assert figures["large_slots_asked_per_team_slot"] > 1  # more asked than teams can cover
    for detail in figures["large_detail"]:
        assert detail["value"] >= detail["greedy_value"] > 0
        assert detail["value_ratio"] >= 1.0
        assert detail["status"] in ("optimal", "feasible")
        assert 0 < detail["patrols"] <= detail["slots_covered"]  # a patrol covers 1 or more
        assert detail["vehicle_patrols"] <= detail["patrols"]
        assert detail["bound"] >= detail["value"] - 1e-3 * detail["value"]
        assert detail["explained_requests"] > 0
        assert detail["replan_status"] in ("optimal", "feasible")
    assert figures["large_value_ratio_min"] >= 1.0
    assert figures["large_solve_s_max"] > 0 and figures["large_replan_s_max"] > 0
    assert figures["large_time_limit_s"] > 0
    assert figures["deterministic"] is True
    assert figures["small_instances"] == 4
    assert figures["small_optimum_proven"] is True
    assert 0.0 <= figures["small_gap_mean"] <= figures["small_gap_worst"] <= 0.01

    baseline = result["baseline"]
    assert baseline["name"].startswith("greedy_plan")
    assert 0.0 <= baseline["small_gap_mean"] <= baseline["small_gap_worst"] < 1
    targets = result["targets"]
    assert set(targets) == {"large_value_ratio", "large_solve_s", "small_gap_worst"}
    assert targets["large_value_ratio"]["goal"] == ">= 1.10"
    assert targets["large_solve_s"]["goal"] == "< 10"
    assert targets["small_gap_worst"]["met"] is True
