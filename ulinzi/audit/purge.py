"""The one way past the audit log's triggers: an explicit, connection-local permit to
delete (never to update), used by the retention purge and by the test database flush.

SQLite triggers call ``ulinzi_audit_purge_allowed()``, a function registered on
Ulinzi's own connections; any other client (the sqlite3 shell) does not have it, so
its DELETE fails too. PostgreSQL triggers read the session setting
``ulinzi.audit_purge``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection as default_connection
from django.db.backends.signals import connection_created

FLAG = "ulinzi_audit_purge_allowed"


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            FLAG, 0, lambda: 1 if getattr(connection, FLAG, False) else 0, deterministic=False
        )


def set_purge_allowed(allowed: bool, connection: Any = default_connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('ulinzi.audit_purge', %s, false)", ["on" if allowed else "off"]
            )
    setattr(connection, FLAG, allowed)


@contextmanager
def purge_allowed(connection: Any = default_connection) -> Iterator[None]:
    set_purge_allowed(True, connection)
    try:
        yield
    finally:
        set_purge_allowed(False, connection)


connection_created.connect(register_sqlite_function, dispatch_uid="ulinzi-audit-purge")
