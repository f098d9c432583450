"""A long-running worker keeps out of the web server's way, and rests during a flood of
SMS; a worker run once (a test, a cron job) leaves its process as it found it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from ulinzi.messaging import domain
from ulinzi.messaging.management.commands import worker
from ulinzi.messaging.models import Message

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


IDLE = 7.0  # the idle sleep the tests give the worker: it had nothing left to do


def rests(monkeypatch: pytest.MonkeyPatch, flood: bool, **options: object) -> list[float]:
    """The worker's sleeps, each round cut short after one message, with three SMS
    waiting, stored within the last hour (a flood) or before (IDLE: it had nothing left
    to do)."""
    monkeypatch.setattr(worker, "FLOOD_S", 3600.0)
    stored_ago = 0 if flood else 7200
    channel = domain.create_channel(actor="test", name="gateway", send_url="console:")
    for n in range(3):
        domain.receive_message(channel, sender="+243971234567", text=f"Risasi Mbau {n}")
    Message.objects.update(created_at=timezone.now() - timedelta(seconds=stored_ago))
    monkeypatch.setattr(worker, "ROUND_S", 0.0)
    for name in ("settle", "watch", "settle_if_asked"):
        monkeypatch.setattr(worker.collector, name, lambda: None)
    monkeypatch.setattr(worker, "run_behind_the_web_server", lambda nice: None)
    monkeypatch.setattr(worker.sqlite_writers, "give_way", lambda on=True: None)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if seconds == IDLE:
            raise Idle

    monkeypatch.setattr(worker.time, "sleep", sleep)
    with pytest.raises(Idle):
        call_command("worker", idle_sleep=IDLE, stdout=StringIO(), stderr=StringIO(), **options)
    assert not Message.objects.filter(direction="in", processed_at__isnull=True).exists()
    return slept


def test_during_a_flood_the_worker_rests_after_each_round_as_long_as_it_worked_times_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A setting so large that every rest is the longest there is: the rest is the
    # round's time multiplied, and capped.
    slept = rests(monkeypatch, flood=True, flood_rest=1e9)
    assert slept == [worker.FLOOD_REST_MAX_S] * 3 + [IDLE]


def test_the_worker_works_off_a_backlog_without_resting_once_nothing_new_arrives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert rests(monkeypatch, flood=False, flood_rest=1e9) == [IDLE]


def test_a_worker_told_never_to_rest_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rests(monkeypatch, flood=True, flood_rest=0) == [IDLE]
