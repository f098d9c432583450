"""Keep bench/geocode.py from rotting: run it in --quick mode and check its JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "geocode.py"


def test_quick_run_writes_the_result_shape(tmp_path: Path) -> None:
    out = tmp_path / "geocode.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("geocode: top1 ")
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
    assert (result["name"], result["command"]) == ("geocode", "make bench ONLY=geocode")
    assert result["when"].endswith("Z")
    assert set(result["machine"]) == {"cpus", "python", "database"}
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
    for target in targets.values():
        assert set(target) == {"value", "goal", "met"}
        assert isinstance(target["met"], bool)
