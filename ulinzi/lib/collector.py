"""Python's cycle collector, kept from stopping a long-running process for long.

Now and then Python's cycle collector looks at every container object the process
holds (a *full collection*), and nothing else runs in the process meanwhile. A loaded
Django process holds about 100,000 of them (modules, functions, models, URL patterns),
the worker over 170,000 once it has the gazetteer's matcher: a full collection took
35-85 ms on an idle core, and up to 200 ms on a busy machine. A web server thread
collecting is an SMS gateway left waiting; on SQLite, a worker collecting while it
holds the write lock is every webhook waiting. The intake benchmark's slowest answers
lined up with them.

What a process loads once and keeps (code, models, the matcher, the triage model) need
not be looked at again: :func:`settle` moves everything alive out of the collector's
sight (``gc.freeze``). :func:`watch` has each slow full collection ask for that again
(a cache loaded later, such as a new gazetteer's matcher, is then moved out too), and
:func:`settle_if_asked` does it at a quiet moment: after a request, between two
messages. Frozen objects are still freed by reference counting when nothing refers to
them; only garbage made of reference cycles among them is kept (the few objects of a
request in flight in another thread at that moment), which is why it is asked for only
after a slow collection, not after every one.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

SLOW_S = 0.010  # a full collection this long asks for the survivors to be moved out

_asked = threading.Event()
_started = [0.0]
_watching = [False]


def settle() -> None:
    """Collect once, then move every object alive out of the collector's sight."""
    gc.collect()
    _freeze()


def _freeze() -> None:
    gc.freeze()
    _asked.clear()


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    if info.get("generation") != 2:
        return
    if phase == "start":
        _started[0] = time.perf_counter()
    elif time.perf_counter() - _started[0] >= SLOW_S:
        _asked.set()


def watch() -> None:
    """Have every slow full collection ask for :func:`settle` (once per process)."""
    if not _watching[0]:
        gc.callbacks.append(_on_collection)
        _watching[0] = True


def settle_if_asked(*args: Any, **kwargs: Any) -> bool:
    """Move what is alive out of the collector's sight if a slow full collection asked
    for it since (whether it did): no collection first, the one that asked has just been
    made. Takes and ignores any arguments, so that it can receive a signal."""
    if not _asked.is_set():
        return False
    _freeze()
    return True


def asked() -> bool:
    return _asked.is_set()
