"""Keep bench/dedupe.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick

from ulinzi.alerts.grouping import FEATURES


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("dedupe", tmp_path)
    assert stdout.startswith("dedupe: precision ")

    assert result["machine"]["database"] == "none (pure module)"
    assert "quick subset" in result["data"]
    assert "held-out seed" in result["data"]
    figures = result["figures"]
    for key in (
        "pairwise_precision",
        "pairwise_recall",
        "twin_pairs_kept_apart",
        "oracle_recall_linkable_only",
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


def test_the_fit_learns_the_sign_of_each_kind_of_evidence() -> None:
    from dedupe import HELD_OUT_SEED, TRAINING_SEEDS, Places, fit_logistic, training_pairs

    assert HELD_OUT_SEED not in TRAINING_SEEDS

    rows, labels = training_pairs(Places.load(), (1,), 150)
    assert 0 < sum(labels) < len(labels)
    weights = fit_logistic(rows, labels)
    assert list(weights) == list(FEATURES)
    # What the model of reporting implies, whatever the exact values.
    assert weights["same_reporter"] > 0 and weights["same_number"] > 0
    assert weights["hours"] < 0 and weights["other_number"] < 0
