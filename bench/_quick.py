"""Run a benchmark script in --quick mode and check the shape every results file shares
(../shared/docs/BENCH.md); each smoke test then checks its own figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
TOP_LEVEL = ["name", "command", "when", "machine", "data", "figures", "baseline", "targets"]


def run_quick(name: str, tmp_path: Path, timeout: int = 300) -> tuple[str, dict[str, Any]]:
    out = tmp_path / f"{name}.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert list(result) == TOP_LEVEL
    assert (result["name"], result["command"]) == (name, f"make bench ONLY={name}")
    assert result["when"].endswith("Z")
    assert set(result["machine"]) == {"cpus", "python", "database"}
    for target in result["targets"].values():
        assert set(target) == {"value", "goal", "met"}
        assert isinstance(target["met"], bool)
    return done.stdout, result
