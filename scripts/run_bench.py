"""Run every benchmark in bench/ (or the one named), each writing bench/results/<name>.json,
then regenerate the README's benchmark table from those files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def table() -> str:
    rows = ["| benchmark | figures | baseline (same run) | targets |", "|---|---|---|---|"]
    for path in sorted((BENCH / "results").glob("*.json")):
        data = json.loads(path.read_text())
        # Nested figures (per-view timings, a cluster's details) stay in the JSON file.
        figures = ", ".join(
            f"{k} {v}" for k, v in data["figures"].items() if not isinstance(v, dict | list)
        )
        base = data.get("baseline", {})
        baseline = f"{base.get('name', '')}: " + ", ".join(
            f"{k} {v}" for k, v in base.items() if k != "name" and not isinstance(v, dict | list)
        )
        targets = "; ".join(
            f"{k} {t['value']} (goal {t['goal']}, {'met' if t['met'] else 'NOT met'})"
            for k, t in data.get("targets", {}).items()
        )
        rows.append(f"| `{data['command']}` | {figures} | {baseline} | {targets} |")
    return "\n".join(rows)


def update_readme() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        readme.write_text(f"{head}{START}\n{table()}\n{END}{tail}")


def main() -> int:
    only = sys.argv[1:]
    scripts = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith(("test_", "_")))
    if only:
        scripts = [p for p in scripts if p.stem in only]
        if not scripts:
            print(f"no benchmark named {', '.join(only)} in bench/")
            return 2
    code = 0
    for script in scripts:
        print(f"--- bench/{script.name}", flush=True)
        code = max(code, subprocess.call([sys.executable, str(script)], cwd=ROOT))
    update_readme()
    return code


if __name__ == "__main__":
    sys.exit(main())
