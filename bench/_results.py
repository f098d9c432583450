"""Where a benchmark writes its results: ``--out`` if given; a temporary file for a
``--quick`` run (so a smoke run never overwrites the committed figures); otherwise
``bench/results/<name>.json``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def write_result(name: str, result: dict[str, Any], out: Path | None, quick: bool) -> Path:
    if out is None:
        out = (
            Path(tempfile.gettempdir()) / f"ulinzi_bench_{name}_quick.json"
            if quick
            else RESULTS / f"{name}.json"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def header(name: str, database: str = "none (pure module)") -> dict[str, Any]:
    """The first keys every results file shares: name, command, when, machine."""
    import os
    import platform
    from datetime import UTC, datetime

    return {
        "name": name,
        "command": f"make bench ONLY={name}",
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "database": database,
        },
    }
