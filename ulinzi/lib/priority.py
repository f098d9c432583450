"""The outbox worker's place in the CPU queue, behind the web server.

A niced process waits behind every other one, including while it holds SQLite's one
write lock: a worker at niceness 10 held it for up to 140 ms on a busy machine, and
every SMS webhook waited behind it (priority inversion). A *batch* process (Linux's
``SCHED_BATCH``) keeps its fair share of the CPU, so it is done with the lock soon, yet
never preempts the web server when a request wakes it: the gateway is still answered
first. ``make bench ONLY=intake`` measured the difference (see docs/operations.md).
"""

from __future__ import annotations

import contextlib
import os


def run_behind_the_web_server(nice: int = 0) -> bool:
    """Make this process a batch process, and niced to ``nice`` (0: as it is; never
    raised back: a niceness is absolute here, so running twice does not add up).
    Whether the batch policy was taken (not on systems without it)."""
    batch = False
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_BATCH"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
            batch = True
    if nice > 0:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, max(current, min(nice, 19)))
    return batch
