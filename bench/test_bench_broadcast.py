"""Keep bench/broadcast.py from rotting: run it in --quick mode and check its JSON shape
and that its counts add up (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

from _quick import run_quick

TARGETS = {"queue_s", "sent_exactly_once", "duplicates", "missing", "rate_respected", "drain_ratio"}


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    stdout, result = run_quick("broadcast", tmp_path)
    assert stdout.startswith("broadcast: sqlite queued 5,000 in ")
    assert result["machine"]["database"] == "sqlite"
    assert result["data"].startswith("quick subset: ")
    f = {k.removeprefix("sqlite_"): v for k, v in result["figures"].items()}
    assert set(result["figures"]) == {f"sqlite_{k}" for k in f}

    # The approvals: 5 broadcasts to the same 1,000 reporters, 2 % of them opted out.
    assert f["recipients"] == 1000
    assert f["outbox_rows"] == 5000
    assert f["queued"] + f["suppressed"] == 5000
    assert f["suppressed"] == 5 * 20
    assert f["queue_s"] > 0 and f["queue_per_message_us"] > 0

    # The whole-set test: drained, nothing lost, nothing to an opted-out reporter.
    assert f["whole_queued"] > 0 and f["whole_suppressed"] > 0
    assert f["whole_missing"] <= f["whole_stuck_sending"] <= f["whole_claims_held_at_kill"]
    assert f["whole_suppressed_sent"] == 0
    assert f["whole_keys_shared_by_messages"] == 0
    assert f["whole_statuses"].get("queued", 0) == 0
    assert f["whole_statuses"]["suppressed"] == f["whole_suppressed"]
    assert f["whole_delivered_once"] <= f["whole_queued"]
    assert f["sent_exactly_once"] == (
        f["whole_delivered_once"] == f["whole_queued"] and f["whole_duplicates"] == 0
    )

    # The drain window: consistent counts between the gateway and the outbox.
    assert f["window_seen"] > 0
    assert f["window_sent_not_seen"] == 0
    assert f["window_suppressed_sent"] == 0
    assert f["window_seen_not_sent"] <= 1  # at most the killed worker's one claim
    statuses = f["window_statuses"]
    assert sum(statuses.values()) == 5000
    assert statuses["suppressed"] == f["suppressed"]
    assert statuses["sent"] == f["window_sent"]
    assert f["window_sent"] + f["window_left_queued"] == f["queued"]
    assert statuses.get("queued", 0) + statuses.get("sending", 0) == f["window_left_queued"]
    assert f["configured_per_s"] == 20.0
    assert f["drain_per_s"] > 0
    assert isinstance(f["rate_respected"], bool)
    assert f["stale_claim_s"] > 0

    baseline = result["baseline"]
    assert baseline["sqlite_naive_per_message_us"] > 0
    assert baseline["sqlite_bare_per_message_us"] > 0
    assert set(result["targets"]) == {f"sqlite_{t}" for t in TARGETS}
    assert result["targets"]["sqlite_queue_s"]["goal"] == "< 10"
