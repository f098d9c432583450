"""The worker's scheduling, checked in a process of its own (it cannot be undone)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not hasattr(os, "SCHED_BATCH"), reason="no batch scheduling on this system"
)

SHOW = (
    "import os, sys; from ulinzi.lib.priority import run_behind_the_web_server as run; "
    "first = run(int(sys.argv[1])); again = run(int(sys.argv[2])); "
    "print(first, again, os.sched_getscheduler(0) == os.SCHED_BATCH, "
    "os.getpriority(os.PRIO_PROCESS, 0) - int(sys.argv[3]))"
)


def scheduled(nice: int, then: int) -> list[str]:
    start = os.getpriority(os.PRIO_PROCESS, 0)
    done = subprocess.run(
        [sys.executable, "-c", SHOW, str(nice), str(then), str(start)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_the_worker_runs_as_a_batch_process_at_the_niceness_it_was_started_with() -> None:
    assert scheduled(0, 0) == ["True", "True", "True", "0"]


def test_a_niceness_asked_for_is_absolute_and_never_raised_back() -> None:
    start = os.getpriority(os.PRIO_PROCESS, 0)
    if start > 14:
        pytest.skip("the suite runs too niced to tell")
    assert scheduled(5, 3) == ["True", "True", "True", str(max(5, start) - start)]
