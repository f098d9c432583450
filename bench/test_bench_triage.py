"""Keep bench/triage.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "triage.py"


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    out = tmp_path / "triage.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("triage: macro-F1 ")
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
    assert (result["name"], result["command"]) == ("triage", "make bench ONLY=triage")
    assert result["when"].endswith("Z")
    assert set(result["machine"]) == {"cpus", "python", "database"}
    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    figures = result["figures"]
    recalls = [
        "recall_security",
        "recall_military",
        "recall_death",
        "recall_missing_people",
        "recall_search_and_rescue",
        "recall_request",
    ]
    for key in ["macro_f1", *recalls]:
        assert 0.0 <= figures[key] <= 1.0
    assert figures["labels_scored"] > 10
    assert figures["latency_ms_median"] > 0
    assert figures["latency_ms_p99"] >= figures["latency_ms_median"]
    assert figures["latency_cpu_ms_median"] > 0
    assert figures["model_features"] > 1000
    baseline = result["baseline"]
    assert baseline["name"].startswith("TfidfVectorizer(ngram_range=(1, 2)) + OneVsRestClassifier")
    assert set(baseline) == {"name", "macro_f1", *recalls, "latency_ms_median", "train_s"}
    targets = result["targets"]
    assert set(targets) == {"macro_f1_minus_baseline", "latency_ms_median"}
    assert targets["macro_f1_minus_baseline"]["goal"] == ">= 0.05"
    assert targets["latency_ms_median"]["goal"] == "< 1"
    for target in targets.values():
        assert set(target) == {"value", "goal", "met"}
        assert isinstance(target["met"], bool)
