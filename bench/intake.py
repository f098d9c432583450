"""Benchmark the SMS intake path end to end: webhook -> report/alert -> acknowledgement SMS.

Run: ``.venv/bin/python bench/intake.py [--quick] [--out PATH] [--database sqlite|postgres|both]``
(default: both when PostgreSQL answers at 127.0.0.1:5432, else SQLite; ``--quick`` is a
small SQLite-only version for the test suite and never writes bench/results/).

What runs (per database, in a fresh temporary ``ULINZI_VAR_DIR``; PostgreSQL gets a fresh
database ``ulinzi_bench_intake``, dropped at the end)
    ``ulinzi migrate``, ``ulinzi demo-setup --quiet``, a fake SMS gateway in this process
    (``ThreadingHTTPServer`` on 127.0.0.1 that answers 200 and counts requests per
    ``Idempotency-Key``), ``ulinzi channel-add bench --send-url http://127.0.0.1:PORT/send
    --rate 1000000`` (the channel's per-minute rate limit is lifted so that the worker is
    not throttled: the default of 60/min would make the outbox the bottleneck), then the
    production server ``gunicorn ulinzi.wsgi:application -w 3 --threads 4`` and the outbox
    worker ``ulinzi worker --idle-sleep 0.05`` as subprocesses, all on one machine (the
    load generator, the gateway, the server, the worker and the database share its cores).

The load
    Realistic SMS bodies from templates in French, Swahili, English and Lingala naming
    real settlements of the Beni, Oïcha and Goma territories (``bundled_records()``),
    with threat words ("hommes armés", "watu wenye silaha", "risasi", "tirs",
    "enlèvement", "wameua", ...), a unique gateway ``id`` per request and a few hundred
    distinct senders ``+2439XXXXXXXX`` (new reporters are created on first contact, as
    in production). The load generator is a raw-socket HTTP/1.1 client with keep-alive,
    in threads of this process.

How to read the figures (keys prefixed ``sqlite_`` / ``postgres_``)
    ``reports_per_s``: sustained throughput of ``POST /channels/ext/<uuid>/receive``
    (closed loop, 12 concurrent clients, each sending its next request as soon as the
    last is answered): the median of several interleaved slices. Each request finds or
    creates the reporter (encrypted number, blind index), checks for a copy of the same
    SMS and stores it; the worker (``ulinzi worker``, a batch process by
    default, see ``ulinzi/lib/priority.py``, which rests during a flood, see its
    module) meanwhile writes the audit entry of each stored SMS, triages and
    locates it, joins or opens an alert, writes the report's audit entries, queues the acknowledgement and sends it,
    as in production. When the server takes SMS faster than the worker turns them into
    reports, the worker's backlog carries over from slice to slice
    (``outbox_drained_between_slices`` false): the endpoints are measured beside a busy
    worker.
    ``p50_ms_at_200`` / ``p99_ms_at_200``: latency percentiles at a fixed offered rate
    of 200 requests/s (open loop), measured from each request's *scheduled* send time,
    so a server that falls behind is charged for the queueing it causes (no coordinated
    omission). When the server cannot keep 200/s, the requests still unanswered when the
    window closes are counted with the time they had waited so far (a lower bound), and
    ``achieved_per_s_at_200`` shows the rate actually served: then the queue grows for
    the whole window and p50/p99 mostly say how long the window was - the finding is
    that 200/s is beyond capacity, and ``reports_per_s`` says by how much. The load
    generator shares the machine's cores with the server (it costs the bare endpoint
    most, as its requests are the cheapest).
    ``worker_lag_p50_s_at_200`` / ``worker_lag_max_s_at_200``: the other side of the
    webhook's speed: seconds from storing each SMS of the 200/s slices to the worker's
    processing it (report, alert and acknowledgement written), once the worker is done.
    The worker's backlog from the closed-loop slices before is still being worked off
    then, so these say how far behind a long flood leaves it;
    ``worker_waiting_after_drain``: SMS of those slices still waiting when the bench
    stopped waiting for them (``drain_s``), not counted in the lag.
    No loss (the kill test): load at ~100 requests/s; the gunicorn process group and the
    worker are SIGKILLed, restarted ~1 s later; the load generator retries every failed
    request with the same gateway id, as a gateway does. ``acked_requests``: distinct
    requests that got a 2xx; ``missing_after_kill``: of those, how many have no inbound
    message in the database (target 0). ``acks_queued``: acknowledgements queued for
    this test's messages; ``acks_delivered_distinct``: how many of their idempotency keys
    the gateway saw at least once after the outbox drained (a wait of at most 5 minutes;
    ``drain_after_kill_s`` says how long it took, ``outbox_drained`` whether it did); ``acks_lost``:
    the difference (target 0). ``acks_stuck_sending``: acknowledgements the killed worker
    had claimed and not finished; the outbox gives them back only after its stale-claim
    delay (5 min), so they are late, not gone - counted in ``acks_lost`` if the gateway
    never saw them within the bench's drain window. ``gateway_requests`` counts every
    request for those keys, ``redelivered_same_key`` the requests beyond the first per
    key (a retry after a kill; harmless for a gateway that honours the key);
    ``keys_shared_by_messages``: keys that arrived with two different message ids
    (target 0). ``retries_answered_duplicate``: retried requests the server recognised
    as already stored (their first attempt was committed, its answer lost in the kill).

Baseline (same run, same server, same database, interleaved with the measured endpoint)
    ``POST /channels/ext/<uuid>/bare``, routed only with ``ULINZI_BENCH_ENDPOINTS=1``:
    the same middleware stack, channel lookup and token check, form parsing, number
    normalisation and text validation, then one ``INSERT`` of the message - no reporter,
    triage, alert, audit or outbox. ``throughput_ratio`` = ``reports_per_s`` /
    ``bare_per_s`` says what the whole intake costs against the bare framework.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from _results import header

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ulinzi.places.gazetteer import bundled_records  # noqa: E402

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_DB = "ulinzi_bench_intake"
PG_ADMIN_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
CLIENTS = 12  # closed-loop concurrency: the server's 3 workers x 4 threads
SEED = 7


@dataclass
class Plan:
    slice_s: float  # one closed-loop slice
    slices: int  # closed-loop slices per endpoint (interleaved with the other endpoint)
    open_s: float  # one open-loop slice
    open_slices: int  # open-loop slices per endpoint (interleaved)
    open_rate: float  # requests/s offered in the open loop
    kill_rate: float  # requests/s offered in the kill test (at most; see kill_test)
    kill_before_s: float  # load before the kill
    kill_after_s: float  # load after the restart
    kill_grace_s: float  # bound on finishing the retries after the load stops
    drain_s: float  # bound on the final outbox drain
    settle_s: float  # bound on the outbox drain before each slice
    warmup_s: float  # one warm-up round
    warmup_max_s: float  # bound on the warm-up of one endpoint


FULL = Plan(
    slice_s=3.5,
    slices=4,
    open_s=7.0,
    open_slices=2,
    open_rate=200.0,
    kill_rate=100.0,
    kill_before_s=3.0,
    kill_after_s=5.0,
    kill_grace_s=20.0,
    drain_s=60.0,
    settle_s=8.0,
    warmup_s=1.5,
    warmup_max_s=15.0,
)
QUICK = Plan(
    slice_s=1.5,
    slices=2,
    open_s=1.5,
    open_slices=2,
    open_rate=50.0,
    kill_rate=50.0,
    kill_before_s=1.5,
    kill_after_s=2.0,
    kill_grace_s=10.0,
    drain_s=20.0,
    settle_s=3.0,
    warmup_s=1.0,
    warmup_max_s=10.0,
)
# The kill test is about loss, not overload: it offers at most this share of the
# throughput measured just before, so that its requests do not queue up for minutes.
KILL_SHARE_OF_CAPACITY = 0.7


# -- the messages -----------------------------------------------------------------------

TEMPLATES = {
    "fr": [
        "ALERTE {place}: hommes armés vus ce matin près du marché, {n} personnes enlevées",
        "Bonjour, des tirs entendus à {place} vers {h}h, la population fuit vers la brousse",
        "Enlèvement de {n} personnes à {place} cette nuit par des hommes armés",
        "Urgent {place}: des hommes armés ont tué {n} civils et brûlé des maisons vers {h}h",
        "Des tirs nourris à {place} depuis {h}h, nous demandons une patrouille svp",
    ],
    "sw": [
        "TAHADHARI {place}: watu wenye silaha wameingia kijijini saa {h}, wameua watu {n}",
        "Habari za {place}, risasi zimesikika usiku saa {h}, watu {n} wametekwa nyara",
        "Huko {place} watu wenye silaha wamechoma nyumba {n} leo asubuhi",
        "Risasi nyingi {place} tangu saa {h}, wameua watu {n}, tunaomba msaada",
        "Watu wenye silaha wameonekana karibu na {place}, watu {n} wamekimbia",
    ],
    "en": [
        "ALERT {place}: armed men seen near the market, {n} people abducted",
        "Gunshots in {place} tonight around {h}h, {n} killed, people fleeing",
        "Armed men looting shops in {place} since {h}h, {n} wounded",
    ],
    "ln": [
        "LIKAMA {place}: bato ya bibundeli bakoti na mboka, babomi bato {n}",
        "Na {place} masasi ezali kobeta banda ngonga ya {h}, bato {n} bakimi",
        "Bato ya mindoki bakangi bato {n} na {place} na butu",
    ],
}
LANGUAGE_WEIGHTS = {"sw": 0.45, "fr": 0.30, "en": 0.15, "ln": 0.10}


def settlements() -> list[str]:
    names = sorted(
        {
            r.name
            for r in bundled_records()
            if r.kind in ("village", "town", "quarter", "camp")
            and len(r.admin_names) > 1
            and r.admin_names[1] in ("Beni", "Oïcha", "Goma")
        }
    )
    if not names:
        raise SystemExit("no settlements of Beni, Oïcha or Goma in the bundled gazetteer")
    return names


class Messages:
    """An endless, seeded stream of (form body, gateway id) for one phase."""

    def __init__(self, places: list[str], prefix: str, seed: int, senders: int = 400) -> None:
        self.rng = random.Random(seed)
        self.places = places
        self.prefix = prefix
        self.lock = threading.Lock()
        self.count = 0
        base = random.Random(SEED)  # the same senders in every phase: known reporters recur
        self.senders = [f"+2439{base.randrange(10**7, 10**8)}" for _ in range(senders)]
        self.languages = list(LANGUAGE_WEIGHTS)
        self.weights = list(LANGUAGE_WEIGHTS.values())

    def next(self) -> tuple[bytes, str]:
        with self.lock:
            self.count += 1
            number = self.count
            rng = self.rng
            language = rng.choices(self.languages, self.weights)[0]
            text = rng.choice(TEMPLATES[language]).format(
                place=rng.choice(self.places), n=rng.randint(2, 15), h=rng.randint(1, 23)
            )
            sender = rng.choice(self.senders)
        gid = f"{self.prefix}-{number}"
        body = urlencode({"from": sender, "text": text, "id": gid}).encode()
        return body, gid


# -- a small HTTP/1.1 client with keep-alive ---------------------------------------------


class HttpError(Exception):
    pass


class Client:
    """One keep-alive connection; ``post`` reconnects once if a reused connection died."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock, self.buffer = None, b""

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        for attempt in (0, 1):
            reused = self.sock is not None
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.sock.sendall(request)
                return self._response()
            except (OSError, HttpError):
                self.close()
                if attempt or not reused:
                    raise
        raise AssertionError("unreachable")

    def _recv(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise HttpError("connection closed")
        return chunk

    def _response(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(self.buffer) < length:
                self.buffer += self._recv()
            payload, self.buffer = self.buffer[:length], self.buffer[length:]
        elif headers.get("transfer-encoding") == "chunked":
            payload = self._chunked()
        else:  # until the server closes
            payload = self.buffer
            with contextlib.suppress(HttpError):
                while True:
                    payload += self._recv()
            headers["connection"] = "close"
        if headers.get("connection") == "close":
            self.close()
        return status, payload

    def _chunked(self) -> bytes:
        payload = b""
        while True:
            while b"\r\n" not in self.buffer:
                self.buffer += self._recv()
            size_line, self.buffer = self.buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(self.buffer) < size + 2:
                self.buffer += self._recv()
            payload += self.buffer[:size]
            self.buffer = self.buffer[size + 2 :]
            if size == 0:
                return payload


# -- the fake gateway ---------------------------------------------------------------------


class Gateway:
    """Answers 200 to every send; remembers, per Idempotency-Key, how often and for which
    message ids (the ``id`` field of the channel's default send body) it was called."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.message_ids: dict[str, set[str]] = defaultdict(set)
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                key = self.headers.get("Idempotency-Key", "")
                ids = parse_qs(body).get("id", [""])
                with gateway.lock:
                    gateway.requests[key] += 1
                    gateway.message_ids[key].add(ids[0])
                answer = b'{"status": "queued"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self) -> tuple[Counter[str], dict[str, set[str]]]:
        with self.lock:
            return Counter(self.requests), {k: set(v) for k, v in self.message_ids.items()}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- subprocesses ---------------------------------------------------------------------------


class Processes:
    """Subprocesses in their own process groups, so that a kill reaches every child."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    def run(self, *argv: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "ulinzi", *argv],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ulinzi {' '.join(argv)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self, name: str, argv: list[str]) -> None:
        log = self.cwd / f"{name}.log"
        self.logs[name] = log
        with log.open("ab") as out:
            self.running[name] = subprocess.Popen(
                argv,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def kill(self, name: str, sig: int = signal.SIGKILL, wait: float = 10.0) -> None:
        process = self.running.pop(name, None)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        # A worker of a killed gunicorn can outlive its master for a moment: make sure.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGTERM, wait=5.0)

    def tail(self, name: str, chars: int = 3000) -> str:
        log = self.logs.get(name)
        return log.read_text(errors="replace")[-chars:] if log and log.exists() else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the database, read from this process ---------------------------------------------------


class Db:
    def __init__(self, kind: str, target: str) -> None:
        self.kind = kind
        if kind == "sqlite":
            self.conn: Any = sqlite3.connect(target, timeout=30, check_same_thread=False)
        else:
            import psycopg

            self.conn = psycopg.connect(target, autocommit=True)
        self.lock = threading.Lock()

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.kind == "postgres":
            sql = sql.replace("?", "%s")
        with self.lock:
            cursor = self.conn.execute(sql, params)
            result = list(cursor.fetchall())
            if self.kind == "sqlite":
                self.conn.commit()  # end the read transaction, see new commits
            return result

    def value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.rows(sql, params)[0][0]

    def close(self) -> None:
        self.conn.close()


def outbox_pending(db: Db, ignore: set[int] = frozenset()) -> int:  # type: ignore[assignment]
    """Work the worker still has: outbound messages not yet sent, and inbound messages not
    yet processed (whose acknowledgements are not even queued yet)."""
    rows = db.rows(
        "SELECT id FROM messaging_message WHERE (direction = 'out' "
        "AND status IN ('queued', 'sending')) OR (direction = 'in' AND processed_at IS NULL)"
    )
    return sum(1 for (pk,) in rows if pk not in ignore)


def wait_drained(db: Db, bound_s: float, ignore: set[int] = frozenset()) -> bool:  # type: ignore[assignment]
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if outbox_pending(db, ignore) == 0:
            return True
        time.sleep(0.1)
    return outbox_pending(db, ignore) == 0


# -- load ------------------------------------------------------------------------------------


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    duplicates: int = 0
    first_error: str = ""
    latencies: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)  # failed attempts, when retried
    acked: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, payload: bytes, gid: str, latency: float | None) -> None:
        with self.lock:
            if 200 <= status < 300:
                self.ok += 1
                self.acked.add(gid)
                if b'"duplicate": true' in payload:
                    self.duplicates += 1
            else:
                self.errors += 1
                if not self.first_error:
                    self.first_error = f"HTTP {status}: {payload[:300].decode(errors='replace')}"
            if latency is not None:
                self.latencies.append(latency)

    def fail(self, error: str) -> None:
        with self.lock:
            self.errors += 1
            if not self.first_error:
                self.first_error = error


def closed_loop(port: int, path: str, messages: Messages, seconds: float) -> tuple[float, Tally]:
    """CLIENTS clients, each sending its next request when the last is answered."""
    tally = Tally()
    start = time.monotonic()
    stop_at = start + seconds

    def client() -> None:
        conn = Client(port)
        try:
            while time.monotonic() < stop_at:
                body, gid = messages.next()
                try:
                    status, payload = conn.post(path, body)
                except (OSError, HttpError) as exc:
                    tally.fail(repr(exc))
                    conn.close()
                    time.sleep(0.05)
                    continue
                tally.record(status, payload, gid, None)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    elapsed = time.monotonic() - start
    return tally.ok / elapsed, tally


@dataclass
class OpenResult:
    offered: int
    answered: int
    achieved_per_s: float
    p50_ms: float
    p99_ms: float
    censored: int  # requests still unanswered when the window closed
    samples: list[float]  # seconds: answered latencies, and the censored ones' wait so far
    tally: Tally


def open_loop(
    port: int,
    path: str,
    messages: Messages,
    rate: float,
    seconds: float,
    *,
    threads: int = 32,
    grace_s: float = 2.0,
    retry: bool = False,
    on_tick: Callable[[float], None] | None = None,
) -> OpenResult:
    """Requests scheduled at a fixed rate; latency counted from the scheduled time.

    With ``retry``, a request that fails (connection refused or reset, non-2xx) is sent
    again with the same body and gateway id until it is answered or the window closes.
    """
    tally = Tally()
    total = int(rate * seconds)
    start = time.monotonic() + 0.05
    close_at = start + seconds + grace_s
    counter = iter(range(total))
    counter_lock = threading.Lock()
    waited: list[float] = []  # censored requests: how long they had waited at the close

    def sender() -> None:
        conn = Client(port, timeout=10.0)
        try:
            while True:
                with counter_lock:
                    i = next(counter, None)
                if i is None:
                    return
                due = start + i / rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                body, gid = messages.next()
                while True:
                    if time.monotonic() >= close_at:
                        with tally.lock:
                            waited.append(close_at - due)
                        break
                    try:
                        status, payload = conn.post(path, body)
                    except (OSError, HttpError) as exc:
                        conn.close()
                        if not retry:  # counted as an error, and with its wait so far
                            tally.fail(repr(exc))
                            with tally.lock:
                                waited.append(time.monotonic() - due)
                            break
                        with tally.lock:
                            tally.errors += 1
                            tally.kinds[type(exc).__name__] += 1
                        time.sleep(0.1)
                        continue
                    if retry and not 200 <= status < 300:
                        with tally.lock:
                            tally.errors += 1
                            tally.kinds[f"HTTP {status}"] += 1
                        time.sleep(0.1)
                        continue
                    tally.record(status, payload, gid, time.monotonic() - due)
                    break
        finally:
            conn.close()

    pool = [threading.Thread(target=sender, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    if on_tick is not None:
        while any(t.is_alive() for t in pool):
            on_tick(time.monotonic() - start)
            time.sleep(0.05)
    for thread in pool:
        thread.join(timeout=seconds + grace_s + 30)
    samples = sorted(tally.latencies + waited)
    end = min(time.monotonic(), close_at)
    return OpenResult(
        offered=total,
        answered=len(tally.latencies),
        achieved_per_s=len(tally.latencies) / max(end - start, 1e-9),
        p50_ms=percentile(samples, 0.50) * 1000,
        p99_ms=percentile(samples, 0.99) * 1000,
        censored=len(waited),
        samples=samples,
        tally=tally,
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# -- one database ---------------------------------------------------------------------------


@contextlib.contextmanager
def database(kind: str, var_dir: Path) -> Iterator[tuple[str, str]]:
    """(DATABASE_URL, what Db() connects to) for a fresh database, removed afterwards."""
    if kind == "sqlite":
        path = var_dir / "bench.sqlite3"
        yield f"sqlite:///{path}", str(path)
        return
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DB}")
    url = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{PG_DB}"
    try:
        yield url, f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{PG_DB}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def wait_for_server(port: int, processes: Processes, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if "server" not in processes.running or processes.running["server"].poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{processes.tail('server')}")
        try:
            conn = Client(port, timeout=2.0)
            conn.post("/channels/ext/not-a-uuid/bare", b"")
            conn.close()
            return
        except (OSError, HttpError):
            time.sleep(0.1)
    raise RuntimeError(
        f"gunicorn did not answer within {seconds:.0f} s:\n{processes.tail('server')}"
    )


def start_services(processes: Processes, port: int) -> None:
    processes.start(
        "server",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ulinzi.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "3",
            "--threads",
            "4",
        ],
    )
    processes.start("worker", [sys.executable, "-m", "ulinzi", "worker", "--idle-sleep", "0.05"])
    wait_for_server(port, processes)


def kill_services(processes: Processes) -> None:
    processes.kill("server")
    processes.kill("worker")


def run_database(
    kind: str, plan: Plan, places: list[str], log: Callable[[str], None]
) -> dict[str, Any]:
    var_dir = Path(tempfile.mkdtemp(prefix=f"ulinzi-bench-intake-{kind}-"))
    gateway: Gateway | None = None
    processes: Processes | None = None
    db: Db | None = None
    try:
        with database(kind, var_dir) as (url, target):
            env = {
                **os.environ,
                "ULINZI_VAR_DIR": str(var_dir),
                "DATABASE_URL": url,
                "DJANGO_SETTINGS_MODULE": "ulinzi.settings",
                "ULINZI_BENCH_ENDPOINTS": "1",
                "PYTHONUNBUFFERED": "1",
            }
            env.pop("ULINZI_DEBUG", None)
            processes = Processes(env, var_dir)
            t0 = time.monotonic()
            processes.run("migrate", "--no-input", "-v", "0")
            processes.run("demo-setup", "--quiet")
            gateway = Gateway()
            described = json.loads(
                processes.run(
                    "channel-add",
                    "bench",
                    "--send-url",
                    f"http://127.0.0.1:{gateway.port}/send",
                    "--rate",
                    "1000000",
                )
            )
            receive = urlsplit(described["inbound_urls"]["receive"])
            receive_path = f"{receive.path}?{receive.query}"
            bare_path = receive_path.replace("/receive?", "/bare?", 1)
            log(f"{kind}: set up in {time.monotonic() - t0:.1f} s")
            db = Db(kind, target)
            channel_id = db.value(
                "SELECT id FROM messaging_channel WHERE uuid = ?",
                (described["uuid"] if kind == "postgres" else described["uuid"].replace("-", ""),),
            )

            port = free_port()
            start_services(processes, port)
            return measure(
                kind,
                plan,
                places,
                log,
                processes,
                port,
                db,
                gateway,
                channel_id,
                receive_path,
                bare_path,
            )
    finally:
        if processes is not None:
            processes.stop_all()
        if db is not None:
            db.close()
        if gateway is not None:
            gateway.close()
        shutil.rmtree(var_dir, ignore_errors=True)


def check_endpoint(port: int, path: str, places: list[str], name: str) -> None:
    conn = Client(port)
    try:
        body, _ = Messages(places, f"check-{name}", SEED).next()
        status, payload = conn.post(path, body)
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(
            f"POST {path.split('?')[0]} answered {status}: {payload[:500].decode(errors='replace')}"
        )


def measure(
    kind: str,
    plan: Plan,
    places: list[str],
    log: Callable[[str], None],
    processes: Processes,
    port: int,
    db: Db,
    gateway: Gateway,
    channel_id: int,
    receive_path: str,
    bare_path: str,
) -> dict[str, Any]:
    endpoints = {"receive": receive_path, "bare": bare_path}
    for name, path in endpoints.items():
        check_endpoint(port, path, places, name)

    def stream(label: str, seed: int) -> Messages:
        return Messages(places, f"{kind}-{label}", seed)

    # Warm-up: every gunicorn worker loads its code, models and indexes on its first
    # requests; rounds until the rate stops climbing.
    for name, path in endpoints.items():
        deadline = time.monotonic() + plan.warmup_max_s
        previous = 0.0
        for round_ in range(100):
            rate, _ = closed_loop(port, path, stream(f"warm-{name}-{round_}", 1), plan.warmup_s)
            if (previous and rate <= previous * 1.25) or time.monotonic() > deadline:
                break
            previous = rate
    wait_drained(db, plan.settle_s)
    log(f"{kind}: server up and warm")

    # (a) Sustained throughput, closed loop, slices interleaved bare/receive.
    rates: dict[str, list[float]] = {"receive": [], "bare": []}
    tallies: dict[str, list[Tally]] = {"receive": [], "bare": []}
    drained_between = True
    for s in range(plan.slices):
        order = ("bare", "receive") if s % 2 == 0 else ("receive", "bare")
        for name in order:
            drained_between &= wait_drained(db, plan.settle_s)
            rate, tally = closed_loop(
                port, endpoints[name], stream(f"cl-{name}-{s}", 100 + s), plan.slice_s
            )
            rates[name].append(rate)
            tallies[name].append(tally)
    log(
        f"{kind}: closed loop receive {[round(r) for r in rates['receive']]}/s, "
        f"bare {[round(r) for r in rates['bare']]}/s"
    )

    # (b) Latency at a fixed offered rate, open loop.
    opened: dict[str, list[OpenResult]] = {"receive": [], "bare": []}
    for s in range(plan.open_slices):
        order = ("bare", "receive") if s % 2 == 0 else ("receive", "bare")
        for name in order:
            drained_between &= wait_drained(db, plan.settle_s)
            opened[name].append(
                open_loop(
                    port,
                    endpoints[name],
                    stream(f"ol-{name}-{s}", 200 + s),
                    plan.open_rate,
                    plan.open_s,
                )
            )
    summary: dict[str, Any] = {}
    for name in ("receive", "bare"):
        # Pooled over the slices; a censored request counts with its wait so far.
        pooled = sorted(x for r in opened[name] for x in r.samples)
        waited = sum(r.censored for r in opened[name])
        summary[name] = {
            "p50": percentile(pooled, 0.5) * 1000,
            "p99": percentile(pooled, 0.99) * 1000,
            "p50_slices": [round(r.p50_ms, 1) for r in opened[name]],
            "p99_slices": [round(r.p99_ms, 1) for r in opened[name]],
            "achieved": statistics.median(r.achieved_per_s for r in opened[name]),
            "censored": waited,
            "offered": sum(r.offered for r in opened[name]),
            "errors": sum(r.tally.errors for r in opened[name]),
        }
    log(
        f"{kind}: at {plan.open_rate:.0f}/s receive p50 {summary['receive']['p50']:.1f} ms "
        f"p99 {summary['receive']['p99']:.1f} ms; bare p50 {summary['bare']['p50']:.1f} ms "
        f"p99 {summary['bare']['p99']:.1f} ms"
    )

    all_tallies = [t for ts in tallies.values() for t in ts] + [
        r.tally for rs in opened.values() for r in rs
    ]
    errors = {
        name: sum(t.errors for t in tallies[name]) + summary[name]["errors"]
        for name in ("receive", "bare")
    }
    first_errors = sorted({t.first_error for t in all_tallies if t.first_error})
    out: dict[str, Any] = {
        "reports_per_s": round(statistics.median(rates["receive"]), 1),
        "p50_ms_at_200": round_ms(summary["receive"]["p50"]),
        "p99_ms_at_200": round_ms(summary["receive"]["p99"]),
        "achieved_per_s_at_200": round(summary["receive"]["achieved"], 1),
        "unanswered_at_200": summary["receive"]["censored"],
        "receive_errors": errors["receive"],
        "receive_duplicates": sum(t.duplicates for t in tallies["receive"])
        + sum(r.tally.duplicates for r in opened["receive"]),
        "receive_per_s_slices": [round(r, 1) for r in rates["receive"]],
        "outbox_drained_between_slices": drained_between,
    }
    baseline: dict[str, Any] = {
        "bare_per_s": round(statistics.median(rates["bare"]), 1),
        "bare_p50_ms_at_200": round_ms(summary["bare"]["p50"]),
        "bare_p99_ms_at_200": round_ms(summary["bare"]["p99"]),
        "bare_achieved_per_s_at_200": round(summary["bare"]["achieved"], 1),
        "bare_errors": errors["bare"],
        "bare_per_s_slices": [round(r, 1) for r in rates["bare"]],
    }
    if first_errors:
        log(f"{kind}: errors seen: {first_errors[:3]}")
        out["first_error"] = first_errors[0][:300]

    # How far behind the worker fell: from each SMS stored to its report and answer queued.
    wait_drained(db, plan.drain_s)
    out.update(worker_lag(db, f"{kind}-ol-receive-"))

    # No loss across a SIGKILL of the server and the worker.
    rate = min(plan.kill_rate, max(5.0, KILL_SHARE_OF_CAPACITY * out["reports_per_s"]))
    out["kill_offered_per_s"] = round(rate, 1)
    out.update(
        kill_test(
            kind,
            plan,
            places,
            log,
            processes,
            port,
            db,
            gateway,
            channel_id,
            receive_path,
            rate,
        )
    )
    return {"figures": out, "baseline": baseline}


def worker_lag(db: Db, prefix: str) -> dict[str, Any]:
    """Seconds from storing each of the open loop's SMS to processing it, once the worker
    is done (or the drain's bound passed: those still waiting are counted apart)."""
    lags, waiting = [], 0
    for created, processed in db.rows(
        "SELECT created_at, processed_at FROM messaging_message"
        " WHERE direction = 'in' AND gateway_id LIKE ?",
        (f"{prefix}%",),
    ):
        if processed is None:
            waiting += 1
            continue
        stamps = [
            datetime.fromisoformat(v) if isinstance(v, str) else v for v in (created, processed)
        ]
        lags.append((stamps[1] - stamps[0]).total_seconds())
    return {
        "worker_lag_p50_s_at_200": round(percentile(lags, 0.5), 2) if lags else None,
        "worker_lag_max_s_at_200": round(max(lags), 2) if lags else None,
        "worker_waiting_after_drain": waiting,
    }


def round_ms(value: float) -> float | None:
    return None if value != value else round(value, 1)  # NaN: nothing was measured


def kill_test(
    kind: str,
    plan: Plan,
    places: list[str],
    log: Callable[[str], None],
    processes: Processes,
    port: int,
    db: Db,
    gateway: Gateway,
    channel_id: int,
    receive_path: str,
    rate: float,
) -> dict[str, Any]:
    # Start with nothing left to do: earlier phases may have left reports to process.
    wait_drained(db, 5 * plan.drain_s)
    watermark = db.value("SELECT COALESCE(MAX(id), 0) FROM messaging_message")
    messages = Messages(places, f"{kind}-kill", 300)
    stuck: set[int] = set()
    events: dict[str, float] = {}
    state = {"phase": "before"}

    def on_tick(elapsed: float) -> None:
        if state["phase"] == "before" and elapsed >= plan.kill_before_s:
            kill_services(processes)
            events["killed"] = elapsed
            # What the dead worker had claimed: it stays "sending" until the stale-claim delay.
            stuck.update(
                pk for (pk,) in db.rows("SELECT id FROM messaging_message WHERE status = 'sending'")
            )
            state["phase"] = "down"
        elif state["phase"] == "down" and elapsed >= events["killed"] + 1.0:
            state["phase"] = "restarting"
            port_ok = True
            try:
                start_services(processes, port)
            except RuntimeError:
                port_ok = False
            events["restarted"] = time.monotonic()
            state["phase"] = "after" if port_ok else "failed"

    seconds = plan.kill_before_s + 1.0 + plan.kill_after_s
    result = open_loop(
        port,
        receive_path,
        messages,
        rate,
        seconds,
        threads=32,
        grace_s=plan.kill_grace_s,
        retry=True,
        on_tick=on_tick,
    )
    if state["phase"] != "after":
        raise RuntimeError(f"the restart after the kill failed:\n{processes.tail('server')}")
    acked = result.tally.acked
    # Loss is counted once the worker is done: on a slow worker (PostgreSQL's, a round
    # trip per query) the restart and the 900 SMS can take more than a minute.
    waited = time.monotonic()
    drained = wait_drained(db, 5 * plan.drain_s, ignore=stuck)
    waited = time.monotonic() - waited
    time.sleep(0.5)  # the gateway's last answers reach its counters
    stored = {
        gid
        for (gid,) in db.rows(
            "SELECT gateway_id FROM messaging_message WHERE direction = 'in' AND channel_id = ? "
            "AND gateway_id LIKE ?",
            (channel_id, f"{kind}-kill-%"),
        )
    }
    acks = db.rows(
        "SELECT id, idempotency_key, status FROM messaging_message WHERE direction = 'out' "
        "AND purpose = 'acknowledgement' AND channel_id = ? AND id > ?",
        (channel_id, watermark),
    )
    requests, ids_by_key = gateway.snapshot()
    keys = {normal_key(k): (str(pk), status) for pk, k, status in acks}
    seen = {normal_key(k): n for k, n in requests.items()}
    seen_ids = {normal_key(k): v for k, v in ids_by_key.items()}
    delivered = [k for k in keys if seen.get(k, 0) >= 1]
    lost = [k for k in keys if seen.get(k, 0) == 0]
    stuck_lost = [k for k in lost if int(keys[k][0]) in stuck]
    shared = [
        k
        for k in keys
        if len(seen_ids.get(k, set())) > 1 or (seen_ids.get(k) and keys[k][0] not in seen_ids[k])
    ]
    log(
        f"{kind}: kill test: {len(acked)} acked, {len(acked - stored)} missing, "
        f"{len(keys)} acks queued, {len(delivered)} delivered, {len(lost)} lost "
        f"({len(stuck_lost)} stuck in 'sending'), drained {drained}; "
        f"failed attempts: {dict(result.tally.kinds)}, {result.offered - len(acked)} unacked"
    )
    return {
        "acked_requests": len(acked),
        "missing_after_kill": len(acked - stored),
        "unacked_requests": result.offered - len(acked),
        "failed_attempts_during_outage": result.tally.errors,
        "retries_answered_duplicate": result.tally.duplicates,
        "acks_queued": len(keys),
        "acks_delivered_distinct": len(delivered),
        "acks_lost": len(lost),
        "acks_stuck_sending": len(stuck_lost),
        "gateway_requests": sum(seen.get(k, 0) for k in keys),
        "redelivered_same_key": sum(max(0, seen.get(k, 0) - 1) for k in keys),
        "keys_shared_by_messages": len(shared),
        "outbox_drained": drained,
        "drain_after_kill_s": round(waited, 1),
    }


def normal_key(key: Any) -> str:
    return str(key).replace("-", "").lower()


# -- main ------------------------------------------------------------------------------------


def postgres_answers() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1.0):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a small SQLite-only version")
    parser.add_argument("--out", type=Path, help="where to write the JSON result")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"])
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    choice = args.database or ("sqlite" if args.quick or not postgres_answers() else "both")
    kinds = ["sqlite", "postgres"] if choice == "both" else [choice]
    out = args.out or (None if args.quick else ROOT / "bench" / "results" / "intake.json")

    started = time.monotonic()

    def log(line: str) -> None:
        print(f"[{time.monotonic() - started:5.0f} s] {line}", file=sys.stderr, flush=True)

    places = settlements()
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {
        "name": "bare endpoint POST /channels/ext/<uuid>/bare (auth, parse, validate, "
        "insert one row), same server and database, interleaved"
    }
    targets: dict[str, Any] = {}
    for kind in kinds:
        result = run_database(kind, plan, places, log)
        figures.update({f"{kind}_{k}": v for k, v in result["figures"].items()})
        baseline.update({f"{kind}_{k}": v for k, v in result["baseline"].items()})
        f, b = result["figures"], result["baseline"]
        ratio = f["reports_per_s"] / b["bare_per_s"] if b["bare_per_s"] else 0.0
        p99 = f["p99_ms_at_200"]
        targets[f"{kind}_throughput_ratio"] = {
            "value": round(ratio, 3),
            "goal": ">= 0.5",
            "met": ratio >= 0.5,
        }
        targets[f"{kind}_p99_ms_at_200"] = {
            "value": p99,
            "goal": "< 50",
            "met": p99 is not None and p99 < 50 and f["unanswered_at_200"] == 0,
        }
        targets[f"{kind}_missing_after_kill"] = {
            "value": f["missing_after_kill"],
            "goal": "== 0",
            "met": f["missing_after_kill"] == 0 and f["acked_requests"] > 0,
        }
        targets[f"{kind}_acks_lost"] = {
            "value": f["acks_lost"],
            "goal": "== 0",
            "met": f["acks_lost"] == 0 and f["acks_queued"] > 0,
        }
        targets[f"{kind}_keys_shared_by_messages"] = {
            "value": f["keys_shared_by_messages"],
            "goal": "== 0",
            "met": f["keys_shared_by_messages"] == 0,
        }
    names = {"sqlite": "sqlite", "postgres": "postgresql"}
    result = {
        **header("intake", " and ".join(names[k] for k in kinds)),
        "data": (
            ("quick subset: " if args.quick else "")
            + f"synthetic SMS from {sum(len(t) for t in TEMPLATES.values())} templates in "
            "fr/sw/en/ln naming "
            f"{len(places)} real settlements of Beni, Oïcha and Goma (bundled gazetteer), "
            "400 senders, unique gateway ids, seeded; "
            f"closed loop {CLIENTS} clients x {plan.slices} slices of {plan.slice_s:g} s per "
            f"endpoint (median), open loop {plan.open_rate:g}/s x {plan.open_slices} slices of "
            f"{plan.open_s:g} s per endpoint (pooled percentiles); gunicorn -w 3 --threads 4 "
            "and ulinzi worker on the same machine" + "; kill test: at most "
            f"{plan.kill_rate:g}/s and at most {KILL_SHARE_OF_CAPACITY:g} x the measured "
            "reports/s (kill_offered_per_s), SIGKILL of the gunicorn process group and the "
            "worker, both restarted after 1 s, failed requests retried with the same gateway id"
        ),
        "figures": figures,
        "baseline": baseline,
        "targets": targets,
    }
    text = json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    parts = []
    for kind in kinds:
        f, b = result["figures"], result["baseline"]
        part = (
            f"{kind} {f[f'{kind}_reports_per_s']} reports/s (bare {b[f'{kind}_bare_per_s']}), "
            f"p99 {f[f'{kind}_p99_ms_at_200']} ms at {plan.open_rate:g}/s"
        )
        part += (
            f", kill: {f[f'{kind}_missing_after_kill']} missing, {f[f'{kind}_acks_lost']} acks lost"
        )
        parts.append(part)
    met = sum(t["met"] for t in targets.values())
    print(
        f"intake: {'; '.join(parts)}; {met}/{len(targets)} targets met "
        f"({time.monotonic() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
