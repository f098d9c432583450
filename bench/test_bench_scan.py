"""Keep bench/scan.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("scan", tmp_path)
    assert stdout.startswith("scan: speed x")

    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    figures = result["figures"]
    assert figures["identical"] is True
    assert 0 <= figures["max_abs_llr_diff"] < 1e-9
    ratios = [key for key in figures if key.startswith("speed_ratio_")]
    assert len(ratios) == 2
    for key in ratios:
        assert figures[key] > 0
        assert figures[f"zones_{key.removeprefix('speed_ratio_')}"] > 0
    (wall,) = [key for key in figures if key.startswith("wall_s_999_on_")]
    assert figures[wall] > 0
    for key in ["false_alarm_rate", "power_4", "power_8", "power_8_planted_inside"]:
        assert 0.0 <= figures[key] <= 1.0
    assert figures["power_8"] >= 0.5  # eight extra events in a week within 10 km are obvious
    assert figures["planted_background_mean"] > 0
    assert figures["ucdp_events"] > 1000
    top = figures["ucdp_top_cluster"]
    assert 0 < top["p_value"] <= 1 and top["observed"] > top["expected"]
    assert top["from"] <= top["to"] == "2019-12-31"

    baseline = result["baseline"]
    assert baseline["name"].startswith("bench/_scan_reference.py")
    assert baseline["replicates"] > 19
    targets = result["targets"]
    assert set(targets) == {*ratios, wall, "identical"}
    assert targets["identical"] == {"value": True, "goal": "true", "met": True}
    assert targets[wall]["goal"] == "< 60"
