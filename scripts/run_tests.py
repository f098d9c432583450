"""Run the suite on SQLite, then on PostgreSQL when one is reachable.

ULINZI_REQUIRE_POSTGRES=1 makes an unreachable PostgreSQL a failure instead of a
skip (CI sets it, with ULINZI_REQUIRE_BROWSER=1 for the browser tests).
Extra arguments go to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

POSTGRES_URL = os.environ.get(
    "ULINZI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ulinzi"
)


def postgres_reachable(url: str) -> str | None:
    """None if we can connect to the server's maintenance database, else why not."""
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    try:
        psycopg.connect(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


def run(label: str, env: dict[str, str], args: list[str]) -> int:
    print(f"\n=== Test suite on {label} ===", flush=True)
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", *args], env=env)
    print(
        f"=== {label}: {'passed' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return code


def main() -> int:
    args = sys.argv[1:] or ["-q", "-n", "2", "--dist", "loadfile"]
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base.setdefault("ULINZI_VAR_DIR", os.path.join(os.getcwd(), "var", "test"))
    codes = [run("SQLite", {**base, "DATABASE_URL": "sqlite:///:memory:"}, args)]
    why_not = postgres_reachable(POSTGRES_URL)
    if why_not is None:
        codes.append(run("PostgreSQL", {**base, "DATABASE_URL": POSTGRES_URL}, args))
    elif os.environ.get("ULINZI_REQUIRE_POSTGRES") == "1":
        print(f"PostgreSQL is required (ULINZI_REQUIRE_POSTGRES=1) but unreachable: {why_not}")
        codes.append(1)
    else:
        print(f"\nPostgreSQL not reachable at {POSTGRES_URL}, its run is skipped: {why_not}")
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
