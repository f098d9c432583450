"""``ulinzi worker``: process received SMS, and send the outbox with retries, backoff
and a dead-letter state.

During a flood (a round of work cut short by the backlog while SMS are still being
stored: a gateway resending, or many people reporting one attack) a long-running worker
rests after each round, ``--flood-rest`` times as long as the round took. A webhook
costs a few milliseconds and a report about twenty: on a field laptop's two cores a
worker that never rests leaves the web server so little CPU that the gateway waits, and
a gateway left waiting sends again. What waits is the processing, whose backlog is
worked off at full speed as soon as the flood stops; the SMS themselves are already
stored. ``make bench ONLY=intake`` measured it (docs/operations.md).
"""

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

BATCH = 50  # inbound messages processed per round, at most
ROUND_S = 0.05  # and no more once this long has passed (then a flood is looked for)
FLOOD_S = 1.0  # a flood: a round cut short by the backlog, and an SMS stored this recently
FLOOD_REST = 1.0  # during a flood, rest this many times as long as the round took
FLOOD_REST_MAX_S = 5.0  # and never longer than this at once
RATES_KEPT_S = 1.0  # the channels' rate limits are read again after this long


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
            "--flood-rest",
            type=float,
            default=FLOOD_REST,
            help=(
                "while SMS arrive faster than the worker turns them into reports, rest this "
                f"many times as long as each round of work took (default {FLOOD_REST:g}: "
                f"busy {1 / (1 + FLOOD_REST):.0%} of the time at most), so that the web "
                "server answers the gateway first; the backlog is worked off at full speed "
                "once the flood stops. 0: never rest. Not with --once"
            ),
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
        rates_read = -RATES_KEPT_S
        while self.running:
            if time.monotonic() - swept >= domain.STALE_SWEEP:
                domain.release_stale_claims()
                domain.drop_old_receipts()
                swept = time.monotonic()
            collector.settle_if_asked()
            if not connection.in_atomic_block:  # (tests run the worker inside a transaction)
                close_old_connections()  # a long-running process must not keep a dead connection
            started = time.monotonic()
            # Inbound first: each message becomes a report and queues its acknowledgement.
            received = domain.process_inbound(limit=BATCH, within_s=ROUND_S)
            cut_short = received >= BATCH or time.monotonic() - started >= ROUND_S
            handled += received
            # The claimer keeps its list of due messages from one pass to the next; the
            # channels' rates are read again once a second (rounds are shorter).
            if time.monotonic() - rates_read >= RATES_KEPT_S:
                claimer.rates = dict(Channel.objects.values_list("pk", "rate_per_minute"))
                rates_read = time.monotonic()
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
            resting = options["flood_rest"] > 0 and not options["once"]
            if received and cut_short and resting and domain.arriving(FLOOD_S):
                # A flood: a backlog, and more still arriving (see the module's docstring).
                worked = time.monotonic() - started
                time.sleep(min(FLOOD_REST_MAX_S, worked * options["flood_rest"]))
                continue
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
