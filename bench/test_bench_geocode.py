"""Keep bench/geocode.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("geocode", tmp_path)
    assert stdout.startswith("geocode: top1 ")

    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    figures = result["figures"]
    for key in ("top1", "top5", "top1_no_hint", "top5_no_hint"):
        assert 0.0 <= figures[key] <= 1.0
    assert figures["queries_per_s"] > 0
    assert figures["index_build_s"] > 0
    assert figures["gazetteer_size"] > 10_000
    baseline = result["baseline"]
    assert baseline["name"] == "rapidfuzz process.extractOne fuzz.ratio over all names"
    assert set(baseline) == {"name", "top1", "top5", "queries_per_s"}
    targets = result["targets"]
    assert set(targets) == {"top1_minus_baseline", "speed_ratio"}
    assert targets["top1_minus_baseline"]["goal"] == ">= 0.10"
    assert targets["speed_ratio"]["goal"] == ">= 3"
