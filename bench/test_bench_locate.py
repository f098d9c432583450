"""Keep bench/locate.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("locate", tmp_path)
    assert stdout.startswith("locate: false places ")

    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    figures, baseline = result["figures"], result["baseline"]
    for shares in (figures, baseline):
        for key in ("false_place_share", "right_share", "none_share"):
            assert 0.0 <= shares[key] <= 1.0
        assert shares["messages_per_s"] > 0
    # Every word tried and any match taken puts most foreign messages somewhere in DRC.
    assert baseline["false_place_share"] > 0.5
    assert figures["false_place_share"] < baseline["false_place_share"]
    assert set(result["targets"]) == {
        "false_place_share_vs_baseline",
        "right_share_minus_baseline",
    }
