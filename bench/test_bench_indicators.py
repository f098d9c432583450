"""Keep bench/indicators.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("indicators", tmp_path)
    assert stdout.startswith("indicators: 5,000 alerts, sqlite p95 ")
    assert result["machine"]["database"] == "sqlite"
    assert "quick subset" in result["data"]
    figures = result["figures"]
    assert figures["sqlite_alerts"] == 5000
    assert 0 < figures["sqlite_window_alerts_duty_officer"] < figures["sqlite_window_alerts"] < 5000
    assert 0.9 < figures["sqlite_closed_share"] < 1
    assert figures["sqlite_events"] == 250
    assert figures["sqlite_patrol_requests"] >= 100 and figures["sqlite_commitments"] >= 60
    views = figures["sqlite_views"]
    assert set(views) == {"me_officer", "duty_officer"}
    for timing in views.values():
        assert 0 < timing["p50_ms"] <= timing["p95_ms"]
    assert figures["sqlite_p95_ms"] == max(v["p95_ms"] for v in views.values())
    assert figures["sqlite_engine_ms_median"] > 0
    # 3 alert indicators x 12 months x 2 users, each equal to the naive computation.
    assert figures["sqlite_values_checked"] == 72
    baseline = result["baseline"]
    assert baseline["sqlite_me_officer_naive_ms_median"] > 0
    assert baseline["sqlite_duty_officer_naive_ms_median"] > 0
    assert baseline["sqlite_agrees_with_engine"] is True
    assert set(result["targets"]) == {"sqlite_p95_ms"}
    assert result["targets"]["sqlite_p95_ms"]["goal"] == "< 500"
