"""Keep bench/dedupe.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "dedupe.py"


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    out = tmp_path / "dedupe.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("dedupe: precision ")
    result = json.loads(out.read_text(encoding="utf-8"))

    assert list(result) == [
        "name",
        "command",
        "when",
        "machine",
        "data",
        "figures",
        "baseline",
        "targets",
    ]
    assert (result["name"], result["command"]) == ("dedupe", "make bench ONLY=dedupe")
    assert result["when"].endswith("Z")
    assert set(result["machine"]) == {"cpus", "python", "database"}
    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    assert "held-out seed" in result["data"]
    figures = result["figures"]
    for key in (
        "pairwise_precision",
        "pairwise_recall",
        "twin_pairs_kept_apart",
        "pairwise_precision_tuning_seed",
        "pairwise_recall_tuning_seed",
        "queries_joining_an_alert",
    ):
        assert 0.0 <= figures[key] <= 1.0
    assert figures["decide_per_s"] > 0
    assert figures["index_build_s"] > 0
    assert figures["stored_reports"] == 20_000
    assert figures["reports"] > figures["incidents"] > 100
    baseline = result["baseline"]
    assert set(baseline) == {
        "name",
        "pairwise_precision",
        "pairwise_recall",
        "twin_pairs_kept_apart",
        "decide_per_s",
        "naive_agreement",
    }
    # The naive scan applies the same rules, so it must pick the same alerts.
    assert baseline["naive_agreement"] == 1.0
    targets = result["targets"]
    assert set(targets) == {"pairwise_recall", "pairwise_precision", "decide_per_s"}
    assert targets["pairwise_recall"]["goal"] == ">= 0.95"
    assert targets["pairwise_precision"]["goal"] == ">= 0.95"
    assert targets["decide_per_s"]["goal"] == ">= 5000"
    for target in targets.values():
        assert set(target) == {"value", "goal", "met"}
        assert isinstance(target["met"], bool)
