"""Keep bench/matrix.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("matrix", tmp_path)
    assert stdout.startswith("matrix: 5,000 events, sqlite p95 ")
    assert result["machine"]["database"] == "sqlite"
    assert "quick subset" in result["data"]
    figures = result["figures"]
    assert figures["sqlite_events"] == 5000
    assert 0 < figures["sqlite_window_events"] <= 5000
    assert figures["sqlite_import_events_per_s"] > 0
    views = figures["sqlite_views"]
    assert len(views) == 7 and "api_territory_month" in views
    for timing in views.values():
        assert 0 < timing["p50_ms"] <= timing["p95_ms"]
    assert figures["sqlite_p95_ms"] == max(v["p95_ms"] for v in views.values())
    assert result["baseline"]["sqlite_naive_ms_median"] > 0
    assert set(result["targets"]) == {"sqlite_p95_ms"}
    assert result["targets"]["sqlite_p95_ms"]["goal"] == "< 300"
