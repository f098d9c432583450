"""Keep bench/intake.py from rotting: run it in --quick mode and check its JSON shape only
(no timing asserts: the quick run is too short, and the machine is shared)."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick

FIGURES = {
    "reports_per_s",
    "p50_ms_at_200",
    "p99_ms_at_200",
    "achieved_per_s_at_200",
    "unanswered_at_200",
    "receive_errors",
    "receive_duplicates",
    "receive_per_s_slices",
    "outbox_drained_between_slices",
    "kill_offered_per_s",
    "acked_requests",
    "missing_after_kill",
    "unacked_requests",
    "failed_attempts_during_outage",
    "retries_answered_duplicate",
    "acks_queued",
    "acks_delivered_distinct",
    "acks_lost",
    "acks_stuck_sending",
    "gateway_requests",
    "redelivered_same_key",
    "keys_shared_by_messages",
    "outbox_drained",
    "drain_after_kill_s",
    "worker_lag_p50_s_at_200",
    "worker_lag_max_s_at_200",
    "worker_waiting_after_drain",
}
BASELINE = {
    "bare_per_s",
    "bare_p50_ms_at_200",
    "bare_p99_ms_at_200",
    "bare_achieved_per_s_at_200",
    "bare_errors",
    "bare_per_s_slices",
}


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("intake", tmp_path, timeout=240)
    assert stdout.startswith("intake: sqlite "), stdout

    assert result["machine"]["database"] == "sqlite"
    assert result["data"].startswith("quick subset")

    figures = result["figures"]
    # "first_error" appears only when a request failed outside the kill test.
    assert set(figures) - {"sqlite_first_error"} == {f"sqlite_{k}" for k in FIGURES}
    assert figures["sqlite_reports_per_s"] > 0
    assert figures["sqlite_acked_requests"] > 0
    assert figures["sqlite_acks_queued"] >= 0
    for key in ("missing_after_kill", "acks_lost", "redelivered_same_key", "gateway_requests"):
        assert isinstance(figures[f"sqlite_{key}"], int)
    assert figures["sqlite_acks_delivered_distinct"] <= figures["sqlite_acks_queued"]
    # The quick run's 50 SMS/s are within what the worker follows: all processed.
    assert figures["sqlite_worker_waiting_after_drain"] == 0
    assert (
        0 <= figures["sqlite_worker_lag_p50_s_at_200"] <= figures["sqlite_worker_lag_max_s_at_200"]
    )

    baseline = result["baseline"]
    assert set(baseline) == {"name"} | {f"sqlite_{k}" for k in BASELINE}
    assert baseline["sqlite_bare_per_s"] > 0

    targets = result["targets"]
    assert set(targets) == {
        "sqlite_throughput_ratio",
        "sqlite_p99_ms_at_200",
        "sqlite_missing_after_kill",
        "sqlite_acks_lost",
        "sqlite_keys_shared_by_messages",
    }
    assert targets["sqlite_throughput_ratio"]["goal"] == ">= 0.5"
    assert targets["sqlite_p99_ms_at_200"]["goal"] == "< 50"
