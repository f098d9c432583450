"""A fake SMS gateway on 127.0.0.1 for tests: it records every request and answers as
told (success, an error status, garbage, or silence until the client times out)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeGateway:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    # What to do with the next requests, in order; then "ok" for the rest.
    script: list[str] = field(default_factory=list)
    # The body of a successful answer (a gateway's JSON about the message it took).
    answer: bytes = b'{"status": "accepted"}'

    def keys(self) -> list[str]:
        return [r["headers"].get("Idempotency-Key", "") for r in self.requests]


@contextmanager
def fake_gateway() -> Iterator[FakeGateway]:
    gateway = FakeGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            gateway.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": body}
            )
            action = gateway.script.pop(0) if gateway.script else "ok"
            if action == "slow":
                time.sleep(2)
            status = {"ok": 200, "garbage": 200, "error": 500, "refused": 400, "slow": 200}[action]
            payload = b"\x00\xff not json" if action == "garbage" else gateway.answer
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
