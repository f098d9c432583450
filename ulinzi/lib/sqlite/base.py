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
"""

from __future__ import annotations

from typing import IO, Any

from django.db.backends.sqlite3 import base

try:
    import fcntl
except ImportError:  # no flock (Windows): SQLite's own waiting only
    fcntl = None  # type: ignore[assignment]


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue_file: IO[bytes] | None = None
        self._queued = False

    def _start_transaction_under_autocommit(self) -> None:
        if fcntl is not None and not self.is_in_memory_db():
            if self._queue_file is None:
                self._queue_file = open(f"{self.settings_dict['NAME']}.writers", "ab")  # noqa: SIM115
            fcntl.flock(self._queue_file, fcntl.LOCK_EX)
            self._queued = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave_queue()
            raise

    def _leave_queue(self) -> None:
        if self._queued and self._queue_file is not None and fcntl is not None:
            fcntl.flock(self._queue_file, fcntl.LOCK_UN)
        self._queued = False

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
            if self._queue_file is not None:
                self._queue_file.close()
                self._queue_file = None
