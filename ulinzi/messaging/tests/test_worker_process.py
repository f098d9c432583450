"""A long-running worker keeps out of the web server's way; a worker run once (a test, a
cron job) leaves its process as it found it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ulinzi.messaging.management.commands import worker

pytestmark = pytest.mark.django_db


class Idle(Exception):
    pass


def steps(monkeypatch: pytest.MonkeyPatch, **options: object) -> list[str]:
    """What the worker did to its process until it first had nothing to do."""
    done: list[str] = []
    monkeypatch.setattr(worker, "run_behind_the_web_server", lambda nice: done.append("batch"))
    monkeypatch.setattr(worker.collector, "settle", lambda: done.append("settle"))
    monkeypatch.setattr(worker.collector, "watch", lambda: done.append("watch"))
    monkeypatch.setattr(worker.collector, "settle_if_asked", lambda: done.append("asked?"))
    monkeypatch.setattr(worker.sqlite_writers, "give_way", lambda on=True: done.append("give way"))

    def idle(seconds: float) -> None:
        raise Idle

    monkeypatch.setattr(worker.time, "sleep", idle)
    try:
        call_command("worker", stdout=StringIO(), stderr=StringIO(), **options)
    except Idle:
        done.append("idle")
    return done


def test_a_long_running_worker_gives_way_and_keeps_what_it_loaded_out_of_the_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert steps(monkeypatch) == ["batch", "settle", "watch", "give way", "asked?", "idle"]


def test_a_worker_run_once_changes_nothing_in_its_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert steps(monkeypatch, once=True) == ["asked?"]
