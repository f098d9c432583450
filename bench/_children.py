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
