"""Keep bench/triage.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("triage", tmp_path)
    assert stdout.startswith("triage: macro-F1 ")

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
