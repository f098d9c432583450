"""The SQLite backend queues writers on a file lock: a transaction holds it from BEGIN to
COMMIT or ROLLBACK, a second writer waits for it in the kernel, and nothing is left
locked after an error."""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ulinzi.lib.sqlite.base import DatabaseWrapper, give_way


@pytest.fixture(autouse=True)
def own_connections(django_db_blocker: Any) -> Any:
    """These tests open their own database files, not the suite's database."""
    with django_db_blocker.unblock():
        yield


def connect(path: Path, timeout: float = 20) -> Any:
    settings = {
        "ENGINE": "ulinzi.lib.sqlite",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    return DatabaseWrapper(settings, alias=f"writers-{id(settings)}")


def held(path: Path) -> bool:
    """Whether some connection holds the writers' lock now."""
    with open(f"{path}.writers", "ab") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
        return False


def test_a_transaction_holds_the_lock_until_it_ends(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = connect(path)
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    assert not held(path)
    with _atomic(first):
        with first.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
        assert held(path)
    assert not held(path)
    with pytest.raises(RuntimeError), _atomic(first):
        assert held(path)
        raise RuntimeError("rolled back")
    assert not held(path)
    first.close()


def test_a_second_writer_waits_for_the_first_and_both_are_written(tmp_path: Path) -> None:
    """The second writer has no SQLite busy timeout at all: without the file lock its
    BEGIN IMMEDIATE would fail at once with "database is locked"."""
    path = tmp_path / "db.sqlite3"
    setup = connect(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    setup.close()
    order: list[str] = []
    inside = threading.Event()

    def first() -> None:
        conn = connect(path)
        with _atomic(conn):
            with conn.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (1)")
            inside.set()
            time.sleep(0.3)
            order.append("first commits")
        conn.close()

    def second() -> None:
        conn = connect(path, timeout=0)
        inside.wait(5)
        with _atomic(conn):
            order.append("second begins")
            with conn.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (2)")
        conn.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == ["first commits", "second begins"]
    check = connect(path)
    with check.cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        assert [row[0] for row in cursor.fetchall()] == [1, 2]
    check.close()


class _atomic:  # noqa: N801 - used like transaction.atomic, on a connection of its own
    """BEGIN ... COMMIT (or ROLLBACK on an error) on ``conn``, as Django's atomic does."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.ensure_connection()
        self.conn._start_transaction_under_autocommit()

    def __exit__(self, kind: Any, *args: Any) -> None:
        if kind is None:
            self.conn.commit()
        else:
            self.conn.rollback()


def gate(path: Path, mode: int) -> Any:
    """The gate taken as another process would (shared: a web request writing or waiting
    to write), without waiting; None when it cannot be taken now."""
    probe = open(f"{path}.gate", "ab")  # noqa: SIM115 - closed by the caller or on failure
    try:
        fcntl.flock(probe, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        probe.close()
        return None
    return probe


def table(path: Path) -> None:
    setup = connect(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    setup.close()


def test_a_writer_passes_the_gate_shared_and_one_giving_way_alone(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    table(path)
    web, worker = connect(path), connect(path)
    worker.gives_way = True
    with _atomic(web):
        other = gate(path, fcntl.LOCK_SH)
        assert other is not None  # web writers share it
        other.close()
        assert gate(path, fcntl.LOCK_EX) is None  # a worker would wait
    with _atomic(worker):
        assert gate(path, fcntl.LOCK_SH) is None  # a web request waits behind it
    left = gate(path, fcntl.LOCK_EX)
    assert left is not None  # nothing left held
    left.close()
    web.close()
    worker.close()


def test_a_writer_giving_way_begins_only_when_no_one_else_writes_or_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process waiting to write holds the gate shared: the worker's transaction
    does not begin (even though the write lock itself is free) until it is let go."""
    monkeypatch.setattr("ulinzi.lib.sqlite.base.GIVE_WAY_S", 10.0)
    path = tmp_path / "db.sqlite3"
    table(path)
    waiting = gate(path, fcntl.LOCK_SH)
    assert waiting is not None
    began = threading.Event()

    def worker() -> None:
        conn = connect(path)
        conn.gives_way = True
        with _atomic(conn):
            began.set()
            with conn.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (1)")
        conn.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert not began.wait(0.5)
    assert not held(path)
    waiting.close()  # the other process is done
    assert began.wait(5)
    thread.join(5)
    check = connect(path)
    with check.cursor() as cursor:
        cursor.execute("SELECT n FROM t")
        assert cursor.fetchall() == [(1,)]
    check.close()


def test_a_writer_giving_way_queues_anyway_after_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A steady stream of web writers slows the worker down; it never stops it."""
    monkeypatch.setattr("ulinzi.lib.sqlite.base.GIVE_WAY_S", 0.3)
    path = tmp_path / "db.sqlite3"
    table(path)
    busy = gate(path, fcntl.LOCK_SH)  # never let go during the test
    assert busy is not None
    conn = connect(path)
    conn.gives_way = True
    start = time.monotonic()
    with _atomic(conn):
        waited = time.monotonic() - start
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        assert held(path)
    assert 0.3 <= waited < 5
    assert not held(path)
    busy.close()
    conn.close()


def test_a_process_that_gives_way_does_so_on_every_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DatabaseWrapper, "gives_way", False)  # put back after the test
    path = tmp_path / "db.sqlite3"
    table(path)
    give_way()
    conn = connect(path)
    with _atomic(conn):
        assert gate(path, fcntl.LOCK_SH) is None  # taken alone
    conn.close()
