"""Benchmarks that run Django in a child process per database: a fresh PostgreSQL
database for the run (dropped at the end), and the child's JSON result."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str]:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgres://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def run_child(
    script: str, database_url: str, args: list[str], timeout: int = 1800
) -> dict[str, Any]:
    """Run ``script`` with ``args`` against ``database_url`` in a fresh ULINZI_VAR_DIR;
    the child prints its result as the last line of JSON."""
    with tempfile.TemporaryDirectory() as var:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ULINZI_VAR_DIR": var,
            "ULINZI_DEBUG": "0",
        }
        done = subprocess.run(
            [sys.executable, script, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"the benchmark child failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def runs_per_database(
    script: str, child: Any, database_name: str, description: str
) -> tuple[Any, int, int, dict[str, dict[str, Any]]] | None:
    """The shared command line of these benchmarks (``--quick``, ``--out``, ``--database``)
    and a run of ``script``'s child on each database: (args, n, reps, runs). In a child
    process, runs ``child(n, reps)``, prints its JSON and returns None."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=40, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.reps)))
        return None
    n, reps = (5_000, 8) if args.quick else (100_000, 40)
    database = args.database or ("sqlite" if args.quick else "both")
    if database == "both" and not postgres_available():
        database = "sqlite"
    child_args = ["--child", str(n), "--reps", str(reps)]
    runs: dict[str, dict[str, Any]] = {}
    if database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            runs["sqlite"] = run_child(script, f"sqlite:///{tmp}/bench.sqlite3", child_args)
    if database in ("postgres", "both"):
        with postgres_database(database_name) as url:
            runs["postgres"] = run_child(script, url, child_args)
    return args, n, reps, runs
