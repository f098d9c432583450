"""Django's SQLite backend, with writers queued by the kernel instead of polling.

In WAL mode SQLite lets one writer at a time. A writer that finds the lock taken
sleeps and tries again (after 1, 2, 5, 10, 15, 20, 25 ... ms); under a steady stream of
short writes (an SMS webhook beside the worker) an unlucky writer keeps missing the
moment the lock is free and waits hundreds of milliseconds. Here every transaction
first takes an exclusive ``flock`` on a file beside the database: waiting writers sleep
in the kernel and one is woken the moment the lock is released. ``BEGIN IMMEDIATE``
then finds SQLite's own lock free, except against the odd statement run outside a
transaction, which still waits SQLite's way. An in-memory database (the test suite's)
has a single connection per thread and no file: nothing changes for it.

A process can also *give way* (:func:`give_way`; the worker does): its writers then wait
for a moment when no other process is writing or waiting to write before they queue,
so that a web request never waits behind a worker's transaction that came after it.
Others pass a second lock file, the *gate*, shared; a writer giving way takes it
exclusively, without waiting, and tries again every ``POLL_S`` while it is held. After
``GIVE_WAY_S`` it queues with the others anyway: a steady stream of webhooks slows the
worker down, it never stops it. Under a burst of SMS the web server gets the write lock
first and the worker catches up after: beside a worker with a backlog, the webhook took
300-390 SMS/s in the intake benchmark's closed-loop slices with the gate, 260-320
without (2 cores, runs of the same day).
"""

from __future__ import annotations

import time
from typing import IO, Any

from django.db.backends.sqlite3 import base

try:
    import fcntl
except ImportError:  # no flock (Windows): SQLite's own waiting only
    fcntl = None  # type: ignore[assignment]

GIVE_WAY_S = 0.25  # the longest a writer giving way waits for the others to be done
POLL_S = 0.002  # how often it looks


def give_way(on: bool = True) -> None:
    """Make this process's writers give way to other processes' (see above)."""
    DatabaseWrapper.gives_way = on


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    gives_way = False  # for the whole process (give_way), or one connection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue_file: IO[bytes] | None = None
        self._gate_file: IO[bytes] | None = None
        self._queued = False
        self._through_gate = False

    def _start_transaction_under_autocommit(self) -> None:
        if fcntl is not None and not self.is_in_memory_db():
            self._enter_queue()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave_queue()
            raise

    def _enter_queue(self) -> None:
        if self._queue_file is None or self._gate_file is None:
            name = self.settings_dict["NAME"]
            self._gate_file = open(f"{name}.gate", "ab")  # noqa: SIM115
            self._queue_file = open(f"{name}.writers", "ab")  # noqa: SIM115
        if self.gives_way:
            self._through_gate = self._wait_for_a_gap(self._gate_file)
        else:
            fcntl.flock(self._gate_file, fcntl.LOCK_SH)
            self._through_gate = True
        try:
            fcntl.flock(self._queue_file, fcntl.LOCK_EX)
        except BaseException:
            self._leave_gate()
            raise
        self._queued = True

    @staticmethod
    def _wait_for_a_gap(gate: IO[bytes]) -> bool:
        """Take the gate alone, waiting at most GIVE_WAY_S (whether it was taken)."""
        deadline = time.monotonic() + GIVE_WAY_S
        while True:
            try:
                fcntl.flock(gate, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(POLL_S)

    def _leave_queue(self) -> None:
        if self._queued and self._queue_file is not None and fcntl is not None:
            fcntl.flock(self._queue_file, fcntl.LOCK_UN)
        self._queued = False
        self._leave_gate()

    def _leave_gate(self) -> None:
        if self._through_gate and self._gate_file is not None and fcntl is not None:
            fcntl.flock(self._gate_file, fcntl.LOCK_UN)
        self._through_gate = False

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._leave_queue()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._leave_queue()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._leave_queue()
            for kept in (self._queue_file, self._gate_file):
                if kept is not None:
                    kept.close()
            self._queue_file = self._gate_file = None
