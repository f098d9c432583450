"""``ulinzi worker``: send the outbox, with retries, backoff and a dead-letter state."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from ulinzi.lib import collector
from ulinzi.lib.priority import run_behind_the_web_server
from ulinzi.lib.sqlite import base as sqlite_writers
from ulinzi.messaging import domain, transports
from ulinzi.messaging.models import Channel, Message


class Command(BaseCommand):
    help = (
        "Process received messages (reports, answers, opt-outs) and send queued messages "
        "through their channels. Runs until stopped (or --once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="send what is due, then stop")
        parser.add_argument(
            "--idle-sleep", type=float, default=0.5, help="seconds to wait when nothing is due"
        )
        parser.add_argument(
            "--max-messages", type=int, default=0, help="stop after this many (0: no limit)"
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=0,
            help=(
                "also lower the worker's CPU priority to this niceness (default 0: as "
                "started). It runs as a batch process anyway: when the machine is busy, the "
                "web server answers the SMS gateway first (a gateway left waiting sends "
                "again) and the stored messages wait"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True
        if not options["once"]:
            run_behind_the_web_server(options["nice"])
            # What the worker has loaded, and later its caches, out of the cycle
            # collector's way: a full collection while it holds SQLite's write lock
            # stops every webhook (ulinzi/lib/collector.py).
            collector.settle()
            collector.watch()
            # On SQLite, its transactions wait for a moment when the web server is not
            # writing (ulinzi/lib/sqlite/base.py).
            sqlite_writers.give_way()
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        handled = 0
        me = domain.worker_identity()
        released = domain.release_dead_claims()
        if released:
            self.stderr.write(
                f"worker: {released} message(s) claimed by a stopped worker queued again"
            )
        swept = 0.0  # when stale claims were last looked for (a write: not on every claim)
        claimer = domain.Claimer({}, owner=me)
        while self.running:
            if time.monotonic() - swept >= domain.STALE_SWEEP:
                domain.release_stale_claims()
                domain.drop_old_receipts()
                swept = time.monotonic()
            collector.settle_if_asked()
            if not connection.in_atomic_block:  # (tests run the worker inside a transaction)
                close_old_connections()  # a long-running process must not keep a dead connection
            # Inbound first: each message becomes a report and queues its acknowledgement.
            received = domain.process_inbound(limit=50)
            handled += received
            # The claimer keeps its list of due messages from one pass to the next.
            claimer.rates = dict(Channel.objects.values_list("pk", "rate_per_minute"))
            # Then as many due messages as were received (at least one), so that
            # acknowledgements keep pace with a flood of reports instead of waiting
            # behind it.
            sent = 0
            limit = options["max_messages"]
            while sent < max(1, received) and not (limit and handled + sent >= limit):
                message = claimer.claim()
                if message is None:
                    break
                self.deliver(message)
                sent += 1
            handled += sent
            if limit and handled >= limit:
                break
            if sent or received:
                continue
            if options["once"]:
                break
            time.sleep(options["idle_sleep"])
        self.stdout.write(f"worker: {handled} message(s) handled")

    def deliver(self, message: Message) -> None:
        try:
            gateway_id = transports.send(
                message, message.reporter.phone() if message.reporter else ""
            )
        except transports.SendFailed as exc:
            status = domain.record_failure(message, str(exc))
            self.stderr.write(f"message {message.pk}: {exc} ({status})")
            return
        except Exception as exc:  # noqa: BLE001 (one bad message must not stop the outbox)
            status = domain.record_failure(message, f"could not be sent: {exc!r}"[:300])
            self.stderr.write(f"message {message.pk}: {exc!r} ({status})")
            return
        domain.record_sent(message, gateway_id)

    def stop(self, *args: Any) -> None:
        self.running = False
