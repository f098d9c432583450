"""What is loaded once is kept out of the cycle collector's way: checked in processes of
their own, since a freeze cannot be undone object by object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SLOW_COLLECTION_ASKS = """
import gc, json
from ulinzi.lib import collector
collector.watch()
collector.watch()  # once per process, however often asked
collector.SLOW_S = 0.0  # every full collection is slow
gc.collect(0)
young_only = collector.asked()
kept = [[i] for i in range(50_000)]
before = gc.get_freeze_count()
gc.collect()
asked = collector.asked()
first = collector.settle_if_asked()
after = gc.get_freeze_count()
second = collector.settle_if_asked()
print(json.dumps({
    "young_only": young_only, "asked": asked, "first": first, "second": second,
    "frozen": after - before, "callbacks": gc.callbacks.count(collector._on_collection),
}))
"""

QUICK_COLLECTIONS_DO_NOT = """
import gc, json
from ulinzi.lib import collector
collector.watch()
collector.SLOW_S = 3600.0
gc.collect()
print(json.dumps({"asked": collector.asked(), "settled": collector.settle_if_asked()}))
"""

WEB_SERVER = """
import gc, json
import ulinzi.wsgi
from django.core.signals import request_finished
from ulinzi.lib import collector
frozen = gc.get_freeze_count()
collector.SLOW_S = 0.0
kept = [[i] for i in range(10_000)]
gc.collect()
request_finished.send(sender=None)
print(json.dumps({"frozen": frozen, "more": gc.get_freeze_count() - frozen}))
"""


def run(code: str) -> dict[str, object]:
    env = {**os.environ, "DATABASE_URL": "sqlite:///:memory:"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_slow_full_collection_asks_once_for_the_survivors_to_be_frozen() -> None:
    seen = run(SLOW_COLLECTION_ASKS)
    assert seen["young_only"] is False  # a young generation's collection never asks
    assert seen["asked"] is True
    assert seen["first"] is True
    assert isinstance(seen["frozen"], int) and seen["frozen"] >= 50_000
    assert seen["second"] is False  # asked once, settled once
    assert seen["callbacks"] == 1


def test_a_quick_full_collection_leaves_objects_where_they_are() -> None:
    assert run(QUICK_COLLECTIONS_DO_NOT) == {"asked": False, "settled": False}


def test_the_web_server_freezes_what_it_loaded_and_settles_after_a_request_when_asked() -> None:
    seen = run(WEB_SERVER)
    # Django, the apps and every view: tens of thousands of objects.
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 20_000
    assert isinstance(seen["more"], int) and seen["more"] >= 10_000
